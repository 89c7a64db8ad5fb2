"""Run ``dedup clean`` on this machine, on all cores, in bounded memory.

Pass 1 reads documents in input order, cleans and sketches them in worker processes
(batches, a bounded number in flight) and spools what would be written to a temporary
file. Then duplicate documents are clustered from the sketches alone. Pass 2 writes the
kept documents and streams report.json, which is written last: a run that dies half-way
leaves whole files only and no report claiming work that was not done.
"""
from __future__ import annotations

import contextlib
import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from dedup.decide.clusters import Cluster, Duplicate, build_clusters, with_indexed
from dedup.index.bands import IndexParams, band_keys
from dedup.index.open import check_params, open_index
from dedup.index.store import IndexedDocument, IndexStore
from dedup.match.indexed import IndexedMatch, match_index
from dedup.engine.process import Processed, process_batch
from dedup.errors import DedupError, InputError, OutputError
from dedup.match.documents import CorpusOptions, exact_matches, near_matches
from dedup.model import CleanOptions
from dedup.outcome import RunSummary
from dedup.read.document import Document
from dedup.read.files import DEFAULT_MAX_BYTES, InputFile
from dedup.read.records import PARQUET_SUFFIXES
from dedup.read.sources import Sources, open_sources
from dedup.signatures.minhash import Sketches
from dedup.report.html import write_html_report
from dedup.write.outputs import FolderWriter, JsonlWriter
from dedup.write.report_json import write_report
from dedup.write.spool import Spool

HTML_AUTO_LIMIT = 50_000
_BATCH_DOCS = 64
_BATCH_CHARS = 2_000_000


@dataclass(frozen=True)
class RunOptions:
    """Everything ``dedup clean`` can be told, beyond the paths."""

    clean: CleanOptions = field(default_factory=CleanOptions)
    corpus: CorpusOptions | None = field(default_factory=CorpusOptions)
    fmt: str = "auto"
    text_key: str = "text"
    id_key: str | None = None
    jobs: int | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    write_duplicates: bool = False
    index: str | None = None  # persistent index location: a SQLite file or redis://host:port/db
    batch: str | None = None  # name of this batch in the index [default: the start time, UTC]
    report: str | None = None  # report path for record outputs; folder outputs put it in the folder
    html: bool | None = None  # report.html beside report.json [default: for runs of up to 50,000 documents]
    show_progress: bool | None = None

    def parameters(self) -> dict[str, Any]:
        values = asdict(self)
        values.pop("show_progress")
        return values

    def writes_html(self, documents: int) -> bool:
        """Whether a run of ``documents`` writes report.html: when asked, else up to HTML_AUTO_LIMIT (a bigger
        page is slow to open; ``dedup report`` can still make one)."""
        return self.html if self.html is not None else documents <= HTML_AUTO_LIMIT


def default_out_dir(paths: Sequence[str | os.PathLike[str]]) -> Path:
    """``<first existing input>-dedup`` beside it: never inside an input folder."""
    first = Path(next((p for p in paths if Path(p).exists()), paths[0])).resolve()
    stem = first.stem if first.is_file() else first.name
    return first.parent / f"{stem or 'input'}-dedup"


def check_out_dir(out_dir: Path, paths: Sequence[str | os.PathLike[str]], files: Sequence[InputFile]) -> None:
    """Refuse an output folder inside an input folder, or one that would overwrite an input."""
    out = out_dir.resolve()
    for raw in paths:
        root = Path(raw).resolve()
        if root.is_dir() and (out == root or root in out.parents):
            raise OutputError(f"output folder {out_dir} is inside input folder {raw}: choose another --out")
    inputs = {f.path.resolve() for f in files}
    for f in files:
        if (out / f.id).resolve() in inputs:
            raise OutputError(f"writing {out / f.id} would overwrite an input file: choose another --out")


def check_out_file(out: str, files: Sequence[InputFile]) -> None:
    if out != "-" and Path(out).resolve() in {f.path.resolve() for f in files if str(f.path) != "-"}:
        raise OutputError(f"output {out} is an input file: choose another --out")


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


def _work(batch: list[Document | InputError], options: RunOptions):
    docs = [d for d in batch if isinstance(d, Document)]
    minhash = options.corpus.minhash if options.corpus else None
    processed, sketches = process_batch(docs, options.clean, minhash)
    results: list[Processed | InputError] = []
    done = iter(processed)
    for item in batch:
        results.append(next(done) if isinstance(item, Document) else item)
    return results, sketches


def ordered_map(
    fn: Callable[..., Any], items: Iterable[Any], jobs: int, *args: Any
) -> Iterator[Any]:
    """``fn(item, *args)`` for each item, in order, on ``jobs`` processes with a bounded queue."""
    if jobs <= 1:
        for item in items:
            yield fn(item, *args)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: deque[Future[Any]] = deque()
        for item in items:
            pending.append(pool.submit(fn, item, *args))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


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
    ledger: Ledger, corpus: CorpusOptions | None, index: IndexStore | None
) -> tuple[list[Cluster], dict[int, Duplicate | IndexedMatch]]:
    """Clusters within the batch, and every duplicate (of this batch or of the index)."""
    if corpus is None or not ledger.sketches:
        return [], {}
    sketches = ledger.joined_sketches()
    keys = sketches.exact_keys.tolist()
    sizes = sketches.sizes.tolist()
    clusters = []
    if len(ledger.ids) > 1:
        matches = exact_matches(keys, sizes) + near_matches(sketches.signatures, sizes, keys, corpus)
        clusters = build_clusters(matches, ledger.cleaned_chars, keys, sketches.signatures, sizes, corpus)
    indexed = match_index(index, IndexParams.from_options(corpus), sketches, corpus) if index else {}
    return clusters, with_indexed(clusters, indexed, sketches.signatures, sizes, corpus)


