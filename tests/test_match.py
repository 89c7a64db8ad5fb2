"""dedup.match: shared-shingle counts, pair kinds and chaining into sections."""
from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.match import overlap
from dedup.match.overlap import shared_shingle_counts
from dedup.match.pairs import UnitMatch, exact_pairs, similar_pairs
from dedup.match.sections import chain_sections
from dedup.model import BlockKind, RemovalKind
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


def reference_chain_sections(matches, max_gap, substantial):
    """The chaining rule as first written: every match tried against every open chain (quadratic)."""
    step = max_gap + 1
    open_chains, closed = [], []
    for match in sorted(matches, key=lambda m: (m.first, m.second)):
        still_open = []
        for chain in open_chains:
            (closed if chain[-1].first + step < match.first else still_open).append(chain)
        open_chains = still_open
        best, best_gap = None, 0
        for chain in open_chains:
            last = chain[-1]
            if not (last.first < match.first <= last.first + step and last.second <= match.second <= last.second + step):
                continue
            if match.first >= chain[0].second:
                continue
            if any(substantial[u] for u in range(last.first + 1, match.first)) and any(
                substantial[u] for u in range(last.second + 1, match.second)
            ):
                continue
            gap = (match.first - last.first) + (match.second - last.second)
            if best is None or (-len(chain), gap) < (-len(best), best_gap):
                best, best_gap = chain, gap
        if best is None:
            open_chains.append([match])
        else:
            best.append(match)
    return [tuple(chain) for chain in closed + open_chains]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(1, 40)), max_size=80, unique=True),
    st.integers(0, 5),
    st.lists(st.booleans(), min_size=81, max_size=81),
)
def test_sections_are_those_of_the_all_chains_rule(pairs, max_gap, substantial) -> None:
    matches = [exact(a, a + b) for a, b in pairs]
    for kernels in ("plain", "compiled"):  # the Python twin and the numba kernel alike
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DEDUP_KERNELS", kernels)
            got = [s.matches for s in chain_sections(matches, max_gap, substantial)]
        assert got == reference_chain_sections(matches, max_gap, substantial)


def test_compiled_chains_are_the_python_chains_on_real_pages() -> None:
    """The block matches of real pages (navigation lines repeated dozens of times): chains and their order agree."""
    from dedup.match import section_kernels, sections
    from dedup.segment.blocks import document_blocks

    with gzip.open(Path(__file__).parent / "data" / "real_pages" / "pages.jsonl.gz", "rt", encoding="utf-8") as f:
        pages = [json.loads(line)["text"] for line in f]
    chained = 0
    for page in pages:
        blocks = document_blocks(page)
        keys = list(blocks.keys)
        matches = sorted(exact_pairs(keys, [True] * len(keys)) + similar_pairs(
            keys, shingle_sets(keys, 5), np.ones(len(keys), dtype=bool), 0.7, 0.9
        ), key=lambda m: (m.first, m.second))
        firsts = np.array([m.first for m in matches], dtype=np.int64)
        seconds = np.array([m.second for m in matches], dtype=np.int64)
        prose = np.array([k is BlockKind.PROSE for k in blocks.kinds], dtype=bool)
        for max_gap in (0, 3):
            got = section_kernels.section_chains(firsts, seconds, prose, max_gap)
            want = sections.plain_section_chains(firsts, seconds, prose, max_gap)
            assert (got[0].tolist(), got[1].tolist()) == (want[0].tolist(), want[1].tolist())
        chained += len(matches) - len(set(want[0].tolist()))
    assert chained > 1_000  # matches that extended a chain, not only opened one


