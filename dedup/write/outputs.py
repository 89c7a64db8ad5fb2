"""Where kept documents go: one file per document in a folder, or one JSONL stream.

Both writers take documents in input order with their status; a duplicate is not
written (unless duplicates are asked for, in a side place). Nothing is written where a
user looks: files go to staging names, and :meth:`publication` says what to rename into
place and which stale files of earlier runs to remove, for :mod:`dedup.write.commit` to
publish with the report and the index batch in one step.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any, BinaryIO

from dedup.extras import require
from dedup.read.streams import open_output_bytes
from dedup.write.commit import (
    BOOKKEEPING, JOURNAL_SUFFIX, LOCK_SUFFIX, MANIFEST_SUFFIX, STAGING_PREFIX, TMP_SUFFIX, Publication, manifest_bytes, read_manifest, sidecar,
    sweep_leftovers,
)

DUPLICATES_FOLDER = "_duplicates"
REPORT_NAME = "report.json"
HTML_NAME = "report.html"


class FolderWriter:
    """``out/<id>`` for each kept document; ``out/_duplicates/<id>`` for duplicates on request.

    Files are written under ``out/.dedup/staging-<run>/``. The manifest
    (``out/.dedup/manifest.json``) lists what the last published run wrote, so a new run
    removes exactly the files of the old one it does not write again (inputs that are
    gone, a duplicate now kept) and touches nothing else in the folder.
    """

    def __init__(self, out_dir: Path, run: str, write_duplicates: bool = False, new: bool = False) -> None:
        self.out_dir = out_dir.absolute()
        self.new = new  # the run made the folder: if it fails, the folder goes again
        self.path = str(out_dir)
        self.run = run
        self.write_duplicates = write_duplicates
        self.staging = self.out_dir / BOOKKEEPING / f"{STAGING_PREFIX}{run}"
        self.journal = sidecar(self.out_dir, True, JOURNAL_SUFFIX)
        self.manifest = sidecar(self.out_dir, True, MANIFEST_SUFFIX)
        self.lock = sidecar(self.out_dir, True, LOCK_SUFFIX)
        self._written: list[str] = []
        self._now_duplicate: list[str] = []

    def open(self) -> None:
        self.staging.mkdir(parents=True, exist_ok=True)

    def staged(self, name: str) -> Path:
        """The staging path of ``name`` (relative to the output folder): the report and report.html go here too."""
        return self.staging / name

    def write(self, doc_id: str, payload: bytes, status: str, dedup: dict[str, Any]) -> str | None:
        if status != "duplicate":
            self._put(doc_id, payload)
            return doc_id
        self._now_duplicate.append(doc_id)
        if self.write_duplicates:
            name = f"{DUPLICATES_FOLDER}/{doc_id}"
            self._put(name, payload)
            return name
        return None

    def _put(self, name: str, payload: bytes) -> None:
        target = self.staged(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        self._written.append(name)

    def close(self, completed: bool = True) -> None:
        pass

    def sweep(self) -> None:
        """Remove what killed runs left: staging folders, and temporary files of older versions anywhere in OUT."""
        sweep_leftovers(self.out_dir / BOOKKEEPING)
        if self.out_dir.is_dir():
            for folder, _, names in os.walk(self.out_dir):
                for name in names:
                    if name.endswith(TMP_SUFFIX) and name.startswith("."):
                        Path(folder, name).unlink(missing_ok=True)

    def discard(self, staged_report: Path | None = None) -> None:
        """Forget this run's staged files (a failed or interrupted run)."""
        shutil.rmtree(self.staging, ignore_errors=True)
        if staged_report is not None:
            for path in staged_report.parent.glob(f".*.{self.run}{TMP_SUFFIX}"):
                path.unlink(missing_ok=True)

    def forget_if_new(self) -> None:
        """After a failed run: remove the output folder if this run made it and wrote nothing else there."""
        if self.new and not (self.out_dir / BOOKKEEPING / JOURNAL_SUFFIX[len(".dedup-"):]).exists():
            shutil.rmtree(self.out_dir / BOOKKEEPING, ignore_errors=True)
            with contextlib.suppress(OSError):
                self.out_dir.rmdir()

    def publication(self, extra: list[str]) -> Publication:
        """Everything staged (documents plus ``extra`` names such as the report), the stale files, the manifest."""
        names = self._written + [n for n in extra if self.staged(n).exists()]
        fresh = set(names)
        stale = [n for n in read_manifest(self.manifest) if n not in fresh]
        stale += [n for n in self._now_duplicate if n not in fresh]  # an output of an earlier, unrecorded run
        manifest = self.staged(self.manifest.name)
        manifest.write_bytes(manifest_bytes(names))
        moves = [(str(self.staged(n)), str(self.out_dir / n)) for n in names] + [(str(manifest), str(self.manifest))]
        return Publication(self.run, tuple(moves), tuple(str(self.out_dir / n) for n in dict.fromkeys(stale)), str(self.staging))


