"""The distributed engine's per-partition steps, run here bucket by bucket without Ray.

Each step must give, over all its buckets, what the single-machine code gives on the
whole: the same LSH candidates, the same verified pairs, the same components.
"""
from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dedup.corpus import deduplicate, outcome
from dedup.decide.clusters import build_clusters
from dedup.engine.distributed.buckets import add_bucket
from dedup.engine.distributed.candidates import bucket_candidates, bucket_distinct_candidates, verify_candidates
from dedup.engine.distributed.canonical import canonical_rows, cluster_rows, duplicate_rows, hit_duplicates
from dedup.engine.distributed.indexed import hit_rows
from dedup.engine.distributed.parts import (
    TEXT_FILES, consecutive_runs, kept_lines, kept_rows, outcome_of, report_records, write_block, written_files,
    written_warnings,
)
from dedup.engine.distributed.rows import (
    key_rows, position, process_rows, read_file_rows, text_bytes, text_groups, text_of,
)
from dedup.engine.distributed.stars import both_ways, distinct_edges, edge_digest, large_star, small_star, star_labels
from dedup.engine.local import Ledger, RunOptions, add_to_index
from dedup.index.bands import IndexParams
from dedup.index.matching import match_index
from dedup.index.sqlite import SqliteStore
from dedup.match.documents import CorpusOptions, exact_matches, lsh_candidates, near_matches
from dedup.read.files import discover
from dedup.signatures.minhash import sketch
from dedup.write.outputs import FolderWriter
from test_corpus import ENGLISH, OTHER_ENGLISH, SAMPLES, article, japanese_repost

Columns = dict[str, np.ndarray]


def in_buckets(rows: Columns, column: str | tuple[str, str], buckets: int, step: Callable[[Columns], Columns]) -> Columns:
    """What a group-by on a bucket column does: ``step`` on each bucket's rows, outputs concatenated."""
    rows = add_bucket(rows, column, buckets)
    outputs = []
    for bucket in range(buckets):
        mine = rows["bucket"] == bucket
        outputs.append(step({k: v[mine] for k, v in rows.items() if k != "bucket"}))
    names = outputs[0].keys()
    return {k: np.concatenate([o[k] for o in outputs]) for k in names}


def corpus_texts() -> list[str]:
    ja = [p.read_text(encoding="utf-8") for p in SAMPLES]
    english = article(ENGLISH)
    return [
        *ja, japanese_repost(ja[3]), ja[0], english, english.replace("forty", "fifty"), article(OTHER_ENGLISH),
        english, article(ENGLISH[:6]), "", "short",
    ]


