"""Run ``dedup clean`` on a Ray cluster (Ray Data), with the single-machine path's results.

Ray Data only moves data; every step calls a function of :mod:`dedup.engine.distributed`
on a partition, and those call the single-machine code:

1. read: one task per input file (or per group of text files), through the same readers
   (same ids, same errors); clean and sketch with ``process_batch`` in blocks of 64;
   materialised once (in the object store, spilled to disk when large), never shuffled;
2. the corpus stage. Up to ``max_driver_documents`` documents the sketches (0.6 KiB per
   document) come to the driver, which runs the local engine's corpus stage as it is
   (``find_duplicates``: LSH, verification, clusters, the index, the canonical choice): a
   small run pays for no shuffle. Beyond that it is distributed:

   - LSH: (band, key, position) rows, 24 bytes each, grouped by a coarse bucket of the key;
     each bucket yields its candidate pairs (exact-key groups as stars), pairs made
     distinct, then the two signatures and samples joined onto each pair and verified
     with ``relate``; documents inside longer ones from their anchors, as sample rows
     (:mod:`dedup.engine.distributed.anchors`);
   - connected components from the edges alone: scipy on the driver while the edge list
     is small, else large-star/small-star rounds, each a group-by on a bucket of nodes;
   - the index (``--index``): the driver asks it a chunk of documents at a time with the
     local ``match_index`` (it holds the index and its lock anyway; workers never reach
     it, so a SQLite file need not be on shared storage, and no SQLite file is opened from
     many hosts, which WAL mode does not allow); each match becomes a row;
   - canonical choice per component with the local rules, the index matches joined onto
     the members (``with_indexed``: a cluster with an indexed member is dropped whole);
   - boilerplate: (line, unit, site) rows grouped by a bucket of the line, each bucket's
     votes counted by the local function (:mod:`dedup.engine.distributed.votes`); the
     driver decides with the index's earlier votes, the documents with boilerplate are
     sketched again without it, and the steps above run again on those sketches;
3. every block stages its outputs in ``OUT/.dedup/staging-<run>/``: parts named by their
   first position for record inputs, the local engine's ``OUT/<id>`` files for text
   inputs, and its report records; report.json is streamed from those; then outputs,
   report, report.html and the index batch (the kept documents, in input order, as one
   batch: the commit point) are published together by :mod:`dedup.write.commit`, under
   the output lock and the index lock, exactly as the local engine does.

The driver holds the list of inputs, the run's totals, one input's duplicates at a time
and, with an index, the batch to add (as the local engine does); on the distributed path
never the documents. A batch the index already holds is a re-run, as on one machine.
"""
from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from dedup.corpus import CorpusResult, flagged_lines, outcome
from dedup.decide.boilerplate import Boilerplate, BoilerplateRule, Votes
from dedup.decide.clusters import components
from dedup.engine.distributed.anchors import anchor_rows, anchored_pairs, followed_samples, held_pairs, sample_rows
from dedup.engine.distributed.buckets import add_bucket, bucket_count
from dedup.engine.distributed.candidates import (
    bucket_candidates,
    bucket_distinct_candidates,
    verify_candidates,
)
from dedup.engine.distributed.canonical import (
    DUPLICATE_SCHEMA,
    canonical_rows,
    cluster_rows,
    duplicate_rows,
    empty_duplicates,
    hit_duplicates,
)
from dedup.engine.distributed.indexed import hit_rows
from dedup.engine.distributed.parts import (
    OUT_FORMATS,
    TEXT_FILES,
    WRITTEN_COLUMNS,
    kept_lines,
    kept_rows,
    report_records,
    write_block,
    written_files,
    written_warnings,
)
from dedup.engine.distributed.rows import (
    NO_ERROR,
    PROCESSED_SCHEMA,
    RESKETCH_SCHEMA,
    file_of,
    key_rows,
    line_keys_of,
    live_signatures,
    process_rows,
    read_file_rows,
    resketch_rows,
    sketches_of,
    text_bytes,
    text_groups,
    text_of,
    with_resketched,
)
from dedup.engine.distributed.stars import (
    both_ways,
    distinct_edges,
    edge_digest,
    large_star,
    small_star,
    star_labels,
)
from dedup.engine.distributed.votes import (
    alone,
    bucket_votes,
    first_holders_of,
    holder_rows,
    line_rows,
    unit_sites,
    votes_and_lines,
)
from dedup.engine.local import Ledger, add_to_index, cluster_record_of, find_boilerplate, find_duplicates
from dedup.engine.process import LineOptions
from dedup.engine.session import (
    BatchPlan,
    batch_name,
    plan_batch,
    publish_run,
    run_log,
    run_name,
    run_session,
    staged_report_path,
    write_html,
)
from dedup.errors import OutputError, UsageError
from dedup.extras import require_ray
from dedup.index.bands import IndexParams
from dedup.index.matching import match_index
from dedup.index.store import BatchRecord, IndexStore, batch_digest
from dedup.match.containment import ContainmentRule
from dedup.match.documents import CorpusOptions, DocumentMatch
from dedup.model import RemovalKind
from dedup.options import RunOptions, check_options
from dedup.outcome import RunSummary
from dedup.read.records import PARQUET_SUFFIXES
from dedup.read.sources import Sources, open_sources
from dedup.write.locations import check_out_dir, check_out_file, default_out_dir, real
from dedup.write.outputs import DUPLICATES_FOLDER, REPORT_NAME, FolderWriter
from dedup.write.records import COUNTS, run_summary
from dedup.write.report_json import write_report

