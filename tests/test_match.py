"""dedup.match: shared-shingle counts, pair kinds and chaining into sections."""
from __future__ import annotations

import numpy as np

from dedup.match.overlap import shared_shingle_counts
from dedup.match.pairs import UnitMatch, exact_pairs, similar_pairs
from dedup.match.sections import chain_sections
from dedup.model import RemovalKind
from dedup.segment.normalise import normalise
from dedup.signatures.shingles import shingle_sets

BASE = "Officials said the plan would add forty electric buses by next spring and extend service to the suburbs."
OTHER = "Critics argued that the budget ignored maintenance of existing rail lines, which broke down often."


def test_shared_counts_are_exact_intersections() -> None:
    keys = [normalise(t) for t in [BASE, OTHER, BASE + " More words follow here."]]
    sets = shingle_sets(keys, 5)
    first, second, shared = shared_shingle_counts(sets, np.ones(3, dtype=bool))
    pairs = {(a, b): c for a, b, c in zip(first.tolist(), second.tolist(), shared.tolist())}
    expected = len(np.intersect1d(sets.of(0), sets.of(2)))
    assert pairs[(0, 2)] == expected == sets.sizes[0]


def test_posting_cap_skips_boilerplate_shingles() -> None:
    keys = [normalise("same boilerplate phrase")] * 40
    sets = shingle_sets(keys, 5)
    first, _, _ = shared_shingle_counts(sets, np.ones(40, dtype=bool), max_posting=32)
    assert len(first) == 0


def test_pair_kinds() -> None:
    texts = [BASE, BASE.replace("forty", "fifty"), OTHER, BASE + " " + OTHER + " And a third sentence here.", BASE]
    keys = [normalise(t) for t in texts]
    sets = shingle_sets(keys, 5)
    everything = np.ones(len(texts), dtype=bool)
    found = {(m.first, m.second): m for m in similar_pairs(keys, sets, everything, 0.7, 0.9)}
    assert found[(0, 1)].kind is RemovalKind.NEAR
    assert found[(0, 3)].kind is RemovalKind.CONTAINED and found[(0, 3)].contained == 0
    assert (0, 4) not in found  # exact pairs come from exact_pairs
    assert [(m.first, m.second) for m in exact_pairs(keys, [True] * len(texts))] == [(0, 4)]


def exact(a: int, b: int) -> UnitMatch:
    return UnitMatch(a, b, RemovalKind.EXACT, 1.0)


def test_sections_chain_across_inserted_headings() -> None:
    matches = [exact(0, 10), exact(1, 12), exact(2, 13), exact(3, 15)]
    (section,) = chain_sections(matches, max_gap=3, substantial=[True] * 20)
    assert section.first_side == range(0, 4) and section.second_side == range(10, 16)


def test_sections_do_not_chain_across_paragraphs_skipped_on_both_sides() -> None:
    substantial = [True] * 30
    sections = chain_sections([exact(0, 10), exact(3, 13)], max_gap=3, substantial=substantial)
    assert len(sections) == 2


def test_sections_do_not_overlap_their_own_copy() -> None:
    sections = chain_sections([exact(0, 1), exact(1, 2)], max_gap=3, substantial=[True] * 3)
    assert len(sections) == 2