def processed_columns(texts: list[str], options: CorpusOptions) -> Columns:
    """The columns ``process_rows`` hands on, for texts taken as already cleaned; positions span two files."""
    sketches = sketch(texts, options.minhash)
    positions = [position(0, n) for n in range(len(texts) // 2)] + [position(1, n) for n in range(len(texts) - len(texts) // 2)]
    return {
        "pos": np.array(positions, dtype=np.int64),
        "error": np.array([b""] * len(texts), dtype=object),
        "sig": np.array([s.tobytes() for s in sketches.signatures], dtype=object),
        "size": np.asarray(sketches.sizes, dtype=np.int64),
        "exact": sketches.exact_keys.view(np.int64),
        "samples": np.array([samples_blob(sketches.samples_of(i)) for i in range(len(texts))], dtype=object),
    }


def samples_blob(samples: np.ndarray | None) -> bytes:
    return b"" if samples is None else np.ascontiguousarray(samples, dtype="<u4").tobytes()


def test_bucketed_candidates_and_verification_give_the_single_machine_pairs() -> None:
    options = CorpusOptions()
    params = IndexParams.from_options(options)
    texts = corpus_texts()
    processed = processed_columns(texts, options)
    keys = key_rows(processed, params)
    assert set(keys) == {"band", "key", "pos"}  # no signature travels with the band keys
    candidates = in_buckets(keys, "key", 3, bucket_candidates)
    distinct = in_buckets(candidates, ("a", "b"), 2, bucket_distinct_candidates)

    index_of = {int(p): i for i, p in enumerate(processed["pos"])}
    pairs = [(index_of[int(a)], index_of[int(b)]) for a, b in zip(distinct["a"], distinct["b"])]
    assert len(pairs) == len(set(pairs)), "a candidate pair is verified once, whatever bands it shares"
    sketches = sketch(texts, options.minhash)
    sizes, exact_keys = sketches.sizes.tolist(), sketches.exact_keys.tolist()
    exact = {(m.first, m.second) for m in exact_matches(exact_keys, sizes)}
    assert {p for p, e in zip(pairs, distinct["exact"]) if e} == exact
    near = {p for p, e in zip(pairs, distinct["exact"]) if not e}
    assert near == set(map(tuple, lsh_candidates(sketches.signatures, sizes, options).tolist())) - exact

    by_pos = {int(p): i for i, p in enumerate(processed["pos"])}
    nears = {k: v[distinct["exact"] == 0] for k, v in distinct.items()}
    joined = {
        "a": nears["a"], "b": nears["b"],
        "sig_a": processed["sig"][[by_pos[int(a)] for a in nears["a"]]], "size_a": processed["size"][[by_pos[int(a)] for a in nears["a"]]],
        "sig_b": processed["sig"][[by_pos[int(b)] for b in nears["b"]]], "size_b": processed["size"][[by_pos[int(b)] for b in nears["b"]]],
        "samples_a": processed["samples"][[by_pos[int(a)] for a in nears["a"]]],
        "samples_b": processed["samples"][[by_pos[int(b)] for b in nears["b"]]],
    }
    verified = verify_candidates(joined, options, params)
    found = {(index_of[int(a)], index_of[int(b)]) for a, b in zip(verified["a"], verified["b"])}
    lsh = set(map(tuple, lsh_candidates(sketches.signatures, sizes, options).tolist()))
    expected = {(m.first, m.second) for m in near_matches(sketches.signatures, sizes, exact_keys, options, sketches.samples)
                if (m.first, m.second) in lsh}
    assert expected <= found
    later_copies = {p for p, k in enumerate(exact_keys) if exact_keys.index(k) != p}
    assert found - expected and all(a in later_copies or b in later_copies for a, b in found - expected)
    # one machine leaves the later exact copies out of LSH: their extra pairs join no new component


def run_stars(a: np.ndarray, b: np.ndarray, buckets: int = 3) -> dict[int, int]:
    """Large-star/small-star rounds bucket by bucket until the digest of the edges stops changing."""
    edges: Columns = {"a": a.astype(np.int64), "b": b.astype(np.int64)}
    previous = None
    for _ in range(64):
        edges = in_buckets(both_ways(edges), "a", buckets, large_star)
        edges = in_buckets(edges, "a", buckets, small_star)
        edges = in_buckets(edges, "a", buckets, distinct_edges)
        digest = edge_digest(edges)
        current = (int(digest["count"][0]), int(digest["digest"][0]))
        if current == previous:
            labels = star_labels(edges)
            return dict(zip(labels["pos"].tolist(), labels["comp"].tolist()))
        previous = current
    raise AssertionError("did not converge")


def scipy_labels(a: np.ndarray, b: np.ndarray) -> dict[int, int]:
    """Every node on an edge → the smallest node of its component."""
    nodes, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    n = len(nodes)
    graph = coo_matrix((np.ones(len(a)), (inverse[: len(a)], inverse[len(a):])), shape=(n, n))
    labels = connected_components(graph, directed=False)[1]
    smallest = pd.Series(nodes).groupby(labels).transform("min").to_numpy()
    return dict(zip(nodes.tolist(), smallest.tolist()))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=60))
def test_star_rounds_give_the_components_of_any_graph(pairs: list[tuple[int, int]]) -> None:
    edges = np.array([p for p in pairs if p[0] != p[1]], dtype=np.int64).reshape(-1, 2)
    if len(edges) == 0:
        return
    a, b = position(edges[:, 0] % 3, edges[:, 0]), position(edges[:, 1] % 3, edges[:, 1])  # positions across files
    assert run_stars(a, b) == scipy_labels(a, b)


