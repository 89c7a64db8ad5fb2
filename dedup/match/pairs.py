"""Which units repeat which: exact, near and contained pairs.

A pair is *exact* when the normalised texts are equal, *near* when their shingle sets have
Jaccard similarity at least ``near_threshold`` (a few characters or words changed), and
*contained* when nearly all shingles of the smaller unit are in the larger one (a
paragraph repeated with sentences added, or cut at a chunk boundary).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dedup.match.overlap import shared_shingle_counts
from dedup.model import RemovalKind
from dedup.signatures.shingles import ShingleSets

_MAX_EXACT_GROUP = 16


@dataclass(frozen=True)
class UnitMatch:
    """Units ``first`` < ``second`` repeat each other; ``contained`` names the one inside the other, if one is.

    Set for every contained pair, and for a near pair where one copy lies (almost) wholly
    inside the other: a sentence cut at a chunk boundary, a word dropped. The decision
    stages never drop the fuller copy for it.
    """

    first: int
    second: int
    kind: RemovalKind
    similarity: float
    contained: int | None = None


def exact_pairs(keys: Sequence[str], eligible: Sequence[bool]) -> list[UnitMatch]:
    """Pairs of eligible units with equal non-empty keys.

    A text repeated k times gives all k(k-1)/2 pairs, so that a third copy is still tied
    to the first; past a handful of copies only pairs with the first copy are listed.
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for unit, (key, ok) in enumerate(zip(keys, eligible)):
        if ok and key:
            groups[key].append(unit)
    matches = []
    for members in groups.values():
        if len(members) < 2:
            continue
        if len(members) <= _MAX_EXACT_GROUP:
            pairs = [(a, b) for i, a in enumerate(members) for b in members[i + 1 :]]
        else:
            pairs = [(members[0], b) for b in members[1:]]
        matches.extend(UnitMatch(a, b, RemovalKind.EXACT, 1.0) for a, b in pairs)
    return matches


def similar_pairs(
    keys: Sequence[str],
    sets: ShingleSets,
    eligible: np.ndarray,
    near_threshold: float,
    containment_threshold: float | None,
    max_posting: int = 32,
) -> list[UnitMatch]:
    """Near and contained pairs among eligible units (exact ones are left to :func:`exact_pairs`)."""
    first, second, shared = shared_shingle_counts(sets, eligible, max_posting)
    if len(first) == 0:
        return []
    sizes = sets.sizes
    size_a, size_b = sizes[first], sizes[second]
    jaccard = shared / (size_a + size_b - shared)
    in_a = shared / size_a  # share of a's shingles found in b
    in_b = shared / size_b
    if containment_threshold is None:
        contained = np.zeros(len(first), dtype=bool)
    else:
        # one inside a clearly larger other is "contained", however similar: that says which copy holds the
        # other; between copies of about one size, a few changed words make them "near" instead
        inside = np.maximum(in_a, in_b) >= containment_threshold
        larger = np.maximum(size_a, size_b) >= 1.1 * np.minimum(size_a, size_b)
        contained = inside & (larger | (jaccard < near_threshold))
    near = ~contained & (jaccard >= near_threshold)
    matches = []
    for i in np.flatnonzero(near | contained):
        a, b = int(first[i]), int(second[i])
        if keys[a] == keys[b]:
            continue
        smaller = a if in_a[i] >= in_b[i] else b
        inside = containment_threshold is not None and max(in_a[i], in_b[i]) >= containment_threshold
        if near[i]:
            # a near pair where one copy lies inside the other still says which copy is the fuller one
            matches.append(UnitMatch(a, b, RemovalKind.NEAR, round(float(jaccard[i]), 4), smaller if inside else None))
        else:
            matches.append(
                UnitMatch(a, b, RemovalKind.CONTAINED, round(float(max(in_a[i], in_b[i])), 4), smaller)
            )
    return matches
