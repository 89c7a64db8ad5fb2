"""How many shingles each pair of units shares, through an inverted index.

Comparing every unit with every other is quadratic in the size of a document. Instead the
shingles are grouped by hash: only units that share a shingle are ever paired, and a
shingle found in more than ``max_posting`` units (a formula, boilerplate) is skipped so a
document full of one phrase cannot blow up the pair count. The counts are exact
intersection sizes (for the shingles kept), so no second verification pass is needed.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from dedup.signatures.shingles import ShingleSets


def shared_shingle_counts(
    sets: ShingleSets, eligible: np.ndarray, max_posting: int = 32
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(first, second, shared)`` for every pair of eligible units sharing a shingle, first < second."""
    keep = eligible[sets.units]
    hashes = sets.hashes[keep]
    units = sets.units[keep]
    empty = np.empty(0, dtype=np.int64)
    if len(hashes) == 0:
        return empty, empty, empty
    order = np.argsort(hashes, kind="stable")
    hashes, units = hashes[order], units[order]
    group_starts = np.flatnonzero(np.concatenate([[True], hashes[1:] != hashes[:-1]]))
    group_sizes = np.diff(np.concatenate([group_starts, [len(hashes)]]))
    firsts, seconds = [], []
    for size in np.unique(group_sizes):
        if size < 2 or size > max_posting:
            continue
        members = units[group_starts[group_sizes == size, None] + np.arange(size)]
        left, right = _pairs_of(int(size))
        firsts.append(members[:, left].ravel())
        seconds.append(members[:, right].ravel())
    if not firsts:
        return empty, empty, empty
    n_units = np.int64(len(sets.offsets) - 1)
    codes, shared = np.unique(np.concatenate(firsts) * n_units + np.concatenate(seconds), return_counts=True)
    return codes // n_units, codes % n_units, shared.astype(np.int64)


@lru_cache(maxsize=64)
def _pairs_of(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) of a group of ``size`` units."""
    return np.triu_indices(size, 1)
