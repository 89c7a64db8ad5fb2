"""dedup.match.verify: pairs verified a chunk at a time get what relate gives each of them."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.match import verify
from dedup.match.containment import ContainmentRule
from dedup.match.documents import CorpusOptions, relation
from dedup.signatures.minhash import sketch
from dedup.signatures.samples import Samples
from test_corpus import ENGLISH, OTHER_ENGLISH, SAMPLES, article, japanese_repost


def expected(pairs, signatures, sizes, options, samples):
    return [(a, b, *found) for a, b in pairs if (found := relation(a, b, signatures, sizes, options, samples)) is not None]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 9), st.data(), st.sampled_from([0, 1, 3]), st.booleans(), st.sampled_from([1, 2, 4096]), st.sampled_from(["plain", "compiled"]),
)
def test_any_pairs_get_relates_decisions_and_similarities(documents: int, data, min_samples: int, with_samples: bool, chunk: int, kernels: str) -> None:
    """Signatures that agree on any share, sizes with zeros, samples around the minimum, pairs in any order."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    base = rng.integers(0, 4, 16, dtype=np.uint32)
    signatures = np.array([np.where(rng.random(16) < rng.random(), base, rng.integers(0, 4, 16, dtype=np.uint32)) for _ in range(documents)], dtype=np.uint32)
    sizes = data.draw(st.lists(st.integers(0, 40), min_size=documents, max_size=documents))
    runs = [np.unique(rng.integers(0, 12, int(rng.integers(0, 6)))).astype(np.uint32) for _ in range(documents)]
    samples = Samples.of_runs(runs) if with_samples else None
    options = CorpusOptions(threshold=data.draw(st.sampled_from([0.5, 0.8])), containment_threshold=data.draw(st.sampled_from([0.5, 0.85])),
                            containment_min_jaccard=data.draw(st.sampled_from([0.0, 0.5])), containment_min_samples=min_samples)
    pairs = data.draw(st.lists(st.tuples(st.integers(0, documents - 1), st.integers(0, documents - 1)), max_size=30))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(verify, "CHUNK_PAIRS", chunk)
        patch.setenv("DEDUP_KERNELS", kernels)
        want = expected(pairs, signatures, sizes, options, samples)
        assert list(verify.verified_pairs(pairs, signatures, sizes, options, samples)) == want
        rows = np.array(pairs, dtype=np.int32).reshape(-1, 2)  # as an array of rows, of another integer type too
        assert list(verify.verified_pairs(rows, signatures, sizes, options, samples)) == want


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), max_size=12), min_size=1, max_size=8), st.data())
def test_compiled_sample_counts_are_the_numpy_counts_where_they_reach_the_needed(runs: list[list[int]], data) -> None:
    """The merge of two sorted runs counts what numpy's lookups count, empty runs and a document with itself
    included; where the count falls short of what is needed, it may stop early, below that."""
    from dedup.match import verify_kernels

    samples = Samples.of_runs([np.unique(np.array(r, dtype=np.uint32)) for r in runs])
    documents = st.integers(0, len(runs) - 1)
    pairs = data.draw(st.lists(st.tuples(documents, documents, st.integers(0, 14)), max_size=20))
    small = np.array([a for a, _, _ in pairs], dtype=np.int64)
    large = np.array([b for _, b, _ in pairs], dtype=np.int64)
    needed = np.array([n for *_, n in pairs], dtype=np.int64)
    got = verify_kernels.shared_sample_counts(samples.values, samples.offsets, small, large, needed)
    want = verify.plain_shared_sample_counts(samples.values, samples.offsets, small, large, needed)
    assert want.tolist() == [len(np.intersect1d(samples.of(a), samples.of(b))) for a, b, _ in pairs]
    assert got.dtype == want.dtype
    for g, w, n in zip(got.tolist(), want.tolist(), needed.tolist()):
        assert g == w if w >= n else g <= min(w, n - 1)
    if len(needed):
        assert verify_kernels.shared_sample_counts(samples.values, samples.offsets, small, large, needed * 0).tolist() == want.tolist()


def test_a_merge_stops_once_the_small_side_cannot_reach_what_is_needed() -> None:
    from dedup.match import verify_kernels

    samples = Samples.of_runs([np.arange(10, dtype=np.uint32), np.arange(5, 10, dtype=np.uint32)])
    pair = np.array([0]), np.array([1])
    assert verify_kernels.shared_sample_counts(samples.values, samples.offsets, *pair, np.array([5])).tolist() == [5]
    assert verify_kernels.shared_sample_counts(samples.values, samples.offsets, *pair, np.array([6])).tolist() == [0]


@pytest.mark.parametrize("threshold", [0.0, 0.07, 0.5, 0.57, 0.8, 0.85, 0.9, 1 / 3, 1.0, 1.5])
def test_the_least_hits_are_the_fewest_that_pass_the_containment_test(threshold: float) -> None:
    """Even where threshold * n rounds past a whole number (0.07 * 100 is 7.000000000000001)."""
    counts = np.arange(0, 1500, dtype=np.int64)
    least = verify.least_hits(counts, threshold).tolist()
    assert least[0] == 0
    for n in range(1, len(counts)):
        passing = [h for h in range(n + 1) if h / n >= threshold]
        assert least[n] == (passing[0] if passing else n + 1), n


@pytest.mark.parametrize("kernels", ["plain", "compiled"])
def test_real_reposts_and_their_candidates_are_verified_as_one_at_a_time(samples_dir, kernels: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEDUP_KERNELS", kernels)
    japanese = [p.read_text(encoding="utf-8") for p in SAMPLES]
    texts = japanese + [japanese_repost(t) for t in japanese] + [article(ENGLISH), article(ENGLISH[:4]), article(OTHER_ENGLISH)]
    made = sketch(texts)
    pairs = [(a, b) for a in range(len(texts)) for b in range(a + 1, len(texts))]
    options = CorpusOptions()
    got = list(verify.verified_pairs(pairs, made.signatures, made.sizes.tolist(), options, made.samples))
    assert got == expected(pairs, made.signatures, made.sizes.tolist(), options, made.samples)
    assert {kind.value for *_, kind, _ in got} >= {"near", "contained"}
    assert ContainmentRule().min_samples <= min(made.samples.counts())  # the sampled containment is what decides here


def test_of_two_documents_of_one_size_the_first_is_the_smaller() -> None:
    """As relate decides: the first document's samples are looked up in the second's when their sizes tie."""
    signatures = np.array([[1] * 16, [2] * 16], dtype=np.uint32)
    samples = Samples.of_runs([np.array([1, 2, 3], dtype=np.uint32), np.arange(1, 7, dtype=np.uint32)])
    options = CorpusOptions(containment_min_samples=3)
    for pair in ((0, 1), (1, 0)):
        assert list(verify.verified_pairs([pair], signatures, [10, 10], options, samples)) == expected([pair], signatures, [10, 10], options, samples)
    assert len(expected([(0, 1)], signatures, [10, 10], options, samples)) == 1
