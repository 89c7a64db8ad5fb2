"""Cross-document boilerplate: which lines count, one vote per cluster, the minimum, per site (real pages)."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.engine.local import clean_paths
from dedup.match.documents import CorpusOptions
from dedup.options import RunOptions
from dedup.decide.boilerplate import (
    NO_SITE, BoilerplateRule, boilerplate_of, count_votes, countable_keys, countable_lines, is_boilerplate, site_key,
)

PAGES = Path(__file__).parent / "data" / "real_pages" / "pages.jsonl.gz"
SAMPLES = Path(__file__).parents[1] / "samples"
RULE = BoilerplateRule()
COOKIE = "This website uses cookies to improve your experience. We'll assume you're ok with this."
FOOTER = "Privacy Policy | Terms of Use | Contact Us"


def keys_of(text: str) -> np.ndarray:
    return countable_keys(text)


def key(line: str) -> int:
    return int(keys_of(line)[0])


def decide(texts: list[str], units: list[int], sites: list[int] | None = None):
    votes = count_votes([keys_of(t) for t in texts], np.array(units), np.array(sites or [NO_SITE] * len(texts)))
    return boilerplate_of(votes, RULE)


def test_countable_lines_leave_out_front_matter_code_structure_and_lines_without_letters():
    text = ("---\ntitle: A post\ndraft: false and more words here\n---\n## Summary of the whole thing\n"
            "- a list item with enough words in it\n| a table | row with words |\n```\ncode line with words in it\n```\n"
            "* * *\nHome\n" + COOKIE + "\nA paragraph of the article itself, long enough to count.\n")
    lines = countable_lines(text)
    assert [text[line.start : line.end] for line in lines] == [
        "Home\n", COOKIE + "\n", "A paragraph of the article itself, long enough to count.\n"]
    assert key("THIS website uses cookies — to improve your experience. We’ll assume you’re OK with this.") == key(COOKIE)


def test_a_line_in_three_unrelated_documents_is_boilerplate_and_in_two_it_is_not():
    story = ["First story paragraph about the harbour.", "Second story on the council budget.", "Third story: the library."]
    three = [s + "\n" + FOOTER for s in story]
    everywhere, _ = decide(three, [0, 1, 2])
    assert key(FOOTER) in everywhere and key(story[0]) not in everywhere
    everywhere, _ = decide(three[:2], [0, 1])
    assert len(everywhere) == 0


def test_copies_of_one_story_cast_one_vote():
    texts = [f"Site {n} masthead line here\n{FOOTER}" for n in range(5)]
    everywhere, _ = decide(texts, [7, 7, 7, 7, 7])  # one duplicate cluster
    assert key(FOOTER) not in everywhere
    everywhere, _ = decide(texts, [1, 2, 3, 4, 5])  # unrelated documents: it is chrome
    assert key(FOOTER) in everywhere


def test_a_paragraph_several_sites_carry_is_content_and_one_sites_own_is_chrome():
    a, b, c = site_key("a.example"), site_key("b.example"), site_key("c.example")
    quote = "A long quoted paragraph that three different sites carry in three different stories of their own."
    texts = [f"Story number {n} of the day, with its own words.\n{quote}" for n in range(3)]
    everywhere, on_site = decide(texts, [0, 1, 2], [a, b, c])
    assert len(everywhere) == 0 and len(on_site) == 0
    everywhere, on_site = decide(texts, [0, 1, 2])  # no sites: each document is a site of its own
    assert len(everywhere) == 0
    everywhere, on_site = decide(texts, [0, 1, 2], [a, a, a])
    assert is_boilerplate(np.array([key(quote)]), a, everywhere, on_site).tolist() == [True]


def test_per_site_chrome_stays_on_its_site_and_across_sites_needs_as_many_sites():
    a, b = site_key("a.example"), site_key("b.example")
    texts = [f"Story number {n} of the day, with its own words.\n{COOKIE}\n{FOOTER}" for n in range(4)]
    everywhere, on_site = decide(texts, [0, 1, 2, 3], [a, a, a, b])
    assert key(COOKIE) not in everywhere and key(FOOTER) not in everywhere  # two sites only
    assert is_boilerplate(np.array([key(COOKIE)]), a, everywhere, on_site).tolist() == [True]
    assert is_boilerplate(np.array([key(COOKIE)]), b, everywhere, on_site).tolist() == [False]
    everywhere, _ = decide(texts[:3], [0, 1, 2], [a, b, site_key("c.example")])
    assert key(FOOTER) in everywhere and key(COOKIE) not in everywhere


def test_real_site_chrome_is_found_and_the_articles_own_lines_are_not():
    with gzip.open(PAGES, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    pages = [r for r in records if r["id"].endswith("-page")]
    units = list(range(len(pages)))
    sites = [site_key(r["site"]) for r in pages]
    votes = count_votes([keys_of(r["text"]) for r in pages], np.array(units), np.array(sites))
    everywhere, on_site = boilerplate_of(votes, RULE)
    assert len(everywhere) > 5
    article_keys = {int(k) for r in records if r["id"].endswith("-article") for k in keys_of(r["text"])}
    cut = {int(k) for k in everywhere}
    # 9 of the 3,653 distinct article lines: labels such as "STAFF", "Disclaimer", "UP NEXT", "Don't Miss",
    # "GIRLS SOCCER", which the articles' extraction kept and three sites' chrome has too
    assert len(cut & article_keys) <= 0.005 * len(article_keys)


def test_the_samples_share_no_boilerplate_among_themselves():
    texts = [p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt"))]
    assert len(texts) == 5
    everywhere, _ = decide(texts, list(range(len(texts))))
    assert len(everywhere) == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.lists(st.integers(0, 12), max_size=6), st.integers(0, 5), st.integers(-1, 2)),
                min_size=1, max_size=25))
def test_nothing_is_boilerplate_that_fewer_than_the_minimum_of_unrelated_documents_have(documents):
    keys = [np.unique(np.array(k, dtype=np.int64)) for k, _, _ in documents]
    units = np.array([u for _, u, _ in documents])
    sites = np.array([s for _, _, s in documents])
    everywhere, on_site = boilerplate_of(count_votes(keys, units, sites), RULE)
    for number, (doc_keys, _, site) in enumerate(documents):
        for flagged in doc_keys_flagged(keys[number], site, everywhere, on_site):
            holders = {int(units[d]) for d in range(len(documents)) if flagged in keys[d]}
            assert len(holders) >= RULE.min_docs


def doc_keys_flagged(keys: np.ndarray, site: int, everywhere: np.ndarray, on_site: np.ndarray) -> list[int]:
    return [int(k) for k, b in zip(keys, is_boilerplate(keys, site, everywhere, on_site)) if b]


def test_votes_of_two_batches_add_up_to_the_votes_of_both_at_once():
    rng = np.random.default_rng(5)
    keys = [np.unique(rng.integers(0, 30, size=rng.integers(0, 8))) for _ in range(40)]
    units = np.array([n // 2 for n in range(40)])  # clusters of two, never split across the halves
    sites = rng.integers(-1, 3, size=40)
    whole = count_votes(keys, units, sites)
    halves = count_votes(keys[:20], units[:20], sites[:20]).plus(count_votes(keys[20:], units[20:], sites[20:]))
    assert (whole.key.tolist(), whole.site.tolist(), whole.units.tolist()) == (
        halves.key.tolist(), halves.site.tolist(), halves.units.tolist())
    assert [a.tolist() for a in boilerplate_of(whole, RULE)] == [a.tolist() for a in boilerplate_of(halves, RULE)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.lists(st.integers(0, 12), max_size=6), st.integers(0, 5), st.integers(-1, 2),
                          st.booleans()), min_size=1, max_size=25),
       st.integers(1, 12))
def test_counting_in_chunks_of_any_size_gives_the_votes_of_counting_at_once(documents, chunk):
    """A unit's documents fall in one chunk however the units interleave, so it still votes once."""
    keys = [np.unique(np.array(k, dtype=np.int64)) for k, _, _, _ in documents]
    units = np.array([u for _, u, _, _ in documents])
    sites = np.array([s for _, _, s, _ in documents])
    voting = np.array([v for _, _, _, v in documents])
    at_once = count_votes(keys, units, sites, voting, chunk=1 << 30)
    chunked = count_votes(keys, units, sites, voting, chunk=chunk)
    assert (chunked.key.tolist(), chunked.site.tolist(), chunked.units.tolist()) == (
        at_once.key.tolist(), at_once.site.tolist(), at_once.units.tolist())
    expected = {}  # (line, site) -> units, by the definition: one vote per (line, unit), on the unit's first site
    for unit in set(units[voting].tolist()):
        members = [d for d in range(len(documents)) if units[d] == unit]
        site = next((int(sites[d]) for d in members if sites[d] != NO_SITE), NO_SITE)
        for key in set().union(*(keys[d].tolist() for d in members if voting[d])):
            expected[key, site] = expected.get((key, site), 0) + 1
    assert dict(zip(zip(chunked.key.tolist(), chunked.site.tolist()), chunked.units.tolist())) == expected


