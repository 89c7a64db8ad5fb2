"""Read documents from JSONL (plain, .gz, .zst, or stdin) and Parquet files, one record at a time.

A malformed line (invalid JSON or UTF-8, not an object, no text field, text not a string,
missing id field) is yielded as an InputError naming the file and line, and skipped;
it is never dropped silently. Memory stays bounded: nothing is read ahead of the record
being yielded (Parquet: one row group batch).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from dedup.errors import InputError
from dedup.read.document import Document
from dedup.read.streams import STDIN, open_bytes

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".jsonl.zst", ".jsonl.zstd", ".ndjson.gz", ".ndjson.zst", ".json.gz")
PARQUET_SUFFIXES = (".parquet",)


def record_document(
    record: Any, where: str, text_key: str, id_key: str | None, fallback_id: str
) -> Document:
    """A Document from one JSON or Parquet record, or InputError saying what is wrong with it."""
    if not isinstance(record, dict):
        raise InputError(where, f"expected a JSON object, got {type(record).__name__}; skipped")
    if text_key not in record:
        keys = ", ".join(sorted(map(str, record))[:8])
        raise InputError(where, f"no {text_key!r} field (fields: {keys}); use --text-key; skipped")
    text = record[text_key]
    if not isinstance(text, str):
        raise InputError(where, f"field {text_key!r} is {type(text).__name__}, not text; skipped")
    if id_key is None:
        doc_id = fallback_id
    elif id_key not in record or record[id_key] is None:
        raise InputError(where, f"no {id_key!r} field; use --id-key; skipped")
    else:
        doc_id = str(record[id_key])
    return Document(doc_id, text, where, record=record, text_key=text_key)


def read_jsonl(path: str, text_key: str = "text", id_key: str | None = None) -> Iterator[Document | InputError]:
    """Documents of a JSONL file (or stdin for ``-``); a bad line yields an InputError."""
    name = "<stdin>" if path == STDIN else path
    try:
        stream = open_bytes(path)
    except OSError as exc:
        yield InputError(name, f"cannot read ({exc.strerror or exc})")
        return
    try:
        for number, raw in enumerate(stream, start=1):
            where = f"{name}:{number}"
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
                yield record_document(record, where, text_key, id_key, where)
            except UnicodeDecodeError as exc:
                yield InputError(where, f"invalid UTF-8 at byte {exc.start}; skipped")
            except json.JSONDecodeError as exc:
                yield InputError(where, f"invalid JSON ({exc.msg} at column {exc.colno}); skipped")
            except InputError as exc:
                yield exc
    except (OSError, EOFError, ValueError) as exc:
        yield InputError(name, f"cannot read further ({exc}); stopped there")
    finally:
        if path != STDIN:
            stream.close()


def read_parquet(
    path: str, text_key: str = "text", id_key: str | None = None, batch_rows: int = 4096
) -> Iterator[Document | InputError]:
    """Documents of a Parquet file, a batch of rows at a time."""
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        yield InputError(path, f"not a readable Parquet file ({exc}); skipped")
        return
    row = 0
    for batch in table.iter_batches(batch_size=batch_rows):
        for record in batch.to_pylist():
            row += 1
            where = f"{path}:row {row}"
            try:
                yield record_document(record, where, text_key, id_key, where)
            except InputError as exc:
                yield exc