def test_star_rounds_on_a_long_chain_and_a_big_star() -> None:
    chain = np.arange(2_000, dtype=np.int64)
    rng = np.random.default_rng(7)
    shuffled = rng.permutation(chain)  # a path visiting the nodes in random order: many rounds
    hub = np.full(500, 10_000, dtype=np.int64)
    a = np.concatenate([shuffled[:-1], hub])
    b = np.concatenate([shuffled[1:], np.arange(10_001, 10_501, dtype=np.int64)])
    labels = run_stars(a, b)
    assert labels == scipy_labels(a, b)
    assert set(labels.values()) == {0, 10_000}


def cluster_members(texts: list[str], options: CorpusOptions) -> tuple[Columns, pd.DataFrame]:
    """The processed columns of ``texts`` and the members of their components, as ``canonical_rows`` gets them."""
    processed = processed_columns(texts, options)
    sketches = sketch(texts, options.minhash)
    sizes, keys = sketches.sizes.tolist(), sketches.exact_keys.tolist()
    matches = exact_matches(keys, sizes) + near_matches(sketches.signatures, sizes, keys, options, sketches.samples)
    labels = scipy_labels(np.array([processed["pos"][m.first] for m in matches]), np.array([processed["pos"][m.second] for m in matches]))
    index_of = {int(p): i for i, p in enumerate(processed["pos"])}
    members = pd.DataFrame({
        "pos": list(labels), "comp": list(labels.values()),
        "id": [text_bytes(f"doc{index_of[p]}") for p in labels], "cleaned_chars": [len(texts[index_of[p]]) for p in labels],
        "sig": [processed["sig"][index_of[p]] for p in labels], "size": [sizes[index_of[p]] for p in labels],
        "exact": [int(processed["exact"][index_of[p]]) for p in labels],
        "samples": [processed["samples"][index_of[p]] for p in labels],
    })
    return processed, members


def chosen_in_two_buckets(members: pd.DataFrame, options: CorpusOptions) -> pd.DataFrame:
    params = IndexParams.from_options(options)
    halves = [members[members["comp"] % 2 == k] for k in (0, 1)]  # two buckets of components
    return pa.concat_tables([canonical_rows(h, options, params) for h in halves])


def test_canonical_rows_choose_as_one_machine() -> None:
    options = CorpusOptions()
    texts = corpus_texts()
    processed, members = cluster_members(texts, options)
    sketches = sketch(texts, options.minhash)
    sizes, keys = sketches.sizes.tolist(), sketches.exact_keys.tolist()
    matches = exact_matches(keys, sizes) + near_matches(sketches.signatures, sizes, keys, options, sketches.samples)
    clusters = build_clusters(matches, [len(t) for t in texts], keys, sketches.signatures, sizes, options, sketches.samples)
    chosen = chosen_in_two_buckets(members, options)
    records = [json.loads(c) for c in cluster_rows(chosen).sort_by("comp")["cluster"].to_pylist()]
    expected = [
        {"canonical": f"doc{c.canonical}", "size": len(c.members),
         "members": [{"id": f"doc{c.canonical}", "kind": "canonical", "similarity": 1.0},
                     *({"id": f"doc{d.position}", "kind": d.kind.value, "similarity": d.similarity}
                       for d in sorted(c.duplicates, key=lambda d: d.position))]}
        for c in clusters
    ]
    assert records == expected
    index_of = {int(p): i for i, p in enumerate(processed["pos"])}
    duplicates = duplicate_rows(chosen).to_pandas()
    assert sorted(index_of[p] for p in duplicates["pos"]) == sorted(d.position for c in clusters for d in c.duplicates)