def test_a_cluster_votes_on_the_site_of_its_first_document_with_one():
    a, b = site_key("a.example"), site_key("b.example")
    votes = count_votes([np.array([9]), np.array([9]), np.array([9])], np.array([4, 4, 4]), np.array([NO_SITE, b, a]))
    assert (votes.key.tolist(), votes.site.tolist(), votes.units.tolist()) == ([9], [b], [1])
    left_out = count_votes([np.array([9]), np.array([9])], np.array([1, 2]), np.array([a, a]), voting=np.array([True, False]))
    assert left_out.units.tolist() == [1]


# -- in a run -------------------------------------------------------------------------------


def run(tmp_path: Path, name: str, records: list[dict], **options) -> tuple[dict[str, dict], dict[str, str]]:
    """Clean ``records`` as JSONL with the local engine; (report records, output texts) by id."""
    source = tmp_path / f"{name}.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / f"{name}-out.jsonl"
    clean_paths([source], out, RunOptions(id_key="id", show_progress=False, html=False, **options))
    report = json.loads(Path(f"{out}.report.json").read_text(encoding="utf-8"))
    texts = {json.loads(line)["id"]: json.loads(line)["text"] for line in out.read_text(encoding="utf-8").splitlines()}
    return {d["id"]: d for d in report["documents"]}, texts