def add_to_index(
    index: IndexStore, ledger: Ledger, duplicate_of: dict[int, Duplicate | IndexedMatch], corpus: CorpusOptions,
    batch: str,
) -> int:
    """Store the kept documents of the batch; returns how many."""
    if not ledger.sketches:
        return 0
    sketches = ledger.joined_sketches()
    kept = [p for p in range(len(ledger.ids)) if p not in duplicate_of]
    params = IndexParams.from_options(corpus)
    documents = [
        IndexedDocument(
            ledger.ids[p], batch, ledger.cleaned_chars[p], int(sketches.sizes[p]),
            int(sketches.exact_keys[p:p + 1].view("int64")[0]), sketches.signatures[p],
        )
        for p in kept
    ]
    index.add(documents, band_keys(sketches.signatures[kept], params), params.as_dict())
    return len(documents)


def clean_paths(
    paths: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str] | None = None,
    options: RunOptions | CleanOptions | None = None,
    on_error: Callable[[str], None] | None = None,
    **overrides: Any,
) -> RunSummary:
    """Clean and deduplicate the documents under ``paths`` into ``out``; bad inputs are reported and skipped."""
    started = time.monotonic()
    if isinstance(options, CleanOptions):
        options = RunOptions(clean=options)
    options = options or RunOptions()
    if overrides:
        options = replace(options, **overrides)
    jobs = options.jobs or os.cpu_count() or 1
    sources = open_sources(paths, options.fmt)
    writer, out_name, report_path = _open_outputs(paths, out, sources, options)
    if report_path is not None:
        Path(report_path).unlink(missing_ok=True)  # a stale report must not describe this run's outputs

    errors = [str(e) for e in sources.discovery.errors]
    warnings = list(sources.discovery.warnings)
    for line in errors + warnings:
        if on_error:
            on_error(line)

    index = _open_index(options)
    batch = options.batch or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    ledger = Ledger()
    completed = False
    added = 0
    with Spool() as spool, (index.lock() if index else contextlib.nullcontext()):
        try:
            progress = tqdm(total=sources.total, unit="doc", disable=_progress_off(options, sources), leave=False)
            documents = sources.documents(options.text_key, options.id_key, options.max_bytes)
            for results, sketches in ordered_map(_work, batches(documents), jobs if _parallel(sources) else 1, options):
                for item in results:
                    progress.update(1)
                    if isinstance(item, InputError):
                        errors.append(str(item))
                        if on_error:
                            on_error(str(item))
                        continue
                    ledger.add(item)
                    spool.append(item.payload, item.record)
                    warnings.extend(item.warnings)
                    for line in item.warnings:
                        if on_error:
                            on_error(line)
                if sketches is not None:
                    ledger.sketches.append(sketches)
            progress.close()

            clusters, duplicate_of = find_duplicates(ledger, options.corpus, index)
            kept = len(ledger.ids) - len(duplicate_of) if index else 0
            summary = _summary(ledger, duplicate_of, clusters, errors, warnings, started, out_name, report_path, options, kept)

            def publish() -> None:
                if index is not None and options.corpus is not None:
                    add_to_index(index, ledger, duplicate_of, options.corpus, batch)

            records = _write_documents(spool, ledger, duplicate_of, writer)
            if report_path is not None:
                write_report(report_path, summary, records, (_cluster_record(c, ledger) for c in clusters), publish)
            else:
                for _ in records:
                    pass
                publish()
            completed = True
        finally:
            writer.close(completed)
            if index is not None:
                index.close()
    if report_path is not None and options.writes_html(summary.documents):
        try:
            write_html_report(report_path)
        except (DedupError, OSError) as exc:
            warnings.append(f"report.html not written ({exc})")
            if on_error:
                on_error(warnings[-1])
    return replace(summary, elapsed=time.monotonic() - started, warnings=tuple(warnings))


def _open_index(options: RunOptions) -> IndexStore | None:
    if options.index is None:
        return None
    if options.corpus is None:
        raise OutputError("--index needs corpus matching: drop --within-only")
    index = open_index(options.index)
    try:
        check_params(index, IndexParams.from_options(options.corpus))
    except BaseException:
        index.close()
        raise
    return index


def _parallel(sources: Sources) -> bool:
    return sources.total is None or sources.total >= 8


def _progress_off(options: RunOptions, sources: Sources) -> bool | None:
    if options.show_progress is False:
        return True
    return None if sources.total is None or sources.total >= 8 else True


def _open_outputs(
    paths: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str] | None, sources: Sources, options: RunOptions
) -> tuple[FolderWriter | JsonlWriter, str, str | None]:
    if sources.records:
        target = str(out) if out is not None else ("-" if any(str(p) == "-" for p in paths) else str(default_out_dir(paths)) + ".jsonl")
        check_out_file(target, sources.discovery.files)
        if target.lower().endswith(PARQUET_SUFFIXES):
            raise OutputError(f"--out {target}: the local engine writes JSONL (.jsonl, .jsonl.gz, .jsonl.zst); "
                              "Parquet parts are written by --engine ray --out-format parquet")
        report = options.report or (None if target == "-" else f"{target}.report.json")
        return JsonlWriter(target, options.write_duplicates), target, report
    folder = Path(out) if out is not None else default_out_dir(paths)
    check_out_dir(folder, paths, sources.discovery.files)
    return FolderWriter(folder, options.write_duplicates), str(folder), options.report or str(folder / "report.json")


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