def test_passage_repeated_thousands_of_times_chains_in_linear_time() -> None:
    """Each block of the first copy matches all its copies: k open chains, which must not be scanned per match."""
    copies, length = 5000, 6
    matches = [exact(b, c * length + b) for c in range(1, copies) for b in range(length)]
    started = time.process_time()
    sections = chain_sections(matches, max_gap=3, substantial=[True] * (copies * length))
    assert time.process_time() - started < 5  # well under 1 s; the all-chains scan takes some 20 s
    assert [s.second_side for s in sections] == [range(c * length, c * length + length) for c in range(1, copies)]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([BASE, OTHER, BASE.replace("forty", "fifty"), BASE + " " + OTHER, "short", ""]), max_size=40),
    st.integers(2, 34),
    st.sampled_from([1, 3, 1 << 22]),
)
def test_shared_counts_are_exact_whatever_the_batching(texts, max_posting, batch) -> None:
    """Per hash range and per batch of pairs, with exact copies looked up once: the counts a brute force gives."""
    keys = [normalise(t) for t in texts]
    sets = shingle_sets(keys, 5, chunk=batch)
    everything = np.ones(len(keys), dtype=bool)
    holders: dict[int, set[int]] = {}
    for unit in range(len(keys)):
        for h in sets.of(unit).tolist():
            holders.setdefault(h, set()).add(unit)
    expected: dict[tuple[int, int], int] = {}
    for units in holders.values():
        if len(units) <= max_posting:
            for a in units:
                for b in units:
                    if a < b:
                        expected[(a, b)] = expected.get((a, b), 0) + 1
    firsts = np.array([keys.index(k) == u for u, k in enumerate(keys)], dtype=bool)  # the first of each key
    copies = np.array([keys.count(k) for k in keys], dtype=np.int64)
    once = {pair: n for pair, n in expected.items() if firsts[pair[0]] and firsts[pair[1]]}
    for kernels in ("plain", "compiled"):  # numpy and the numba kernel alike
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DEDUP_KERNELS", kernels)
            patch.setattr(overlap, "SHINGLES_PER_RANGE", batch)
            patch.setattr(overlap, "PAIRS_PER_BATCH", batch)
            counted = shared_shingle_counts(sets, everything, max_posting)
            counted_once = shared_shingle_counts(sets, firsts, max_posting, copies)
        assert dict(zip(zip(counted[0].tolist(), counted[1].tolist()), counted[2].tolist())) == expected
        assert list(zip(counted[0].tolist(), counted[1].tolist())) == sorted(expected)
        assert dict(zip(zip(counted_once[0].tolist(), counted_once[1].tolist()), counted_once[2].tolist())) == once
    whole = shingle_sets(keys, 5)
    assert (sets.hashes.tolist(), sets.offsets.tolist()) == (whole.hashes.tolist(), whole.offsets.tolist())


