"""Run the corpus dedup on a Ray cluster (Ray Data), with the single-machine path's results.

Every step reuses the single-machine code on a partition of the data; only the plumbing
between steps is Ray's:
1. read: one task per input file, through the same JSONL/Parquet readers (same ids, same
   malformed-line errors);
2. clean and sketch: ``process_batch`` in parallel blocks;
3. LSH banding as a distributed group-by on band keys (the persistent index's banding,
   with datasketch's bands and rows for the threshold), and candidate verification with
   the same ``relation`` inside each group; exact duplicates by a group-by on the key;
4. connected components from the edges alone: scipy on the driver while the edge list is
   small, else iterative large-star/small-star rounds as group-bys;
5. canonical choice per component with the single-machine rule, by a group-by on the
   component;
6. write the kept documents in input order as JSONL part files, one per block.
"""
from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dedup.decide.clusters import choose_canonical, components, relation_to
from dedup.engine.local import RunOptions
from dedup.engine.process import process_batch
from dedup.errors import InputError, OutputError
from dedup.index.bands import IndexParams, band_keys
from dedup.match.documents import CorpusOptions, DocumentMatch, relation
from dedup.model import RemovalKind
from dedup.read.document import Document
from dedup.read.records import PARQUET_SUFFIXES, read_jsonl, read_parquet
from dedup.read.sources import open_sources
from dedup.signatures.minhash import Sketches
from dedup.write.atomic import write_atomic

_FILE_SHIFT = 40  # a document's position: file index << 40 | record number in the file


@dataclass(frozen=True)
class RaySummary:
    documents: int
    duplicates: int
    clusters: int
    errors: tuple[str, ...]
    parts: tuple[str, ...]
    elapsed: float


def position(file_index: int, record: int) -> int:
    return (file_index << _FILE_SHIFT) | record


def read_file_rows(row: dict[str, Any], text_key: str, id_key: str | None) -> list[dict[str, Any]]:
    """The documents (or errors) of one input file, in order, as rows."""
    path = row["path"]
    reader = read_parquet if path.lower().endswith(PARQUET_SUFFIXES) else read_jsonl
    rows = []
    for n, item in enumerate(reader(path, text_key, id_key)):
        pos = position(row["file"], n)
        if isinstance(item, InputError):
            rows.append({"pos": pos, "error": str(item), "id": "", "source": "", "text": "", "record": ""})
        else:
            rows.append({"pos": pos, "error": "", "id": item.id, "source": item.source, "text": item.text,
                         "record": json.dumps(item.record, ensure_ascii=False, default=str)})
    return rows


def process_rows(batch: Any, options: RunOptions) -> Any:
    """Clean and sketch a block of documents with the single-machine ``process_batch``."""
    import pandas as pd

    if os.environ.get("DEDUP_RAY_FAIL_ONCE") and not Path(os.environ["DEDUP_RAY_FAIL_ONCE"]).exists():
        Path(os.environ["DEDUP_RAY_FAIL_ONCE"]).touch()
        os._exit(1)  # a worker dying mid-run, for the retry test
    good = batch[batch["error"] == ""]
    errors = batch[batch["error"] != ""]
    docs = [
        Document(r.id, r.text, r.source, record=json.loads(r.record), text_key=options.text_key)
        for r in good.itertuples()
    ]
    corpus = options.corpus or CorpusOptions()
    processed, sketches = process_batch(docs, options.clean, corpus.minhash)
    out = pd.DataFrame({
        "pos": good["pos"].to_numpy(),
        "error": "",
        "id": [p.id for p in processed],
        "chars": [p.chars for p in processed],
        "cleaned_chars": [p.cleaned_chars for p in processed],
        "removals": [p.removals for p in processed],
        "payload": [p.payload for p in processed],
        "record": [p.record for p in processed],
        "sig": [s.tobytes() for s in sketches.signatures] if sketches else [],
        "size": sketches.sizes if sketches else [],
        "exact": sketches.exact_keys.view(np.int64) if sketches else [],
    })
    failed = pd.DataFrame({"pos": errors["pos"].to_numpy(), "error": errors["error"].to_numpy()})
    return pd.concat([out, failed], ignore_index=True) if len(failed) else out


