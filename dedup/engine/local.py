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

from dedup.corpus import CorpusResult, boilerplate_votes, decide_boilerplate, deduplicate, outcome
from dedup.decide.boilerplate import Boilerplate, BoilerplateRule, Votes
from dedup.decide.clusters import Cluster, Duplicate
from dedup.engine.process import LineOptions, Processed, Spooled, cut_spooled, process_batch, resketch_batch
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
from dedup.index.containment import indexed_documents
from dedup.index.store import BatchRecord, IndexStore, batch_digest
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
    rule = options.corpus.boilerplate_rule if options.corpus else None
    lines = LineOptions(rule, options.site_key) if rule is not None else None
    processed, sketches = process_batch(docs, options.clean, minhash, lines)
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
    # for cross-document boilerplate: each document's countable line keys and site, and how its payload reads back
    line_keys: list[np.ndarray] = field(default_factory=list)
    sites: list[int] = field(default_factory=list)
    forms: list[tuple[bool, bool]] = field(default_factory=list)  # (bom, is_record)
    boilerplate_cuts: dict[int, int] = field(default_factory=dict)  # position -> boilerplate lines cut from it

    def add(self, doc: Processed) -> None:
        self.ids.append(doc.id)
        self.chars.append(doc.chars)
        self.cleaned_chars.append(doc.cleaned_chars)
        self.removals.append(doc.removals)
        self.line_keys.append(doc.line_keys)
        self.sites.append(doc.site)
        self.forms.append((doc.bom, doc.is_record))

    def spooled(self, position: int, payload: bytes, record: bytes, text_key: str) -> Spooled:
        bom, is_record = self.forms[position]
        return Spooled(position, payload, record, self.sites[position], bom, is_record, text_key)

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


def find_boilerplate(
    ledger: Ledger, clusters: list[Cluster], duplicate_of: dict[int, Duplicate | IndexedMatch],
    rule: BoilerplateRule | None, index: IndexStore | None, before: int | None = None,
) -> tuple[Boilerplate, Votes]:
    """The batch's boilerplate given its first clusters and the votes of earlier batches, and its own votes."""
    if rule is None or not ledger.line_keys:
        return Boilerplate.none(), Votes.none()
    votes = boilerplate_votes(ledger.line_keys, ledger.sites, CorpusResult(tuple(clusters), duplicate_of))
    earlier = index.votes(np.unique(np.concatenate(ledger.line_keys)), before) if index is not None else None
    return decide_boilerplate(ledger.line_keys, ledger.ids, votes, rule, earlier), votes


def add_to_index(
    index: IndexStore, ledger: Ledger, duplicate_of: dict[int, Duplicate | IndexedMatch], corpus: CorpusOptions,
    batch: str, record: BatchRecord | None = None, votes: Votes | None = None,
) -> int:
    """Store the kept documents of the batch, its boilerplate votes and its record (even with no documents);
    returns how many documents."""
    params = IndexParams.from_options(corpus)
    if not ledger.sketches:
        index.add([], np.empty((0, params.bands), dtype=np.int64), params.as_dict(), record, votes)
        return 0
    sketches = ledger.joined_sketches()
    kept = [p for p in range(len(ledger.ids)) if p not in duplicate_of]
    documents = indexed_documents(ledger.ids, ledger.cleaned_chars, sketches, kept, batch, corpus)
    index.add(documents, band_keys(sketches.signatures[kept], params), params.as_dict(), record, votes)
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
            before = plan.before if plan else None
            clusters, duplicate_of = find_duplicates(ledger, options.corpus, index, before)
            rule = options.corpus.boilerplate_rule if options.corpus else None
            boilerplate, votes = find_boilerplate(ledger, clusters, duplicate_of, rule, index, before)
            if boilerplate and rule is not None:
                _resketch(spool, ledger, boilerplate, rule, options, jobs if _parallel(sources) else 1)
                clusters, duplicate_of = find_duplicates(ledger, options.corpus, index, before)
            adds = index is not None and plan is not None and plan.rerun_of is None
            kept = len(ledger.ids) - len(duplicate_of) if adds else 0
            summary = _summary(ledger, duplicate_of, clusters, errors, warnings, started, out_name, report_path,
                               options, kept)

            writer.open()
            cutting = None if rule is None or options.corpus is None or options.corpus.keep_boilerplate else (boilerplate, rule)
            records = _write_documents(spool, ledger, duplicate_of, writer, cutting, options.text_key)
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
                add_to_index(index, ledger, duplicate_of, corpus, batch, record, votes)

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
    spool: Spool, ledger: Ledger, duplicate_of: dict[int, Duplicate | IndexedMatch], writer: FolderWriter | JsonlWriter,
    cutting: tuple[Boilerplate, BoilerplateRule] | None = None, text_key: str = "text",
) -> Iterator[dict[str, Any]]:
    """Write each document's output (if kept) and yield its full report record, its boilerplate cut if ``cutting``."""
    for position, (payload, record_bytes) in enumerate(spool.read_back(2)):
        if cutting is not None and position in ledger.boilerplate_cuts:
            doc = ledger.spooled(position, payload, record_bytes, text_key)
            payload, base, _ = cut_spooled(doc, ledger.ids[position], *cutting)
        else:
            base = json.loads(record_bytes)
        outcome = _outcome(position, ledger, duplicate_of)
        record = document_record(base, outcome, ledger.cleaned_chars[position])
        record["output"] = writer.write(ledger.ids[position], payload, outcome.status, dedup_field(record))
        yield record


def _resketch(
    spool: Spool, ledger: Ledger, boilerplate: Boilerplate, rule: BoilerplateRule, options: RunOptions, jobs: int,
) -> None:
    """Sketch again, without their boilerplate, the documents that have some; unless it is kept, their cleaned
    lengths and cut counts follow (the most complete copy is judged on what is written; a document with cuts
    is "cleaned")."""
    assert options.corpus is not None
    affected = boilerplate.holders(ledger.line_keys, ledger.sites)
    if not affected:
        return
    docs = (ledger.spooled(p, payload, record, options.text_key)
            for p, (payload, record) in enumerate(spool.read_back(2)) if p in affected)
    chunks = _chunks(docs, _BATCH_DOCS)
    positions: list[int] = []
    parts: list[Sketches] = []
    for found, lengths, counts, sketches in ordered_map(resketch_batch, chunks, jobs, boilerplate, rule, options.corpus.minhash):
        for p, length, count in zip(found, lengths, counts):
            if count and not options.corpus.keep_boilerplate:
                ledger.boilerplate_cuts[p] = count
                ledger.removals[p] += count
                ledger.cleaned_chars[p] = length
        positions += found
        parts.append(sketches)
    ledger.sketches = [ledger.joined_sketches().replaced(positions, Sketches.join(parts))]


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


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
