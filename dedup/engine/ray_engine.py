"""Run the corpus dedup on a Ray cluster (Ray Data), with the single-machine path's results.

Ray Data only moves data; every step calls a function of :mod:`dedup.engine.distributed`
on a partition, and those call the single-machine code:

1. read: one task per input file, through the same JSONL/Parquet readers (same ids, same
   malformed-line errors); clean and sketch with ``process_batch`` in blocks of 64;
2. LSH: (band, key, position) rows, 24 bytes each, grouped by a coarse bucket of the key;
   each bucket yields its candidate pairs (exact-key groups as stars), pairs made distinct,
   then the two signatures joined onto each pair and verified with the same ``relate``;
3. connected components from the edges alone: scipy on the driver while the edge list is
   small, else large-star/small-star rounds, each a group-by on a bucket of nodes;
4. canonical choice per component with the single-machine rule (a group-by on a bucket
   of components); each input file's duplicates go to the object store;
5. every block writes its kept documents (JSONL or Parquet) and report records as parts
   named by their first position; report.json is streamed from those parts and the sorted
   cluster records.

The driver holds the list of input files, the run's totals and one file's duplicates at a
time, never the documents. The processed documents are materialised once (in the object
store, spilled to disk when large) and never shuffled: only keys, pairs and signatures move.
"""
from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from dedup.decide.clusters import components
from dedup.engine.distributed.buckets import add_bucket, bucket_count
from dedup.engine.distributed.candidates import bucket_candidates, bucket_distinct_candidates, verify_candidates
from dedup.engine.distributed.canonical import CANONICAL, canonical_rows
from dedup.engine.distributed.parts import (
    COUNTS, OUT_FORMATS, REPORT_PARTS, WRITTEN_COLUMNS, kept_lines, report_records, write_block, written_warnings,
)
from dedup.engine.distributed.rows import file_of, key_rows, process_rows, read_file_rows
from dedup.engine.distributed.stars import both_ways, distinct_edges, edge_digest, large_star, small_star, star_labels
from dedup.options import RunOptions, check_options
from dedup.errors import DedupError, OutputError
from dedup.index.bands import IndexParams
from dedup.match.documents import CorpusOptions, DocumentMatch
from dedup.model import RemovalKind
from dedup.outcome import RunSummary
from dedup.read.records import PARQUET_SUFFIXES
from dedup.read.sources import Sources, open_sources
from dedup.report.html import write_html_report
from dedup.write.outputs import DUPLICATES_FOLDER
from dedup.write.report_json import write_report

PROCESS_ROWS = 64  # documents cleaned and sketched per call
MEMBERS_PER_BUCKET = 100_000  # cluster members (with their 512-byte signatures) per canonical-choice call
PART_ROWS = 4096  # documents per part file (at most; a part never spans a gap in the input order)

__all__ = ["RayRun", "clean_with_ray", "kept_lines", "star_components"]


@dataclass(frozen=True)
class RayRun:
    summary: RunSummary
    parts: tuple[str, ...]


def clean_with_ray(
    paths: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str], options: RunOptions | None = None,
    address: str | None = None, max_local_edges: int = 2_000_000, out_format: str = "auto",
) -> RayRun:
    """``dedup clean --engine ray``: JSONL/Parquet in, part files (``out_format`` jsonl or parquet;
    auto: Parquet when every input is) and report.json out."""
    import ray
    from ray.data.expressions import col

    started = time.monotonic()
    options = check_options(options or RunOptions())
    if options.corpus is None:
        raise OutputError("--engine ray deduplicates a corpus: drop --within-only")
    corpus = options.corpus
    params = IndexParams.from_options(corpus)
    sources = _record_sources(paths, options)
    files = [str(f.path) for f in sources.discovery.files]
    part_format = _out_format(sources, out_format)
    out = _prepare_out(Path(out_dir))

    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {k: v for k, v in os.environ.items() if k.startswith("DEDUP_")}})
    partitions = _configure(options)

    inputs = ray.data.from_items([{"file": i, "path": p} for i, p in enumerate(files)], override_num_blocks=max(1, len(files)))
    processed = (
        inputs.flat_map(read_file_rows, fn_kwargs={"text_key": options.text_key, "id_key": options.id_key,
                                                   "max_record_bytes": options.max_record_bytes})
        .map_batches(process_rows, batch_format="pandas", batch_size=PROCESS_ROWS,
                     fn_kwargs={"clean": options.clean, "minhash": corpus.minhash, "text_key": options.text_key})
        .materialize()
    )
    errors = _frame(processed.select_columns(["pos", "error"]).map_batches(_error_rows, batch_format="pandas"), ["pos", "error"])
    errors = [*map(str, sources.discovery.errors), *errors.sort_values("pos")["error"].tolist()]

    edges = _edges(processed, params, corpus, partitions)
    pairs = edges.count()
    labels = _driver_components(edges) if pairs <= max_local_edges else star_components(edges, partitions)
    members = labels.join(processed.select_columns(["pos", "id", "cleaned_chars", "sig", "size", "exact"]),
                          join_type="inner", num_partitions=partitions, on=("pos",))
    member_buckets = bucket_count(2 * pairs, partitions, MEMBERS_PER_BUCKET)
    chosen = (
        members.map_batches(add_bucket, batch_format="numpy", fn_kwargs={"column": "comp", "buckets": member_buckets})
        .groupby("bucket").map_groups(canonical_rows, batch_format="pandas", fn_kwargs={"options": corpus, "params": params})
        .materialize()
    )

    lookup = DuplicatesByFile.publish(chosen)
    written = _frame(processed.map_batches(
        write_block, batch_format="pandas", batch_size=PART_ROWS,
        fn_kwargs={"duplicates_of_file": lookup, "out_dir": str(out), "write_duplicates": options.write_duplicates,
                   "out_format": part_format},
    ), list(WRITTEN_COLUMNS))

    clusters = chosen.filter(expr=col("kind") == CANONICAL).select_columns(["comp", "cluster"]).sort("comp").materialize()
    summary = _summary(written, clusters.count(), errors, sources.discovery.warnings, out, options, started)
    report = out / "report.json"
    write_report(report, summary, report_records(out), _cluster_records(clusters))
    shutil.rmtree(out / REPORT_PARTS, ignore_errors=True)
    summary = _html(report, summary, options)
    parts = tuple(sorted(p for p in written["part"].tolist() if p))
    return RayRun(replace(summary, elapsed=time.monotonic() - started), parts)