def _signature(blob: bytes, params: IndexParams) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.uint32 if params.scheme == "affine32" else np.uint64)


def band_rows(batch: Any, params: IndexParams) -> Any:
    """One row per (document, band): the distributed group-by key is the band key."""
    import pandas as pd

    if len(batch) == 0:
        return pd.DataFrame({"bkey": [], "pos": [], "sig": [], "size": []})
    signatures = np.stack([_signature(b, params) for b in batch["sig"]])
    keys = band_keys(signatures, params)
    repeat = params.bands
    return pd.DataFrame({
        "bkey": keys.ravel(),
        "pos": np.repeat(batch["pos"].to_numpy(), repeat),
        "sig": np.repeat(batch["sig"].to_numpy(), repeat),
        "size": np.repeat(batch["size"].to_numpy(), repeat),
    })


def verify_group(group: Any, options: CorpusOptions, params: IndexParams) -> Any:
    """Verified edges among the documents sharing one band key (same check as one machine)."""
    import pandas as pd

    group = group.drop_duplicates("pos").sort_values("pos")
    firsts, seconds = [], []
    if len(group) > 1:
        positions = group["pos"].to_list()
        signatures = np.stack([_signature(b, params) for b in group["sig"]])
        sizes = group["size"].to_list()
        for i in range(len(positions)):
            for j in range(i + 1, len(positions)):
                if sizes[i] and sizes[j] and relation(i, j, signatures, sizes, options) is not None:
                    firsts.append(positions[i])
                    seconds.append(positions[j])
    return pd.DataFrame({"a": np.array(firsts, dtype=np.int64), "b": np.array(seconds, dtype=np.int64)})


def exact_group(group: Any) -> Any:
    import pandas as pd

    positions = np.sort(group["pos"].to_numpy())
    return pd.DataFrame({"a": np.full(max(len(positions) - 1, 0), positions[0] if len(positions) else 0, dtype=np.int64),
                         "b": positions[1:]})


def star_components(edges: Any, max_rounds: int = 64) -> Any:
    """Component label (smallest member) of every node on an edge, by large-star/small-star rounds.

    Kiveris et al., "Connected Components in MapReduce and Beyond" (2014): each round is a
    group-by on nodes over the edge list, never a gather of the whole graph.
    """
    import pandas as pd

    def large_star(group: Any) -> Any:
        node = int(group["a"].iloc[0])
        neighbours = group["b"].to_numpy()
        smallest = min(node, int(neighbours.min()))
        larger = neighbours[neighbours > node]
        return pd.DataFrame({"a": larger, "b": np.full(len(larger), smallest, dtype=np.int64)})

    def small_star(group: Any) -> Any:
        node = int(group["a"].iloc[0])
        neighbours = group["b"].to_numpy()
        members = np.append(neighbours[neighbours <= node], node)
        smallest = int(members.min())
        others = members[members != smallest]
        return pd.DataFrame({"a": others, "b": np.full(len(others), smallest, dtype=np.int64)})

    def both_ways(batch: Any) -> Any:
        return pd.concat([batch, batch.rename(columns={"a": "b", "b": "a"})], ignore_index=True)

    def distinct(ds: Any) -> Any:
        return ds.groupby(["a", "b"]).count().select_columns(["a", "b"])

    current = distinct(edges.filter(lambda r: r["a"] != r["b"]))
    previous = None
    for _ in range(max_rounds):
        current = distinct(current.map_batches(both_ways, batch_format="pandas").groupby("a").map_groups(large_star, batch_format="pandas"))
        current = distinct(current.groupby("a").map_groups(small_star, batch_format="pandas")).materialize()
        signature = sorted(map(tuple, current.to_pandas()[["a", "b"]].to_numpy().tolist())) if current.count() < 200_000 else current.count()
        if signature == previous:
            break
        previous = signature
    labels = current.map_batches(lambda b: pd.DataFrame({"pos": b["a"], "comp": b["b"]}), batch_format="pandas")
    roots = current.map_batches(lambda b: pd.DataFrame({"pos": b["b"], "comp": b["b"]}), batch_format="pandas")
    return labels.union(roots).groupby(["pos", "comp"]).count().select_columns(["pos", "comp"])