def real_pages_line_keys(pages: int) -> list[list[str]]:
    """The keys of the non-blank lines of each of the first ``pages`` real pages."""
    with gzip.open(Path(__file__).parent / "data" / "real_pages" / "pages.jsonl.gz", "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f][:pages]
    return [[normalise(line) for line in text.splitlines() if line.strip()] for text in texts]


def test_compiled_pair_counts_are_the_numpy_counts_on_real_pages() -> None:
    """Tens of thousands of pair codes, so the kernel's table probes past taken slots: codes, counts and stops agree."""
    from dedup.match import kernels

    probed = 0
    for keys in real_pages_line_keys(40):
        sets = shingle_sets(keys, 5)
        for held in overlap._postings(sets, np.ones(len(keys), dtype=bool)):
            for copies in (np.zeros(0, dtype=np.int64), np.arange(len(keys), dtype=np.int64) % 3 + 1):
                for limit in (5_000, 1 << 20):
                    at = 0
                    while at < len(held):
                        got = kernels.group_pair_counts(held, copies, 32, len(keys), at, limit)
                        want = overlap.plain_group_pair_counts(held, copies, 32, len(keys), at, limit)
                        assert (got[0].tolist(), got[1].tolist(), got[2]) == (want[0].tolist(), want[1].tolist(), want[2])
                        probed += len(got[0])
                        at = got[2]
    assert probed > 50_000


def test_near_pairs_reach_every_exact_copy() -> None:
    """Exact copies are looked up once; each copy still pairs with each copy of the near twin, in unit order."""
    edited = BASE.replace("forty", "fifty")
    texts = [BASE, OTHER, edited, BASE, edited, BASE]
    keys = [normalise(t) for t in texts]
    matches = similar_pairs(keys, shingle_sets(keys, 5), np.ones(len(texts), dtype=bool), 0.7, 0.9)
    assert [(m.first, m.second) for m in matches] == [(0, 2), (0, 4), (2, 3), (2, 5), (3, 4), (4, 5)]
    assert {m.kind for m in matches} == {RemovalKind.NEAR}


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 40),
    st.integers(2, 34),
    st.sampled_from([0.0, 0.28, 0.3, 0.5, 0.56, 0.7, 0.9, 1.0]),
    st.booleans(),
)
def test_prefix_counts_are_every_pair_that_shares_enough(seed, n_units, max_posting, share, with_copies) -> None:
    """The prefix kernel's pairs and counts are those of counting every pair, filtered; each shares what a brute force says.

    Units draw their shingles from a small alphabet, so groups of every size up to past the
    posting cap occur, and pairs share from one shingle to all of the smaller unit's.
    """
    from dedup.match import prefix_kernels

    rng = np.random.default_rng(seed)
    alphabet = rng.integers(0, 2**32, size=int(rng.integers(1, 60)), dtype=np.uint64)
    units = [np.unique(rng.choice(alphabet, size=int(rng.integers(1, 30)))).astype(np.uint32) for _ in range(n_units)]
    offsets = np.concatenate([[0], np.cumsum([len(u) for u in units])]).astype(np.int64)
    sets = overlap.ShingleSets(np.concatenate(units), offsets)
    eligible = rng.random(n_units) < 0.8
    copies = rng.integers(1, 4, size=n_units).astype(np.int64) if with_copies else np.zeros(0, dtype=np.int64)
    least = overlap.least_shared(sets.sizes, share)
    keys = overlap._sorted_keys(sets, eligible)
    got = prefix_kernels.prefix_pair_counts(keys, copies, max_posting, sets.sizes, share)
    want = overlap.plain_prefix_pair_counts(keys, copies, max_posting, sets.sizes, share)
    assert (got[0].tolist(), got[1].tolist()) == (want[0].tolist(), want[1].tolist())
    counted = {h: sum(int(copies[u]) if with_copies else 1 for u in range(n_units) if eligible[u] and h in set(units[u].tolist()))
               for h in alphabet.astype(np.uint32).tolist()}
    expected = {}
    for a in range(n_units):
        for b in range(a + 1, n_units):
            if eligible[a] and eligible[b]:
                shared = sum(1 for h in set(units[a].tolist()) & set(units[b].tolist()) if counted[h] <= max_posting)
                if shared and shared >= least[min((len(units[a]), a), (len(units[b]), b))[1]]:
                    expected[(a, b)] = shared
    n = n_units
    assert {(c // n, c % n): s for c, s in zip(got[0].tolist(), got[1].tolist())} == expected


def test_least_shared_is_the_float_test_of_similar_pairs() -> None:
    """The fewest shared shingles x with x / size ≥ share in float64, numpy's and the kernel's, for every size to
    3,000 and shares whose product with a size rounds up (0.28 × 25) or down (just above 1/3 × 3)."""
    from dedup.match import prefix_kernels

    sizes = np.arange(1, 3001)
    shares = (0.0, 0.1, 0.28, 0.3, 0.56, 0.7, 0.7000000000000001, 0.9, 1 / 3, float(np.nextafter(1 / 3, 1)), 1.0)
    for share in shares:
        least = overlap.least_shared(sizes, share).tolist()
        for size, x in zip(sizes.tolist(), least):
            assert x == next(v for v in range(1, size + 1) if v / size >= share) == prefix_kernels.least_shared(share, size)


def test_similar_pairs_find_the_same_pairs_as_counting_every_pair_on_real_pages() -> None:
    """Near and contained pairs of the real pages' lines, at several thresholds: the prefix filter leaves none out."""
    found = 0
    for keys in real_pages_line_keys(60):
        sets = shingle_sets(keys, 5)
        everything = np.ones(len(keys), dtype=bool)
        for near, contained in ((0.7, 0.9), (0.5, None), (0.9, 0.6), (0.0, 0.0)):
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(overlap, "prefix_pair_counts", overlap.plain_prefix_pair_counts)
                patch.setattr(overlap, "least_shared", lambda sizes, share: np.ones(len(sizes), dtype=np.int64))
                every = similar_pairs(keys, sets, everything, near, contained)
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("DEDUP_KERNELS", "compiled")
                assert similar_pairs(keys, sets, everything, near, contained) == every
            found += len(every)
    assert found > 1_000


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.lists(st.integers(0, 2**32 - 1), max_size=20), st.booleans()), max_size=30))
def test_compiled_unit_keys_are_the_numpy_ones(units) -> None:
    from dedup.match import prefix_kernels

    hashes = np.array([h for own, _ in units for h in own], dtype=np.uint32)
    offsets = np.concatenate([[0], np.cumsum([len(own) for own, _ in units])]).astype(np.int64)
    eligible = np.array([ok for _, ok in units], dtype=bool)
    got = prefix_kernels.unit_keys(hashes, offsets, eligible).tolist()
    assert got == overlap.plain_unit_keys(hashes, offsets, eligible).tolist()
    assert got == [h << 32 | u for u, (own, ok) in enumerate(units) if ok for h in own]
