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
import sys
import threading
import warnings
from collections.abc import Callable
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
    "bin_counter",
    "count_codes",
    "tally_strings",
    "factorize_strings",
    "jit",
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
# in use. On: per 1M-row column it took 0.35-0.83x the CPU of pandas' (Arrow's)
# value_counts on every column measured (3 to 100,000 labels, Zipf-like and uniform, 5- and
# 35-byte labels, nulls, chunks; benchmarks/bench_kernels.py --strings-only,
# docs/performance.md). The kernel itself is in string_kernel.py.
COUNT_STRINGS = True

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


def jit(function: Any, **options: Any) -> Any:
    """`function` compiled by numba (``nogil``), cached on disk where a cache location can be
    set up, else compiled in memory; numba's warning about the cache location is silenced.
    Used by every compiled kernel of the package; call it only once numba is importable."""
    import numba

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return numba.njit(nogil=True, cache=True, **options)(function)
        except Exception:  # noqa: BLE001 - any failure to set up caching: compile in memory
            return numba.njit(nogil=True, cache=False, **options)(function)


def _define() -> Any:
    try:
        import numba  # noqa: F401 - a numba that fails to import leaves the numpy path
    except ImportError:
        return None

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

    def linear_int(x: Any, padded: Any, k: int, out: Any) -> None:
        # `linear` for int64 values (no NaN, no inf): #{x <= e} as the block's length less
        # #{x > e}, which AVX2 compares in one instruction (x <= e is its complement:
        # one more per edge and value, 1.3x the time).
        n = x.shape[0]
        cum = np.zeros(padded.shape[0], dtype=np.int64)
        for start in range(0, n, BLOCK):
            block = x[start : min(start + BLOCK, n)]
            m = block.shape[0]
            for e in range(0, padded.shape[0], 4):
                e0, e1, e2, e3 = padded[e], padded[e + 1], padded[e + 2], padded[e + 3]
                a0 = a1 = a2 = a3 = 0
                for i in range(m):
                    v = block[i]
                    a0 += v > e0
                    a1 += v > e1
                    a2 += v > e2
                    a3 += v > e3
                cum[e] += m - a0
                cum[e + 1] += m - a1
                cum[e + 2] += m - a2
                cum[e + 3] += m - a3
        previous = 0
        for e in range(k):
            out[e] += cum[e] - previous
            previous = cum[e]
        out[k] += cum[k] - previous
        out[k + 1] += n - cum[k]

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

    def codes(x: Any, valid: Any, start: int, out: Any) -> bool:
        # out[c] += rows holding code c (c < size = out.size - 1), out[size] += nulls (rows
        # whose bit `start + i` of `valid` is 0; `valid` empty: no nulls), as np.bincount of
        # the codes with the nulls' codes set to `size` gives. One pass over the codes in
        # their own type (np.bincount casts them to int64 first, then finds their range). Four
        # histograms taken in turn where they fit, so that repeated codes do not wait on each
        # other's increment. False, and `out` untouched, when a valid row's code is not in
        # [0, size): the caller's numpy path then counts (or fails) as before.
        n = x.shape[0]
        size = out.shape[0] - 1
        stride = size + 1
        lanes = 4 if 4 * stride <= n else 1
        h = np.zeros(lanes * stride, dtype=np.int64)
        i = 0
        if valid.shape[0] == 0:
            if lanes == 4:
                while i + 4 <= n:
                    c0, c1, c2, c3 = x[i], x[i + 1], x[i + 2], x[i + 3]
                    if c0 < 0 or c0 >= size or c1 < 0 or c1 >= size or c2 < 0 or c2 >= size or c3 < 0 or c3 >= size:
                        return False
                    h[c0] += 1
                    h[stride + c1] += 1
                    h[2 * stride + c2] += 1
                    h[3 * stride + c3] += 1
                    i += 4
            while i < n:
                c = x[i]
                if c < 0 or c >= size:
                    return False
                h[c] += 1
                i += 1
        else:
            for i in range(n):
                j = start + i
                c = x[i]
                if (valid[j >> 3] >> (j & 7)) & 1:
                    if c < 0 or c >= size:
                        return False
                else:
                    c = size
                h[(i % lanes) * stride + c] += 1
        for lane in range(lanes):
            for c in range(stride):
                out[c] += h[lane * stride + c]
        return True

    from . import string_kernel as strings

    return {
        "linear": jit(linear),
        "linear_int": jit(linear_int),
        "bisect": jit(bisect),
        "codes": jit(codes),
        "strings": strings.strings,
        "string_keys": strings.string_keys,
    }


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
    if _active is None or x.ndim != 1 or x.dtype != edges.dtype or x.dtype not in (np.float64, np.int64):
        return None
    out = np.zeros(edges.size + 3, dtype=np.int64)
    bin_counter(edges)(x, out)
    return out