class JsonlWriter:
    """Kept records, each with a ``dedup`` field, as JSONL to a file (compressed by extension) or stdout."""

    def __init__(self, path: str, run: str, write_duplicates: bool = False) -> None:
        self.path = path
        self.run = run
        self.target = Path(path).absolute() if path != "-" else None
        self.journal = sidecar(self.target, False, JOURNAL_SUFFIX) if self.target else None
        self.lock = sidecar(self.target, False, LOCK_SUFFIX) if self.target else None
        self.write_duplicates = write_duplicates
        self._stack = contextlib.ExitStack()
        self._moves: list[tuple[str, str]] = []
        self._out: BinaryIO | None = None
        self._duplicates: BinaryIO | None = None
        self._line = 0

    def open(self) -> None:
        self._out = self._open(self.path)
        if self.write_duplicates:
            self._duplicates = self._open(duplicates_path(self.path))

    def forget_if_new(self) -> None:
        pass  # staged files are removed by discard(); the lock file beside the output stays (it may be waited on)

    def staged(self, path: str) -> Path:
        target = Path(path).absolute()
        return target.with_name(f".{target.name}.{self.run}{TMP_SUFFIX}")

    def _open(self, path: str) -> BinaryIO:
        if path == "-":
            return sys.stdout.buffer
        staged = self.staged(path)
        self._moves.append((str(staged), str(Path(path).absolute())))
        return self._stack.enter_context(open_output_bytes(staged, Path(path)))

    def write(self, doc_id: str, payload: bytes, status: str, dedup: dict[str, Any]) -> str | None:
        line = payload[:-1] + b', "dedup": ' + json_bytes(dedup) + b"}\n"
        if status != "duplicate":
            assert self._out is not None
            self._out.write(line)
            self._line += 1
            return f"{self.path}:{self._line}"
        if self._duplicates is not None:
            self._duplicates.write(line)
            return duplicates_path(self.path)
        return None

    def close(self, completed: bool = True) -> None:
        """Finish the staged files (flushed to disk); an aborted run's staged files are removed by the caller."""
        if self.path == "-":
            with contextlib.suppress(BrokenPipeError, ValueError):
                sys.stdout.buffer.flush()
        self._stack.close()
        if completed:
            for staged, _ in self._moves:
                with open(staged, "rb+") as handle:
                    os.fsync(handle.fileno())

    def publication(self, extra: list[tuple[str, str]]) -> Publication:
        """The staged outputs plus ``extra`` (staged, final) pairs such as the report and report.html."""
        moves = self._moves + [m for m in extra if os.path.exists(m[0])]
        stale = []
        if not self.write_duplicates and self.path != "-":
            stale.append(str(Path(duplicates_path(self.path)).absolute()))
        return Publication(self.run, tuple(moves), tuple(stale))

    def sweep(self) -> None:
        """Remove temporary files that killed runs left beside this output (and only those of its names)."""
        if self.target is None:
            return
        name = self.target.name
        sweep_leftovers(self.target.parent, [name, Path(duplicates_path(name)).name, f"{name}.report.json", HTML_NAME,
                                             REPORT_NAME])

    def discard(self, staged_report: Path | None = None) -> None:
        """Forget this run's staged files (a failed or interrupted run)."""
        with contextlib.suppress(Exception):
            self._stack.close()
        for staged, _ in self._moves:
            Path(staged).unlink(missing_ok=True)
        if staged_report is not None:
            for path in staged_report.parent.glob(f".*.{self.run}{TMP_SUFFIX}"):
                path.unlink(missing_ok=True)


