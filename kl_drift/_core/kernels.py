"""Compiled counting of numeric and datetime values into right-closed bins (numba, optional).

One pass through memory per column: the values are read in blocks small enough to stay in
the L1 cache, and every edge is compared with a block while it is there (four edges per
visit), with the NaN and ±inf counts taken in the same visit. The counts are those of the
numpy path's comparisons (:func:`kl_drift._core.bins.count_numeric`): ``x <= e`` per edge,
``x == x`` for non-missing (here ``x <= +inf``, the same for every float; every int64 is
at most the largest int64) and ``|x| == inf``, so they are the same integers, bit for bit. Beyond
`LINEAR_MAX_EDGES` edges a binary search per value (the number of edges below it, as
``searchsorted(side="left")`` gives) beats comparing every edge.

numba is an optional extra (``pip install kl-drift[fast]``), never imported by
``import kl_drift``. Loading it costs 0.6-0.8 s of CPU per process with the on-disk cache
warm (importing numba 0.2 s, loading the cached float64 and int64 kernels 0.4-0.6 s) and
1.4-2.1 s on a first compile (benchmarks/bench_kernels.py, load average about 1); the
kernels save about 3 ns of CPU per value (a compare of 20 columns x 1M rows: 0.115 s on the
numpy path, 0.053 s compiled) and 46 µs per column: so they are loaded only for a count
job worth at least `MIN_VALUES` values (:func:`prepare`),
and once loaded are used for every count of the process. ``KL_DRIFT_NUMBA=1`` loads them
for any job (tests); ``KL_DRIFT_NO_NUMBA=1`` (or numba not installed) keeps the numpy path.
Compiled code is cached on disk (``cache=True``): in ``$NUMBA_CACHE_DIR`` when set, else
next to this file when the package directory is writable, else in numba's user-wide cache
(``~/.cache/numba``); where no location is writable the kernels are compiled in memory on
the first use of every process.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DISABLE_ENV",
    "FORCE_ENV",
    "MIN_VALUES",
    "VALUES_PER_COLUMN",
    "available",
    "prepare",
    "ready",
    "in_use",
    "count_bins",
    "tally_strings",
]

DISABLE_ENV = "KL_DRIFT_NO_NUMBA"
FORCE_ENV = "KL_DRIFT_NUMBA"
# Numeric values in one count job from which loading numba pays for itself: 0.6-0.8 s of
# loading (warm cache) against 3 ns saved per value breaks even at 200-260M values.
MIN_VALUES = 200_000_000
# Values per block: 4,096 float64 values are 32 KiB, a typical L1 data cache (2,048 and
# 8,192 measured 1.1x and 1.7x slower).
BLOCK = 4096
# Up to this many edges, every edge is compared with every value (vectorised, no branch);
# beyond it, a binary search per value is cheaper.
LINEAR_MAX_EDGES = 32

# A column costs the numpy path about as much as this many values more than the kernels
# (56 µs against 10 µs for 1,000 values and 11 edges).
VALUES_PER_COLUMN = 15_000

# Whether Arrow-backed string columns are counted by `tally_strings` when the kernels are
# in use. Off: per 1M rows it beat pandas' (Arrow's) value_counts on the benchmark's
# Zipf-like columns (10-15 ms against 13-15) but lost on labels drawn uniformly (21 against
# 16 ms for 1,000 labels, 105 against 68 ms for 100,000; docs/performance.md). The tests
# turn it on and compare it with the pandas path.
COUNT_STRINGS = False

_lock = threading.Lock()
# None: not tried yet; False: numba unavailable; otherwise the compiled kernels.
_loaded: Any = None
# The kernels the current jobs count with (None: the numpy path), set by `prepare`.
_active: Any = None


def available() -> bool:
    """Whether numba is installed and not disabled (without importing it).

    Examples
    --------
    >>> isinstance(available(), bool)
    True
    """
    return not _disabled_by_env() and importlib.util.find_spec("numba") is not None


def prepare(n_values: int, n_columns: int = 0) -> bool:
    """Decide the counting path of a job of `n_values` numeric values in `n_columns` columns.

    Loads the kernels if the job pays for it (or ``KL_DRIFT_NUMBA=1``): a column costs the
    numpy path about 46 µs more than the kernels whatever its length, worth
    `VALUES_PER_COLUMN` values. The environment is read here, once per job (reading it
    per column cost more than counting 1,000 values). Returns whether counting now uses
    the kernels.
    """
    global _active
    if _disabled_by_env():
        _active = None
        return False
    if _loaded is None and (_forced_by_env() or n_values + n_columns * VALUES_PER_COLUMN >= MIN_VALUES):
        _load()
    _active = _loaded or None
    return _active is not None


def ready() -> bool:
    """:func:`prepare` for a job too small to load the kernels: whether counting uses them."""
    return prepare(0)


def in_use() -> bool:
    """Whether counting uses the kernels now (as the last :func:`prepare` decided)."""
    return _active is not None


def strings_in_use() -> bool:
    """Whether string columns are counted by :func:`tally_strings` now (`COUNT_STRINGS`)."""
    return COUNT_STRINGS and _active is not None


def _disabled_by_env() -> bool:
    return os.environ.get(DISABLE_ENV, "") not in ("", "0")


def _forced_by_env() -> bool:
    return os.environ.get(FORCE_ENV, "") not in ("", "0")


def _load() -> None:
    """Import numba and define the kernels, once per process (False when numba is missing)."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = _define() or False


