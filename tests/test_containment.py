"""Containment across documents: sampled shingles, candidates from rare samples, verification (real pages)."""
from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import xxhash

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.api import Index, deduplicate
from dedup.match.containment import ContainmentRule, anchors_of, containment_candidates, equal_value_rows, smaller_inside, value_holders
from dedup.match.documents import CorpusOptions, estimated_jaccard, relate
from dedup.options import RunOptions
from dedup.signatures.minhash import MinHashParams, document_shingles, sketch
from dedup.signatures.samples import Samples, sample_cut, sample_hashes

PAGES = Path(__file__).parent / "data" / "real_pages" / "pages.jsonl.gz"
SAMPLES_DIR = Path(__file__).parents[1] / "samples"


def real_pages() -> list[dict]:
    with gzip.open(PAGES, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def pair(records: list[dict], name: str) -> tuple[str, str]:
    by_id = {r["id"]: r["text"] for r in records}
    return by_id[f"{name}-article"], by_id[f"{name}-page"]


HASHES = st.sampled_from([0, 1, 0xFFFF, 0x10000, 0x1FFFF, 0xFFFF0000, 2**32 - 1, 12345])  # alike in one half or the other


@settings(max_examples=300, deadline=None)
@given(st.lists(HASHES, max_size=30), st.lists(HASHES, max_size=8), st.sampled_from([np.uint32, np.int64]))
def test_holder_counts_and_equal_rows_are_those_of_a_plain_search(held: list[int], asked: list[int], dtype) -> None:
    """Sorted by halves of 16 bits, values equal in one half only still sort apart (uint32 samples, int64 rows)."""
    values, questions = np.array(held, dtype=dtype), np.array(asked, dtype=dtype)
    assert value_holders(values).tolist() == [held.count(v) for v in held]
    rows = equal_value_rows(questions, values)
    assert [r.dtype for r in rows] == [np.int64, np.int64]
    assert list(zip(*(r.tolist() for r in rows))) == [(a, h) for a, x in enumerate(asked) for h, y in enumerate(held) if x == y]


def test_samples_are_the_distinct_shingle_hashes_below_the_cut():
    texts = [p.read_text(encoding="utf-8") for p in sorted(SAMPLES_DIR.glob("*.txt"))]
    assert len(texts) == 5
    texts += [r["text"] for r in real_pages()[:20]]
    params = MinHashParams()
    made = sketch(texts, params).samples
    assert made is not None
    for number, text in enumerate(texts):
        hashes = {xxhash.xxh32_intdigest(s) for s in document_shingles(text, params)}
        expected = sorted(h for h in hashes if h < sample_cut(params.sample_scale))
        assert made.of(number).tolist() == expected
        assert len(expected) > 0


def test_samples_join_keeps_each_documents_run():
    first = sample_hashes(np.array([5, 3, 3, 9], dtype=np.uint32), np.array([0, 2, 4]), 1)
    second = sample_hashes(np.array([7], dtype=np.uint32), np.array([0, 0, 1]), 1)
    joined = Samples.join([first, second])
    assert [joined.of(d).tolist() for d in range(len(joined))] == [[3, 5], [3, 9], [], [7]]
    assert joined.take([3, 0]).of(0).tolist() == [7]


def test_an_extracted_article_is_found_inside_its_page_with_defaults():
    records = real_pages()
    # the article with the smallest share of its page: banding on Jaccard cannot reach it
    worst = min((r for r in records if r["id"].endswith("-article")),
                key=lambda r: len(r["text"]) / len(pair(records, r["pair"])[1]))
    article, page = pair(records, worst["pair"])
    sketches = sketch([article, page])
    assert estimated_jaccard(sketches.signatures[0], sketches.signatures[1]) < 0.2
    results = list(deduplicate([page, article]))
    assert [r.status for r in results][1] == "duplicate"
    assert results[1].duplicate_of == "0" and results[1].duplicate_kind == "contained"
    assert results[1].similarity >= 0.9


def test_two_pages_of_one_site_sharing_chrome_are_not_merged():
    records = real_pages()
    pages_by_site: dict[str, list[str]] = {}
    for r in records:
        if r["id"].endswith("-page"):
            pages_by_site.setdefault(r["site"], []).append(r["text"])
    pairs = [texts for texts in pages_by_site.values() if len(texts) == 2]
    assert len(pairs) >= 40
    merged = [texts for texts in pairs if any(r.status == "duplicate" for r in deduplicate(texts))]
    assert merged == []


def test_real_pages_recall_and_precision_with_defaults():
    records = real_pages()
    options = RunOptions(id_key="id")
    results = list(deduplicate(records, options))
    canonical = {r.id: (r.duplicate_of or r.id) for r in results}
    root = {i: canonical[i] if canonical[i] in canonical else i for i in canonical}
    story = {r["id"]: r["pair"] for r in records}
    clusters: dict[str, list[str]] = {}
    for doc, top in root.items():
        clusters.setdefault(top, []).append(doc)
    predicted = [(a, b) for members in clusters.values() for i, a in enumerate(members) for b in members[i + 1:]]
    true = sum(story[a] == story[b] for a, b in predicted)
    assert true / len(records) * 2 >= 0.90  # recall over the 169 page/article pairs
    assert true / len(predicted) >= 0.99


def test_anchors_are_each_documents_rarest_shared_samples():
    # document 0 shares 10..13 with document 1 only and 20..39 with documents 1 and 2
    runs = [np.arange(10, 40), np.concatenate([np.arange(10, 14), np.arange(20, 40), [90]]), np.arange(20, 40), np.arange(100, 130)]
    samples = Samples.of_runs([np.asarray(r, dtype=np.uint32) for r in runs])
    live = np.ones(4, dtype=bool)
    owner, value = anchors_of(samples, live, ContainmentRule(anchors=4, min_samples=16))
    assert value[owner == 0].tolist() == [10, 11, 12, 13]
    assert value[owner == 3].tolist() == []  # its hashes are its own: nothing to follow
    capped = anchors_of(samples, live, ContainmentRule(anchors=4, min_samples=16, max_posting=2))
    assert 20 not in capped[1][capped[0] == 2].tolist()  # held by 3 documents: over the cap


def test_candidates_pair_a_document_with_the_larger_ones_holding_its_anchors():
    inner = np.arange(0, 40, dtype=np.uint32)
    outer = np.concatenate([inner, np.arange(1000, 1200, dtype=np.uint32)])
    other = np.arange(5000, 5100, dtype=np.uint32)
    samples = Samples.of_runs([outer, other, inner])
    pairs = containment_candidates(samples, [240, 100, 40], np.ones(3, dtype=bool), ContainmentRule())
    assert pairs.tolist() == [[2, 0]]
    assert containment_candidates(samples, [240, 100, 40], np.array([True, True, False]), ContainmentRule()).tolist() == []


@pytest.mark.parametrize("kernels", ["plain", "compiled"])
def test_candidates_searched_a_bucket_of_values_at_a_time_are_those_of_one_search(kernels: str, monkeypatch) -> None:
    """The bounded search (buckets of sample values, anchors merged bucket by bucket) on the real pages' samples:
    one bucket, a few and hundreds give the same pairs, and the page/article pairs are among them."""
    from dedup.match import containment

    monkeypatch.setenv("DEDUP_KERNELS", kernels)
    records = real_pages()
    sketches = sketch([r["text"] for r in records])
    samples = sketches.samples
    assert samples is not None
    sizes, live, rule = sketches.sizes.tolist(), np.ones(len(records), dtype=bool), ContainmentRule()
    at_once = containment_candidates(samples, sizes, live, rule, bucket_samples=1 << 40)
    assert len(at_once) > len(records) // 4
    for bucket_samples, group in ((len(samples.values) // 3, 4), (997, 4), (997, 1), (997, 1000)):
        monkeypatch.setattr(containment, "GROUP_BUCKETS", group)
        assert containment_candidates(samples, sizes, live, rule, bucket_samples=bucket_samples).tolist() == at_once.tolist()
    names = {r["id"]: i for i, r in enumerate(records)}
    pairs = {tuple(p) for p in at_once.tolist()}
    articles = [n[: -len("-article")] for n in names if n.endswith("-article")]
    found = sum((names[f"{a}-article"], names[f"{a}-page"]) in pairs for a in articles)
    assert found >= 0.9 * len(articles)


def test_a_group_of_buckets_holders_are_the_same_compiled_and_in_numpy() -> None:
    """Every group of consecutive buckets of the real pages' samples, with empty and dead documents among them."""
    from dedup.match import containment, containment_kernels

    samples = sketch([r["text"] for r in real_pages()[:80]] + ["", "short"]).samples
    assert samples is not None
    live = np.arange(len(samples)) % 5 != 2
    for buckets in (1, 7, 300):
        bucket = (samples.values % np.uint32(buckets)).astype(np.uint16)
        live_in_bucket = np.bincount(bucket[np.repeat(live, samples.counts())], minlength=buckets).astype(np.int64)
        for first, last in {(0, buckets), (0, 1), (buckets - 1, buckets), (buckets // 3, max(buckets // 3 + 1, buckets // 2))}:
            args = (samples.values, samples.offsets, live, bucket, first, last, live_in_bucket)
            got, want = containment_kernels.bucket_group(*args), containment.plain_bucket_group(*args)
            assert [(g.dtype, g.tolist()) for g in got] == [(w.dtype, w.tolist()) for w in want]
            assert set(got[0].tolist()) <= set(np.flatnonzero(live).tolist())
            assert len(got[0]) == live_in_bucket[first:last].sum()


def test_a_short_document_is_judged_on_the_minhash_estimate_not_on_few_samples():
    rule = ContainmentRule(min_samples=16)
    few = np.arange(10, dtype=np.uint32)
    assert smaller_inside(few, np.arange(100, dtype=np.uint32), 10, 100, rule) is None
    assert smaller_inside(np.arange(16, dtype=np.uint32), np.arange(100, dtype=np.uint32), 16, 100, rule) == 1.0
    signature = np.arange(128, dtype=np.uint32)
    other = signature + 1000
    # disjoint signatures: no containment from the estimate either
    assert relate(signature, other, 10, 100, CorpusOptions(), few, np.arange(100, dtype=np.uint32)) is None


# -- across batches: the index -------------------------------------------------------------


def low_jaccard_pairs(count: int) -> list[tuple[str, str]]:
    """(article, page) pairs whose article is a small part of its page."""
    records = real_pages()
    articles = sorted((r for r in records if r["id"].endswith("-article")),
                      key=lambda r: len(r["text"]) / len(pair(records, r["pair"])[1]))
    return [pair(records, r["pair"]) for r in articles[:count]]


@pytest.fixture(params=["sqlite", "redis"])
def index_location(request, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "seen.sqlite")
        return
    from tests.test_index_redis import REDIS_SERVER, RedisServer

    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    (tmp_path / "redis").mkdir()
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server.url
    finally:
        server.kill()


def test_a_page_and_its_article_in_different_batches_are_found_either_way(index_location: str):
    pairs = low_jaccard_pairs(3)
    with Index(index_location) as seen:
        first = list(deduplicate([pairs[0][1], pairs[1][0], pairs[2][1]], index=seen, batch="day1"))  # page, article, page
        assert all(r.kept for r in first)
        second = list(deduplicate([pairs[0][0], pairs[1][1], "An unrelated note on harbour tides and the fish market."],
                                  index=seen, batch="day2"))
        # the article lies inside an earlier page; the page holds an earlier article: both repeat the index
        assert [(r.status, r.duplicate_of, r.duplicate_of_batch, r.duplicate_kind) for r in second[:2]] == [
            ("duplicate", "0", "day1", "contained"), ("duplicate", "1", "day1", "contained"),
        ]
        assert second[2].kept
        assert [h.kind for h in seen.query(pairs[2][0])] == ["contained"]
        assert seen.store.remove("2") == 2  # the page of day1 and the note of day2: ids are numbers per batch
        assert seen.query(pairs[2][0]) == []


def test_documents_stored_before_samples_existed_still_match_on_their_signatures(tmp_path: Path):
    location = str(tmp_path / "old.sqlite")
    text = real_pages()[0]["text"]
    with Index(location) as seen:
        list(deduplicate([text], index=seen, batch="day1"))
        seen.store._db.execute("DELETE FROM doc_samples")  # as an index made before samples were stored
        seen.store._db.execute("DELETE FROM bands WHERE band < 0")
        assert [h.kind for h in seen.query(text)] == ["exact"]
        again = list(deduplicate([text + "\nOne more line at the end of it, a short note."], index=seen, batch="day2"))
        assert again[0].status == "duplicate" and again[0].duplicate_kind == "near"


# values alike where the kernels' tables could go wrong: one bucket's residue (mod 7 and 2**16), both halves alike
BUCKET_VALUES = st.one_of(HASHES, st.integers(0, 40).map(lambda k: 3 + 7 * k), st.integers(0, 40).map(lambda k: k << 16),
                          st.integers(0, 2**32 - 1))


@settings(max_examples=200, deadline=None)
@given(st.lists(BUCKET_VALUES, max_size=60), st.lists(BUCKET_VALUES, max_size=12), st.sampled_from([np.uint32, np.int64]))
def test_compiled_holder_counts_and_equal_rows_are_numpys(held: list[int], asked: list[int], dtype) -> None:
    """The kernels' hash tables against the sorts (uint32 samples; int64 in the distributed engine's rows)."""
    from dedup.match import containment, containment_kernels

    values, questions = np.array(held, dtype=dtype), np.array(asked, dtype=dtype)
    got = containment_kernels.value_holders(values)
    assert (got.dtype, got.tolist()) == (np.int64, containment.plain_value_holders(values).tolist())
    rows, want = containment_kernels.equal_value_rows(questions, values), containment.plain_equal_value_rows(questions, values)
    assert [(r.dtype, r.tolist()) for r in rows] == [(np.int64, w.tolist()) for w in want]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from([0, 1, 7, 2**32 - 1]), st.integers(1, 4)), max_size=40),
       st.sampled_from([0, 1, 2, 4]), st.booleans())
def test_compiled_rarest_rows_are_those_of_a_stable_sort(rows: list[tuple[int, int, int]], anchors: int, by_owner: bool) -> None:
    """Each owner's best ``anchors`` rows, ties in (rarity, value) to the earlier row, whether the rows come by owner
    (a bucket's do) or not (merged buckets')."""
    from dedup.match import containment, containment_kernels

    if by_owner:
        rows = sorted(rows, key=lambda r: r[0])
    owner = np.array([r[0] for r in rows], dtype=np.int64)
    value = np.array([r[1] for r in rows], dtype=np.uint32)
    rarity = np.array([r[2] for r in rows], dtype=np.int64)
    order = np.empty(0, dtype=np.int64) if by_owner else np.argsort(owner, kind="stable")
    want = sorted(range(len(rows)), key=lambda i: (rows[i][0], rows[i][2], rows[i][1], i))
    want = [i for i in want if sum(rows[j][0] == rows[i][0] for j in want[: want.index(i)]) < anchors]
    assert containment.plain_rarest_rows(owner, value, rarity, anchors, order).tolist() == want
    assert containment_kernels.rarest_rows(owner, value, rarity, anchors, order).tolist() == want


def test_the_real_pages_anchors_are_the_same_compiled_and_in_numpy(monkeypatch) -> None:
    """Rarity, anchors and holders of the real pages' samples, the whole batch one bucket: kernels against numpy."""
    from dedup.match import containment, containment_kernels

    samples = sketch([r["text"] for r in real_pages()]).samples
    assert samples is not None
    owner = np.repeat(np.arange(len(samples), dtype=np.int64), samples.counts())
    rarity = containment_kernels.value_holders(samples.values)
    assert rarity.tolist() == containment.plain_value_holders(samples.values).tolist()
    assert rarity.max() > 2  # shared chrome among them
    for anchors in (1, 4):
        args = (owner, samples.values, rarity, anchors, np.empty(0, dtype=np.int64))
        chosen = containment_kernels.rarest_rows(*args)
        assert chosen.tolist() == containment.plain_rarest_rows(*args).tolist()
        assert len(chosen) == anchors * np.count_nonzero(samples.counts() >= anchors)
        rows = containment_kernels.equal_value_rows(samples.values[chosen], samples.values)
        assert [r.tolist() for r in rows] == [w.tolist() for w in containment.plain_equal_value_rows(samples.values[chosen], samples.values)]
        assert len(rows[0]) == rarity[chosen].sum()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(BUCKET_VALUES, max_size=8), max_size=8), st.integers(1, 40), st.data())
