"""Compiled pair counting with a prefix filter: only pairs that can share enough shingles are counted.

``dedup.match.pairs.similar_pairs`` keeps a pair only when the units share at least a
share ``t`` of the smaller unit's shingles. Counting every pair of every shingle group (the
kernel of ``dedup.match.kernels``) lists five times as many pair occurrences as distinct
pairs on real pages, and those are a thousand times as many as pass: a navigation line
shares common word pieces with dozens of others.

The prefix filter of set-similarity joins finds the same pairs from a fraction of that.
Order every unit's countable shingles (those held by two to ``max_posting`` units) by how
few units hold them. If units a and b share at least k of them, one of those is among a's
first ``len(a) - k + 1``: only k - 1 lie beyond. So pairing each unit with the holders of
its first few shingles (as the smaller unit of the pair) finds every pair that can reach k,
and the rare shingles come first, held by one or two other units. Each pair found is then
counted exactly: the smaller unit's shingles are marked, the other's looked up. Callers get
this through ``overlap.shared_shingle_counts``, with a numpy twin that counts every pair
and filters.
"""
from __future__ import annotations

import numpy as np
from numba import njit

_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
_INDEX_BITS = 40  # group indexes below 2**40 beside a holder count below 2**24 in one sort key
_INDEX_MASK = np.uint64((1 << 40) - 1)


@njit(cache=True)
def prefix_pair_counts(keys, copies, max_posting, sizes, share):
    """``(codes, counts)``, sorted by code: the pairs (first × units + second) that share at least
    :func:`least_shared` of the smaller unit's countable shingles, and how many they share.

    ``sizes`` orders the units: the smaller of a pair has the smaller size (then index).
    ``keys``: sorted ``hash << 32 | unit``. A shingle is countable when two to ``max_posting``
    units hold it (each unit u counting ``copies[u]`` when ``copies`` is not empty), as in
    ``dedup.match.kernels.group_pair_counts``.
    """
    n = len(keys)
    n_units = len(sizes)
    # the countable groups (runs of one hash): where each starts and ends, how many units hold it
    group_start = np.empty(n // 2 + 1, dtype=np.int64)
    group_end = np.empty(n // 2 + 1, dtype=np.int64)
    group_holders = np.empty(n // 2 + 1, dtype=np.int64)
    held = np.zeros(n_units + 1, dtype=np.int64)  # countable shingles per unit, then their offsets
    groups = 0
    pos = 0
    while pos < n:
        hash_ = keys[pos] >> _SHIFT
        end = pos + 1
        while end < n and keys[end] >> _SHIFT == hash_:
            end += 1
        if end - pos == 1 or end - pos > max_posting:
            pos = end
            continue
        posting = end - pos
        if len(copies):
            posting = 0
            for i in range(pos, end):
                posting += copies[keys[i] & _LOW32]
        if posting <= max_posting:
            group_start[groups], group_end[groups], group_holders[groups] = pos, end, posting
            groups += 1
            for i in range(pos, end):
                held[np.int64(keys[i] & _LOW32) + 1] += 1
        pos = end
    for u in range(n_units):
        held[u + 1] += held[u]
    of_unit = np.empty(held[n_units], dtype=np.int64)  # each unit's countable groups
    by_rarity = np.empty(held[n_units], dtype=np.uint64)  # the same as holders << 40 | group, sorted per unit
    filled = held[:n_units].copy()
    for g in range(groups):
        for i in range(group_start[g], group_end[g]):
            u = np.int64(keys[i] & _LOW32)
            of_unit[filled[u]] = g
            by_rarity[filled[u]] = (np.uint64(group_holders[g]) << np.uint64(_INDEX_BITS)) | np.uint64(g)
            filled[u] += 1
    seen = np.full(n_units, -1, dtype=np.int64)  # the last unit a that found each unit b
    mark = np.full(groups, -1, dtype=np.int64)  # the last unit a whose groups were marked
    candidates = np.empty(n_units, dtype=np.int64)
    codes = np.empty(16, dtype=np.int64)
    counts = np.empty(16, dtype=np.int64)
    kept = 0
    for a in range(n_units):
        least = least_shared(share, sizes[a])
        prefix = held[a + 1] - held[a] - least + 1
        if prefix <= 0:
            continue
        mine = by_rarity[held[a] : held[a + 1]]
        mine.sort()
        found = 0
        for t in range(prefix):
            g = np.int64(mine[t] & _INDEX_MASK)
            for j in range(group_start[g], group_end[g]):
                b = np.int64(keys[j] & _LOW32)
                if seen[b] != a and (sizes[b] > sizes[a] or (sizes[b] == sizes[a] and b > a)):
                    seen[b] = a
                    candidates[found] = b
                    found += 1
        if not found:
            continue
        for k in range(held[a], held[a + 1]):
            mark[of_unit[k]] = a
        for c in range(found):
            b = candidates[c]
            shared = 0
            for k in range(held[b], held[b + 1]):
                if mark[of_unit[k]] == a:
                    shared += 1
            if shared >= least:  # least of the smaller unit, a
                if kept == len(codes):
                    codes, counts = _grown(codes, kept), _grown(counts, kept)
                codes[kept] = min(a, b) * n_units + max(a, b)
                counts[kept] = shared
                kept += 1
    order = np.argsort(codes[:kept])
    return codes[:kept][order], counts[:kept][order]


@njit(cache=True, inline="always")
def least_shared(share, size):
    """The least x ≥ 1 with x / size ≥ ``share`` in float64 (``dedup.match.overlap.least_shared``, for one size)."""
    size = max(size, 1)
    x = np.int64(np.ceil(share * size))
    if x / size < share:
        x += 1
    if x > 1 and (x - 1) / size >= share:
        x -= 1
    return max(x, 1)


@njit(cache=True, inline="always")
def _grown(values, used):
    """``values`` in an array twice as long."""
    grown = np.empty(2 * len(values), dtype=values.dtype)
    grown[:used] = values[:used]
    return grown


@njit(cache=True)
def unit_keys(hashes, offsets, eligible):
    """``hash << 32 | unit`` of every shingle of the eligible units, unit after unit (not sorted)."""
    total = 0
    for u in range(len(eligible)):
        if eligible[u]:
            total += offsets[u + 1] - offsets[u]
    keys = np.empty(total, dtype=np.uint64)
    k = 0
    for u in range(len(eligible)):
        if eligible[u]:
            for p in range(offsets[u], offsets[u + 1]):
                keys[k] = (np.uint64(hashes[p]) << _SHIFT) | np.uint64(u)
                k += 1
    return keys
