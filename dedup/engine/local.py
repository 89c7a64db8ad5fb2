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

import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import xxhash
from tqdm import tqdm

from dedup.decide.clusters import Cluster, Duplicate, build_clusters, with_indexed
from dedup.engine.process import Processed, process_batch
from dedup.engine.workers import ordered_map, usable_jobs
from dedup.errors import DedupError, InputError, OutputError, UsageError
from dedup.index.bands import IndexParams, band_keys
from dedup.index.memory import changed_warning, remember
from dedup.index.open import check_params, open_index
from dedup.index.store import BatchRecord, IndexedDocument, IndexStore
from dedup.locks import LockTimeout, file_lock
from dedup.match.documents import CorpusOptions, exact_matches, near_matches
from dedup.match.indexed import IndexedMatch, match_index
from dedup.model import CleanOptions
from dedup.options import HTML_AUTO_LIMIT, RunOptions, check_options
from dedup.outcome import RunSummary
from dedup.read.document import Document
from dedup.read.records import PARQUET_SUFFIXES
from dedup.read.sources import Sources, open_sources
from dedup.report.html import write_html_report
from dedup.signatures.minhash import Sketches
from dedup.write.commit import TMP_SUFFIX, Publication, RecoveryError, publish, recover
from dedup.write.outputs import HTML_NAME, REPORT_NAME, FolderWriter, JsonlWriter
from dedup.write.locations import check_out_dir, check_out_file, default_out_dir
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
        return Sketches(
            np.concatenate([s.signatures for s in self.sketches]),
            np.concatenate([s.sizes for s in self.sketches]),
            np.concatenate([s.exact_keys for s in self.sketches]),
        )


def find_duplicates(
    ledger: Ledger, corpus: CorpusOptions | None, index: IndexStore | None, before: int | None = None
) -> tuple[list[Cluster], dict[int, Duplicate | IndexedMatch]]:
    """Clusters within the batch, and every duplicate (of this batch or of the index, below ``before``)."""
    if corpus is None or not ledger.sketches:
        return [], {}
    sketches = ledger.joined_sketches()
    keys = sketches.exact_keys.tolist()
    sizes = sketches.sizes.tolist()
    clusters = []
    if len(ledger.ids) > 1:
        matches = exact_matches(keys, sizes) + near_matches(sketches.signatures, sizes, keys, corpus)
        clusters = build_clusters(matches, ledger.cleaned_chars, keys, sketches.signatures, sizes, corpus)
    indexed = match_index(index, IndexParams.from_options(corpus), sketches, corpus, before) if index else {}
    return clusters, with_indexed(clusters, indexed, sketches.signatures, sizes, corpus)


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


def batch_digest(ids: Sequence[str], content_keys: Sequence[bytes]) -> str:
    """The content of a batch: every document's id and original-text key, in input order."""
    digest = xxhash.xxh3_128()
    for doc_id, key in zip(ids, content_keys):
        digest.update(doc_id.encode("utf-8", "surrogatepass") + b"\0" + key)
    return digest.hexdigest()


@dataclass(frozen=True)
class BatchPlan:
    """How this run's batch stands to the index: new, or a re-run of a batch it already holds."""

    name: str
    digest: str
    rerun_of: BatchRecord | None = None

    @property
    def before(self) -> int | None:
        return self.rerun_of.first if self.rerun_of is not None else None


def plan_batch(index: IndexStore, name: str, digest: str, named: bool) -> BatchPlan:
    """A batch the index already holds (by name, or by content under any name) is a re-run: it is matched
    against the index as it was before that batch and not added again. A name given (``named``) that the
    index holds with other content is refused."""
    records = index.batch_records()
    same_name = records.get(name)
    if same_name is not None and same_name.digest == digest:
        return BatchPlan(name, digest, same_name)
    if same_name is not None and named:
        raise UsageError(f"{index.location}: batch {name!r} is already in the index with other documents; "
                         "give this batch another --batch name")
    same_content = next((r for r in records.values() if r.digest == digest), None)
    return BatchPlan(same_content.name if same_content else name, digest, same_content)


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
    run = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]
    sources = open_sources(paths, options.fmt)
    writer, out_name, report_path = _open_outputs(paths, out, sources, options, run)
    errors = [str(e) for e in sources.discovery.errors]
    warnings = list(sources.discovery.warnings)

    def note(line: str) -> None:
        warnings.append(line)
        tell(line)

    for line in errors + warnings:
        tell(line)
    try:
        return _run(options, sources, writer, out_name, report_path, errors, warnings, note, tell, run, started)
    except BaseException:
        writer.forget_if_new()  # a failed first run leaves no output folder behind
        raise