class ParquetWriter(JsonlWriter):
    """Kept records as one Parquet file: each record's fields as columns, ``dedup`` as a JSON string column.

    Records need not share their fields: batches are staged as Arrow files with their own
    schema, and at the end the schemas are unified (a field missing from a batch is null
    there) and the batches written into one Parquet file, so memory holds one batch.
    Texts that were not valid UTF-8 get U+FFFD, as Parquet strings must be UTF-8.
    """

    _BATCH = 4096

    def __init__(self, path: str, run: str, write_duplicates: bool = False) -> None:
        require("pyarrow.parquet", "parquet", "writing .parquet")
        super().__init__(path, run, write_duplicates)
        self._batches: dict[str, list[dict[str, Any]]] = {}
        self._spools: dict[str, list[str]] = {}

    def _open(self, path: str) -> BinaryIO:
        staged = self.staged(path)
        self._moves.append((str(staged), str(Path(path).absolute())))
        self._batches[str(staged)] = []
        self._spools[str(staged)] = []
        return open(os.devnull, "wb")  # noqa: SIM115 - the rows go through write(); closed with the stack

    def write(self, doc_id: str, payload: bytes, status: str, dedup: dict[str, Any]) -> str | None:
        import json as _json

        row = {**_json.loads(payload.decode("utf-8", "replace")), "dedup": _json.dumps(dedup, ensure_ascii=False)}
        if status != "duplicate":
            target = self._moves[0][0]
            self._line += 1
            where = f"{self.path}:row {self._line}"
        elif self._duplicates is not None:
            target = self._moves[1][0]
            where = duplicates_path(self.path)
        else:
            return None
        self._batches[target].append(row)
        if len(self._batches[target]) >= self._BATCH:
            self._spill(target)
        return where

    def _spill(self, target: str) -> None:
        import pyarrow as pa

        rows = self._batches[target]
        if not rows:
            return
        spool = f"{target}.{len(self._spools[target])}.arrow"
        names = dict.fromkeys(name for row in rows for name in row)  # from_pylist would take the first row's
        table = pa.Table.from_pylist([{name: row.get(name) for name in names} for row in rows])
        with pa.OSFile(spool, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        self._spools[target].append(spool)
        rows.clear()

    def close(self, completed: bool = True) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._stack.close()
        for target in self._batches:
            self._spill(target)
            spools = self._spools[target]
            tables = [pa.ipc.open_file(pa.memory_map(p)).read_all() for p in spools]
            schema = pa.unify_schemas([t.schema for t in tables]) if tables else pa.schema([("dedup", pa.string())])
            with pq.ParquetWriter(target, schema, compression="zstd") as writer:
                for table in tables:
                    writer.write_table(_conform(table, schema))
            for p in spools:
                Path(p).unlink(missing_ok=True)
        super().close(completed)

    def discard(self, staged_report: Path | None = None) -> None:
        for spools in self._spools.values():
            for p in spools:
                Path(p).unlink(missing_ok=True)
        super().discard(staged_report)


def _conform(table: Any, schema: Any) -> Any:
    """``table`` with every column of ``schema`` (missing ones null), in its order and types."""
    import pyarrow as pa

    columns = [table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(len(table), f.type)
               for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def duplicates_path(path: str) -> str:
    if path == "-":
        return "duplicates.jsonl"
    return f"{path}.duplicates.parquet" if path.lower().endswith(".parquet") else f"{path}.duplicates.jsonl"


def json_bytes(value: Any) -> bytes:
    """JSON as valid UTF-8 whatever the strings hold: a lone surrogate becomes its ``\\udXXX`` escape."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "backslashreplace")
