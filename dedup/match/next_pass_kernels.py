"""Compiled lookup of a few shingles in all of a pass's sets: which clean units hold which, in one scan.

``dedup.match.next_pass`` looks up the shingles of the few units a pass's cuts touched in
the shingle sets of every other unit (a 5 MB document: 1.4 M shingles of blocks and as many
of sentences, against some thousands looked up). numpy needs a gather into a table as large
as a few MB per shingle and several passes over the arrays; here a table of the looked-up
shingles small enough for the cache is probed once per shingle, unit by unit, skipping the
units that are not clean. Callers get it through ``next_pass.holdings``, which uses
the numpy twin until a process has done enough work to repay compiling.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from dedup.kernel_tables import table_bits

_GOLDEN = np.uint32(0x9E3779B1)  # as in dedup.signatures.count_kernels


@njit(cache=True)
def holdings(hashes, offsets, clean, gone, new):
    """``(looked_up, gone_count, new_count, new_index, holder, which)`` for the shingles ``gone`` and ``new``.

    ``gone`` and ``new`` are the shingles of the units that leave and of those that come,
    one set after another (a shingle once per unit). ``looked_up`` holds each distinct one
    in the order first met (``gone``, then ``new``), with how many units of each side hold
    it; ``new_index[i]`` is where ``new[i]`` is in it. Then for every shingle of a ``clean``
    unit that is ``looked_up[which]``, its unit ``holder`` (unit u holds
    ``hashes[offsets[u]:offsets[u + 1]]``), in unit order, and in each unit in the order of
    its shingles. For up to 16,384 shingles looked up the table is at most 1/16 full (at
    most 1 MB): most shingles scanned are not looked up, and at half full the branch on a
    slot's being empty is a coin toss the processor guesses wrong (9 ms against 3 for
    1.4 M shingles). Past that it is at most half full, as a sparser one no longer fits the
    cache (a first pass's 40,000 shingles of dropped blocks: 5.2 ms against 1.4).
    """
    entries = len(gone) + len(new)
    bits = table_bits(8 * entries if entries <= 1 << 14 else entries)
    shift = np.uint32(32 - bits)
    mask = (1 << bits) - 1
    keys = np.zeros(1 << bits, dtype=np.uint32)
    index = np.full(1 << bits, -1, dtype=np.int32)
    looked_up = np.empty(len(gone) + len(new), dtype=np.uint32)
    gone_count = np.zeros(len(gone) + len(new), dtype=np.int64)
    new_count = np.zeros(len(gone) + len(new), dtype=np.int64)
    new_index = np.empty(len(new), dtype=np.int64)
    distinct = 0
    for i in range(len(gone) + len(new)):
        h = gone[i] if i < len(gone) else new[i - len(gone)]
        slot = np.int64(np.uint32(h * _GOLDEN) >> shift)
        while index[slot] >= 0 and keys[slot] != h:
            slot = (slot + 1) & mask
        if index[slot] < 0:
            keys[slot] = h
            index[slot] = distinct
            looked_up[distinct] = h
            distinct += 1
        k = index[slot]
        if i < len(gone):
            gone_count[k] += 1
        else:
            new_count[k] += 1
            new_index[i - len(gone)] = k
    total = 0
    for u in range(len(offsets) - 1):
        if clean[u]:
            total += offsets[u + 1] - offsets[u]
    holder = np.empty(total, dtype=np.int64)  # at most: only the pages written are ever touched
    which = np.empty(total, dtype=np.int64)
    found = 0
    for u in range(len(offsets) - 1):
        if not clean[u]:
            continue
        for p in range(offsets[u], offsets[u + 1]):
            h = hashes[p]
            slot = np.int64(np.uint32(h * _GOLDEN) >> shift)
            k = index[slot]
            while k >= 0:
                if keys[slot] == h:
                    holder[found] = u
                    which[found] = k
                    found += 1
                    break
                slot = (slot + 1) & mask
                k = index[slot]
    return (
        looked_up[:distinct].copy(), gone_count[:distinct].copy(), new_count[:distinct].copy(), new_index,
        holder[:found].copy(), which[:found].copy(),
    )