PROCESS_ROWS = 64  # documents cleaned and sketched per call
TEXT_FILES_PER_READ = 256  # text files read by one task
# Up to this many documents the corpus stage runs on the driver with the local code: their sketches take
# ~0.6 KiB each there (120 MB) and the local stage a few seconds, less than the shuffles' scheduling alone.
DRIVER_DOCUMENTS = 200_000
MATCH_ROWS = 4096  # documents per index query from the driver
MEMBERS_PER_BUCKET = 100_000  # cluster members (with their 512-byte signatures) per canonical-choice call
PART_ROWS = 4096  # documents per part file (at most; a part never spans a gap in the input order)

__all__ = ["RayRun", "clean_with_ray", "kept_lines", "star_components"]


@dataclass(frozen=True)
class RayRun:
    summary: RunSummary
    parts: tuple[str, ...]  # the part files of kept records (none for text inputs, written as OUT/<id>)


class WorkerStagedFolder(FolderWriter):
    """The output folder of a Ray run: the workers stage its files, the driver publishes them.

    Its publication is the local one (:meth:`FolderWriter.publication`: what is staged, the
    manifest, the files of the last run that this one does not write again) with the files
    the workers staged, plus two kinds of stale files no manifest lists: the text output of
    a document that is now a duplicate, and parts (``part-*`` in OUT or OUT/_duplicates) of a
    run made before manifests, which would otherwise be read as part of this run's output.
    """

    def __init__(self, out_dir: Path, run: str, write_duplicates: bool = False, new: bool = False) -> None:
        super().__init__(out_dir, run, write_duplicates, new)
        self.staged_files: list[str] = []
        self.dropped: list[str] = []

    def publication(self, extra: list[str]) -> Any:
        publication = super().publication([*self.staged_files, *extra])
        fresh = {*self.staged_files, *extra}
        parts = [p.relative_to(self.out_dir).as_posix() for folder in (self.out_dir, self.out_dir / DUPLICATES_FOLDER)
                 for p in folder.glob("part-*.*") if p.suffix in (".jsonl", ".parquet")]
        stale = [str(self.out_dir / n) for n in (*self.dropped, *parts) if n not in fresh]
        return replace(publication, removals=tuple(dict.fromkeys((*publication.removals, *stale))))


@dataclass(frozen=True)
class Decision:
    """What the corpus stage decided, as the writers and the driver need it."""

    duplicates: DuplicatesByFile
    clusters: int
    cluster_records: Callable[[], Iterable[dict[str, Any] | str]]
    plan: BatchPlan | None
    index_batch: Callable[[], tuple[Ledger, dict[int, Any]]]  # documents and duplicates, for ``add_to_index``
    cutting: tuple[Boilerplate, BoilerplateRule] | None = None  # the boilerplate the writers cut
    votes: Votes | None = None  # the batch's boilerplate votes, for the index


