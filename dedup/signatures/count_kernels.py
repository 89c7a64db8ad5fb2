"""Compiled set sizes and sets: the distinct shingle hashes of each run, one hash table per run.

Containment and the Jaccard-to-containment estimate need every document's shingle-set size.
numpy gets it by sorting all the batch's hashes as (document, hash) keys, a sort of some
70,000 keys for every 64 documents; a small open-addressing table per document counts them
in one pass. Within-document matching needs the sets themselves, of every block and
sentence: the same table keeps each hash where it first occurs. Callers get these through
``dedup.signatures.sized``, which uses the numpy twins (``plain``) until a process has done
enough work to repay compiling.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from dedup.kernel_tables import table_bits

_GOLDEN = np.uint32(0x9E3779B1)  # XXH32's first prime: multiplied in, its high bits spread the hashes


@njit(cache=True)
def distinct_counts(hashes, offsets):
    """Number of distinct hashes in each run ``hashes[offsets[d]:offsets[d + 1]]``."""
    return _distinct(hashes, offsets, False)[1]


@njit(cache=True)
def distinct_runs(hashes, offsets):
    """``(distinct, sizes)``: each run's distinct hashes where they first occur, run after run, and how many each has."""
    return _distinct(hashes, offsets, True)


@njit(cache=True, inline="always")
def _distinct(hashes, offsets, keep):
    """Each run's distinct hashes where they first occur (if ``keep``; else none) and how many each run has."""
    runs = len(offsets) - 1
    sizes = np.zeros(runs, dtype=np.int64)
    distinct = np.empty(len(hashes) if keep else 0, dtype=np.uint32)
    longest = 0
    for r in range(runs):
        longest = max(longest, offsets[r + 1] - offsets[r])
    size = 1 << table_bits(longest)
    keys = np.empty(size, dtype=np.uint32)
    stamp = np.full(size, -1, dtype=np.int64)  # the run that filled a slot: no clearing between runs
    kept = 0
    for r in range(runs):
        bits = table_bits(offsets[r + 1] - offsets[r])
        shift = np.uint32(32 - bits)
        mask = (1 << bits) - 1
        first = kept
        for p in range(offsets[r], offsets[r + 1]):
            h = hashes[p]
            slot = np.int64(np.uint32(h * _GOLDEN) >> shift)
            while stamp[slot] == r and keys[slot] != h:
                slot = (slot + 1) & mask
            if stamp[slot] != r:
                stamp[slot] = r
                keys[slot] = h
                if keep:
                    distinct[kept] = h
                kept += 1
        sizes[r] = kept - first
    return distinct[: kept if keep else 0], sizes
