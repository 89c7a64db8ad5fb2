"""What every engine does around a run: take the locks, finish an interrupted run, plan the batch, publish.

A run holds its output's lock, then the index's; first it finishes or undoes what an
interrupted run left at its output (:mod:`dedup.write.commit`); it plans its batch against
the index (new, or a re-run of a batch the index holds); at the end it publishes its
staged outputs, report and report.html together with the index batch. The local engine and
the Ray engine both call these, so a run publishes the same way whatever runs it.
"""
from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from dedup.errors import DedupError, OutputError, UsageError
from dedup.index.bands import IndexParams
from dedup.index.memory import changed_warning, remember
from dedup.index.open import check_params, open_index
from dedup.index.store import BatchRecord, IndexStore
from dedup.locks import LockTimeout, file_lock
from dedup.options import RunOptions
from dedup.outcome import RunSummary
from dedup.read.files import Discovery
from dedup.report.html import write_html_report
from dedup.write.commit import TMP_SUFFIX, Publication, RecoveryError, publish, recover
from dedup.write.outputs import HTML_NAME, FolderWriter, JsonlWriter


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


def recover_output(out: str | os.PathLike[str], on_error: Callable[[str], None] | None = None) -> list[str]:
    """Finish or undo what an interrupted run left at ``out`` (an output folder or file) without a new run.

    Every run does this first on its own output; ``dedup recover`` does it alone. Returns the
    lines saying what was done (none if nothing was pending).
    """
    path = Path(out)
    writer: FolderWriter | JsonlWriter = FolderWriter(path, "recover") if path.is_dir() else JsonlWriter(str(path), "recover")
    with output_lock(writer, on_error or (lambda line: None)):
        return recover_pending(writer, None)


def indexed_documents(index: IndexStore) -> int:
    documents = index.stats().get("documents")
    return documents if isinstance(documents, int) else 0


@contextlib.contextmanager
def output_lock(writer: FolderWriter | JsonlWriter, tell: Callable[[str], None]) -> Iterator[None]:
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


def recover_pending(writer: FolderWriter | JsonlWriter, index: IndexStore | None) -> list[str]:
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


def staged_report_path(writer: FolderWriter | JsonlWriter, report_path: str | None) -> Path | None:
    if report_path is None:
        return None
    final = Path(report_path).absolute()
    if isinstance(writer, FolderWriter) and final.parent == writer.out_dir:
        return writer.staged(final.name)
    return final.with_name(f".{final.name}.{writer.run}{TMP_SUFFIX}")


def staged_html_path(staged_report: Path) -> Path:
    """report.html is staged beside the staged report (in the staging folder, or as a temporary name)."""
    name = staged_report.name
    if name.endswith(TMP_SUFFIX):
        run = name[: -len(TMP_SUFFIX)].rsplit(".", 1)[1]
        return staged_report.with_name(f".{HTML_NAME}.{run}{TMP_SUFFIX}")
    return staged_report.with_name(HTML_NAME)


def write_html(
    staged_report: Path | None, options: RunOptions, summary: RunSummary, note: Callable[[str], None]
) -> Path | None:
    """report.html from the staged report; a failure is a warning (the run's results stand without it)."""
    if staged_report is None or not options.writes_html(summary.documents):
        return None
    target = staged_html_path(staged_report)
    try:
        write_html_report(staged_report, target)
        return target
    except Exception as exc:  # reading the inputs back may fail in any way a reader can
        target.unlink(missing_ok=True)
        note(f"report.html not written ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})")
        return None


def publication_of(
    writer: FolderWriter | JsonlWriter, report_path: str | None, staged_report: Path | None, staged_html: Path | None,
    index: IndexStore | None, plan: BatchPlan | None, adds: bool,
) -> Publication:
    """Everything this run makes visible: outputs, the report and report.html (or the removal of a stale one)."""
    finals: list[tuple[Path, Path]] = []
    if staged_report is not None and report_path is not None:
        final_report = Path(report_path).absolute()
        finals.append((staged_report, final_report))
        finals.append((staged_html or staged_html_path(staged_report), final_report.with_name(HTML_NAME)))
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


def open_run_index(options: RunOptions) -> contextlib.AbstractContextManager[IndexStore | None]:
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


def run_name() -> str:
    """A name for one run (journal, staging, index batch record): its start time and a random part."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]


def batch_name(options: RunOptions) -> str:
    """``--batch``, or the start time (UTC)."""
    return options.batch or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@contextlib.contextmanager
def run_session(
    writer: FolderWriter | JsonlWriter, options: RunOptions, note: Callable[[str], None], tell: Callable[[str], None]
) -> Iterator[IndexStore | None]:
    """The output's lock, then the index (opened, checked, locked); what an interrupted run left is finished or
    undone and an emptied index is reported before the run starts. Yields the index (None without one); a
    failed first run leaves no output folder behind."""
    try:
        with output_lock(writer, tell), open_run_index(options) as index, (
            index.lock(on_wait=tell) if index is not None else contextlib.nullcontext()
        ):
            for line in recover_pending(writer, index):
                note(line)
            if index is not None:
                changed = changed_warning(index.location, index.identity())
                if changed:
                    note(changed)
            yield index
    except BaseException:
        writer.forget_if_new()
        raise


def run_log(discovery: Discovery, tell: Callable[[str], None]) -> tuple[list[str], list[str], Callable[[str], None]]:
    """The run's error and warning lists, starting with what discovery found (told at once), and ``note``,
    which records a warning and tells it as it comes."""
    errors = [str(e) for e in discovery.errors]
    warnings = list(discovery.warnings)

    def note(line: str) -> None:
        warnings.append(line)
        tell(line)

    for line in errors + warnings:
        tell(line)
    return errors, warnings, note


def publish_run(
    writer: FolderWriter | JsonlWriter, report_path: str | None, staged_report: Path | None, staged_html: Path | None,
    index: IndexStore | None, plan: BatchPlan | None, adds: bool, commit_index: Callable[[], None] | None,
) -> None:
    """Publish the staged run with its index batch as the commit point, then note the index's new size for the
    emptied-index check of later runs."""
    publish(writer.journal, publication_of(writer, report_path, staged_report, staged_html, index, plan, adds),
            commit_index)
    if adds and index is not None and plan is not None:
        remember(index.location, index.identity(), indexed_documents(index), plan.name)
