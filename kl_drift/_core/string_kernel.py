"""The compiled string kernel of :func:`kl_drift._core.kernels.tally_strings` (numba).

Imported by :mod:`kl_drift._core.kernels` only when it loads the kernels: importing this
module imports numba. The kernels live at module level, not in a closure as the numeric ones
do, because they call helpers: numba keys its on-disk cache of a closure by the values it
closes over, and a compiled helper closed over is a new value in every process.

The helpers take the data buffer's address and positions, never the array: an array
passed to a helper, even one inlined, costs two reference-count updates per call (atomic
operations), which took 4 of the 5 ns per row of hashing a short key.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types

from .kernels import jit

# A probe of the string table that passes this many occupied slots ends the kernel's pass,
# and the caller counts with Arrow instead. In a table at most half full under a good hash
# a probe passes a few slots (the longest with 100,000 random keys: a few dozen); only keys
# crafted to collide get here, and they cost at most this many slots per row until then.
MAX_PROBES = 256
# The kernel reads 8 bytes at a time: a data buffer shorter than this is copied into a
# zero-padded one first, so that every key of at most 8 bytes has 8 readable bytes from
# its start or up to its end.
MIN_DATA_BYTES = 16
# The table is kept at most a quarter full up to this many slots (a probe that does not
# hit at once costs more than a larger table, while it stays in the L2 cache: 1,000 short
# keys 7.6 ms against 11.1 at half full), and at most half full beyond (100,000 keys: 20
# against 27 ms, the table no longer fits a cache).
SPARSE_SLOTS = 2**14
# Rows are taken in blocks; once the table has `SPARSE_SLOTS` slots, a block's hashes are
# computed first and their slots fetched ahead (``llvm.prefetch``), so the cache misses of
# a block's lookups overlap (100,000 keys of 35 bytes: 40 against 77 ms); a smaller table
# is in the cache, and there the extra pass cost more than it saved (3 keys: 7.6 against 4.8).
BLOCK = 16

ONE = np.uint64(1)
LOW32 = np.uint64(0xFFFFFFFF)
LENGTH_MIX = np.uint64(0x9E3779B97F4A7C15)
WORD_MIX = np.uint64(0xC2B2AE3D27D4EB4F)
FMIX1 = np.uint64(0xFF51AFD7ED558CCD)
FMIX2 = np.uint64(0xC4CEB9FE1A85EC53)


def _jit(**options: Any) -> Any:
    def decorate(function: Any) -> Any:
        return jit(function, **options)

    return decorate


@numba.extending.intrinsic
def load_word(typingctx: Any, address: Any) -> Any:
    """The 8 bytes at `address` as one unaligned little-endian uint64 load."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        pointer = builder.inttoptr(args[0], ir.IntType(64).as_pointer())
        return builder.load(pointer, align=1)

    return types.uint64(types.intp), codegen