def test_a_cluster_with_an_indexed_member_is_dropped_whole_as_on_one_machine(tmp_path: Path) -> None:
    options = CorpusOptions()
    params = IndexParams.from_options(options)
    ja = [p.read_text(encoding="utf-8") for p in SAMPLES]
    news = ENGLISH + OTHER_ENGLISH
    opening = "A different opening paragraph about the weather in the valley and the new bridge over the river."
    second = "And a second replaced paragraph, on the school board elections held last week in the old town hall."
    edited, edited_twice = article([opening, *news[1:]]), article([opening, second, *news[2:]])
    earlier = [article(news), ja[3]]  # an earlier batch
    # edited repeats the indexed article, edited_twice only edited (Jaccard 0.82; 0.71 to the indexed one):
    # their cluster is dropped whole, edited_twice a duplicate of the indexed article too; the last text, the
    # indexed article cut after six paragraphs, lies inside it
    texts = [edited_twice, ja[0], edited, japanese_repost(ja[3]), ja[3], ja[0], article(ENGLISH[:6])]
    with contextlib.closing(SqliteStore(tmp_path / "seen.sqlite")) as store:
        before = sketch(earlier, options.minhash)
        add_to_index(store, Ledger(["old-news", "old-ja3"], [len(t) for t in earlier], [len(t) for t in earlier], [0, 0],
                                   [before]), {}, options, "day1")
        sketches = sketch(texts, options.minhash)
        indexed = match_index(store, params, sketches, options)
    assert set(indexed) == {2, 3, 4, 6} and indexed[6].kind.value == "contained"
    local = deduplicate(sketches, [len(t) for t in texts], options, indexed)

    processed, members = cluster_members(texts, options)
    hits = hit_rows(processed["pos"], indexed).to_pandas()
    chosen = chosen_in_two_buckets(members.merge(hits, on="pos", how="left"), options)
    duplicates = pa.concat_tables([duplicate_rows(chosen), hit_duplicates(pa.Table.from_pandas(hits, preserve_index=False))])
    assert len(set(duplicates["pos"].to_pylist())) == len(duplicates), "one row per duplicate"
    ids = [f"doc{i}" for i in range(len(texts))]
    expected = {p: outcome(p, ids, [0] * len(texts), local) for p in local.duplicate_of}
    index_of = {int(p): i for i, p in enumerate(processed["pos"])}
    found = {index_of[row["pos"]]: outcome_of(pd.Series(row), 0) for row in duplicates.to_pylist()}
    assert found == expected
    assert {p: o.duplicate_of for p, o in found.items()} == {0: "old-news", 2: "old-news", 3: "old-ja3", 4: "old-ja3",
                                                            5: "doc1", 6: "old-news"}


def test_text_groups_read_files_byte_for_byte_and_write_the_local_files(tmp_path: Path) -> None:
    """Undecodable bytes and a non-UTF-8 name travel as bytes and come out as they were."""
    folder = tmp_path / "in"
    folder.mkdir()
    latin = os.fsdecode(b"caf\xe9.txt")
    (folder / latin).write_bytes(b"\xef\xbb\xbfOne line with a byte \xff that is not UTF-8.\r\n")
    (folder / "story.md").write_text(article(ENGLISH + ENGLISH[:2]))
    files = discover([folder]).files
    (group,) = text_groups(files, 256)
    rows = pd.DataFrame(list(read_file_rows(group, "text", None)))
    options = RunOptions()
    processed = process_rows(rows, options.clean, options.corpus.minhash, "text").to_pandas()
    assert [text_of(i) for i in processed["id"]] == [f.id for f in files]
    out = tmp_path / "out"
    written = write_block(processed, lambda file: pd.DataFrame(), str(out), "run1", False, TEXT_FILES)
    staged, dropped = written_files(written)
    assert sorted(staged) == sorted(f.id for f in files) and dropped == []
    staging = FolderWriter(out, "run1").staging
    assert (staging / latin).read_bytes() == b"\xef\xbb\xbfOne line with a byte \xff that is not UTF-8.\r\n"
    assert (staging / "story.md").read_text() == article(ENGLISH)  # the repeated paragraphs cut
    records = [json.loads(r) for r in report_records(staging)]
    assert [r["output"] for r in records] == [f.id for f in files]  # as the local engine's FolderWriter says


def test_consecutive_runs_split_at_gaps() -> None:
    assert consecutive_runs(np.array([0, 1, 2, 5, 6, 9])) == [(0, 3), (3, 5), (5, 6)]
    assert consecutive_runs(np.array([], dtype=np.int64)) == []


