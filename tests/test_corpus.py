"""Corpus-level duplicates: re-posts with edits are clustered, different articles on one topic are not."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.decide.clusters import build_clusters
from dedup.engine.local import RunOptions, clean_paths
from dedup.match.documents import CorpusOptions, exact_matches, near_matches
from dedup.signatures.minhash import sketch

SAMPLES = sorted((Path(__file__).resolve().parent.parent / "samples").glob("*.txt"))

ENGLISH = [
    "The city council approved the new transit budget on Tuesday after a long debate about bus routes and fares.",
    "Officials said the plan would add forty electric buses by next spring and extend service to the northern suburbs.",
    "Critics argued that the budget ignored maintenance of existing rail lines, which have suffered repeated breakdowns.",
    "The mayor defended the decision, saying that buses could be deployed faster and more cheaply than new trains.",
    "Union leaders welcomed the hiring of sixty drivers but warned that overtime rules must change before summer.",
    "A final vote on the rail maintenance fund is expected next month, when the council returns from its recess.",
    "Business owners along the main corridor asked for dedicated loading zones to keep delivery trucks out of bus lanes.",
    "The transit agency will publish detailed route maps online and hold three public meetings in the coming weeks.",
]
OTHER_ENGLISH = [
    "The regional transit authority unveiled a separate proposal to rebuild the central rail station by 2030.",
    "Engineers estimate the station project will cost two billion dollars, financed mostly by federal grants.",
    "Commuters surveyed by the authority said reliability mattered more to them than speed or comfort.",
    "The proposal includes a covered bicycle garage, new elevators and a pedestrian bridge over the tracks.",
    "Construction would close two platforms at a time, and the authority promised replacement shuttle buses.",
    "A public comment period opens next week and runs until the end of the year, officials said on Friday.",
]


def article(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs) + "\n"


def japanese_repost(text: str) -> str:
    """A re-post: a source line added, a few words changed, one paragraph dropped."""
    lines = text.split("\n")
    lines = lines[:10] + lines[12:]
    edited = "\n".join(lines).replace("Anthropic", "アンソロピック社", 2).replace("発表しました", "明らかにしました", 1)
    return "この記事はテックニュース編集部が転載しました。\n" + edited + "\n（出典：各社報道）\n"


def cluster_texts(texts: list[str], **options) -> list[list[int]]:
    sketches = sketch(texts)
    keys, sizes = sketches.exact_keys.tolist(), sketches.sizes.tolist()
    corpus = CorpusOptions(**options)
    matches = exact_matches(keys, sizes) + near_matches(sketches.signatures, sizes, keys, corpus)
    clusters = build_clusters(matches, [len(t) for t in texts], keys, sketches.signatures, sizes, corpus)
    return [sorted(c.members) for c in clusters]


def test_the_five_samples_are_different_articles_on_one_story() -> None:
    texts = [p.read_text(encoding="utf-8") for p in SAMPLES]
    assert cluster_texts(texts) == []


def test_japanese_repost_with_edits_boilerplate_and_a_dropped_paragraph_is_clustered() -> None:
    texts = [p.read_text(encoding="utf-8") for p in SAMPLES]
    texts.append(japanese_repost(texts[3]))
    assert cluster_texts(texts) == [[3, 5]]


def test_english_reposts_cluster_and_related_articles_stay_apart() -> None:
    original = article(ENGLISH)
    edited = article([p.replace("forty", "forty-two").replace("Tuesday", "Monday") for p in ENGLISH])
    boilerplate = "Originally published by the Metro Herald. Subscribe for daily updates.\n\n" + original
    dropped = article(ENGLISH[:5] + ENGLISH[6:])
    related = article(OTHER_ENGLISH + ENGLISH[:1])
    clusters = cluster_texts([original, related, edited, boilerplate, dropped])
    assert clusters == [[0, 2, 3, 4]]


def test_contained_document_is_a_duplicate_of_the_longer_one() -> None:
    longer = article(ENGLISH + OTHER_ENGLISH[:2])
    shorter = article(ENGLISH)
    texts = [shorter, article(OTHER_ENGLISH), longer]
    assert cluster_texts(texts, lsh_threshold=0.5) == [[0, 2]]
    sketches = sketch(texts)
    assert sketches.sizes[0] < sketches.sizes[2]


def test_keep_first_or_longest(tmp_path: Path) -> None:
    short, long_ = article(ENGLISH[:6]), article(ENGLISH[:6] + ["And one closing remark the first copy did not have at all."])
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(short)
    (tmp_path / "in" / "b.txt").write_text(long_)
    for keep, kept in (("longest", "b.txt"), ("first", "a.txt")):
        out = tmp_path / f"out-{keep}"
        options = RunOptions(corpus=CorpusOptions(keep=keep), show_progress=False)
        summary = clean_paths([tmp_path / "in"], out, options)
        assert summary.duplicate == 1
        assert sorted(p.name for p in out.iterdir() if p.name != ".dedup") == sorted([kept, "report.html", "report.json"])
        report = json.loads((out / "report.json").read_text())
        (cluster,) = report["clusters"]
        assert cluster["canonical"] == kept
        duplicate = next(d for d in report["documents"] if d["status"] == "duplicate")
        assert duplicate["duplicate_of"] == kept and duplicate["output"] is None
        assert 0.8 <= duplicate["similarity"] <= 1.0


def test_jsonl_pipeline_through_stdin_and_stdout(tmp_path: Path) -> None:
    texts = [p.read_text(encoding="utf-8") for p in SAMPLES]
    rows = [{"id": f"ja{i}", "text": t, "site": "example"} for i, t in enumerate(texts)]
    rows.append({"id": "repost", "text": japanese_repost(texts[3])})
    rows.append({"id": "en", "text": article(ENGLISH)})
    lines = [json.dumps(r, ensure_ascii=False) for r in rows] + ["{not json", json.dumps({"id": "x", "body": "?"})]
    done = subprocess.run(
        [sys.executable, "-m", "dedup.cli", "clean", "-", "--format", "jsonl", "--id-key", "id", "--report", str(tmp_path / "r.json")],
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1  # two malformed lines
    assert "<stdin>:8: invalid JSON" in done.stderr and "<stdin>:9: no 'text' field" in done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["id"] for r in out] == ["ja0", "ja1", "ja2", "ja4", "repost", "en"]
    assert out[0]["site"] == "example" and out[0]["text"] == texts[0]
    assert out[1]["dedup"]["status"] == "cleaned" and out[1]["dedup"]["removed"]
    assert out[4]["dedup"]["status"] == "unique"
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["clusters"][0]["canonical"] == "repost"
    assert report["totals"]["duplicate"] == 1 and report["totals"]["errors"] == 2


def test_parquet_input(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = [article(ENGLISH), article(OTHER_ENGLISH), article(ENGLISH)]
    pq.write_table(pa.table({"doc": ["a", "b", "c"], "body": texts}), tmp_path / "in.parquet")
    summary = clean_paths([tmp_path / "in.parquet"], tmp_path / "out.jsonl.gz",
                          RunOptions(text_key="body", id_key="doc", show_progress=False))
    assert (summary.documents, summary.duplicate) == (3, 1)
    import gzip

    kept = [json.loads(line)["doc"] for line in gzip.open(tmp_path / "out.jsonl.gz", "rt")]
    assert kept == ["a", "b"]


def test_numpy_banding_finds_exactly_datasketchs_candidates() -> None:
    from dedup.match.documents import lsh_candidates

    texts = [p.read_text(encoding="utf-8") for p in SAMPLES]
    texts += [japanese_repost(texts[3]), article(ENGLISH), article(ENGLISH[:7]), article(OTHER_ENGLISH)]
    texts += [article(ENGLISH[i:] + ENGLISH[:i]) for i in range(1, 5)]
    sketches = sketch(texts)
    sizes = sketches.sizes.tolist()
    ours = set(map(tuple, lsh_candidates(sketches.signatures, sizes, CorpusOptions()).tolist()))
    theirs = set(map(tuple, lsh_candidates(sketches.signatures, sizes, CorpusOptions(lsh_backend="datasketch")).tolist()))
    assert ours == theirs and len(ours) >= 5


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3)), min_size=0, max_size=14))
def test_band_candidates_come_each_once_where_first_shared(rows: list[tuple[int, int]]) -> None:
    """Band by band, bucket by bucket in key order, pairs in order within a bucket, each where it first shares a band;
    documents of size 0 take no part (signatures from few values, so that buckets are shared often)."""
    from dedup.match.documents import lsh_candidates
    from dedup.match.lsh import band_keys

    import numpy as np

    options = CorpusOptions()
    perm = options.minhash.num_perm
    signatures = np.array([[(v + k * (i % 3)) % 4 + 1 for k in range(perm)] for i, (_, v) in enumerate(rows)],
                          dtype=np.uint64).reshape(-1, perm)
    sizes = [size for size, _ in rows]
    live = [d for d in range(len(rows)) if sizes[d] > 0]
    want: list[tuple[int, int]] = []
    if len(live) >= 2:
        keys = band_keys(signatures[live], options.banding)
        for band in range(keys.shape[1]):
            for key in sorted(set(keys[:, band].tolist())):
                members = [live[i] for i in range(len(live)) if keys[i, band] == key]
                want += [(a, b) for i, a in enumerate(members) for b in members[i + 1:] if (a, b) not in want]
    got = lsh_candidates(signatures, sizes, options)
    assert got.dtype == np.int64 and got.shape == (len(want), 2)
    assert [tuple(r) for r in got.tolist()] == want


def test_small_document_is_not_called_contained_on_a_low_jaccard() -> None:
    from dedup.match.documents import estimated_containment, relate

    import numpy as np

    a = np.arange(128, dtype=np.uint32)
    b = a.copy()
    b[34:] += 1  # estimated Jaccard 0.266
    assert estimated_containment(0.266, 100, 1000) > 0.9
    assert relate(a, b, 100, 1000, CorpusOptions()) is None
