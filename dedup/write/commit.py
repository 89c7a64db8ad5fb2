"""Publish a run's outputs, report and index batch as one step, and finish or undo an interrupted one.

A run never writes where a user looks until it is done: every output, the report and
report.html are first written under staging names (``OUT/.dedup/staging-<run>/`` for an
output folder, ``.<name>.<run>.dedup-tmp`` beside an output file). Then:

1. the journal is written (``OUT/.dedup/journal.json``, or ``.<name>.dedup-journal.json``
   beside an output file): the run, the index batch it will
   add, every staged file with its place, every stale file of earlier runs to remove;
   state ``prepared`` when there is an index, else ``committed``;
2. the index batch is added, in the index's own transaction, recording the run's name:
   **this is the commit point**;
3. the journal is marked ``committed``;
4. the staged files are renamed into place and stale files removed;
5. the journal is removed.

A run killed anywhere leaves either no journal (nothing of it is visible) or a journal
that the next run on the same output reads first (:func:`recover`): ``committed``, or
``prepared`` with the index holding the run, is finished (step 4 is idempotent);
``prepared`` without it is undone (staged files removed). Either way outputs, report and
index end up all from the old run or all from the new one. Staging folders and temporary
files no journal names are leftovers of killed runs and are removed.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from dedup.write.atomic import write_atomic

JOURNAL_SUFFIX = ".dedup-journal.json"
STAGING_PREFIX = "staging-"
TMP_SUFFIX = ".dedup-tmp"
MANIFEST_SUFFIX = ".dedup-manifest.json"
LOCK_SUFFIX = ".dedup-lock"
BOOKKEEPING = ".dedup"  # an output folder's own folder for the journal, manifest, lock and staging


@dataclass(frozen=True)
class Publication:
    """What one run makes visible: staged files and their places, stale files to remove.

    Paths are absolute. ``index``/``batch`` name the index batch that commits the run (None
    without an index); ``staging`` is the folder to remove once the moves are done.
    """

    run: str
    moves: tuple[tuple[str, str], ...]
    removals: tuple[str, ...] = ()
    staging: str | None = None
    index: str | None = None
    batch: str | None = None

    def as_json(self, state: str) -> bytes:
        return json.dumps(
            {"state": state, "run": self.run, "index": self.index, "batch": self.batch, "staging": self.staging,
             "moves": [list(m) for m in self.moves], "removals": list(self.removals)},
            ensure_ascii=False,
        ).encode("utf-8", "surrogateescape")

    @classmethod
    def from_json(cls, raw: bytes) -> tuple[str, Publication]:
        data = json.loads(raw.decode("utf-8", "surrogateescape"))
        return data["state"], cls(
            data["run"], tuple((a, b) for a, b in data["moves"]), tuple(data["removals"]), data["staging"],
            data["index"], data["batch"],
        )


class RecoveryError(Exception):
    """An interrupted run's journal cannot be read or acted on (say why; nothing was changed)."""


def sidecar(anchor: Path, folder: bool, suffix: str) -> Path:
    """Where a run's journal, manifest or lock lives: ``OUT/.dedup/journal.json`` for an output folder,
    ``.<name>.dedup-journal.json`` beside an output file."""
    if folder:
        return anchor / BOOKKEEPING / suffix[len(".dedup-"):]
    return anchor.with_name(f".{anchor.name}{suffix}")


def publish(journal: Path | None, publication: Publication, commit_index: Callable[[], None] | None) -> None:
    """Make ``publication`` visible; ``commit_index`` adds the batch (the commit point) if there is an index.

    Without a journal (the output is standard output) the batch is committed and the report
    moved into place, with no recovery possible: a stream cannot be taken back anyway.
    """
    if journal is None:
        if commit_index is not None:
            commit_index()
        finish(None, publication)
        return
    if commit_index is None:
        write_atomic(journal, publication.as_json("committed"))
    else:
        write_atomic(journal, publication.as_json("prepared"))
        try:
            commit_index()
        except BaseException:
            undo(journal, publication)
            raise
        write_atomic(journal, publication.as_json("committed"))
    with _ctrl_c_deferred():
        finish(journal, publication)


@contextlib.contextmanager
def _ctrl_c_deferred() -> Iterator[None]:
    """Once committed, Ctrl-C waits for the renames to end (they are quick), then interrupts as usual."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed: list[object] = []
    previous = signal.signal(signal.SIGINT, lambda *args: pressed.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt


def finish(journal: Path | None, publication: Publication) -> None:
    """Step 4 and 5: rename what is staged into place and remove what is stale; safe to repeat."""
    for staged, final in publication.moves:
        if os.path.lexists(staged):
            Path(final).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)
    for stale in publication.removals:
        _remove_file(stale)
    if publication.staging:
        shutil.rmtree(publication.staging, ignore_errors=True)
    if journal is not None:
        journal.unlink(missing_ok=True)


def undo(journal: Path, publication: Publication) -> None:
    """Forget a run that did not commit: its staged files go, everything else stays as it was."""
    for staged, _ in publication.moves:
        _remove_file(staged)
    if publication.staging:
        shutil.rmtree(publication.staging, ignore_errors=True)
    journal.unlink(missing_ok=True)


def recover(journal: Path, index_has_run: Callable[[Publication], bool]) -> str | None:
    """Finish or undo the run an earlier process left at ``journal``; a line saying which, or None.

    ``index_has_run`` tells whether the journal's index holds its batch from its run (it is
    only asked for a ``prepared`` journal, which always names an index).
    """
    if not journal.exists():
        return None
    try:
        state, publication = Publication.from_json(journal.read_bytes())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RecoveryError(f"{journal}: an interrupted run's journal is unreadable ({exc}); remove it by hand") from None
    if state == "committed" or (state == "prepared" and index_has_run(publication)):
        finish(journal, publication)
        return f"finished publishing the interrupted run {publication.run} (its index batch was committed)"
    undo(journal, publication)
    return f"undid the interrupted run {publication.run} (it had not committed; earlier outputs kept)"


def sweep_leftovers(folder: Path, names: Iterable[str] | None = None) -> list[str]:
    """Remove staging folders and ``*.dedup-tmp`` files of killed runs in ``folder``; their paths.

    With ``names`` (beside an output file, in a folder that holds other people's files too)
    only the temporary files of those output names are considered, and no folders.
    """
    removed: list[str] = []
    if not folder.is_dir():
        return removed
    prefixes = tuple(f".{n}." for n in names) if names is not None else None
    for entry in os.scandir(folder):
        if names is None and entry.name.startswith(STAGING_PREFIX) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
        elif entry.name.endswith(TMP_SUFFIX) and entry.name.startswith(prefixes or ".") and entry.is_file(follow_symlinks=False):
            _remove_file(entry.path)
            removed.append(entry.path)
    return removed


def read_manifest(path: Path) -> list[str]:
    """The files (relative to the manifest's folder) the last published run wrote; empty if none."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8", "surrogateescape"))
        return [str(name) for name in data["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def manifest_bytes(files: Sequence[str]) -> bytes:
    return json.dumps({"files": list(files)}, ensure_ascii=False).encode("utf-8", "surrogateescape")


def _remove_file(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        shutil.rmtree(path, ignore_errors=True)