def clean_with_ray(
    paths: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str] | None = None,
    options: RunOptions | None = None, address: str | None = None, max_local_edges: int = 2_000_000,
    out_format: str = "auto", max_driver_documents: int = DRIVER_DOCUMENTS,
    on_error: Callable[[str], None] | None = None,
) -> RayRun:
    """``dedup clean --engine ray``: the local engine's run on a Ray cluster (joined at ``address``, or the
    session already started, or a local one).

    Text folders give ``OUT/<id>`` files as on one machine; JSONL/Parquet inputs give part files
    (``out_format`` jsonl or parquet; auto: Parquet when every input is). ``on_error`` is told
    every error and warning line as it comes. Outputs, report and index batch are published
    together (see the module docstring); a run that fails changes none of them.
    """
    started = time.monotonic()
    options = check_options(options or RunOptions())
    if options.corpus is None:
        raise UsageError("--engine ray deduplicates a corpus: drop --within-only")
    tell = on_error or (lambda line: None)
    run = run_name()
    sources = _sources(paths, options)
    if not sources.records and out_format not in ("auto", TEXT_FILES):
        raise UsageError("--out-format is for the parts of JSONL/Parquet inputs; text inputs are written as files")
    part_format = TEXT_FILES if not sources.records else _out_format(sources, out_format)
    writer, report_path = _open_folder(paths, out_dir, sources, options, run)
    errors, warnings, note = run_log(sources.discovery, tell)
    with run_session(writer, options, note, tell) as index:
        summary, parts = _run(sources, options, writer, report_path, index, batch_name(options), part_format, errors,
                              warnings, note, tell, address, max_local_edges, max_driver_documents, started)
    return RayRun(replace(summary, elapsed=time.monotonic() - started, warnings=tuple(warnings)), parts)


def _run(
    sources: Sources, options: RunOptions, writer: WorkerStagedFolder, report_path: str, index: IndexStore | None,
    batch_name: str, part_format: str, errors: list[str], warnings: list[str], note: Callable[[str], None],
    tell: Callable[[str], None], address: str | None, max_local_edges: int, max_driver_documents: int, started: float,
) -> tuple[RunSummary, tuple[str, ...]]:
    """Inside the locks: process, decide, stage, publish."""
    assert options.corpus is not None
    corpus = options.corpus
    params = IndexParams.from_options(corpus)
    staged_report = staged_report_path(writer, report_path)
    assert staged_report is not None
    _start_ray(address)
    partitions = _configure(options)
    try:
        writer.open()
        processed = _processed(sources, options)
        rerun: list[str] = []

        def plan_of(digest: Callable[[], str]) -> BatchPlan | None:
            if index is None:
                return None
            plan = plan_batch(index, batch_name, digest(), options.batch is not None)
            if plan.rerun_of is not None:
                rerun.append(f"{index.location}: batch {plan.name!r} is already in the index with these documents (a "
                             "re-run): matched against the batches before it, as the first time; the index is unchanged")
            return plan

        if processed.count() <= max_driver_documents:
            table, decision = _decide_on_driver(processed, corpus, params, index, plan_of, options.text_key)
            read_errors = table["error"][table["error"] != NO_ERROR]
        else:
            read_errors = _frame(processed.select_columns(["pos", "error"]).map_batches(_error_rows, batch_format="pandas"),
                                 ["pos", "error"]).sort_values("pos")["error"]
            decision = _decide_distributed(processed, corpus, params, partitions, index, plan_of, max_local_edges,
                                           options.text_key)
        for line in map(text_of, read_errors):
            errors.append(line)
            tell(line)

        written = _frame(processed.map_batches(
            write_block, batch_format="pandas", batch_size=PART_ROWS,
            fn_kwargs={"duplicates_of_file": decision.duplicates, "out_dir": str(writer.out_dir), "run": writer.run,
                       "write_duplicates": options.write_duplicates, "out_format": part_format,
                       "cutting": decision.cutting, "text_key": options.text_key},
        ), list(WRITTEN_COLUMNS))
        writer.staged_files, writer.dropped = written_files(written)
        for line in [*written_warnings(written), *rerun]:
            note(line)

        plan = decision.plan
        adds = index is not None and plan is not None and plan.rerun_of is None
        counts = {column: int(written[column].sum()) for column in COUNTS}
        kept = counts["unique"] + counts["cleaned"] if adds else 0
        summary = run_summary(
            counts, clusters=decision.clusters, errors=errors, warnings=warnings, started=started,
            output=writer.path, report=report_path, parameters={**options.parameters(), "engine": "ray"},
            indexed=kept, duplicates_of_index=decision.duplicates.of_index,
        )
        write_report(staged_report, summary, report_records(writer.staging), decision.cluster_records())
        staged_html = write_html(staged_report, options, summary, note)

        commit_index = None
        if adds and index is not None and plan is not None:
            ledger, duplicate_of = decision.index_batch()
            record = BatchRecord(plan.name, plan.digest, writer.run, 0, kept, 0.0)

            def commit_index() -> None:
                add_to_index(index, ledger, duplicate_of, corpus, plan.name, record, decision.votes)

        publish_run(writer, report_path, staged_report, staged_html, index, plan, adds, commit_index)
    except BaseException:
        writer.discard(staged_report)
        raise
    parts = tuple(sorted(p for p in written["part"].tolist() if p))
    return summary, parts