@numba.extending.intrinsic
def prefetch(typingctx: Any, address: Any) -> Any:
    """Ask for the cache line at `address` (read, kept in all cache levels)."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]), "llvm.prefetch.p0i8"
        )
        builder.call(function, [builder.inttoptr(args[0], i8p), ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(types.intp), codegen


@_jit(inline="always")
def short_word(address: int, size: int, start: int, end: int, length: int) -> Any:
    # A key of 0-8 bytes [start, end) as a little-endian word, zero above: the 8 bytes from
    # its start, or those ending at its end where the buffer ends first (size >= 16).
    if length == 0:
        return np.uint64(0)
    if start + 8 <= size:
        shift = np.uint64(64 - 8 * length)
        return (load_word(address + start) << shift) >> shift
    return load_word(address + end - 8) >> np.uint64(64 - 8 * length)


@_jit(inline="always")
def tail_word(address: int, end: int, tail: int) -> Any:
    # The last `tail` (1-8) bytes of a key longer than 8 bytes, as a zero-padded word.
    return load_word(address + end - 8) >> np.uint64(64 - 8 * tail)


@numba.extending.intrinsic
def mum(typingctx: Any, a: Any, b: Any) -> Any:
    """The 128-bit product of two uint64, its high and low words xor-ed (wyhash's mix)."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        i128, i64 = ir.IntType(128), ir.IntType(64)
        product = builder.mul(builder.zext(args[0], i128), builder.zext(args[1], i128))
        return builder.xor(builder.trunc(product, i64), builder.trunc(builder.lshr(product, ir.Constant(i128, 64)), i64))

    return types.uint64(types.uint64, types.uint64), codegen


@_jit(inline="always")
def key_hash(address: int, size: int, start: int, end: int, length: int, seed: Any) -> Any:
    # Up to 8 bytes: the length and the key's word, then MurmurHash3's 64-bit finaliser;
    # every step is a bijection of the word, so keys of equal length and hash are equal.
    # Longer keys: 16 bytes per 128-bit multiply (as wyhash), the last 1-15 bytes
    # zero-padded, then the same finaliser (measured 10% faster than a multiply per 8 bytes
    # on 35-byte keys).
    h = seed ^ (np.uint64(length) * LENGTH_MIX)
    if length <= 8:
        h ^= short_word(address, size, start, end, length)
    else:
        p = start
        while p + 16 <= end:
            h = mum(load_word(address + p) ^ WORD_MIX, load_word(address + p + 8) ^ h ^ LENGTH_MIX)
            p += 16
        rest = end - p
        if rest > 8:
            last = load_word(address + end - 8) >> np.uint64(128 - 8 * rest)
            h = mum(load_word(address + p) ^ WORD_MIX, last ^ h ^ LENGTH_MIX)
        elif rest > 0:
            h = mum(tail_word(address, end, rest) ^ WORD_MIX, h ^ LENGTH_MIX)
    h ^= h >> np.uint64(33)
    h *= FMIX1
    h ^= h >> np.uint64(33)
    h *= FMIX2
    h ^= h >> np.uint64(33)
    return h


@_jit()
def strings(offsets: Any, data: Any, valid: Any, bit_offset: int, seed: Any, state: Any, codes: Any, row0: int) -> Any:
    """Count the strings of one Arrow string array into `state`, which carries over chunks.

    With a non-empty `codes` (int32), each row's id is also written to ``codes[row0 + i]``
    (-1 for a null): the column factorised, for counting its rows per group.

    `offsets` are the array's n + 1 offsets into `data` (its bytes, at least
    `MIN_DATA_BYTES`), `valid` its validity bitmap from bit `bit_offset` (empty: no nulls).
    `state` is (table, key words, words used, n_distinct, n_missing, ok). The table is open
    addressing with linear probing, a power of two of slots, at most a quarter full (half
    from `SPARSE_SLOTS` slots on); a slot is 4 words, [hash, length << 32 | id + 1 (0: empty), count, first key word], so a probe
    that hits reads one cache line. Ids are given in order of first appearance, the order
    of Arrow's value_counts. A distinct key's bytes are kept as little-endian words, the
    last zero-padded, so keys of earlier chunks compare without their buffers. Keys of up to
    8 bytes match on hash and length (:func:`key_hash`); longer keys with equal hashes are
    compared word by word. A probe past `MAX_PROBES` slots ends the pass with ok False.
    """
    table, key_words, n_words, n_distinct, n_missing, ok = state
    address = data.ctypes.data
    size = data.shape[0]
    mask = np.uint64(table.shape[0] // 4 - 1)
    has_valid = valid.shape[0] > 0
    n = offsets.shape[0] - 1
    write = codes.shape[0] > 0
    hashes = np.empty(BLOCK, dtype=np.uint64)
    for first in range(0, n, BLOCK):
        last = min(first + BLOCK, n)
        ahead = table.shape[0] >= 4 * SPARSE_SLOTS
        if ahead:
            table_address = table.ctypes.data
            for i in range(first, last):
                if has_valid:
                    bit = bit_offset + i
                    if not (valid[bit >> 3] >> (bit & 7)) & 1:
                        continue
                start = np.int64(offsets[i])
                end = np.int64(offsets[i + 1])
                h = key_hash(address, size, start, end, end - start, seed)
                hashes[i - first] = h
                prefetch(table_address + 32 * np.int64(h & mask))
        for i in range(first, last):
            if has_valid:
                bit = bit_offset + i
                if not (valid[bit >> 3] >> (bit & 7)) & 1:
                    n_missing += 1
                    if write:
                        codes[row0 + i] = -1
                    continue
            start = np.int64(offsets[i])
            end = np.int64(offsets[i + 1])
            length = end - start
            h = hashes[i - first] if ahead else key_hash(address, size, start, end, length, seed)
            slot = h & mask
            probes = 0
            found = False
            while True:
                at = np.int64(slot) * 4
                meta = table[at + 1]
                if meta == 0:
                    break
                if table[at] == h and np.int64(meta >> np.uint64(32)) == length:
                    if length <= 8:
                        found = True
                        break
                    k0 = np.int64(table[at + 3])
                    found = True
                    for j in range(length >> 3):
                        if key_words[k0 + j] != load_word(address + start + 8 * j):
                            found = False
                            break
                    tail = length & 7
                    if found and tail:
                        found = key_words[k0 + (length >> 3)] == tail_word(address, end, tail)
                    if found:
                        break
                probes += 1
                if probes > MAX_PROBES:
                    return table, key_words, n_words, n_distinct, n_missing, False
                slot = (slot + ONE) & mask
            if found:
                table[at + 2] += ONE
                if write:
                    codes[row0 + i] = np.int32(np.int64(meta & LOW32) - 1)
                continue
            if write:
                codes[row0 + i] = np.int32(n_distinct)
            # A new distinct value: its words, then its slot; the table doubles when a quarter
            # full (from SPARSE_SLOTS slots on: half full).
            need = (length + 7) >> 3
            if n_words + need > key_words.shape[0]:
                grown = np.empty(max(2 * key_words.shape[0], n_words + need), dtype=np.uint64)
                grown[:n_words] = key_words[:n_words]
                key_words = grown
            if length <= 8:
                key_words[n_words] = short_word(address, size, start, end, length)
            else:
                for j in range(length >> 3):
                    key_words[n_words + j] = load_word(address + start + 8 * j)
                tail = length & 7
                if tail:
                    key_words[n_words + (length >> 3)] = tail_word(address, end, tail)
            table[at] = h
            table[at + 1] = (np.uint64(length) << np.uint64(32)) | np.uint64(n_distinct + 1)
            table[at + 2] = ONE
            table[at + 3] = np.uint64(n_words)
            n_words += need
            n_distinct += 1
            if (4 if table.shape[0] < 4 * SPARSE_SLOTS else 2) * n_distinct > table.shape[0] // 4:
                old = table
                table = np.zeros(2 * old.shape[0], dtype=np.uint64)
                mask = np.uint64(table.shape[0] // 4 - 1)
                for s in range(0, old.shape[0], 4):
                    if old[s + 1]:
                        t = old[s] & mask
                        while table[np.int64(t) * 4 + 1]:
                            t = (t + ONE) & mask
                        table[np.int64(t) * 4 : np.int64(t) * 4 + 4] = old[s : s + 4]
    return table, key_words, n_words, n_distinct, n_missing, ok


@_jit()
def string_keys(table: Any, key_bytes: Any, n_distinct: int) -> Any:
    """The distinct keys of :func:`strings` in id order: Arrow large_string offsets and
    bytes, and their counts."""
    lengths = np.zeros(n_distinct, dtype=np.int64)
    starts = np.zeros(n_distinct, dtype=np.int64)
    counts = np.zeros(n_distinct, dtype=np.int64)
    for s in range(0, table.shape[0], 4):
        meta = table[s + 1]
        if meta:
            d = np.int64(meta & LOW32) - 1
            lengths[d] = np.int64(meta >> np.uint64(32))
            counts[d] = np.int64(table[s + 2])
            starts[d] = 8 * np.int64(table[s + 3])
    offsets = np.zeros(n_distinct + 1, dtype=np.int64)
    for d in range(n_distinct):
        offsets[d + 1] = offsets[d] + lengths[d]
    out = np.empty(offsets[n_distinct], dtype=np.uint8)
    for d in range(n_distinct):
        out[offsets[d] : offsets[d + 1]] = key_bytes[starts[d] : starts[d] + lengths[d]]
    return offsets, out, counts