def _define() -> Any:
    try:
        import numba
    except ImportError:
        return None

    def jit(function: Any) -> Any:
        try:
            return numba.njit(nogil=True, cache=True)(function)
        except Exception:  # noqa: BLE001 - any failure to set up caching: compile in memory
            return numba.njit(nogil=True, cache=False)(function)

    def linear(x: Any, padded: Any, k: int, out: Any) -> None:
        # out[:k + 1] += rows per value bin, out[k + 1] += missing, out[k + 2] += ±inf, from
        # #{x <= e} per edge, #{x == x} and #{|x| == inf}: the numpy path's comparisons.
        # `padded` is the k edges, then a top (+inf, or the largest int64) repeated to a
        # multiple of 4: #{x <= top} is #{x == x}. Four edges per visit of a block, with
        # boolean sums over a slice: this form LLVM vectorises (an `if`-expression over
        # x[i], one edge at a time, took 3.3x the time).
        n = x.shape[0]
        cum = np.zeros(padded.shape[0], dtype=np.int64)
        n_inf = 0
        for start in range(0, n, BLOCK):
            block = x[start : min(start + BLOCK, n)]
            m = block.shape[0]
            infinite = 0
            for i in range(m):
                infinite += np.abs(block[i]) == np.inf
            n_inf += infinite
            for e in range(0, padded.shape[0], 4):
                e0, e1, e2, e3 = padded[e], padded[e + 1], padded[e + 2], padded[e + 3]
                b0 = b1 = b2 = b3 = 0
                for i in range(m):
                    v = block[i]
                    b0 += v <= e0
                    b1 += v <= e1
                    b2 += v <= e2
                    b3 += v <= e3
                cum[e] += b0
                cum[e + 1] += b1
                cum[e + 2] += b2
                cum[e + 3] += b3
        previous = 0
        for e in range(k):
            out[e] += cum[e] - previous
            previous = cum[e]
        n_values = cum[k]
        out[k] += n_values - previous
        out[k + 1] += n - n_values
        out[k + 2] += n_inf

    def bisect(x: Any, edges: Any, out: Any) -> None:
        # The same output as `linear`, from a histogram of "edges below the value" (the
        # bin of a value), as np.searchsorted(edges, x, side="left") gives.
        k = edges.shape[0]
        per_bin = np.zeros(k + 1, dtype=np.int64)
        n_values = 0
        n_inf = 0
        for i in range(x.shape[0]):
            v = x[i]
            if v != v:
                continue
            n_values += 1
            if np.abs(v) == np.inf:
                n_inf += 1
            lo = 0
            hi = k
            while lo < hi:
                mid = (lo + hi) >> 1
                if edges[mid] < v:
                    lo = mid + 1
                else:
                    hi = mid
            per_bin[lo] += 1
        for j in range(k + 1):
            out[j] += per_bin[j]
        out[k + 1] += x.shape[0] - n_values
        out[k + 2] += n_inf

    def strings(offsets: Any, data: Any, valid: Any, bit_offset: int, state: Any) -> Any:
        # Distinct strings of one Arrow string array (offsets, data bytes, validity bitmap;
        # `valid` empty when there are no nulls) added to `state`, a hash table that
        # carries over chunks: (table, hashes, key offsets, key bytes, counts, n_distinct,
        # n_missing). The table holds distinct ids (-1 empty), linear probing; distinct ids are given in order of first appearance, the order of
        # Arrow's value_counts. Every distinct key's bytes are copied into `key bytes`
        # (so keys from earlier chunks compare without their buffers).
        table, hashes, key_offsets, key_bytes, counts, n_distinct, n_missing = state
        mask = np.uint64(table.shape[0] - 1)
        has_valid = valid.shape[0] > 0
        for i in range(offsets.shape[0] - 1):
            if has_valid:
                bit = bit_offset + i
                if not (valid[bit >> 3] >> (bit & 7)) & 1:
                    n_missing += 1
                    continue
            start = offsets[i]
            end = offsets[i + 1]
            length = end - start
            # The bytes read as little-endian 64-bit words (the last one zero-padded), each
            # mixed into the hash with one multiply, then MurmurHash3's finaliser. For a
            # given length, every step is a bijection of the word while there is one word:
            # keys of up to 8 bytes with equal hashes and lengths are equal.
            h = np.uint64(length) * np.uint64(0x9E3779B97F4A7C15)
            word = np.uint64(0)
            shift = np.uint64(0)
            for b in range(start, end):
                word |= np.uint64(data[b]) << shift
                shift += np.uint64(8)
                if shift == np.uint64(64):
                    h = (h ^ word) * np.uint64(0x100000001B3)
                    word = np.uint64(0)
                    shift = np.uint64(0)
            h = (h ^ word) * np.uint64(0x100000001B3)
            h ^= h >> np.uint64(33)
            h *= np.uint64(0xFF51AFD7ED558CCD)
            h ^= h >> np.uint64(33)
            slot = h & mask
            while True:
                d = table[slot]
                if d < 0:
                    break
                if hashes[d] == h and key_offsets[d + 1] - key_offsets[d] == length:
                    if length <= 8:
                        break
                    k0 = key_offsets[d]
                    same = True
                    for b in range(length):
                        if key_bytes[k0 + b] != data[start + b]:
                            same = False
                            break
                    if same:
                        break
                slot = (slot + np.uint64(1)) & mask
            if d >= 0:
                counts[d] += 1
                continue
            # A new distinct value: grow the per-value arrays, the key bytes, the table.
            if n_distinct + 1 >= hashes.shape[0]:
                grown = hashes.shape[0] * 2
                new_hashes = np.empty(grown, dtype=np.uint64)
                new_hashes[:n_distinct] = hashes[:n_distinct]
                hashes = new_hashes
                new_offsets = np.zeros(grown + 1, dtype=np.int64)
                new_offsets[: n_distinct + 1] = key_offsets[: n_distinct + 1]
                key_offsets = new_offsets
                new_counts = np.zeros(grown, dtype=np.int64)
                new_counts[:n_distinct] = counts[:n_distinct]
                counts = new_counts
            k0 = key_offsets[n_distinct]
            if k0 + length > key_bytes.shape[0]:
                new_bytes = np.empty(max(2 * key_bytes.shape[0], k0 + length), dtype=np.uint8)
                new_bytes[:k0] = key_bytes[:k0]
                key_bytes = new_bytes
            for b in range(length):
                key_bytes[k0 + b] = data[start + b]
            key_offsets[n_distinct + 1] = k0 + length
            hashes[n_distinct] = h
            counts[n_distinct] = 1
            table[slot] = n_distinct
            n_distinct += 1
            if 2 * n_distinct > table.shape[0]:
                table = np.full(table.shape[0] * 2, -1, dtype=np.int64)
                mask = np.uint64(table.shape[0] - 1)
                for e in range(n_distinct):
                    s = hashes[e] & mask
                    while table[s] >= 0:
                        s = (s + np.uint64(1)) & mask
                    table[s] = e
        return table, hashes, key_offsets, key_bytes, counts, n_distinct, n_missing

    with warnings.catch_warnings():
        # numba warns (NumbaWarning) where it cannot find a cache location; it then compiles
        # in memory, which is what the docstring promises.
        warnings.simplefilter("ignore")
        return {"linear": jit(linear), "bisect": jit(bisect), "strings": jit(strings)}