def _sources(paths: Sequence[str | os.PathLike[str]], options: RunOptions) -> Sources:
    sources = open_sources(paths, options.fmt)
    if any(str(f.path) == "-" for f in sources.discovery.files):
        raise UsageError("--engine ray reads files, not standard input")
    return sources


def _out_format(sources: Sources, requested: str) -> str:
    if requested != "auto":
        if requested not in OUT_FORMATS:
            raise UsageError(f"output format {requested!r}: choose one of {', '.join(OUT_FORMATS)}")
        return requested
    files = sources.discovery.files
    return "parquet" if files and all(str(f.path).lower().endswith(PARQUET_SUFFIXES) for f in files) else "jsonl"


def _open_folder(
    paths: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str] | None, sources: Sources, options: RunOptions,
    run: str,
) -> tuple[WorkerStagedFolder, str]:
    """The output folder's writer and the report's path, checked before anything is read (as the local engine
    checks a folder output). Record inputs inside the folder are refused: parts there are the run's own."""
    files = sources.discovery.files
    folder = Path(out) if out is not None else default_out_dir(paths)
    new = not folder.exists()
    check_out_dir(folder, paths, () if sources.records else files)
    if sources.records:
        inside = next((f for f in files if real(folder) in real(f.path).parents), None)
        if inside is not None:
            raise OutputError(f"input {inside.path} is inside the output folder {folder}: choose another --out")
    if options.report is not None:
        check_out_file(options.report, files, "report")
    writer = WorkerStagedFolder(folder, run, options.write_duplicates, new=new)
    return writer, options.report or str(folder / REPORT_NAME)


def _start_ray(address: str | None) -> None:
    """Join the session this process already has, or the cluster at ``address``, or start a local Ray."""
    ray = require_ray()
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)


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


def _processed(sources: Sources, options: RunOptions) -> Any:
    """Every document read, cleaned and sketched (PROCESSED_SCHEMA rows), materialised."""
    import ray

    files = sources.discovery.files
    if sources.records:
        items = [{"file": i, "path": os.fsencode(f.path)} for i, f in enumerate(files)]
    else:
        items = text_groups(files, TEXT_FILES_PER_READ)
    if not items:
        return ray.data.from_arrow(PROCESSED_SCHEMA.empty_table()).materialize()
    assert options.corpus is not None
    return (
        ray.data.from_items(items, override_num_blocks=len(items))
        .flat_map(read_file_rows, fn_kwargs={"text_key": options.text_key, "id_key": options.id_key,
                                             "max_record_bytes": options.max_record_bytes, "max_bytes": options.max_bytes})
        .map_batches(process_rows, batch_format="pandas", batch_size=PROCESS_ROWS,
                     fn_kwargs={"clean": options.clean, "minhash": options.corpus.minhash, "text_key": options.text_key,
                                "lines": _line_options(options)})
        .materialize()
    )


def _line_options(options: RunOptions) -> LineOptions | None:
    rule = options.corpus.boilerplate_rule if options.corpus is not None else None
    return LineOptions(rule, options.site_key) if rule is not None else None


def _frame(dataset: Any, columns: list[str]) -> Any:
    """A small dataset as one pandas frame on the driver, with its columns even when it has no rows."""
    import pandas as pd

    frame = dataset.to_pandas()
    return frame if len(frame) else pd.DataFrame({c: pd.Series([], dtype=frame.dtypes.get(c, "int64")) for c in columns})


def _error_rows(batch: Any) -> Any:
    return batch[batch["error"] != NO_ERROR]