def canonical_group(group: Any, options: CorpusOptions, params: IndexParams) -> Any:
    """Canonical member and every duplicate's relation to it, by the single-machine rule."""
    import pandas as pd

    group = group.sort_values("pos")
    positions = group["pos"].to_list()
    local = list(range(len(positions)))
    lengths = group["cleaned_chars"].to_list()
    canonical = choose_canonical(local, lengths, options.keep)
    signatures = np.stack([_signature(b, params) for b in group["sig"]])
    sizes = group["size"].to_list()
    keys = group["exact"].to_list()
    rows = [relation_to(i, canonical, keys, signatures, sizes, options) for i in local if i != canonical]
    return pd.DataFrame({
        "pos": np.array([positions[d.position] for d in rows], dtype=np.int64),
        "canonical": np.full(len(rows), positions[canonical], dtype=np.int64),
        "kind": [d.kind.value for d in rows],
        "similarity": [d.similarity for d in rows],
    })


def write_part(batch: Any, out_dir: str) -> Any:
    """Kept documents of one block, in order, as one JSONL part named by its first position."""
    import pandas as pd

    batch = batch.sort_values("pos")
    kept = batch[batch["canonical"] < 0]
    if len(kept) == 0:
        return pd.DataFrame({"part": []})
    lines = []
    for row in kept.itertuples():
        record = json.loads(row.record)
        dedup = {"status": "cleaned" if row.removals else "unique", "duplicate_of": None, "duplicate_of_batch": None,
                 "similarity": None, "duplicate_kind": None,
                 "removed": [{k: v for k, v in r.items() if k != "text"} for r in record["removed"]]}
        lines.append(row.payload[:-1] + b', "dedup": ' + json.dumps(dedup, ensure_ascii=False).encode() + b"}\n")
    name = f"part-{int(kept['pos'].iloc[0]):020d}.jsonl"
    write_atomic(Path(out_dir) / name, b"".join(lines))
    return pd.DataFrame({"part": [name]})


def clean_with_ray(
    paths: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str], options: RunOptions | None = None,
    address: str | None = None, max_local_edges: int = 2_000_000,
) -> RaySummary:
    """``dedup clean --engine ray``: JSONL/Parquet in, JSONL part files and report.json out."""
    import pandas as pd
    import ray

    started = time.monotonic()
    options = options or RunOptions()
    corpus = options.corpus or CorpusOptions()
    params = IndexParams.from_options(corpus)
    sources = open_sources(paths, options.fmt)
    if not sources.records:
        raise OutputError("--engine ray reads JSONL or Parquet files (text folders: use the local engine)")
    files = [str(f.path) for f in sources.discovery.files]
    if "-" in files:
        raise OutputError("--engine ray reads files, not standard input")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").unlink(missing_ok=True)
    for stale in out.glob("part-*.jsonl"):
        stale.unlink()

    ray.init(address=address, ignore_reinit_error=True, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {k: v for k, v in os.environ.items() if k.startswith("DEDUP_")}})
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = bool(options.show_progress)
    partitions = max(2, 2 * int(ray.cluster_resources().get("CPU", 2)))  # shuffles sized to the cluster
    context.default_hash_shuffle_parallelism = partitions
    logging.getLogger("ray.data").setLevel(logging.WARNING)

    inputs = ray.data.from_items([{"file": i, "path": p} for i, p in enumerate(files)], override_num_blocks=max(1, len(files)))
    rows = inputs.flat_map(lambda r: read_file_rows(r, options.text_key, options.id_key))
    everything = rows.map_batches(lambda b: process_rows(b, options), batch_format="pandas", batch_size=64).materialize()
    errors = everything.filter(lambda r: r["error"] != "").to_pandas().sort_values("pos")
    processed = everything.filter(lambda r: r["error"] == "").materialize()

    exact_edges = processed.select_columns(["pos", "exact"]).groupby("exact").map_groups(exact_group, batch_format="pandas")
    live = processed.filter(lambda r: r["size"] > 0)
    near_edges = (
        live.select_columns(["pos", "sig", "size"]).map_batches(lambda b: band_rows(b, params), batch_format="pandas")
        .groupby("bkey").map_groups(lambda g: verify_group(g, corpus, params), batch_format="pandas")
    )
    edges = exact_edges.union(near_edges).materialize()

    if edges.count() <= max_local_edges:
        table = edges.to_pandas()
        nodes, inverse = np.unique(np.concatenate([table["a"].to_numpy(), table["b"].to_numpy()]), return_inverse=True)
        count = len(table)
        matches = [DocumentMatch(int(a), int(b), RemovalKind.NEAR, 1.0) for a, b in zip(inverse[:count], inverse[count:])]
        local_labels = components(len(nodes), matches)
        smallest = pd.Series(nodes).groupby(local_labels).transform("min").to_numpy()
        labels = ray.data.from_pandas(pd.DataFrame({"pos": nodes.astype(np.int64), "comp": smallest.astype(np.int64)}))
    else:
        labels = star_components(edges)

    members = labels.join(processed.select_columns(["pos", "cleaned_chars", "sig", "size", "exact"]),
                          join_type="inner", num_partitions=partitions, on=("pos",))
    duplicates = members.groupby("comp").map_groups(lambda g: canonical_group(g, corpus, params), batch_format="pandas").materialize()
    marked = processed.join(duplicates, join_type="left_outer", num_partitions=partitions, on=("pos",))
    marked = marked.map_batches(
        lambda b: b.assign(canonical=b["canonical"].fillna(-1).astype(np.int64)), batch_format="pandas"
    ).sort("pos").materialize()
    parts = marked.map_batches(lambda b: write_part(b, str(out)), batch_format="pandas").to_pandas()["part"].tolist()

    summary = _write_ray_report(out, marked, duplicates, errors, files, started)
    return RaySummary(summary["documents"], summary["duplicate"], summary["clusters"],
                      tuple(errors["error"].tolist()), tuple(sorted(parts)), time.monotonic() - started)