def test_compiled_value_buckets_are_numpys(runs: list[list[int]], buckets: int, data) -> None:
    """Each sample's bucket, and the live documents' samples in each bucket, dead and empty documents among them."""
    from dedup.match import containment, containment_kernels

    samples = Samples.of_runs([np.unique(np.array(r, dtype=np.uint32)) for r in runs])
    live = np.array(data.draw(st.lists(st.booleans(), min_size=len(runs), max_size=len(runs))), dtype=bool)
    got = containment_kernels.value_buckets(samples.values, samples.offsets, live, buckets)
    want = containment.plain_value_buckets(samples.values, samples.offsets, live, buckets)
    assert [(g.dtype, g.tolist()) for g in got] == [(w.dtype, w.tolist()) for w in want]
    assert want[1].tolist() == np.bincount([v % buckets for r, alive in zip(runs, live) if alive for v in set(r)],
                                           minlength=buckets).tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(BUCKET_VALUES, st.integers(0, 5)), max_size=40), st.lists(st.tuples(BUCKET_VALUES, st.integers(0, 5)), max_size=8),
       st.lists(st.integers(0, 3), min_size=6, max_size=6))
def test_compiled_anchor_pair_codes_are_those_of_the_anchor_holders(held: list[tuple[int, int]], asked: list[tuple[int, int]],
                                                                    sizes: list[int]) -> None:
    """Each anchor with each holder of its value that is not smaller (ties in size: the later document), a document
    never with itself, as ``inner * documents + outer``."""
    from dedup.match import containment, containment_kernels

    holder_value, holder = (np.array(c, dtype=t) for c, t in zip(zip(*held) if held else ([], []), (np.uint32, np.int64)))
    anchor_value, inner = (np.array(c, dtype=t) for c, t in zip(zip(*asked) if asked else ([], []), (np.uint32, np.int64)))
    size = np.array(sizes, dtype=np.int64)
    got = containment_kernels.anchor_pair_codes(anchor_value, inner, holder_value, holder, size)
    assert got.tolist() == containment.plain_anchor_pair_codes(anchor_value, inner, holder_value, holder, size).tolist()
    assert got.tolist() == [i * 6 + o for v, i in asked for w, o in held
                            if v == w and o != i and (sizes[o], o) > (sizes[i], i)]
