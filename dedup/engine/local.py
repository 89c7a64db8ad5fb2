"""Run ``dedup clean`` on this machine, on all cores, in bounded memory.

Pass 1 reads documents in input order, cleans and sketches them in worker processes
(batches, a bounded number in flight) and spools what would be written to a temporary
file. Then duplicate documents are clustered from the sketches alone. Pass 2 writes the
kept documents and streams report.json under staging names, and the outputs, the report
and the index batch are published as one step (:mod:`dedup.write.commit`): a run that
fails or is killed anywhere changes none of them, and the next run on the same output
first finishes or undoes what an interrupted one left.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from dedup.corpus import CorpusResult, deduplicate, outcome
from dedup.decide.clusters import Cluster, Duplicate
from dedup.engine.process import Processed, process_batch
from dedup.engine.session import batch_name as run_batch_name
from dedup.engine.session import (
    plan_batch,
    publish_run,
    run_log,
    run_name,
    run_session,
    staged_report_path,
    write_html,
)
from dedup.engine.workers import ordered_map, usable_jobs
from dedup.errors import InputError
from dedup.index.bands import IndexParams
from dedup.index.matching import IndexedMatch, match_index
from dedup.index.store import BatchRecord, IndexedDocument, IndexStore, batch_digest
from dedup.match.documents import CorpusOptions
from dedup.match.lsh import band_keys
from dedup.model import CleanOptions
from dedup.options import HTML_AUTO_LIMIT, RunOptions, check_options
from dedup.outcome import RunSummary
from dedup.read.document import Document
from dedup.read.records import PARQUET_SUFFIXES
from dedup.read.sources import Sources, open_sources
from dedup.signatures.minhash import Sketches
from dedup.write.locations import check_out_dir, check_out_file, default_out_dir
from dedup.write.outputs import REPORT_NAME, FolderWriter, JsonlWriter, ParquetWriter
from dedup.write.records import (
    Outcome,
    cluster_record,
    dedup_field,
    document_counts,
    document_record,
    run_summary,
)
from dedup.write.report_json import write_report
from dedup.write.spool import Spool

__all__ = ["HTML_AUTO_LIMIT", "RunOptions", "clean_paths"]
_BATCH_DOCS = 64
_BATCH_CHARS = 2_000_000


def batches(items: Iterable[Document | InputError]) -> Iterator[list[Document | InputError]]:
    """Runs of documents of about ``_BATCH_DOCS`` documents or ``_BATCH_CHARS`` characters."""
    batch: list[Document | InputError] = []
    chars = 0
    for item in items:
        batch.append(item)
        chars += len(item.text) if isinstance(item, Document) else 0
        if len(batch) >= _BATCH_DOCS or chars >= _BATCH_CHARS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def _work(batch: list[Document | InputError], options: RunOptions) -> tuple[list[Processed | InputError], Sketches | None]:
    docs = [d for d in batch if isinstance(d, Document)]
    minhash = options.corpus.minhash if options.corpus else None
    processed, sketches = process_batch(docs, options.clean, minhash)
    results: list[Processed | InputError] = []
    done = iter(processed)
    for item in batch:
        results.append(next(done) if isinstance(item, Document) else item)
    return results, sketches


@dataclass
class Ledger:
    """What the main process keeps of each document between the passes: a few numbers and its sketch."""

    ids: list[str] = field(default_factory=list)
    chars: list[int] = field(default_factory=list)
    cleaned_chars: list[int] = field(default_factory=list)
    removals: list[int] = field(default_factory=list)
    sketches: list[Sketches] = field(default_factory=list)

    def add(self, doc: Processed) -> None:
        self.ids.append(doc.id)
        self.chars.append(doc.chars)
        self.cleaned_chars.append(doc.cleaned_chars)
        self.removals.append(doc.removals)

    def joined_sketches(self) -> Sketches:
        return Sketches.join(self.sketches)


def find_duplicates(
    ledger: Ledger, corpus: CorpusOptions | None, index: IndexStore | None, before: int | None = None
) -> tuple[list[Cluster], dict[int, Duplicate | IndexedMatch]]:
    """Clusters within the batch, and every duplicate (of this batch or of the index, below ``before``)."""
    if corpus is None or not ledger.sketches:
        return [], {}
    sketches = ledger.joined_sketches()
    indexed = match_index(index, IndexParams.from_options(corpus), sketches, corpus, before) if index else {}
    result = deduplicate(sketches, ledger.cleaned_chars, corpus, indexed)
    return list(result.clusters), dict(result.duplicate_of)


def add_to_index(
    index: IndexStore, ledger: Ledger, duplicate_of: dict[int, Duplicate | IndexedMatch], corpus: CorpusOptions,
    batch: str, record: BatchRecord | None = None,
) -> int:
    """Store the kept documents of the batch and its record (even with no documents); returns how many."""
    params = IndexParams.from_options(corpus)
    if not ledger.sketches:
        index.add([], np.empty((0, params.bands), dtype=np.int64), params.as_dict(), record)
        return 0
    sketches = ledger.joined_sketches()
    kept = [p for p in range(len(ledger.ids)) if p not in duplicate_of]
    documents = [
        IndexedDocument(
            ledger.ids[p], batch, ledger.cleaned_chars[p], int(sketches.sizes[p]),
            int(sketches.exact_keys[p:p + 1].view("int64")[0]), sketches.signatures[p],
        )
        for p in kept
    ]
    index.add(documents, band_keys(sketches.signatures[kept], params), params.as_dict(), record)
    return len(documents)


def clean_paths(
    paths: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str] | None = None,
    options: RunOptions | CleanOptions | None = None,
    on_error: Callable[[str], None] | None = None,
    **overrides: Any,
) -> RunSummary:
    """Clean and deduplicate the documents under ``paths`` into ``out``; bad inputs are reported and skipped.

    Outputs, report.json, report.html and the index batch are published together at the end:
    a run that fails or is killed changes none of them (see the module docstring).
    """
    started = time.monotonic()
    if isinstance(options, CleanOptions):
        options = RunOptions(clean=options)
    options = check_options(replace(options or RunOptions(), **overrides))
    tell = on_error or (lambda line: None)
    run = run_name()
    sources = open_sources(paths, options.fmt)
    writer, out_name, report_path = _open_outputs(paths, out, sources, options, run)
    errors, warnings, note = run_log(sources.discovery, tell)
    with run_session(writer, options, note, tell) as index:
        return _run(options, sources, writer, out_name, report_path, errors, warnings, note, tell, run, started, index)


def _run(
    options: RunOptions, sources: Sources, writer: FolderWriter | JsonlWriter,
    out_name: str, report_path: str | None, errors: list[str], warnings: list[str], note: Callable[[str], None],
    tell: Callable[[str], None], run: str, started: float, index: IndexStore | None,
) -> RunSummary:
    """The run itself, inside the output lock and the index lock: pass 1, match, pass 2, publish."""
    jobs = usable_jobs(options.jobs, sources.total)
    batch_name = run_batch_name(options)
    ledger = Ledger()
    content_keys: list[bytes] = []
    staged_report = staged_report_path(writer, report_path)
    try:
        with Spool() as spool:
            progress = tqdm(total=sources.total, unit="doc", disable=_progress_off(options, sources), leave=False)
            documents = unique_ids(
                sources.documents(options.text_key, options.id_key, options.max_bytes, max_record_bytes=options.max_record_bytes),
                note,
            )
            for results, sketches in ordered_map(_work, batches(documents), jobs if _parallel(sources) else 1, options):
                for item in results:
                    progress.update(1)
                    if isinstance(item, InputError):
                        errors.append(str(item))
                        tell(str(item))
                        continue
                    ledger.add(item)
                    content_keys.append(item.content_key)
                    spool.append(item.payload, item.record)
                    for line in item.warnings:
                        note(line)
                if sketches is not None:
                    ledger.sketches.append(sketches)
            progress.close()

            plan = None
            if index is not None:
                plan = plan_batch(index, batch_name, batch_digest(ledger.ids, content_keys), options.batch is not None)
                if plan.rerun_of is not None:
                    note(f"{index.location}: batch {plan.name!r} is already in the index with these documents (a "
                         "re-run): matched against the batches before it, as the first time; the index is unchanged")
            clusters, duplicate_of = find_duplicates(ledger, options.corpus, index, plan.before if plan else None)
            adds = index is not None and plan is not None and plan.rerun_of is None
            kept = len(ledger.ids) - len(duplicate_of) if adds else 0
            summary = _summary(ledger, duplicate_of, clusters, errors, warnings, started, out_name, report_path,
                               options, kept)

            writer.open()
            records = _write_documents(spool, ledger, duplicate_of, writer)
            if staged_report is not None:
                write_report(staged_report, summary, records, (cluster_record_of(c, ledger) for c in clusters))
            else:
                for _ in records:
                    pass
            writer.close()
        staged_html = write_html(staged_report, options, summary, note)

        commit_index = None
        if adds and index is not None and plan is not None and options.corpus is not None:
            corpus, batch, record = options.corpus, plan.name, BatchRecord(plan.name, plan.digest, run, 0, kept, 0.0)

            def commit_index() -> None:
                add_to_index(index, ledger, duplicate_of, corpus, batch, record)

        publish_run(writer, report_path, staged_report, staged_html, index, plan, adds, commit_index)
    except BaseException:
        writer.discard(staged_report)
        raise
    return replace(summary, elapsed=time.monotonic() - started, warnings=tuple(warnings))


def unique_ids(documents: Iterable[Document | InputError], note: Callable[[str], None]) -> Iterator[Document | InputError]:
    """Documents with ids made unique (``id#2``, ``id#3`` …, with a warning): the report, the review page and
    the index must be able to tell every document apart."""
    seen: set[str] = set()
    for doc in documents:
        if isinstance(doc, Document):
            if doc.id in seen:
                number = 2
                while f"{doc.id}#{number}" in seen:
                    number += 1
                new_id = f"{doc.id}#{number}"
                note(f"{doc.source}: id {doc.id!r} is taken by an earlier document; this one is {new_id!r}")
                doc = replace(doc, id=new_id)
            seen.add(doc.id)
        yield doc


def _parallel(sources: Sources) -> bool:
    return sources.total is None or sources.total >= 8


def _progress_off(options: RunOptions, sources: Sources) -> bool | None:
    if options.show_progress is False:
        return True
    return None if sources.total is None or sources.total >= 8 else True


def _open_outputs(
    paths: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str] | None, sources: Sources, options: RunOptions,
    run: str,
) -> tuple[FolderWriter | JsonlWriter, str, str | None]:
    """The writer, the output's name and the report's path, all checked before anything is read."""
    files = sources.discovery.files
    if sources.records:
        target = str(out) if out is not None else ("-" if any(str(p) == "-" for p in paths) else str(default_out_dir(paths)) + ".jsonl")
        check_out_file(target, files)
        report = options.report or (None if target == "-" else f"{target}.report.json")
        if report is not None:
            check_out_file(report, files, "report")
        parquet = target.lower().endswith(PARQUET_SUFFIXES)
        records: JsonlWriter = (ParquetWriter if parquet else JsonlWriter)(target, run, options.write_duplicates)
        return records, target, report
    folder = Path(out) if out is not None else default_out_dir(paths)
    new = not folder.exists()
    check_out_dir(folder, paths, files)
    if options.report is not None:
        check_out_file(options.report, files, "report")
    writer = FolderWriter(folder, run, options.write_duplicates, new=new)
    return writer, str(folder), options.report or str(folder / REPORT_NAME)


def _outcome(position: int, ledger: Ledger, duplicate_of: dict[int, Duplicate | IndexedMatch]) -> Outcome:
    return outcome(position, ledger.ids, ledger.removals, CorpusResult((), duplicate_of))


def _write_documents(
    spool: Spool, ledger: Ledger, duplicate_of: dict[int, Duplicate | IndexedMatch], writer: FolderWriter | JsonlWriter
) -> Iterator[dict[str, Any]]:
    """Write each document's output (if kept) and yield its full report record."""
    for position, (payload, record_bytes) in enumerate(spool.read_back(2)):
        outcome = _outcome(position, ledger, duplicate_of)
        record = document_record(json.loads(record_bytes), outcome, ledger.cleaned_chars[position])
        record["output"] = writer.write(ledger.ids[position], payload, outcome.status, dedup_field(record))
        yield record


def cluster_record_of(cluster: Cluster, ledger: Ledger) -> dict[str, Any]:
    duplicates = sorted(cluster.duplicates, key=lambda d: d.position)
    return cluster_record(ledger.ids[cluster.canonical], ((ledger.ids[d.position], d.kind.value, d.similarity) for d in duplicates))


def _summary(
    ledger: Ledger, duplicate_of: dict[int, Duplicate | IndexedMatch], clusters: list[Cluster], errors: list[str],
    warnings: list[str], started: float, out_name: str, report_path: str | None, options: RunOptions,
    indexed: int = 0,
) -> RunSummary:
    statuses = [_outcome(p, ledger, duplicate_of).status for p in range(len(ledger.ids))]
    return run_summary(
        document_counts(statuses, ledger.chars, ledger.cleaned_chars, ledger.removals), clusters=len(clusters),
        errors=errors, warnings=warnings, started=started, output=out_name, report=report_path,
        parameters=options.parameters(), indexed=indexed,
        duplicates_of_index=sum(isinstance(d, IndexedMatch) for d in duplicate_of.values()),
    )