def count_bins(x: NDArray[Any], edges: NDArray[Any]) -> NDArray[np.int64] | None:
    """Rows per right-closed bin, the missing count and the ±inf count, in one pass.

    `x` and `edges` share a dtype, float64 or int64 (datetimes as int64 nanoseconds); edges
    are strictly increasing. Returns ``k + 1`` value-bin counts, missing, then ±inf; None
    where the kernels are not in use (:func:`prepare`) or the dtypes are others: the caller
    then counts with numpy.

    Examples
    --------
    >>> out = count_bins(np.array([0.5, 1.0, np.nan, np.inf]), np.array([1.0]))
    >>> out is None or out.tolist() == [2, 1, 1, 1]
    True
    """
    kernels = _active
    if kernels is None or x.ndim != 1 or x.dtype != edges.dtype or x.dtype not in (np.float64, np.int64):
        return None
    out = np.zeros(edges.size + 3, dtype=np.int64)
    if not x.size:
        return out
    if edges.size > LINEAR_MAX_EDGES:
        kernels["bisect"](x, edges, out)
        return out
    k = edges.size
    padded = np.empty(k + 4 - k % 4, dtype=x.dtype)
    padded[:k] = edges
    padded[k:] = np.inf if x.dtype == np.float64 else np.iinfo(np.int64).max
    kernels["linear"](x, padded, k, out)
    return out