def bin_counter(edges: NDArray[Any]) -> Callable[[NDArray[Any], NDArray[np.int64]], None]:
    """``count(values, out)``: adds the counts :func:`count_bins` returns to `out` (``k + 3``
    int64), with the kernel for these edges chosen and laid out once, for callers that count
    many arrays against the same edges (batches, periods). ``bisect`` beyond
    `LINEAR_MAX_EDGES` edges, else ``linear`` (``linear_int`` for int64 edges) with the edges
    padded to a multiple of 4 by the dtype's top. The kernels must be in use (:func:`in_use`)
    and the values of the edges' dtype, float64 or int64; an empty array adds nothing.

    Examples
    --------
    >>> count = bin_counter(np.array([1.0])) if ready() else None
    >>> out = np.zeros(4, dtype=np.int64)
    >>> count is None or (count(np.array([0.5, 2.0, np.nan]), out), out.tolist())[1] == [1, 1, 1, 0]
    True
    """
    kernels = _active
    assert kernels is not None, "bin_counter needs the kernels in use"
    k = edges.size
    if k > LINEAR_MAX_EDGES:
        bisect = kernels["bisect"]

        def count_bisect(values: NDArray[Any], out: NDArray[np.int64]) -> None:
            if values.size:
                bisect(values, edges, out)

        return count_bisect
    linear = kernels["linear" if edges.dtype == np.float64 else "linear_int"]
    padded = np.empty(k + 4 - k % 4, dtype=edges.dtype)
    padded[:k] = edges
    padded[k:] = np.inf if edges.dtype == np.float64 else np.iinfo(np.int64).max

    def count_linear(values: NDArray[Any], out: NDArray[np.int64]) -> None:
        if values.size:
            linear(values, padded, k, out)

    return count_linear


# Index types of dictionary codes counted by `count_codes` (Parquet's and pandas' are signed).
_CODE_TYPES = (np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32), np.dtype(np.int64))


def count_codes(codes: NDArray[Any], valid: NDArray[np.uint8] | None, start: int, out: NDArray[np.int64]) -> bool:
    """Add each dictionary code's rows to ``out[:-1]`` and the nulls to ``out[-1]``, in one pass.

    `codes` are a dictionary array's indices (any values under the nulls), `valid` the bytes
    of its validity bitmap (None: no nulls) and `start` the array's offset into it. The
    counts are those of ``np.bincount`` with the nulls' codes set to ``len(out) - 1``.
    Returns False, with `out` untouched, where the kernels are not in use, the codes are
    not of a signed integer type, or a valid row's code is outside ``[0, len(out) - 1)``:
    the caller then counts with numpy.

    Examples
    --------
    >>> out = np.zeros(3, dtype=np.int64)
    >>> not count_codes(np.array([1, 0, 1], dtype=np.int32), None, 0, out) or out.tolist() == [1, 2, 0]
    True
    """
    kernels = _active
    if kernels is None or codes.ndim != 1 or codes.dtype not in _CODE_TYPES or out.size < 1:
        return False
    return bool(kernels["codes"](codes, _NO_BYTES if valid is None else valid, start, out))


# Slots of the first table of `tally_strings` (doubled when half full).
_STRING_SLOTS = 256


def tally_strings(chunks: Any) -> tuple[NDArray[np.object_], NDArray[np.int64], int] | None:
    """Distinct strings of Arrow string arrays, their counts and the missing count.

    `chunks` is a sequence of pyarrow ``string`` or ``large_string`` arrays (a chunked
    array's chunks; slices with offsets welcome). One hash pass over the bytes in compiled
    code, 8 bytes at a time; only the distinct values are decoded (by Arrow). The values
    come in order of first appearance, as Arrow's ``value_counts`` (and pandas'
    ``value_counts(sort=False)`` of an Arrow-backed column) lists them. Returns None where
    the kernels are not in use (:func:`prepare`), a chunk is of another type, the machine is
    big-endian, or the keys collide beyond `string_kernel.MAX_PROBES`: the caller then counts as before.

    Examples
    --------
    >>> import pyarrow as pa
    >>> out = tally_strings(pa.chunked_array([["b", None, "a", "b"]]).chunks)
    >>> out is None or (out[0].tolist(), out[1].tolist(), out[2]) == (["b", "a"], [2, 1], 1)
    True
    """
    hashed = _hash_strings(chunks, _NO_CODES)
    if hashed is None:
        return None
    keys, counts = _string_keys(*hashed)
    return keys, counts, int(hashed[1][4])