def _run(
    options: RunOptions, sources: Sources, writer: FolderWriter | JsonlWriter,
    out_name: str, report_path: str | None, errors: list[str], warnings: list[str], note: Callable[[str], None],
    tell: Callable[[str], None], run: str, started: float,
) -> RunSummary:
    """The run itself, inside the output lock and the index lock: recover, pass 1, match, pass 2, publish."""
    with _output_lock(writer, tell), _open_index(options) as index, (
        index.lock(on_wait=tell) if index is not None else contextlib.nullcontext()
    ):
        for line in _recover(writer, index):
            note(line)
        if index is not None:
            changed = changed_warning(index.location, index.identity())
            if changed:
                note(changed)
        jobs = usable_jobs(options.jobs, sources.total)
        batch_name = options.batch or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        ledger = Ledger()
        content_keys: list[bytes] = []
        staged_report = _staged_report(writer, report_path)
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
                    write_report(staged_report, summary, records, (_cluster_record(c, ledger) for c in clusters))
                else:
                    for _ in records:
                        pass
                writer.close()
            staged_html = _write_html(staged_report, options, summary, note)

            commit_index = None
            if adds and index is not None and plan is not None and options.corpus is not None:
                corpus, batch, record = options.corpus, plan.name, BatchRecord(plan.name, plan.digest, run, 0, kept, 0.0)

                def commit_index() -> None:
                    add_to_index(index, ledger, duplicate_of, corpus, batch, record)

            publish(writer.journal, _publication(writer, report_path, staged_report, staged_html, index, plan, adds),
                    commit_index)
        except BaseException:
            writer.discard(staged_report)
            raise
        if adds and index is not None and plan is not None:
            remember(index.location, index.identity(), _indexed_documents(index), plan.name)
    return replace(summary, elapsed=time.monotonic() - started, warnings=tuple(warnings))


def recover_output(out: str | os.PathLike[str], on_error: Callable[[str], None] | None = None) -> list[str]:
    """Finish or undo what an interrupted run left at ``out`` (an output folder or file) without a new run.

    Every run does this first on its own output; ``dedup recover`` does it alone. Returns the
    lines saying what was done (none if nothing was pending).
    """
    path = Path(out)
    writer: FolderWriter | JsonlWriter = FolderWriter(path, "recover") if path.is_dir() else JsonlWriter(str(path), "recover")
    with _output_lock(writer, on_error or (lambda line: None)):
        return _recover(writer, None)


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


def _indexed_documents(index: IndexStore) -> int:
    documents = index.stats().get("documents")
    return documents if isinstance(documents, int) else 0


@contextlib.contextmanager
def _output_lock(writer: FolderWriter | JsonlWriter, tell: Callable[[str], None]) -> Iterator[None]:
    """Runs on the same output take turns: one run's recovery must never undo another's publication."""
    if writer.lock is None:
        yield
        return
    try:
        writer.lock.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(str(writer.lock), 3600.0, lambda line: tell(f"{writer.path}: output {line}")):
            yield
    except LockTimeout as exc:
        raise OutputError(f"{writer.path}: the output is in use ({exc})") from None
    except OSError as exc:
        raise OutputError(f"{writer.path}: cannot lock the output ({exc.strerror or exc})") from None


