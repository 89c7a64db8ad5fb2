"""Where kept documents go: one file per document in a folder, or one JSONL stream.

Both writers take documents in input order with their status; a duplicate is not
written (unless duplicates are asked for, in a side place). Folder outputs are written
one atomic file each; a JSONL file is written to a temporary file and renamed when the
run completes, so a reader never sees half an output.
"""
from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any, BinaryIO

from dedup.read.streams import open_output_bytes
from dedup.write.atomic import atomic_output, write_atomic

DUPLICATES_FOLDER = "_duplicates"


class FolderWriter:
    """``out/<id>`` for each kept document; ``out/_duplicates/<id>`` for duplicates on request."""

    def __init__(self, out_dir: Path, write_duplicates: bool = False) -> None:
        self.out_dir = out_dir
        self.write_duplicates = write_duplicates

    def write(self, doc_id: str, payload: bytes, status: str, dedup: dict[str, Any]) -> str | None:
        target = self.out_dir / doc_id
        if status != "duplicate":
            write_atomic(target, payload)
            return doc_id
        target.unlink(missing_ok=True)  # a stale output of an earlier run would look kept
        if self.write_duplicates:
            write_atomic(self.out_dir / DUPLICATES_FOLDER / doc_id, payload)
            return f"{DUPLICATES_FOLDER}/{doc_id}"
        return None

    def close(self, completed: bool = True) -> None:
        pass


class JsonlWriter:
    """Kept records, each with a ``dedup`` field, as JSONL to a file (compressed by extension) or stdout."""

    def __init__(self, path: str, write_duplicates: bool = False) -> None:
        self.path = path
        self._stack = contextlib.ExitStack()
        self._out = self._open(path)
        self._duplicates: BinaryIO | None = None
        if write_duplicates:
            self._duplicates = self._open(duplicates_path(path))
        self._line = 0

    def _open(self, path: str) -> BinaryIO:
        if path == "-":
            return sys.stdout.buffer
        return self._stack.enter_context(atomic_output(path, open_output_bytes))

    def write(self, doc_id: str, payload: bytes, status: str, dedup: dict[str, Any]) -> str | None:
        line = payload[:-1] + b', "dedup": ' + json_bytes(dedup) + b"}\n"
        if status != "duplicate":
            self._out.write(line)
            self._line += 1
            return f"{self.path}:{self._line}"
        if self._duplicates is not None:
            self._duplicates.write(line)
            return duplicates_path(self.path)
        return None

    def close(self, completed: bool = True) -> None:
        """Finish the outputs: a completed run's files replace their targets, an aborted run's vanish."""
        if self.path == "-":
            sys.stdout.buffer.flush()
        if completed:
            self._stack.close()
        else:
            self._stack.__exit__(RuntimeError, RuntimeError("run aborted"), None)


def duplicates_path(path: str) -> str:
    return "duplicates.jsonl" if path == "-" else f"{path}.duplicates.jsonl"


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogateescape")