def factorize_strings(chunks: Any) -> tuple[NDArray[np.int32], NDArray[np.object_]] | None:
    """Each row's distinct-value code (-1 for a null) and the distinct strings, in one pass.

    The pass of :func:`tally_strings` writing every row's id as it goes: codes in order of
    first appearance, as Arrow's ``dictionary_encode`` gives them. None where
    :func:`tally_strings` gives None (the caller then encodes with Arrow).

    Examples
    --------
    >>> import pyarrow as pa
    >>> out = factorize_strings(pa.chunked_array([["b", None, "a", "b"]]).chunks)
    >>> out is None or (out[0].tolist(), out[1].tolist()) == ([0, -1, 1, 0], ["b", "a"])
    True
    """
    n_rows = sum(len(chunk) for chunk in chunks)
    if n_rows >= 2**31:
        return None
    codes = np.empty(n_rows, dtype=np.int32)
    hashed = _hash_strings(chunks, codes)
    if hashed is None:
        return None
    return codes, _string_keys(*hashed)[0]


def _hash_strings(chunks: Any, codes: NDArray[np.int32]) -> Any:
    """The kernels and the string kernel's state after every chunk (rows' ids written to a
    non-empty `codes`), or None where the kernel does not apply."""
    kernels = _active
    if kernels is None or sys.byteorder != "little":
        return None
    import pyarrow as pa

    from .string_kernel import MIN_DATA_BYTES

    offset_types = {pa.string(): np.int32, pa.large_string(): np.int64}
    if not all(chunk.type in offset_types for chunk in chunks):
        return None
    state = (np.zeros(4 * _STRING_SLOTS, dtype=np.uint64), np.empty(_STRING_SLOTS, dtype=np.uint64), 0, 0, 0, True)
    row0 = 0
    for chunk in chunks:
        n = len(chunk)
        if not n:
            continue
        validity, offsets_buffer, data_buffer = chunk.buffers()
        if data_buffer is not None and data_buffer.size >= 2**32:
            return None  # a slot keeps a key's length in 32 bits
        offsets = np.frombuffer(offsets_buffer, dtype=offset_types[chunk.type])[chunk.offset : chunk.offset + n + 1]
        data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else _NO_BYTES
        if data.size < MIN_DATA_BYTES:
            data = np.concatenate([data, np.zeros(MIN_DATA_BYTES - data.size, dtype=np.uint8)])
            data.flags.writeable = False
        valid = np.frombuffer(validity, dtype=np.uint8) if validity is not None and chunk.null_count else _NO_BYTES
        state = kernels["strings"](offsets, data, valid, chunk.offset, _SEED, state, codes, row0)
        if not state[5]:
            return None
        row0 += n
    return kernels, state


def _string_keys(kernels: Any, state: Any) -> tuple[NDArray[np.object_], NDArray[np.int64]]:
    """The distinct strings of a string kernel's state, in id order, and their counts."""
    import pyarrow as pa

    table, key_words, _, n_distinct, _, _ = state
    offsets, data, counts = kernels["string_keys"](table, key_words.view(np.uint8), n_distinct)
    keys = pa.LargeStringArray.from_buffers(n_distinct, pa.py_buffer(offsets), pa.py_buffer(data))
    return keys.to_numpy(zero_copy_only=False), counts


# Read-only, as Arrow's buffers are: one compiled variant of the string kernel serves both.
_NO_BYTES = np.frombuffer(bytes(1), dtype=np.uint8)[:0]
# No codes wanted (`tally_strings`).
_NO_CODES = np.zeros(0, dtype=np.int32)
# The string hash's seed, new in every process: keys crafted to collide in one process do
# not collide in another (the counts never depend on it).
_SEED = np.uint64(int.from_bytes(os.urandom(8), "little"))