def test_a_block_writes_ordered_parts_and_report_records(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    texts = [article(ENGLISH), article(OTHER_ENGLISH), article(ENGLISH), "残りの記事。"]
    source.write_text("".join(json.dumps({"id": f"d{i}", "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts)))
    rows = pd.DataFrame(list(read_file_rows({"file": 2, "path": os.fsencode(source)}, "text", "id")))
    options = RunOptions(id_key="id")
    processed = process_rows(rows, options.clean, options.corpus.minhash, "text").to_pandas()
    first, third = position(2, 0), position(2, 2)
    duplicates = pd.DataFrame({"canonical_id": [b"d0"], "batch": [b""], "kind": ["exact"], "similarity": [1.0]},
                              index=pd.Index([third], name="pos"))
    block = processed[processed["pos"] != position(2, 1)].sample(frac=1, random_state=1)  # a gap, shuffled rows
    out = tmp_path / "out"
    counts = write_block(block, lambda file: duplicates, str(out), "run1", write_duplicates=True)

    assert counts["part"].tolist() == [f"part-{first:020d}.jsonl", f"part-{third:020d}.jsonl"]  # split at the gap
    assert counts["first"].tolist() == [first, third]
    assert counts[["documents", "unique", "duplicate"]].sum().tolist() == [3, 2, 1]
    staging = FolderWriter(out, "run1").staging
    assert not out.joinpath(counts["part"][0]).exists()  # staged, for the driver to publish
    assert written_files(counts)[0] == [f"part-{first:020d}.jsonl", f"part-{third:020d}.jsonl", f"_duplicates/part-{third:020d}.jsonl"]
    assert [d["id"] for d in kept_lines(staging)] == ["d0", "d3"]
    records = [json.loads(r) for r in report_records(staging)]
    assert [(r["id"], r["status"], r["duplicate_of"]) for r in records] == [
        ("d0", "unique", None), ("d2", "duplicate", "d0"), ("d3", "unique", None)]
    assert records[0]["output"] == f"{out / counts['part'][0]}:1"
    assert json.loads((staging / "_duplicates" / f"part-{third:020d}.jsonl").read_text())["id"] == "d2"
    kept = kept_rows(block, lambda file: duplicates)
    assert sorted(text_of(i) for i in kept["id"]) == ["d0", "d3"]


def test_warnings_of_written_runs_come_in_input_order() -> None:
    # a run whose documents are all duplicates writes no part (name ""), yet its warnings keep their place
    written = pd.DataFrame({"part": ["", f"part-{3:020d}.jsonl"], "first": [7, 3],
                            "warnings": [json.dumps(["empty document d7"]), json.dumps(["empty document d3"])]})
    assert written_warnings(written) == ["empty document d3", "empty document d7"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(st.integers(0, 15), max_size=6), st.integers(0, 6), st.integers(-1, 2),
                          st.booleans()), min_size=1, max_size=30),
       st.integers(1, 4))
def test_votes_by_line_buckets_are_the_single_machine_votes(documents, buckets: int) -> None:
    """Units from cluster labels (a document alone is its own), the unit's site from its first member, no vote
    from a repeat of an earlier batch, the rows bucketed by line: count_votes' rows and every line of the batch."""
    from dedup.decide.boilerplate import count_votes
    from dedup.engine.distributed.buckets import bucket_of
    from dedup.engine.distributed.votes import bucket_votes, line_rows, unit_sites, votes_and_lines

    keys = [np.unique(np.array(k, dtype=np.int64)) for k, _, _, _ in documents]
    positions = np.array([(1 << 40) + 3 * n for n in range(len(documents))], dtype=np.int64)
    label = np.array([u for _, u, _, _ in documents])
    sizes = np.bincount(label)
    comp = np.array([positions[np.flatnonzero(label == u)[0]] for u in label])  # the smallest member's position
    clustered = sizes[label] > 1
    sites = np.array([s for _, _, s, _ in documents], dtype=np.int64)
    voting = np.array([v for _, _, _, v in documents])
    members = {"comp": comp[clustered], "pos": positions[clustered], "site": sites[clustered]}
    site_of = dict(zip(*unit_sites(members).values())) if clustered.any() else {}
    table = pa.table({
        "pos": positions, "error": pa.array([b""] * len(documents), pa.binary()),
        "lines": pa.array([k.tobytes() for k in keys], pa.binary()), "site": sites,
        "comp": pa.array([int(c) if m else None for c, m in zip(comp, clustered)], pa.int64()),
        "unit_site": pa.array([int(site_of[c]) if m else None for c, m in zip(comp, clustered)], pa.int64()),
    })
    earlier = pd.DataFrame({"pos": positions[~voting], "canonical_id": [b"x"] * int((~voting).sum()),
                            "batch": [b"day1"] * int((~voting).sum()), "kind": ["near"] * int((~voting).sum()),
                            "similarity": [0.9] * int((~voting).sum())}).set_index("pos")
    rows = line_rows(table, lambda file: earlier).to_pandas()
    rows["bucket"] = bucket_of(rows["key"].to_numpy(), buckets)
    parts = [pd.DataFrame(bucket_votes({c: g[c].to_numpy() for c in ("key", "unit", "site", "voting")}))
             for _, g in rows.groupby("bucket")]
    votes, lines = votes_and_lines(pd.concat(parts) if parts else pd.DataFrame({"key": [], "site": [], "units": []}))
    units = np.where(clustered, comp, positions)
    expected = count_votes(keys, units, sites, voting)
    assert (votes.key.tolist(), votes.site.tolist(), votes.units.tolist()) == (
        expected.key.tolist(), expected.site.tolist(), expected.units.tolist())
    assert lines.tolist() == np.unique(np.concatenate(keys)).tolist()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5))
def test_anchors_by_buckets_give_the_single_machine_containment_candidates(seed: int, buckets: int) -> None:
    """Documents made of shared "chrome" values, values of their own, and parts of other documents (inside
    them, or overlapping): the three group-bys and the pair count find the local pairs, bucket by bucket."""
    from dedup.engine.distributed.anchors import anchor_rows, anchored_pairs, followed_samples, held_pairs, sample_rows
    from dedup.engine.distributed.buckets import bucket_of, pair_bucket
    from dedup.match.containment import ContainmentRule, containment_candidates
    from dedup.signatures.samples import Samples

    rng = np.random.default_rng(seed)
    rule = ContainmentRule(min_samples=4, anchors=3, max_posting=6, min_anchor_hits=2)
    chrome = rng.choice(1000, size=30, replace=False)
    runs: list[np.ndarray] = []
    for number in range(int(rng.integers(2, 40))):
        own = 10_000 + number * 100 + np.arange(int(rng.integers(0, 30)))
        parts = [own, rng.choice(chrome, size=int(rng.integers(0, 10)))]
        if runs and rng.random() < 0.6:
            other = runs[int(rng.integers(len(runs)))]
            parts.append(other[rng.random(len(other)) < rng.uniform(0.5, 1.0)])
        runs.append(np.unique(np.concatenate(parts)).astype(np.uint32))
    samples = Samples.of_runs(runs)
    sizes = np.array([4 * len(r) + int(rng.integers(0, 3)) for r in runs], dtype=np.int64)
    live = rng.random(len(runs)) < 0.9
    expected = {(min(a, b), max(a, b)) for a, b in containment_candidates(samples, sizes, live, rule).tolist()}

    def grouped(rows: dict[str, np.ndarray], by: np.ndarray, step: Callable, **kwargs) -> dict[str, np.ndarray]:
        parts = [step({c: v[by == bucket] for c, v in rows.items()}, **kwargs) for bucket in np.unique(by)]
        return {c: np.concatenate([p[c] for p in parts]) for c in parts[0]} if parts else {}

    positions = np.arange(len(runs), dtype=np.int64) * 7 + (1 << 40)
    batch = {"pos": positions[live], "error": np.array([b""] * int(live.sum()), dtype=object),
             "size": sizes[live], "samples": np.array([r.tobytes() for r, alive in zip(runs, live) if alive], dtype=object)}
    holders = sample_rows(batch)
    followed = grouped(holders, bucket_of(holders["value"], buckets), followed_samples, rule=rule)
    found: set[tuple[int, int]] = set()
    if followed and len(followed["value"]):
        anchors = grouped(followed, bucket_of(followed["pos"], buckets), anchor_rows, rule=rule)
        both = {c: np.concatenate([holders[c], anchors[c]]) for c in ("value", "pos", "size", "anchors")}
        pairs = grouped(both, bucket_of(both["value"], buckets), anchored_pairs)
        held = grouped(pairs, pair_bucket(pairs["inner"], pairs["outer"], buckets), held_pairs, rule=rule)
        found = {(int((a - (1 << 40)) // 7), int((b - (1 << 40)) // 7)) for a, b in zip(held.get("a", []), held.get("b", []))}
    assert found == expected