# The first table of `tally_strings` (slots; doubled when half full) and key-byte capacity.
_STRING_SLOTS = 1024


def tally_strings(chunks: Any) -> tuple[list[str], NDArray[np.int64], int] | None:
    """Distinct strings of Arrow string arrays, their counts and the missing count.

    `chunks` is a sequence of pyarrow ``string`` or ``large_string`` arrays (a chunked
    array's chunks; slices with offsets welcome). One hash pass over the bytes in compiled
    code; only the distinct values are decoded. The values come in order of first
    appearance, as Arrow's ``value_counts`` (and pandas' ``value_counts(sort=False)`` of
    an Arrow-backed column) lists them. Returns None where the kernels are not in use
    (:func:`prepare`) or a chunk is of another type: the caller then counts as before.

    Examples
    --------
    >>> import pyarrow as pa
    >>> out = tally_strings(pa.chunked_array([["b", None, "a", "b"]]).chunks)
    >>> out is None or (out[0], out[1].tolist(), out[2]) == (["b", "a"], [2, 1], 1)
    True
    """
    kernels = _active
    if kernels is None:
        return None
    import pyarrow as pa

    offset_types = {pa.string(): np.int32, pa.large_string(): np.int64}
    if not all(chunk.type in offset_types for chunk in chunks):
        return None
    state = (
        np.full(_STRING_SLOTS, -1, dtype=np.int64),
        np.empty(_STRING_SLOTS // 2, dtype=np.uint64),
        np.zeros(_STRING_SLOTS // 2 + 1, dtype=np.int64),
        np.empty(16 * _STRING_SLOTS, dtype=np.uint8),
        np.zeros(_STRING_SLOTS // 2, dtype=np.int64),
        0,
        0,
    )
    no_bitmap = np.zeros(0, dtype=np.uint8)
    for chunk in chunks:
        n = len(chunk)
        if not n:
            continue
        validity, offsets_buffer, data_buffer = chunk.buffers()
        offsets = np.frombuffer(offsets_buffer, dtype=offset_types[chunk.type])[chunk.offset : chunk.offset + n + 1]
        data = (
            np.frombuffer(data_buffer, dtype=np.uint8)
            if data_buffer is not None and data_buffer.size
            else np.zeros(1, dtype=np.uint8)
        )
        valid = np.frombuffer(validity, dtype=np.uint8) if validity is not None and chunk.null_count else no_bitmap
        state = kernels["strings"](offsets, data, valid, chunk.offset, state)
    _, _, key_offsets, key_bytes, counts, n_distinct, n_missing = state
    bounds = key_offsets[: n_distinct + 1].tolist()
    raw = key_bytes.tobytes()
    values = [raw[a:b].decode("utf-8") for a, b in zip(bounds, bounds[1:])]
    return values, counts[:n_distinct].copy(), int(n_missing)