def real_page_records() -> list[dict]:
    with gzip.open(PAGES, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_a_run_cuts_chrome_reports_each_cut_and_keeps_it_when_asked(tmp_path: Path):
    pages = [r for r in real_page_records() if r["id"].endswith("-page")][:60]
    records, texts = run(tmp_path, "cut", pages)
    cuts = [(d["id"], r) for d in records.values() for r in d["removed"] if r["kind"] == "boilerplate"]
    assert len(cuts) > 50
    by_id = {p["id"]: p["text"] for p in pages}
    for doc_id, r in cuts:
        assert r["documents"] >= 3 and r["seen_in"] not in (None, doc_id) and r["kept"] is None
        line = by_id[doc_id][r["start"] : r["end"]].strip()
        assert line and r["text"].rstrip("…") in line
    kept = {doc_id for doc_id, _ in cuts if doc_id in texts}
    assert kept
    for doc_id in kept:  # the output is the original with every reported span cut out
        spans = sorted((r["start"], r["end"]) for r in records[doc_id]["removed"])
        original, at, pieces = by_id[doc_id], 0, []
        for start, end in spans:
            pieces.append(original[at:start])
            at = end
        assert texts[doc_id] == "".join(pieces) + original[at:]
    kept_records, kept_texts = run(tmp_path, "keep", pages, corpus=CorpusOptions(keep_boilerplate=True))
    assert not any(r["kind"] == "boilerplate" for d in kept_records.values() for r in d["removed"])
    off_records, off_texts = run(tmp_path, "off", pages, corpus=CorpusOptions(boilerplate_min_docs=0))
    assert kept_texts == off_texts


def test_an_article_whose_lines_recur_nowhere_else_loses_nothing(tmp_path: Path):
    records = real_page_records()
    pages = [r for r in records if r["id"].endswith("-page")]
    article = next(r for r in records if r["id"].endswith("-article") and r["pair"] not in {p["pair"] for p in pages[:80]})
    alone, _ = run(tmp_path, "alone", [article], corpus=None)
    mixed, texts = run(tmp_path, "mixed", [*pages[:80], article])
    assert mixed[article["id"]]["removed"] == alone[article["id"]]["removed"]
    assert mixed[article["id"]]["status"] != "duplicate"


def test_chrome_seen_in_earlier_batches_is_recognised_and_a_rerun_changes_nothing(tmp_path: Path):
    stories = [r["text"] for r in real_page_records() if r["id"].endswith("-article")][:3]
    chrome = "Subscribe to our newsletter for the morning briefing"
    def day(n):
        return [{"id": f"d{n}", "text": f"{stories[n]}\n\n{chrome}\n", "url": f"https://news{n}.example/a"}]
    index = str(tmp_path / "seen.sqlite")
    first, _ = run(tmp_path, "day0", day(0), index=index, batch="day0")
    second, _ = run(tmp_path, "day1", day(1), index=index, batch="day1")
    assert not any(r["kind"] == "boilerplate" for d in (*first.values(), *second.values()) for r in d["removed"])
    third, texts = run(tmp_path, "day2", day(2), index=index, batch="day2")  # a third site: now it is chrome
    chrome_cuts = [r for r in third["d2"]["removed"] if r["kind"] == "boilerplate"]
    assert [(r["documents"], r["seen_in"], r["text"]) for r in chrome_cuts] == [(3, None, chrome)]
    assert chrome not in texts["d2"]
    again, again_texts = run(tmp_path, "day2-again", day(2), index=index, batch="day2")
    def same(records):
        return {k: {f: v for f, v in d.items() if f not in ("input", "output")} for k, d in records.items()}
    assert same(again) == same(third) and again_texts == texts  # matched against the index before day2, as the first time


POOL = [
    "Privacy Policy | Terms of Use | Contact Us", "Subscribe to the morning newsletter", "Share on Facebook",
    "Related: the council approves the harbour budget", "Read more stories from the valley",
    "© 2024 The Valley Gazette. All rights reserved. Use of this site means you accept its terms.",
    "一覧に戻る", "この記事をシェアする", "関連記事：港の予算案が可決されました",
]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.lists(st.integers(0, len(POOL) - 1), max_size=5), st.integers(0, 3)), min_size=1, max_size=12))
def test_a_run_never_cuts_a_line_fewer_than_the_minimum_of_documents_have(documents):
    from dedup.api import deduplicate

    records = []
    for number, (lines, site) in enumerate(documents):
        own = f"Story {number}: " + " ".join(f"word{number}x{k}" for k in range(40)) + "."
        body = "\n".join([own, *(POOL[i] for i in lines)])
        records.append({"id": str(number), "text": body, "url": f"https://site{site}.example/{number}"})
    results = list(deduplicate(records, RunOptions(id_key="id")))
    for result in results:
        for cut in (r for r in result.report["removed"] if r["kind"] == "boilerplate"):
            line = next(p for p in POOL if p.startswith(cut["text"].rstrip("…")))
            holders = sum(line in r["text"].split("\n") for r in records)
            assert holders >= RULE.min_docs and cut["documents"] >= RULE.min_docs


