"""Turn the paths given on the command line into one stream of documents.

Text files (.txt/.md, folders searched recursively) give one document each and are
written back as files; JSONL and Parquet inputs give one document per record and are
written back as JSONL. ``--format auto`` tells them apart by extension; ``-`` is JSONL
on standard input.

Every document is read through one guarded function per kind (``read_text_input``,
``read_jsonl``, ``read_parquet``), so whatever is wrong with an input comes out of
:meth:`Sources.documents` as an InputError naming it, and the run goes on.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from dedup.errors import InputError, OutputError
from dedup.read.document import Document
from dedup.read.files import DEFAULT_MAX_BYTES, TEXT_SUFFIXES, Discovery, InputFile, discover, read_text_input
from dedup.read.records import (
    DEFAULT_MAX_RECORD_BYTES, JSONL_SUFFIXES, PARQUET_SUFFIXES, read_jsonl, read_parquet,
)
from dedup.read.streams import STDIN

FORMATS = ("auto", "text", "jsonl", "parquet")


@dataclass(frozen=True)
class Sources:
    """The documents to read, whether they are records, and what discovery already found wrong."""

    records: bool
    discovery: Discovery
    total: int | None  # number of documents when known in advance

    def documents(
        self, text_key: str = "text", id_key: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
        *, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    ) -> Iterator[Document | InputError]:
        """Each input's documents in order; never raises for bad input.

        ``max_bytes`` bounds a text file, ``max_record_bytes`` one JSONL line or one
        Parquet text value.
        """
        for item in self.discovery.files:
            path = str(item.path)
            if not self.records:
                yield read_text_input(item, max_bytes)
            elif path.lower().endswith(PARQUET_SUFFIXES):
                yield from read_parquet(path, text_key, id_key, max_record_bytes=max_record_bytes)
            else:
                yield from read_jsonl(path, text_key, id_key, max_record_bytes)


def format_of(path: str) -> str:
    name = path.lower()
    if path == STDIN or name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return "text"


def open_sources(paths: Sequence[str | os.PathLike[str]], fmt: str = "auto") -> Sources:
    """Find the documents under ``paths``; a mix of text files and records is a usage error."""
    names = [str(p) for p in paths]
    if fmt == "auto":
        kinds = {format_of(n) for n in names if n == STDIN or not Path(n).is_dir()}
        if len(kinds - {"text"}) and "text" in kinds:
            raise OutputError("cannot mix text files with JSONL/Parquet inputs in one run")
        fmt = "jsonl" if kinds & {"jsonl", "parquet"} else "text"
    if fmt == "text":
        if STDIN in names:
            raise OutputError("standard input ('-') holds JSONL: use --format jsonl")
        found = discover(names, TEXT_SUFFIXES)
        return Sources(False, found, len(found.files))
    suffixes = PARQUET_SUFFIXES if fmt == "parquet" else JSONL_SUFFIXES + PARQUET_SUFFIXES
    found = discover([n for n in names if n != STDIN], suffixes)
    if STDIN in names:
        stdin = InputFile(Path(STDIN), STDIN)
        found = Discovery((stdin, *found.files), found.errors, found.warnings)
    return Sources(True, found, None)