def _record_sources(paths: Sequence[str | os.PathLike[str]], options: RunOptions) -> Sources:
    sources = open_sources(paths, options.fmt)
    if not sources.records:
        raise OutputError("--engine ray reads JSONL or Parquet files (text folders: use the local engine)")
    if any(str(f.path) == "-" for f in sources.discovery.files):
        raise OutputError("--engine ray reads files, not standard input")
    return sources


def _out_format(sources: Sources, requested: str) -> str:
    if requested != "auto":
        if requested not in OUT_FORMATS:
            raise OutputError(f"output format {requested!r}: choose one of {', '.join(OUT_FORMATS)}")
        return requested
    files = sources.discovery.files
    return "parquet" if files and all(str(f.path).lower().endswith(PARQUET_SUFFIXES) for f in files) else "jsonl"


def _prepare_out(out: Path) -> Path:
    """The output folder, emptied of an earlier run's parts and report (they would mix with this run's)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").unlink(missing_ok=True)
    (out / "report.html").unlink(missing_ok=True)
    for stale in [*out.glob("part-*.*"), *(out / DUPLICATES_FOLDER).glob("part-*.*")]:
        stale.unlink()
    shutil.rmtree(out / REPORT_PARTS, ignore_errors=True)
    return out


def _configure(options: RunOptions) -> int:
    """Ray Data settings for this run; the number of hash partitions (twice the cluster's CPUs)."""
    import ray

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = options.show_progress is not False
    partitions = max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
    context.default_hash_shuffle_parallelism = partitions
    # Ray Data reserves part of the CPUs for each operator; while reads wait on backpressure that share
    # stays idle instead of cleaning, the costly step (benchmarks/README.md: 1.36x on the first stage).
    context.op_resource_reservation_enabled = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    return partitions


def _frame(dataset: Any, columns: list[str]) -> Any:
    """A small dataset as one pandas frame on the driver, with its columns even when it has no rows."""
    import pandas as pd

    frame = dataset.to_pandas()
    return frame if len(frame) else pd.DataFrame({c: pd.Series([], dtype=frame.dtypes.get(c, "int64")) for c in columns})


def _error_rows(batch: Any) -> Any:
    return batch[batch["error"] != ""]


def _edges(processed: Any, params: IndexParams, corpus: CorpusOptions, partitions: int) -> Any:
    """Exact-key pairs and verified LSH pairs (a < b), materialised."""
    from ray.data.expressions import col

    rows = processed.count() * (params.bands + 1)
    key_buckets = bucket_count(rows, partitions)
    candidates = (
        processed.select_columns(["pos", "error", "sig", "size", "exact"])
        .map_batches(key_rows, batch_format="numpy", fn_kwargs={"params": params})
        .map_batches(add_bucket, batch_format="numpy", fn_kwargs={"column": "key", "buckets": key_buckets})
        .groupby("bucket").map_groups(bucket_candidates, batch_format="numpy")
        .map_batches(add_bucket, batch_format="numpy", fn_kwargs={"column": ("a", "b"), "buckets": partitions})
        .groupby("bucket").map_groups(bucket_distinct_candidates, batch_format="numpy")
        .materialize()
    )
    exact = candidates.filter(expr=col("exact") == 1).select_columns(["a", "b"])
    near = candidates.filter(expr=col("exact") == 0).select_columns(["a", "b"])
    live = processed.filter(expr=(col("error") == "") & (col("size") > 0)).select_columns(["pos", "sig", "size"])
    side_a = live.rename_columns({"pos": "a", "sig": "sig_a", "size": "size_a"})
    side_b = live.rename_columns({"pos": "b", "sig": "sig_b", "size": "size_b"})
    verified = (
        near.join(side_a, join_type="inner", num_partitions=partitions, on=("a",))
        .join(side_b, join_type="inner", num_partitions=partitions, on=("b",))
        .map_batches(verify_candidates, batch_format="numpy", fn_kwargs={"options": corpus, "params": params})
    )
    return exact.union(verified).materialize()


def _driver_components(edges: Any) -> Any:
    """(pos, comp) labels by scipy on the driver: the edge list (16 bytes per pair) fits in its memory."""
    import pandas as pd
    import ray

    table = _frame(edges, ["a", "b"])
    nodes, inverse = np.unique(np.concatenate([table["a"].to_numpy(), table["b"].to_numpy()]), return_inverse=True)
    count = len(table)
    matches = [DocumentMatch(int(a), int(b), RemovalKind.NEAR, 1.0) for a, b in zip(inverse[:count], inverse[count:])]
    labels = components(len(nodes), matches)
    smallest = pd.Series(nodes).groupby(labels).transform("min").to_numpy()
    return ray.data.from_pandas(pd.DataFrame({"pos": nodes.astype(np.int64), "comp": smallest.astype(np.int64)}))


def star_components(edges: Any, partitions: int, max_rounds: int = 64) -> Any:
    """(pos, comp) labels, comp the smallest member, by large-star/small-star rounds until the edges stop changing.

    Each round is three group-bys on a bucket of nodes (large-star, small-star, distinct);
    whether the edge set changed is told by an order-free digest of it (count and hash sum).
    """
    buckets = bucket_count(2 * edges.count(), partitions)

    def by_node(ds: Any) -> Any:
        return ds.map_batches(add_bucket, batch_format="numpy", fn_kwargs={"column": "a", "buckets": buckets}).groupby("bucket")

    current = edges
    previous = None
    for _ in range(max_rounds):
        current = by_node(current.map_batches(both_ways, batch_format="numpy")).map_groups(large_star, batch_format="numpy")
        current = by_node(current).map_groups(small_star, batch_format="numpy")
        current = by_node(current).map_groups(distinct_edges, batch_format="numpy").materialize()
        digests = _frame(current.map_batches(edge_digest, batch_format="numpy"), ["count", "digest"])
        digest = (int(digests["count"].sum()), int(digests["digest"].to_numpy().view(np.uint64).sum(dtype=np.uint64)))
        if digest == previous:
            return current.map_batches(star_labels, batch_format="numpy")
        previous = digest
    raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")


class DuplicatesByFile:
    """Each input file's duplicates (position → canonical id, kind, similarity) as one object in Ray's store.

    Published from the duplicates sorted by position, one file at a time, so the driver holds
    one file's worth; a writing task fetches only the files of its block.
    """

    def __init__(self, refs: dict[int, Any]) -> None:
        self.refs = refs

    @classmethod
    def publish(cls, chosen: Any) -> DuplicatesByFile:
        import pandas as pd
        import ray
        from ray.data.expressions import col

        refs: dict[int, Any] = {}
        pending: list[Any] = []
        current = None

        def flush() -> None:
            if pending:
                refs[current] = ray.put(pd.concat(pending).set_index("pos"))
                pending.clear()

        duplicates = chosen.filter(expr=col("kind") != CANONICAL).select_columns(["pos", "canonical_id", "kind", "similarity"])
        for batch in duplicates.sort("pos").iter_batches(batch_format="pandas", batch_size=65_536):
            files = file_of(batch["pos"].to_numpy())
            for file in np.unique(files):
                if file != current:
                    flush()
                    current = int(file)
                pending.append(batch[files == file])
        flush()
        return cls(refs)

    def __call__(self, file: int) -> Any:
        import pandas as pd
        import ray

        if file in self.refs:
            return ray.get(self.refs[file])
        return pd.DataFrame({"canonical_id": [], "kind": [], "similarity": []}, index=pd.Index([], name="pos", dtype=np.int64))


def _summary(
    written: Any, clusters: int, errors: list[str], read_warnings: Sequence[str], out: Path, options: RunOptions,
    started: float,
) -> RunSummary:
    totals = {column: int(written[column].sum()) for column in COUNTS}
    warnings = (*read_warnings, *written_warnings(written))
    return RunSummary(
        **totals, clusters=clusters, duplicates_of_index=0, indexed=0, errors=tuple(errors), warnings=warnings,
        elapsed=time.monotonic() - started, output=str(out), report=str(out / "report.json"),
        parameters={**options.parameters(), "engine": "ray"},
    )


def _cluster_records(clusters: Any) -> Iterator[str]:
    for batch in clusters.iter_batches(batch_format="pandas", batch_size=65_536):
        yield from batch["cluster"].tolist()


def _html(report: Path, summary: RunSummary, options: RunOptions) -> RunSummary:
    """report.html beside report.json, by the local engine's rule; a failure is a warning."""
    if not options.writes_html(summary.documents):
        return summary
    try:
        write_html_report(report)
    except (DedupError, OSError) as exc:
        return replace(summary, warnings=(*summary.warnings, f"report.html not written ({exc})"))
    return summary
