"""Cross-document boilerplate: which lines count, one vote per cluster, the minimum, per site (real pages)."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.decide.boilerplate import (
    NO_SITE, BoilerplateRule, boilerplate_of, count_votes, countable_lines, is_boilerplate, line_keys, site_key,
)

PAGES = Path(__file__).parent / "data" / "real_pages" / "pages.jsonl.gz"
SAMPLES = Path(__file__).parents[1] / "samples"
RULE = BoilerplateRule()
COOKIE = "This website uses cookies to improve your experience. We'll assume you're ok with this."


def keys_of(text: str) -> np.ndarray:
    return line_keys(countable_lines(text))


def key(line: str) -> int:
    return int(keys_of(line)[0])


def decide(texts: list[str], units: list[int], sites: list[int] | None = None):
    votes = count_votes([keys_of(t) for t in texts], np.array(units), np.array(sites or [NO_SITE] * len(texts)))
    return boilerplate_of(votes, RULE)


def test_countable_lines_leave_out_front_matter_code_structure_and_short_lines():
    text = ("---\ntitle: A post\ndraft: false and more words here\n---\n## Summary of the whole thing\n"
            "- a list item with enough words in it\n| a table | row with words |\n```\ncode line with words in it\n```\n"
            "Home\n" + COOKIE + "\nA paragraph of the article itself, long enough to count.\n")
    lines = countable_lines(text)
    assert [text[l.start : l.end] for l in lines] == [COOKIE + "\n", "A paragraph of the article itself, long enough to count.\n"]
    assert key("THIS website uses cookies — to improve your experience. We’ll assume you’re OK with this.") == key(COOKIE)


def test_a_line_in_three_unrelated_documents_is_boilerplate_and_in_two_it_is_not():
    story = ["First story paragraph about the harbour.", "Second story on the council budget.", "Third story: the library."]
    three = [s + "\n" + COOKIE for s in story]
    everywhere, _ = decide(three, [0, 1, 2])
    assert key(COOKIE) in everywhere and key(story[0]) not in everywhere
    everywhere, _ = decide(three[:2], [0, 1])
    assert len(everywhere) == 0


def test_copies_of_one_story_cast_one_vote():
    repost = "A long paragraph of a wire story that five sites re-posted word for word today."
    texts = [f"Site {n} masthead line here\n{repost}" for n in range(5)]
    everywhere, _ = decide(texts, [7, 7, 7, 7, 7])  # one duplicate cluster
    assert key(repost) not in everywhere
    everywhere, _ = decide(texts, [1, 2, 3, 4, 5])  # unrelated documents: it is chrome
    assert key(repost) in everywhere


def test_per_site_chrome_stays_on_its_site_and_across_sites_needs_as_many_sites():
    a, b = site_key("a.example"), site_key("b.example")
    texts = [f"Story number {n} of the day, with its own words.\n{COOKIE}" for n in range(4)]
    everywhere, on_site = decide(texts, [0, 1, 2, 3], [a, a, a, b])
    assert key(COOKIE) not in everywhere  # two sites only
    assert is_boilerplate(np.array([key(COOKIE)]), a, everywhere, on_site).tolist() == [True]
    assert is_boilerplate(np.array([key(COOKIE)]), b, everywhere, on_site).tolist() == [False]
    everywhere, _ = decide(texts[:3], [0, 1, 2], [a, b, site_key("c.example")])
    assert key(COOKIE) in everywhere


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
    assert len(cut & article_keys) <= 0.002 * len(article_keys)


def test_the_samples_share_no_boilerplate_among_themselves():
    texts = [p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.md"))]
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
