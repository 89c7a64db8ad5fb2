"""Which units repeat which: exact, near and contained pairs.

A pair is *exact* when the normalised texts are equal, *near* when their shingle sets have
Jaccard similarity at least ``near_threshold`` (a few characters or words changed), and
*contained* when nearly all shingles of the smaller unit are in the larger one (a
paragraph repeated with sentences added, or cut at a chunk boundary).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dedup.match.overlap import shared_shingle_counts
from dedup.model import RemovalKind
from dedup.signatures.shingles import ShingleSets

MAX_EXACT_GROUP = 16


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


def exact_pairs(keys: Sequence[str], eligible: Sequence[bool] | np.ndarray) -> list[UnitMatch]:
    """Pairs of eligible units with equal non-empty keys.

    A text repeated k times gives all k(k-1)/2 pairs, so that a third copy is still tied
    to the first; past a handful of copies only pairs with the first copy are listed.
    """
    first_of: dict[str, int] = {}
    groups: dict[int, list[int]] = {}  # first unit of a repeated key -> all its units
    for unit, (key, ok) in enumerate(zip(keys, eligible)):
        if ok and key:
            first = first_of.setdefault(key, unit)
            if first != unit:
                groups.setdefault(first, [first]).append(unit)
    matches: list[UnitMatch] = []
    for first in sorted(groups):  # keys in order of first occurrence
        members = groups[first]
        if len(members) <= MAX_EXACT_GROUP:
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
    """Near and contained pairs among eligible units (exact ones are left to :func:`exact_pairs`).

    Exact copies share every shingle, so only the first of each key is looked up and its
    pairs are handed on to the copies: a passage pasted dozens of times costs one lookup.
    """
    representative, copies_of = _first_copies(keys, eligible)
    copies = None
    if copies_of:
        copies = np.ones(len(keys), dtype=np.int64)
        for unit, others in copies_of.items():
            copies[unit] += len(others)
    # a near pair shares at least near_threshold of the larger unit, a contained one containment_threshold
    # of the smaller: pairs sharing less of the smaller unit than either need not be counted
    least_share = near_threshold if containment_threshold is None else min(near_threshold, containment_threshold)
    first, second, shared = shared_shingle_counts(sets, representative, max_posting, copies, least_share)
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
    found = []  # (a, b, index of the pair of first copies, whether a is on the side of first[index])
    for i in np.flatnonzero(near | contained):
        a, b = int(first[i]), int(second[i])  # first copies: their keys differ
        if not copies_of:
            found.append((a, b, i, True))
            continue
        for x in [a, *copies_of.get(a, ())]:
            for y in [b, *copies_of.get(b, ())]:
                found.append((x, y, i, True) if x < y else (y, x, i, False))
    if copies_of:
        found.sort()
    matches = []
    for a, b, i, straight in found:
        in_first, in_second = (in_a[i], in_b[i]) if straight else (in_b[i], in_a[i])
        smaller = a if in_first >= in_second else b
        inside = containment_threshold is not None and max(in_first, in_second) >= containment_threshold
        if near[i]:
            # a near pair where one copy lies inside the other still says which copy is the fuller one
            matches.append(UnitMatch(a, b, RemovalKind.NEAR, round(float(jaccard[i]), 4), smaller if inside else None))
        else:
            matches.append(
                UnitMatch(a, b, RemovalKind.CONTAINED, round(float(max(in_first, in_second)), 4), smaller)
            )
    return matches


def _first_copies(keys: Sequence[str], eligible: np.ndarray) -> tuple[np.ndarray, dict[int, list[int]]]:
    """Which eligible units are the first of their key, and the later copies of each that has some."""
    first_of: dict[str, int] = {}
    copies_of: dict[int, list[int]] = {}
    representative = np.array(eligible, dtype=bool)
    for unit in np.flatnonzero(representative).tolist():
        first = first_of.setdefault(keys[unit], unit)
        if first != unit:
            copies_of.setdefault(first, []).append(unit)
            representative[unit] = False
    return representative, copies_of