def _write_ray_report(out: Path, marked: Any, duplicates: Any, errors: Any, files: list[str], started: float) -> dict[str, Any]:
    """report.json with the single-machine format, streamed from the ordered documents."""
    ids: dict[int, str] = {}
    documents = []
    for row in marked.iter_rows():
        ids[row["pos"]] = row["id"]
        documents.append(row)
    dup_table = duplicates.to_pandas()
    relation_of = {int(r.pos): (r.kind, r.similarity) for r in dup_table.itertuples()}
    clusters: dict[int, list[dict[str, Any]]] = {}
    for row in dup_table.sort_values("pos").itertuples():
        clusters.setdefault(int(row.canonical), []).append({"id": ids[int(row.pos)], "kind": row.kind, "similarity": row.similarity})
    records = []
    for row in documents:
        record = json.loads(row["record"])
        duplicate = row["canonical"] >= 0
        record["status"] = "duplicate" if duplicate else ("cleaned" if row["removals"] else "unique")
        record["duplicate_of"] = ids[row["canonical"]] if duplicate else None
        record["duplicate_kind"], record["similarity"] = relation_of.get(row["pos"], (None, None))
        record["chars_removed"] = record["chars"] if duplicate else record["chars"] - row["cleaned_chars"]
        records.append(record)
    report = {
        "schema_version": 1,
        "engine": "ray",
        "totals": {
            "documents": len(records),
            "unique": sum(r["status"] == "unique" for r in records),
            "cleaned": sum(r["status"] == "cleaned" for r in records),
            "duplicate": sum(r["status"] == "duplicate" for r in records),
            "errors": len(errors),
            "clusters": len(clusters),
            "elapsed_seconds": round(time.monotonic() - started, 3),
        },
        "inputs": files,
        "documents": records,
        "clusters": [
            {"canonical": ids[c], "size": len(m) + 1,
             "members": [{"id": ids[c], "kind": "canonical", "similarity": 1.0}, *m]}
            for c, m in sorted(clusters.items())
        ],
        "errors": errors["error"].tolist(),
    }
    write_atomic(out / "report.json", (json.dumps(report, ensure_ascii=False, indent=1) + "\n").encode())
    return report["totals"]


def kept_lines(out_dir: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """The kept documents of a Ray run, in input order (its part files concatenated)."""
    for part in sorted(Path(out_dir).glob("part-*.jsonl")):
        with open(part, encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)
