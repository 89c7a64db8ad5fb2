"""Compiled pair counting with a prefix filter: only pairs that can share enough shingles are counted.

``dedup.match.pairs.similar_pairs`` keeps a pair only when the units share at least a
share ``t`` of the smaller unit's shingles. Counting every pair of every shingle group (the
kernel of ``dedup.match.kernels``) lists about five times as many pair occurrences as
distinct pairs, and a thousand times as many as pass, on real pages: a navigation line
shares common word pieces with dozens of others.

The prefix filter of set-similarity joins finds the same pairs from a fraction of that.
Order every unit's countable shingles (those held by two to ``max_posting`` units) by how
few units hold them. If units a and b share at least k of them, one of those is among a's
first ``len(a) - k + 1``: only k - 1 lie beyond. So pairing each unit with the holders of
its first few shingles (as the smaller unit of the pair) finds every pair that can reach k,
and the rare shingles come first, held by one or two other units. Each pair found is then
counted exactly by merging the two units' shingles. Callers get this through
``overlap.shared_shingle_counts``, with a numpy twin that counts every pair and filters.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from dedup.kernel_tables import table_bits
from dedup.match.kernels import _group  # numba caches this module by its own file: clear it when _group changes

_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_INDEX_BITS = 40  # key indexes below 2**40 beside a holder count below 2**24 in one sort key
_INDEX_MASK = np.uint64((1 << 40) - 1)


@njit(cache=True)
def prefix_pair_counts(keys, copies, max_posting, sizes, least):
    """``(codes, counts)``, sorted by code: the pairs (first × units + second) that share at least
    ``least`` of the smaller unit's countable shingles, and how many they share.

    ``sizes`` orders the units (the smaller of a pair has the smaller size, then index);
    ``least[u]`` is what a pair whose smaller unit is u needs, and must not decrease with size.

    ``keys``: sorted ``hash << 32 | unit`` of the shingles held more than once (one held once
    is never counted: leaving it in changes only the time). A shingle is countable when two to ``max_posting``
    units hold it (each unit u counting ``copies[u]`` when ``copies`` is not empty), as in
    ``dedup.match.kernels.group_pair_counts``.
    """
    n = len(keys)
    n_units = len(sizes)
    held = np.zeros(n_units + 1, dtype=np.int64)  # countable shingles per unit, then their offsets
    group_start = np.full(n, -1, dtype=np.int64)
    holders = np.zeros(n, dtype=np.int64)
    pos = 0
    while pos < n:
        end, pairs = _group(keys, copies, max_posting, pos)
        if pairs:
            posting = end - pos
            if len(copies):
                posting = 0
                for i in range(pos, end):
                    posting += copies[keys[i] & _LOW32]
            for i in range(pos, end):
                group_start[i] = pos
                holders[i] = posting
                held[np.int64(keys[i] & _LOW32) + 1] += 1
        pos = end
    for u in range(n_units):
        held[u + 1] += held[u]
    by_hash = np.empty(held[n_units], dtype=np.int64)  # each unit's countable keys, in hash order
    by_rarity = np.empty(held[n_units], dtype=np.uint64)  # the same as holders << 40 | key index, sorted per unit
    filled = held[:n_units].copy()
    for i in range(n):
        if group_start[i] >= 0:
            u = np.int64(keys[i] & _LOW32)
            by_hash[filled[u]] = i
            by_rarity[filled[u]] = (np.uint64(holders[i]) << np.uint64(_INDEX_BITS)) | np.uint64(i)
            filled[u] += 1
    found = np.empty(16, dtype=np.int64)
    n_found = 0
    for a in range(n_units):
        count = held[a + 1] - held[a]
        prefix = count - least[a] + 1
        if prefix <= 0:
            continue
        mine = by_rarity[held[a] : held[a + 1]]
        mine.sort()
        for t in range(prefix):
            i = np.int64(mine[t] & _INDEX_MASK)
            j = group_start[i]
            while j < n and keys[j] >> _SHIFT == keys[i] >> _SHIFT:
                b = np.int64(keys[j] & _LOW32)
                if sizes[b] > sizes[a] or (sizes[b] == sizes[a] and b > a):
                    if n_found == len(found):
                        grown = np.empty(2 * len(found), dtype=np.int64)
                        grown[:n_found] = found
                        found = grown
                    found[n_found] = min(a, b) * n_units + max(a, b)
                    n_found += 1
                j += 1
    codes = _distinct_codes(found[:n_found])
    counts = np.zeros(len(codes), dtype=np.int64)
    kept = 0
    for c in range(len(codes)):
        a, b = codes[c] // n_units, codes[c] % n_units
        shared = _shared(keys, by_hash, held[a], held[a + 1], held[b], held[b + 1])
        if shared >= min(least[a], least[b]):
            codes[kept] = codes[c]
            counts[kept] = shared
            kept += 1
    return codes[:kept], counts[:kept]


@njit(cache=True)
def _distinct_codes(codes):
    """The distinct values of ``codes``, sorted (a hash table first: most are found from several shingles)."""
    bits = table_bits(len(codes))
    shift = np.uint64(64 - bits)
    mask = (1 << bits) - 1
    slots = np.full(1 << bits, -1, dtype=np.int64)
    distinct = 0
    for code in codes:
        slot = np.int64((np.uint64(code) * _GOLDEN) >> shift)
        while slots[slot] != -1 and slots[slot] != code:
            slot = (slot + 1) & mask
        if slots[slot] == -1:
            slots[slot] = code
            distinct += 1
    out = np.empty(distinct, dtype=np.int64)
    k = 0
    for code in slots:
        if code != -1:
            out[k] = code
            k += 1
    out.sort()
    return out


@njit(cache=True, inline="always")
def _shared(keys, by_hash, a_start, a_end, b_start, b_end):
    """How many hashes two units' countable keys (``by_hash`` runs, each in hash order) have in common."""
    shared = 0
    x, y = a_start, b_start
    while x < a_end and y < b_end:
        hx, hy = keys[by_hash[x]] >> _SHIFT, keys[by_hash[y]] >> _SHIFT
        if hx == hy:
            shared += 1
            x += 1
            y += 1
        elif hx < hy:
            x += 1
        else:
            y += 1
    return shared