def _recover(writer: FolderWriter | JsonlWriter, index: IndexStore | None) -> list[str]:
    """Finish or undo what an interrupted run left at this output, then remove killed runs' temporary files."""
    if writer.journal is None:
        return []

    def index_has_run(publication: Publication) -> bool:
        if publication.index is None or publication.batch is None:
            return False
        store = index if index is not None and publication.index == index.location else None
        try:
            if store is None:
                with contextlib.closing(open_index(publication.index, create=False)) as other:
                    record = other.batch_records().get(publication.batch)
            else:
                record = store.batch_records().get(publication.batch)
        except DedupError as exc:
            raise OutputError(f"{writer.path}: an interrupted run can be neither finished nor undone: {exc}") from None
        return record is not None and record.run == publication.run

    try:
        done = recover(writer.journal, index_has_run)
    except RecoveryError as exc:
        raise OutputError(str(exc)) from None
    writer.sweep()
    return [f"{writer.path}: {done}"] if done else []


def _staged_report(writer: FolderWriter | JsonlWriter, report_path: str | None) -> Path | None:
    if report_path is None:
        return None
    final = Path(report_path).absolute()
    if isinstance(writer, FolderWriter) and final.parent == writer.out_dir:
        return writer.staged(final.name)
    return final.with_name(f".{final.name}.{writer.run}{TMP_SUFFIX}")


def _staged_html(staged_report: Path) -> Path:
    """report.html is staged beside the staged report (in the staging folder, or as a temporary name)."""
    name = staged_report.name
    if name.endswith(TMP_SUFFIX):
        run = name[: -len(TMP_SUFFIX)].rsplit(".", 1)[1]
        return staged_report.with_name(f".{HTML_NAME}.{run}{TMP_SUFFIX}")
    return staged_report.with_name(HTML_NAME)


def _write_html(
    staged_report: Path | None, options: RunOptions, summary: RunSummary, note: Callable[[str], None]
) -> Path | None:
    """report.html from the staged report; a failure is a warning (the run's results stand without it)."""
    if staged_report is None or not options.writes_html(summary.documents):
        return None
    target = _staged_html(staged_report)
    try:
        write_html_report(staged_report, target)
        return target
    except Exception as exc:  # reading the inputs back may fail in any way a reader can
        target.unlink(missing_ok=True)
        note(f"report.html not written ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})")
        return None


def _publication(
    writer: FolderWriter | JsonlWriter, report_path: str | None, staged_report: Path | None, staged_html: Path | None,
    index: IndexStore | None, plan: BatchPlan | None, adds: bool,
) -> Publication:
    """Everything this run makes visible: outputs, the report and report.html (or the removal of a stale one)."""
    finals: list[tuple[Path, Path]] = []
    if staged_report is not None and report_path is not None:
        final_report = Path(report_path).absolute()
        finals.append((staged_report, final_report))
        finals.append((staged_html or _staged_html(staged_report), final_report.with_name(HTML_NAME)))
    if isinstance(writer, FolderWriter):
        inside = [f.name for _, f in finals if f.parent == writer.out_dir]
        publication = writer.publication(inside)
        outside = tuple((str(s), str(f)) for s, f in finals if f.parent != writer.out_dir and s.exists())
        publication = replace(publication, moves=publication.moves + outside)
    else:
        publication = writer.publication([(str(s), str(f)) for s, f in finals])
    stale_html = tuple(str(f) for s, f in finals if f.name == HTML_NAME and not s.exists()
                       and (isinstance(writer, JsonlWriter) or f.parent != writer.out_dir))
    return replace(
        publication, removals=publication.removals + stale_html,
        index=index.location if adds and index is not None else None,
        batch=plan.name if adds and plan is not None else None,
    )