def _decide_on_driver(
    processed: Any, corpus: CorpusOptions, params: IndexParams, index: IndexStore | None,
    plan_of: Callable[[Callable[[], str]], BatchPlan | None], text_key: str = "text",
) -> tuple[Any, Decision]:
    """The local engine's corpus stage on the driver, from every document's sketch; (the rows, the decision)."""
    import pandas as pd

    table = _frame(processed.drop_columns(["payload", "record"]), [n for n in PROCESSED_SCHEMA.names
                                                                    if n not in ("payload", "record")])
    table = table.sort_values("pos", kind="stable")
    documents = table[table["error"] == NO_ERROR]
    ledger = Ledger(
        ids=[text_of(i) for i in documents["id"]], chars=documents["chars"].tolist(),
        cleaned_chars=documents["cleaned_chars"].tolist(), removals=documents["removals"].tolist(),
        sketches=[sketches_of(documents, params)] if len(documents) else [],
        line_keys=[line_keys_of(b) for b in documents["lines"]], sites=documents["site"].tolist(),
    )
    plan = plan_of(lambda: batch_digest(ledger.ids, documents["content_key"].tolist()))
    before = plan.before if plan else None
    clusters, duplicate_of = find_duplicates(ledger, corpus, index, before)
    cutting = None
    rule = corpus.boilerplate_rule
    boilerplate, votes = find_boilerplate(ledger, clusters, duplicate_of, rule, index, before)
    if boilerplate and rule is not None:
        _resketch_rows(processed, ledger, documents["pos"].to_numpy(dtype=np.int64), boilerplate, rule, corpus,
                       params, text_key)
        clusters, duplicate_of = find_duplicates(ledger, corpus, index, before)
        cutting = None if corpus.keep_boilerplate else (boilerplate, rule)
    positions = documents["pos"].to_numpy(dtype=np.int64)
    result = CorpusResult((), duplicate_of)
    rows = []
    for p in sorted(duplicate_of):
        decided = outcome(p, ledger.ids, ledger.removals, result)
        rows.append((int(positions[p]), text_bytes(decided.duplicate_of or ""), text_bytes(decided.duplicate_of_batch or ""),
                     decided.duplicate_kind, decided.similarity))
    frame = pd.DataFrame(rows, columns=DUPLICATE_SCHEMA.names) if rows else empty_duplicates().reset_index()
    decision = Decision(
        DuplicatesByFile.from_batches([frame]), len(clusters), lambda: (cluster_record_of(c, ledger) for c in clusters),
        plan, lambda: (ledger, duplicate_of), cutting, votes,
    )
    return table, decision


def _resketch_rows(
    processed: Any, ledger: Ledger, positions: np.ndarray, boilerplate: Boilerplate, rule: BoilerplateRule,
    corpus: CorpusOptions, params: IndexParams, text_key: str,
) -> None:
    """The local engine's second sketch of the documents with boilerplate (without it), as Ray tasks."""
    redone = _frame(processed.map_batches(
        resketch_rows, batch_format="pandas", batch_size=PROCESS_ROWS,
        fn_kwargs={"boilerplate": boilerplate, "rule": rule, "minhash": corpus.minhash, "text_key": text_key},
    ), list(RESKETCH_SCHEMA.names)).sort_values("pos", kind="stable")
    if not len(redone):
        return
    rows = np.searchsorted(positions, redone["pos"].to_numpy(dtype=np.int64)).tolist()
    for row, length, cuts in zip(rows, redone["cleaned_chars"].tolist(), redone["cuts"].tolist()):
        if cuts and not corpus.keep_boilerplate:
            ledger.boilerplate_cuts[row] = cuts
            ledger.removals[row] += cuts
            ledger.cleaned_chars[row] = length
    ledger.sketches = [ledger.joined_sketches().replaced(rows, sketches_of(redone, params))]


