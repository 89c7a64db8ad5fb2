"""Same story, different page (issue 13): the demanded recall and precision, with the defaults.

Two corpora: the real-page corpus (``tests/data/real_pages``: each real page's full text and
its extracted article; a pair is found when both are in one cluster) and a small build of
the syndicated corpus of ``benchmarks/syndicated.py`` (real stories re-posted by other sites
inside their own chrome, truncated, retitled, re-wrapped, ...; hard negatives from the same
site and the same topic). Scores as in ``benchmarks/real_pages.md`` and
``benchmarks/syndicated.md``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from dedup.engine.local import clean_paths
from dedup.options import RunOptions

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
PAGES = Path(__file__).resolve().parent / "data" / "real_pages" / "pages.jsonl.gz"


@pytest.fixture(scope="module")
def benchmarks():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import real_pages
        import syndicated

        yield real_pages, syndicated
    finally:
        sys.path.remove(str(BENCHMARKS))


def run_defaults(source: Path, out: Path) -> Path:
    clean_paths([source], out, RunOptions(id_key="id", show_progress=False, html=False))
    return Path(f"{out}.report.json")


def test_real_pages_with_their_articles_are_found_with_the_defaults(tmp_path: Path, benchmarks) -> None:
    real_pages, _ = benchmarks
    report = run_defaults(PAGES, tmp_path / "out.jsonl")
    recall, precision, found, predicted, positives = real_pages.pair_scores(report)
    assert positives == 169
    assert recall >= 0.90, f"{found} of {positives} page/article pairs"
    assert precision >= 0.99, f"{found} true of {predicted} predicted pairs"


# This build: 60 real + 60 Japanese stories, 414 documents, 294 re-posts. At 15e7726 (before issue 13)
# the defaults found almost none (a re-post in another site's chrome is neither 0.8 alike nor 0.9 inside
# its original); with boilerplate left out of similarity, any countable line and containment from 0.85
# they give re-post recall 0.973, pair recall 0.954, precision 1.000 (benchmarks/syndicated.md).
def test_syndicated_reposts_are_found_with_the_defaults(tmp_path: Path, benchmarks) -> None:
    _, syndicated = benchmarks
    corpus = syndicated.build_corpus(real=60, en_mix=0, ja_mix=60)
    source = tmp_path / "syndicated.jsonl"
    syndicated.write_corpus(corpus, source)
    scores = syndicated.scores(syndicated.report_clusters(run_defaults(source, tmp_path / "out.jsonl")), corpus)
    assert scores["repost_recall"] >= 0.95, scores
    assert scores["pair_recall"] >= 0.95, scores
    assert scores["precision"] >= 0.99, scores


def test_the_syndicated_corpus_is_deterministic_and_has_its_parts(benchmarks) -> None:
    _, syndicated = benchmarks
    first = syndicated.build_corpus(real=20, en_mix=5, ja_mix=20)
    again = syndicated.build_corpus(real=20, en_mix=5, ja_mix=20)
    assert json.dumps(first.documents) == json.dumps(again.documents)
    docs = first.documents
    assert {"id", "url", "site", "text", "story"} <= set(docs[0])
    assert {d["lang"] for d in docs} == {"en", "ja"}
    originals = [d for d in docs if d["role"] == "original"]
    assert len(originals) == len(first.stories) and len({d["story"] for d in originals}) == len(originals)
    for story in {d["story"] for d in docs}:  # each copy of a story on a site of its own
        sites = [d["site"] for d in docs if d["story"] == story]
        assert len(sites) == len(set(sites)) <= 6
    assert any(s.topic for s in first.stories.values())