def _open_index(options: RunOptions) -> contextlib.AbstractContextManager[IndexStore | None]:
    if options.index is None:
        return contextlib.nullcontext()
    if options.corpus is None:
        raise UsageError("--index needs corpus matching: drop --within-only")
    index = open_index(options.index)
    try:
        check_params(index, IndexParams.from_options(options.corpus))
    except BaseException:
        index.close()
        raise
    return contextlib.closing(index)


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
        if target.lower().endswith(PARQUET_SUFFIXES):
            raise OutputError(f"--out {target}: the local engine writes JSONL (.jsonl, .jsonl.gz, .jsonl.zst); "
                              "Parquet parts are written by --engine ray --out-format parquet")
        check_out_file(target, files)
        report = options.report or (None if target == "-" else f"{target}.report.json")
        if report is not None:
            check_out_file(report, files, "report")
        return JsonlWriter(target, run, options.write_duplicates), target, report
    folder = Path(out) if out is not None else default_out_dir(paths)
    new = not folder.exists()
    check_out_dir(folder, paths, files)
    if options.report is not None:
        check_out_file(options.report, files, "report")
    writer = FolderWriter(folder, run, options.write_duplicates, new=new)
    return writer, str(folder), options.report or str(folder / REPORT_NAME)


def _status(position: int, ledger: Ledger, duplicate_of: dict[int, Duplicate | IndexedMatch]) -> str:
    if position in duplicate_of:
        return "duplicate"
    return "cleaned" if ledger.removals[position] else "unique"


def _write_documents(
    spool: Spool, ledger: Ledger, duplicate_of: dict[int, Duplicate | IndexedMatch], writer: FolderWriter | JsonlWriter
) -> Iterator[dict[str, Any]]:
    """Write each document's output (if kept) and yield its full report record."""
    for position, (payload, record_bytes) in enumerate(spool.read_back(2)):
        record = json.loads(record_bytes)
        status = _status(position, ledger, duplicate_of)
        duplicate = duplicate_of.get(position)
        record["status"] = status
        record["duplicate_of"] = None
        record["duplicate_of_batch"] = None
        if isinstance(duplicate, IndexedMatch):
            record["duplicate_of"] = duplicate.indexed.id
            record["duplicate_of_batch"] = duplicate.indexed.batch
        elif duplicate is not None:
            record["duplicate_of"] = ledger.ids[duplicate.canonical]
        record["similarity"] = duplicate.similarity if duplicate else None
        record["duplicate_kind"] = duplicate.kind.value if duplicate else None
        record["chars_removed"] = record["chars"] if duplicate else record["chars"] - ledger.cleaned_chars[position]
        dedup = {k: record[k] for k in ("status", "duplicate_of", "duplicate_of_batch", "similarity", "duplicate_kind")}
        dedup["removed"] = [{k: v for k, v in r.items() if k != "text"} for r in record["removed"]]
        record["output"] = writer.write(ledger.ids[position], payload, status, dedup)
        yield record


def _cluster_record(cluster: Cluster, ledger: Ledger) -> dict[str, Any]:
    return {
        "canonical": ledger.ids[cluster.canonical],
        "size": len(cluster.members),
        "members": [
            {"id": ledger.ids[cluster.canonical], "kind": "canonical", "similarity": 1.0},
            *(
                {"id": ledger.ids[d.position], "kind": d.kind.value, "similarity": d.similarity}
                for d in sorted(cluster.duplicates, key=lambda d: d.position)
            ),
        ],
    }


def _summary(
    ledger: Ledger, duplicate_of: dict[int, Duplicate | IndexedMatch], clusters: list[Cluster], errors: list[str],
    warnings: list[str], started: float, out_name: str, report_path: str | None, options: RunOptions,
    indexed: int = 0,
) -> RunSummary:
    statuses = [_status(p, ledger, duplicate_of) for p in range(len(ledger.ids))]
    removed = sum(
        ledger.chars[p] if s == "duplicate" else ledger.chars[p] - ledger.cleaned_chars[p]
        for p, s in enumerate(statuses)
    )
    return RunSummary(
        documents=len(statuses),
        unique=statuses.count("unique"),
        cleaned=statuses.count("cleaned"),
        duplicate=statuses.count("duplicate"),
        chars_in=sum(ledger.chars),
        chars_removed=removed,
        removals=sum(ledger.removals),
        clusters=len(clusters),
        duplicates_of_index=sum(isinstance(d, IndexedMatch) for d in duplicate_of.values()),
        indexed=indexed,
        errors=tuple(errors),
        warnings=tuple(warnings),
        elapsed=time.monotonic() - started,
        output=out_name,
        report=report_path,
        parameters=options.parameters(),
    )