def _decide_distributed(
    processed: Any, corpus: CorpusOptions, params: IndexParams, partitions: int, index: IndexStore | None,
    plan_of: Callable[[Callable[[], str]], BatchPlan | None], max_local_edges: int, text_key: str = "text",
) -> Decision:
    """The corpus stage as Ray Data steps (module docstring, step 2), as the local engine runs it: clusters,
    then boilerplate voted by them, then the clusters again on sketches without the boilerplate."""
    plan = plan_of(lambda: _streamed_digest(processed)) if index is not None else None
    before = plan.before if plan else None
    found = _clusters(processed, corpus, params, partitions, index, before, max_local_edges)
    rule, votes, cutting, sketched = corpus.boilerplate_rule, None, None, processed
    if rule is not None:
        votes, lines = _votes(processed, found, partitions)
        earlier = index.votes(lines, before) if index is not None and len(lines) else None
        boilerplate = _boilerplate(processed, votes, rule, earlier)
        if boilerplate:
            sketched = processed.map_batches(
                with_resketched, batch_format="pandas", batch_size=PROCESS_ROWS,
                fn_kwargs={"boilerplate": boilerplate, "rule": rule, "minhash": corpus.minhash, "text_key": text_key,
                           "keep": corpus.keep_boilerplate},
            ).materialize()
            found = _clusters(sketched, corpus, params, partitions, index, before, max_local_edges)
            cutting = None if corpus.keep_boilerplate else (boilerplate, rule)
    lookup, clusters = found.lookup, found.clusters

    def index_batch() -> tuple[Ledger, dict[int, Any]]:
        frame = _frame(sketched.map_batches(kept_rows, batch_format="pandas", fn_kwargs={"duplicates_of_file": lookup}),
                       ["pos", "id", "chars", "cleaned_chars", "removals", "sig", "size", "exact", "samples"])
        frame = frame.sort_values("pos", kind="stable")
        kept = Ledger([text_of(i) for i in frame["id"]], frame["chars"].tolist(), frame["cleaned_chars"].tolist(),
                      frame["removals"].tolist(), [sketches_of(frame, params)] if len(frame) else [])
        return kept, {}

    return Decision(lookup, clusters.count() if clusters is not None else 0,
                    lambda: _cluster_records(clusters) if clusters is not None else iter(()), plan, index_batch,
                    cutting, votes)


@dataclass(frozen=True)
class _Clusters:
    labels: Any  # (pos, comp) of every document in a cluster of the batch, or None
    lookup: DuplicatesByFile
    clusters: Any  # the cluster rows, or None


def _clusters(
    processed: Any, corpus: CorpusOptions, params: IndexParams, partitions: int, index: IndexStore | None,
    before: int | None, max_local_edges: int,
) -> _Clusters:
    """Duplicate edges, their components, the canonical choice with the index's matches: each document's verdict."""
    hits = _index_hits(processed, index, params, corpus, before) if index is not None else None
    edges = _edges(processed, params, corpus, partitions)
    pairs = edges.count()
    duplicates = clusters = labels = None
    if pairs:
        labels = _driver_components(edges) if pairs <= max_local_edges else star_components(edges, partitions)
        labels = labels.materialize()
        members = labels.join(processed.select_columns(["pos", "id", "cleaned_chars", "sig", "size", "exact", "samples"]),
                              join_type="inner", num_partitions=partitions, on=("pos",))
        if hits is not None:
            members = members.join(hits, join_type="left_outer", num_partitions=partitions, on=("pos",))
        member_buckets = bucket_count(2 * pairs, partitions, MEMBERS_PER_BUCKET)
        chosen = (
            members.map_batches(add_bucket, batch_format="numpy", fn_kwargs={"column": "comp", "buckets": member_buckets})
            .groupby("bucket").map_groups(canonical_rows, batch_format="pandas", fn_kwargs={"options": corpus, "params": params})
            .materialize()
        )
        duplicates = chosen.map_batches(duplicate_rows, batch_format="pyarrow")
        clusters = chosen.map_batches(cluster_rows, batch_format="pyarrow").sort("comp").materialize()
    if hits is not None:
        of_index = hits.map_batches(hit_duplicates, batch_format="pyarrow")
        duplicates = of_index if duplicates is None else duplicates.union(of_index)
    lookup = DuplicatesByFile.publish(duplicates) if duplicates is not None else DuplicatesByFile({}, 0)
    return _Clusters(labels, lookup, clusters)


def _votes(processed: Any, found: _Clusters, partitions: int) -> tuple[Votes, np.ndarray]:
    """The batch's boilerplate votes by its first clusters, and every line key it has (module
    :mod:`dedup.engine.distributed.votes`)."""
    documents = processed.select_columns(["pos", "error", "lines", "site"])
    if found.labels is not None:
        members = found.labels.join(processed.select_columns(["pos", "site"]), join_type="inner",
                                    num_partitions=partitions, on=("pos",))
        sites = (members.map_batches(add_bucket, batch_format="numpy",
                                     fn_kwargs={"column": "comp", "buckets": partitions})
                 .groupby("bucket").map_groups(unit_sites, batch_format="numpy"))
        units = found.labels.join(sites, join_type="inner", num_partitions=partitions, on=("comp",))
        documents = documents.join(units, join_type="left_outer", num_partitions=partitions, on=("pos",))
    else:
        documents = documents.map_batches(alone, batch_format="pyarrow")
    lines = documents.map_batches(line_rows, batch_format="pyarrow",
                                  fn_kwargs={"duplicates_of_file": found.lookup}).materialize()
    occurrences = lines.count()
    if occurrences == 0:
        return Votes.none(), np.empty(0, dtype=np.int64)
    votes = (
        lines.map_batches(add_bucket, batch_format="numpy",
                          fn_kwargs={"column": "key", "buckets": bucket_count(occurrences, partitions)})
        .groupby("bucket").map_groups(bucket_votes, batch_format="numpy")
    )
    return votes_and_lines(_frame(votes, ["key", "site", "units"]))