def test_the_blocks_cleaning_hands_on_give_the_lines_of_segmenting_again(samples_dir):
    """Line counting reuses cleaning's blocks only where they are what segmenting the cleaned text gives."""
    from dedup.segment.blocks import document_blocks
    from dedup.within import clean_and_segment, make_options

    with gzip.open(PAGES, "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    texts += [p.read_text(encoding="utf-8") for p in sorted(samples_dir.glob("*"))]
    marked = "A first line of the post, long enough to be a paragraph of prose on its own here.\n---END---\nnext"
    texts += [marked, marked.replace("---END---", "--- END ---"), "```\n---END---\n```\nafter the fence"]
    handed = 0
    for options in (make_options(), make_options(min_block_weight=30), make_options(keep_markers=True)):
        for text in texts:
            result, blocks = clean_and_segment(text, options)
            if blocks is None:
                continue
            handed += 1
            again = document_blocks(result.text)
            assert (blocks.kinds, blocks.keys, blocks.weights) == (again.kinds, again.keys, again.weights)
            assert countable_lines(result.text, RULE, blocks) == countable_lines(result.text, RULE)
            keys = countable_keys(result.text, RULE, blocks)
            assert keys.dtype == np.int64 and keys.tolist() == sorted({line.key for line in countable_lines(result.text, RULE)})
    assert handed > len(texts)  # most texts, with the default options and with markers kept
    assert clean_and_segment(marked)[1] is None and clean_and_segment(texts[0], make_options(min_block_weight=30))[1] is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.lists(st.integers(0, 12), max_size=8, unique=True), st.sampled_from([NO_SITE, 1, 2, 3])), max_size=12),
    st.lists(st.integers(0, 12), max_size=4), st.lists(st.tuples(st.integers(0, 12), st.sampled_from([1, 2, 3])), max_size=6),
    st.sampled_from([1, 3, 4096]),
)
def test_the_documents_holding_boilerplate_are_those_a_flag_at_a_time_finds(documents, everywhere, on_site, chunk):
    """Looked up a chunk of documents at once, (key, site) pairs included, as one document at a time."""
    import dedup.decide.boilerplate as boilerplate_module
    from dedup.decide.boilerplate import Boilerplate

    cut = Boilerplate(np.unique(np.array(everywhere, dtype=np.int64)), np.array(on_site, dtype=np.int64).reshape(-1, 2), {}, {})
    keys = [np.array(k, dtype=np.int64) for k, _ in documents]
    sites = [s for _, s in documents]
    one_at_a_time = {p for p in range(len(keys)) if cut.flags(keys[p], sites[p]).any()}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(boilerplate_module, "CHUNK_DOCUMENTS", chunk)
        assert cut.holders(keys, sites) == one_at_a_time


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 9), max_size=6, unique=True), max_size=10), st.lists(st.integers(0, 9), max_size=5),
       st.sampled_from([1, 3, 4096]))
def test_the_first_two_holders_of_a_line_are_found_in_reading_order(documents, flagged, chunk):
    import dedup.corpus as corpus_module
    from dedup.corpus import first_holders

    keys = [np.array(sorted(k), dtype=np.int64) for k in documents]
    ids = [f"doc{p}" for p in range(len(keys))]
    want: dict[int, tuple[str, ...]] = {}
    for position, doc_keys in enumerate(documents):
        for key in sorted(doc_keys):
            if key in flagged and len(want.get(key, ())) < 2:
                want[key] = (*want.get(key, ()), ids[position])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(corpus_module, "CHUNK_DOCUMENTS", chunk)
        assert first_holders(np.array(flagged, dtype=np.int64), keys, ids) == want
