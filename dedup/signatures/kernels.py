"""Compiled inner loops: n-gram XXH32 hashing and MinHash min-reduction.

Everything else in dedup is numpy; these two loops are not, because they are the whole
cost of corpus deduplication and numpy cannot fuse them: it would materialise a
(shingles × permutations) matrix per step. numba compiles them once (cached on disk)
into loops the CPU vectorises over the permutations. Callers get them through
:mod:`dedup.signatures.sized`, which uses their plain twins (:mod:`dedup.signatures.plain`)
until a process has done enough work to repay compiling.

The arithmetic follows datasketch exactly, so signatures are bit-identical to
``datasketch.MinHash(num_perm, seed, hashfunc=xxhash.xxh32_intdigest)``:
- scheme "affine32" (datasketch ≥ 2.0 default): h' = fmix32(h); v = a·h' + b mod 2^32;
- scheme "legacy" (datasketch < 2.0): v = ((a·h + b) mod 2^64 mod (2^61 − 1)) & (2^32 − 1).
"""
from __future__ import annotations

import numpy as np
from numba import njit

_P1 = np.uint32(0x9E3779B1)
_P2 = np.uint32(0x85EBCA77)
_P3 = np.uint32(0xC2B2AE3D)
_P4 = np.uint32(0x27D4EB2F)
_P5 = np.uint32(0x165667B1)
_M61 = np.uint64((1 << 61) - 1)
_LOW32 = np.uint64(0xFFFFFFFF)


@njit(cache=True, inline="always")
def _rotl(x, r):
    return np.uint32((x << np.uint32(r)) | (x >> np.uint32(32 - r)))


@njit(cache=True, inline="always")
def _read32(data, at):
    return np.uint32(
        np.uint32(data[at])
        | (np.uint32(data[at + 1]) << np.uint32(8))
        | (np.uint32(data[at + 2]) << np.uint32(16))
        | (np.uint32(data[at + 3]) << np.uint32(24))
    )


@njit(cache=True, inline="always")
def xxh32(data, at, end, seed):
    """XXH32 of data[at:end]."""
    length = end - at
    s = np.uint32(seed)
    if length >= 16:
        v1 = np.uint32(s + _P1 + _P2)
        v2 = np.uint32(s + _P2)
        v3 = s
        v4 = np.uint32(s - _P1)
        while at + 16 <= end:
            v1 = np.uint32(_rotl(np.uint32(v1 + _read32(data, at) * _P2), 13) * _P1)
            v2 = np.uint32(_rotl(np.uint32(v2 + _read32(data, at + 4) * _P2), 13) * _P1)
            v3 = np.uint32(_rotl(np.uint32(v3 + _read32(data, at + 8) * _P2), 13) * _P1)
            v4 = np.uint32(_rotl(np.uint32(v4 + _read32(data, at + 12) * _P2), 13) * _P1)
            at += 16
        h = np.uint32(_rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18))
    else:
        h = np.uint32(s + _P5)
    h = np.uint32(h + np.uint32(length))
    while at + 4 <= end:
        h = np.uint32(_rotl(np.uint32(h + _read32(data, at) * _P3), 17) * _P4)
        at += 4
    while at < end:
        h = np.uint32(_rotl(np.uint32(h + np.uint32(data[at]) * _P5), 11) * _P1)
        at += 1
    h ^= h >> np.uint32(15)
    h = np.uint32(h * _P2)
    h ^= h >> np.uint32(13)
    h = np.uint32(h * _P3)
    h ^= h >> np.uint32(16)
    return h


@njit(cache=True)
def xxh32_slices(data, starts, lengths, seed):
    """XXH32 (seed ``seed``) of ``data[starts[i]:starts[i]+lengths[i]]`` for every i."""
    out = np.empty(starts.shape[0], dtype=np.uint32)
    for i in range(starts.shape[0]):
        out[i] = xxh32(data, starts[i], starts[i] + lengths[i], seed)
    return out


@njit(cache=True)
def ngram_hashes(data, n, by_words, seed):
    """XXH32 of every n-gram of every unit of ``data``, the UTF-8 bytes of units joined by "\\n".

    An n-gram is n characters (``by_words`` false) or n words separated by single spaces
    (``by_words`` true); a unit with fewer than n of them is one shingle of its own, an
    empty unit has none. Returns the hashes and the offsets of each unit's run.
    """
    size = data.shape[0]
    n_units = 1
    for i in range(size):
        if data[i] == 10:
            n_units += 1
    out = np.empty(size + n_units, dtype=np.uint32)
    offsets = np.empty(n_units + 1, dtype=np.int64)
    starts = np.empty(size + 1, dtype=np.int64)  # start byte of each character or word of the unit
    ends = np.empty(size + 1, dtype=np.int64)
    count = 0
    unit = 0
    at = 0
    offsets[0] = 0
    while unit < n_units:
        stop = at
        while stop < size and data[stop] != 10:
            stop += 1
        items = 0
        i = at
        while i < stop:
            if by_words:
                starts[items] = i
                while i < stop and data[i] != 32:
                    i += 1
                ends[items] = i
                items += 1
                i += 1
            else:
                starts[items] = i
                i += 1
                while i < stop and (data[i] & 0xC0) == 0x80:
                    i += 1
                ends[items] = i
                items += 1
        if items > 0:
            if items < n:
                out[count] = xxh32(data, at, stop, seed)
                count += 1
            else:
                for k in range(items - n + 1):
                    out[count] = xxh32(data, starts[k], ends[k + n - 1], seed)
                    count += 1
        unit += 1
        offsets[unit] = count
        at = stop + 1
    return out[:count], offsets


@njit(cache=True, inline="always")
def _fmix32(h):
    h ^= h >> np.uint32(16)
    h = np.uint32(h * np.uint32(0x85EBCA6B))
    h ^= h >> np.uint32(13)
    h = np.uint32(h * np.uint32(0xC2B2AE35))
    h ^= h >> np.uint32(16)
    return h


@njit(cache=True)
def minhash_affine32(hashes, offsets, a, b):
    """Signatures (documents × permutations, uint32) of the hash runs ``hashes[offsets[d]:offsets[d+1]]``."""
    n_docs = offsets.shape[0] - 1
    n_perm = a.shape[0]
    out = np.full((n_docs, n_perm), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    row = np.empty(n_perm, dtype=np.uint32)  # a contiguous scratch row and a branch-free min: 8x faster
    for d in range(n_docs):
        row[:] = np.uint32(0xFFFFFFFF)
        for i in range(offsets[d], offsets[d + 1]):
            h = _fmix32(np.uint32(hashes[i]))
            for p in range(n_perm):
                row[p] = min(row[p], np.uint32(a[p] * h + b[p]))
        out[d, :] = row
    return out


@njit(cache=True)
def minhash_legacy(hashes, offsets, a, b):
    """Like :func:`minhash_affine32` with datasketch's pre-2.0 Mersenne-prime permutations (uint64 out)."""
    n_docs = offsets.shape[0] - 1
    n_perm = a.shape[0]
    out = np.full((n_docs, n_perm), _LOW32, dtype=np.uint64)
    row = np.empty(n_perm, dtype=np.uint64)
    for d in range(n_docs):
        row[:] = _LOW32
        for i in range(offsets[d], offsets[d + 1]):
            h = np.uint64(hashes[i])
            for p in range(n_perm):
                x = np.uint64(a[p] * h + b[p])
                x = (x & _M61) + (x >> np.uint64(61))
                x = x - _M61 if x >= _M61 else x
                row[p] = min(row[p], x & _LOW32)
        out[d, :] = row
    return out