def _boilerplate(processed: Any, votes: Votes, rule: BoilerplateRule, earlier: Votes | None) -> Boilerplate:
    """The batch's boilerplate given its votes and the earlier batches', with the first two documents of each line."""
    everywhere, on_site, documents = flagged_lines(votes, rule, earlier)
    if not documents:
        return Boilerplate.none()
    flagged = np.fromiter(documents, dtype=np.int64)
    holders = _frame(processed.select_columns(["pos", "error", "id", "lines"]).map_batches(
        holder_rows, batch_format="pandas", fn_kwargs={"flagged": flagged}), ["key", "pos", "id"])
    return Boilerplate(everywhere, on_site, documents, first_holders_of(holders))


def _streamed_digest(processed: Any) -> str:
    """The batch's digest (every document's id and content key, in input order), streamed through the driver."""
    ordered = processed.map_batches(_digest_rows, batch_format="pandas").sort("pos")
    pairs = ((text_of(i), bytes(k)) for batch in ordered.iter_batches(batch_format="pandas", batch_size=65_536)
             for i, k in zip(batch["id"], batch["content_key"]))
    ids, keys = itertools.tee(pairs)
    return batch_digest((i for i, _ in ids), (k for _, k in keys))  # type: ignore[arg-type]  # zip reads both in step


def _digest_rows(batch: Any) -> Any:
    return batch.loc[batch["error"] == NO_ERROR, ["pos", "id", "content_key"]]


def _index_hits(
    processed: Any, index: IndexStore, params: IndexParams, corpus: CorpusOptions, before: int | None
) -> Any | None:
    """The documents that repeat an indexed one (HIT_SCHEMA rows), asked by the driver MATCH_ROWS at a time."""
    import ray

    refs = []
    live = processed.select_columns(["pos", "error", "sig", "size", "exact", "samples"]).map_batches(
        live_signatures, batch_format="numpy")
    for batch in live.iter_batches(batch_format="numpy", batch_size=MATCH_ROWS):
        matches = match_index(index, params, sketches_of(batch, params), corpus, before)
        if matches:
            refs.append(ray.put(hit_rows(batch["pos"], matches)))
    return ray.data.from_arrow_refs(refs) if refs else None


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
    exact = candidates.filter(expr=col("exact") == 1).select_columns(["a", "b"]).materialize()
    near = candidates.filter(expr=col("exact") == 0).select_columns(["a", "b"]).materialize()
    contained = _containment_candidates(processed, exact, corpus.containment_rule, partitions)
    if contained is not None:
        both = contained if near.count() == 0 else near.map_batches(_not_exact, batch_format="numpy").union(contained)
        near = (
            both
            .map_batches(add_bucket, batch_format="numpy", fn_kwargs={"column": ("a", "b"), "buckets": partitions})
            .groupby("bucket").map_groups(bucket_distinct_candidates, batch_format="numpy")
            .select_columns(["a", "b"]).materialize()
        )
    if near.count() == 0:  # no joins on empty blocks (they carry no columns to join on)
        return exact.materialize()
    live = (processed.select_columns(["pos", "error", "sig", "size", "exact", "samples"])
            .map_batches(live_signatures, batch_format="numpy").select_columns(["pos", "sig", "size", "samples"]))
    side_a = live.rename_columns({"pos": "a", "sig": "sig_a", "size": "size_a", "samples": "samples_a"})
    side_b = live.rename_columns({"pos": "b", "sig": "sig_b", "size": "size_b", "samples": "samples_b"})
    verified = (
        near.join(side_a, join_type="inner", num_partitions=partitions, on=("a",))
        .join(side_b, join_type="inner", num_partitions=partitions, on=("b",))
        .map_batches(verify_candidates, batch_format="numpy", fn_kwargs={"options": corpus, "params": params})
    )
    return exact.union(verified).materialize()


def _not_exact(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {"a": batch["a"], "b": batch["b"], "exact": np.zeros(len(batch["a"]), dtype=np.int8)}


def _containment_candidates(processed: Any, exact: Any, rule: ContainmentRule, partitions: int) -> Any | None:
    """Pairs (a < b, ``exact`` 0) where one document may lie inside the other, from their anchors
    (:mod:`dedup.engine.distributed.anchors`), or None if no document has anchors."""
    live = processed.select_columns(["pos", "error", "size", "samples"])
    if exact.count():  # only the first document of an exact key takes part, as on one machine
        # the copies' positions (8 bytes each) go to the tasks: a shuffle join of them with every document failed
        # on an empty, column-less block after a worker was lost (polars: 'unable to find column "pos"')
        copies = np.unique(np.concatenate(
            [batch["b"] for batch in exact.select_columns(["b"]).iter_batches(batch_format="numpy")]
        )).astype(np.int64)
        live = live.map_batches(_without_copies, batch_format="numpy", fn_kwargs={"copies": copies})
    holders = live.map_batches(sample_rows, batch_format="numpy").materialize()
    if holders.count() == 0:
        return None
    buckets = bucket_count(holders.count(), partitions)
    followed = (
        holders.map_batches(add_bucket, batch_format="numpy", fn_kwargs={"column": "value", "buckets": buckets})
        .groupby("bucket").map_groups(followed_samples, batch_format="numpy", fn_kwargs={"rule": rule})
        .materialize()
    )
    if followed.count() == 0:
        return None
    anchors = (
        followed.map_batches(add_bucket, batch_format="numpy", fn_kwargs={"column": "pos", "buckets": partitions})
        .groupby("bucket").map_groups(anchor_rows, batch_format="numpy", fn_kwargs={"rule": rule})
    )
    pairs = (
        holders.select_columns(["value", "pos", "size", "anchors"]).union(anchors)
        .map_batches(add_bucket, batch_format="numpy", fn_kwargs={"column": "value", "buckets": buckets})
        .groupby("bucket").map_groups(anchored_pairs, batch_format="numpy")
        .materialize()
    )
    if pairs.count() == 0:
        return None
    return (
        pairs.map_batches(add_bucket, batch_format="numpy", fn_kwargs={"column": ("inner", "outer"), "buckets": partitions})
        .groupby("bucket").map_groups(held_pairs, batch_format="numpy", fn_kwargs={"rule": rule})
        .materialize()
    )


def _without_copies(batch: dict[str, np.ndarray], copies: np.ndarray) -> dict[str, np.ndarray]:
    """The documents of ``batch`` that are no later copy of an exact key (``copies``: their positions, sorted)."""
    keep = ~np.isin(batch["pos"], copies)
    return {name: column[keep] for name, column in batch.items()}


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
    """Each input's duplicates (position → what it repeats, its batch, kind, similarity) as one object in Ray's
    store.

    Published from the duplicates sorted by position, one input at a time, so the driver holds
    one input's worth; a writing task fetches only the inputs of its block. ``of_index``
    counts the duplicates of documents of earlier batches.
    """

    def __init__(self, refs: dict[int, Any], of_index: int) -> None:
        self.refs = refs
        self.of_index = of_index

    @classmethod
    def publish(cls, duplicates: Any) -> DuplicatesByFile:
        """From a dataset of DUPLICATE_SCHEMA rows."""
        return cls.from_batches(duplicates.sort("pos").iter_batches(batch_format="pandas", batch_size=65_536))

    @classmethod
    def from_batches(cls, batches: Iterable[Any]) -> DuplicatesByFile:
        """From pandas frames of DUPLICATE_SCHEMA rows, in position order."""
        import pandas as pd
        import ray

        refs: dict[int, Any] = {}
        pending: list[Any] = []
        current: Any = None  # the part being gathered
        of_index = 0

        def flush() -> None:
            if pending:
                refs[current] = ray.put(pd.concat(pending).set_index("pos"))
                pending.clear()

        for batch in batches:
            of_index += int((batch["batch"].map(len) > 0).sum())
            files = file_of(batch["pos"].to_numpy())
            for file in np.unique(files):
                if file != current:
                    flush()
                    current = int(file)
                pending.append(batch[files == file])
        flush()
        return cls(refs, of_index)

    def __call__(self, file: int) -> Any:
        import ray

        if file in self.refs:
            return ray.get(self.refs[file])
        return empty_duplicates()


def _cluster_records(clusters: Any) -> Iterator[str]:
    for batch in clusters.iter_batches(batch_format="pandas", batch_size=65_536):
        yield from (bytes(c).decode("utf-8") for c in batch["cluster"])
