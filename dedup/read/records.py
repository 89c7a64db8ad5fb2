"""Read documents from JSONL (plain, .gz, .zst, or stdin) and Parquet files, one record at a time.

A malformed line (invalid JSON or UTF-8, nested too deeply, longer than
``max_record_bytes``, not an object, no text field, text not a string, missing id
field) is yielded as an InputError naming the file and line, and skipped; it is never
dropped silently and the next line is read. A stream that cannot be read to its end
(truncated or corrupt .gz/.zst, corrupt Parquet pages) ends with an InputError saying
how many records came before. Memory stays bounded: nothing is read ahead of the record
being yielded (Parquet: one row group batch), and an over-long line is skipped without
being held.

:func:`read_jsonl` and :func:`read_parquet` are the one guarded place for their kind:
whatever goes wrong inside them comes out as an InputError, never as an exception.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from dedup.errors import InputError
from dedup.extras import require
from dedup.read.document import Document
from dedup.read.guard import describe, guarded, input_error
from dedup.read.streams import STDIN, STDIN_NAME, CorruptStream, NotRegularFile, open_bytes, open_regular

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".jsonl.zst", ".jsonl.zstd", ".ndjson.gz", ".ndjson.zst", ".json.gz")
PARQUET_SUFFIXES = (".parquet",)
DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024
# Deeper records are refused when read: every later stage (json.dumps when writing,
# pickle to a worker) recurses once per level and must not hit the recursion limit.
MAX_JSON_DEPTH = 200
_SKIP_CHUNK = 1 << 20
_CONTAINERS = (dict, list)


def record_document(
    record: Any, where: str, text_key: str, id_key: str | None, fallback_id: str
) -> Document:
    """A Document from one JSON or Parquet record, or InputError saying what is wrong with it."""
    if not isinstance(record, dict):
        raise input_error(where, f"expected a JSON object, got {type(record).__name__}; skipped")
    if text_key not in record:
        keys = ", ".join(sorted(map(str, record))[:8])
        raise input_error(where, f"no {text_key!r} field (fields: {keys}); use --text-key; skipped")
    text = record[text_key]
    if not isinstance(text, str):
        raise input_error(where, f"field {text_key!r} is {type(text).__name__}, not text; skipped")
    if id_key is None:
        doc_id = fallback_id
    elif id_key not in record or record[id_key] is None:
        raise input_error(where, f"no {id_key!r} field; use --id-key; skipped")
    else:
        doc_id = str(record[id_key])
    return Document(doc_id, text, where, record=record, text_key=text_key)


def read_jsonl(
    path: str, text_key: str = "text", id_key: str | None = None,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> Iterator[Document | InputError]:
    """Documents of a JSONL file (or stdin for ``-``); a bad line yields an InputError."""
    name = STDIN_NAME if path == STDIN else path
    return guarded(name, _jsonl(path, name, text_key, id_key, max_record_bytes))


def _jsonl(
    path: str, name: str, text_key: str, id_key: str | None, max_record_bytes: int
) -> Iterator[Document | InputError]:
    try:
        stream = open_bytes(path)
    except NotRegularFile as exc:
        yield input_error(name, f"not a regular file ({exc.kind}), skipped")
        return
    except OSError as exc:
        yield input_error(name, f"cannot read ({exc.strerror or exc})")
        return
    records = 0
    try:
        number = 0
        while raw := stream.readline(max_record_bytes + 1):
            number += 1
            where = f"{name}:{number}"
            if len(raw) > max_record_bytes and not raw.endswith(b"\n"):
                del raw
                _skip_line(stream)
                records += 1
                yield input_error(where, f"line longer than the limit of {max_record_bytes} bytes; skipped")
                continue
            if not raw.strip():
                continue
            records += 1
            yield parse_line(raw, where, text_key, id_key)
    except CorruptStream as exc:
        yield input_error(name, f"truncated or corrupt {exc.codec} data after {records} records; stopped there")
    except OSError as exc:
        yield input_error(name, f"cannot read further after {records} records ({exc.strerror or exc}); stopped there")
    finally:
        if path != STDIN:
            stream.close()


def _skip_line(stream: BinaryIO) -> None:
    """Read past the rest of the current line a chunk at a time, keeping none of it."""
    while chunk := stream.readline(_SKIP_CHUNK):
        if chunk.endswith(b"\n"):
            return


def parse_line(raw: bytes, where: str, text_key: str, id_key: str | None) -> Document | InputError:
    """The Document of one JSONL line, or the InputError saying why it cannot be one; never raises."""
    try:
        record = json.loads(raw.decode("utf-8"))
        if _too_deep(record):
            return input_error(where, f"JSON nested deeper than {MAX_JSON_DEPTH} levels; skipped")
        return record_document(record, where, text_key, id_key, where)
    except InputError as exc:
        return exc
    except UnicodeDecodeError as exc:
        return input_error(where, f"invalid UTF-8 at byte {exc.start}; skipped")
    except json.JSONDecodeError as exc:
        return input_error(where, f"invalid JSON ({exc.msg} at column {exc.colno}); skipped")
    except RecursionError:
        return input_error(where, f"JSON nested deeper than {MAX_JSON_DEPTH} levels; skipped")
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        detail = str(exc).split(":")[0].strip() or type(exc).__name__
        return input_error(where, f"invalid JSON ({detail[:1].lower()}{detail[1:]}); skipped")
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - the guard for one record
        return input_error(where, f"cannot read this record ({describe(exc)}); skipped")


def _too_deep(value: Any) -> bool:
    """Whether ``value`` nests more than MAX_JSON_DEPTH containers, looked at one level at a time."""
    level = [value]
    for _ in range(MAX_JSON_DEPTH):
        inner = []
        for item in level:
            if type(item) is dict:
                item = item.values()
            elif type(item) is not list:
                continue
            for child in item:
                if type(child) in _CONTAINERS:
                    inner.append(child)
        if not inner:
            return False
        level = inner
    return True


def read_parquet(
    path: str, text_key: str = "text", id_key: str | None = None, batch_rows: int = 4096,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> Iterator[Document | InputError]:
    """Documents of a Parquet file, a batch of rows at a time; a bad row yields an InputError."""
    return guarded(path, _parquet(path, text_key, id_key, batch_rows, max_record_bytes))


def _parquet(
    path: str, text_key: str, id_key: str | None, batch_rows: int, max_record_bytes: int
) -> Iterator[Document | InputError]:
    pq = require("pyarrow.parquet", "parquet", "reading .parquet")

    try:
        stream = open_regular(path)
    except NotRegularFile as exc:
        yield input_error(path, f"not a regular file ({exc.kind}), skipped")
        return
    except OSError as exc:
        yield input_error(path, f"cannot read ({exc.strerror or exc})")
        return
    with stream:
        try:
            table = pq.ParquetFile(stream)
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a bad file
            yield input_error(path, f"not a readable Parquet file ({describe(exc)}); skipped")
            return
        row = 0
        try:
            for batch in table.iter_batches(batch_size=batch_rows):
                for record in batch.to_pylist():
                    row += 1
                    yield parquet_row(record, f"{path}:row {row}", text_key, id_key, max_record_bytes)
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - corrupt pages surface as OSError, but not only
            yield input_error(path, f"corrupt Parquet data after {row} rows ({describe(exc)}); stopped there")


def parquet_row(
    record: Any, where: str, text_key: str, id_key: str | None, max_record_bytes: int
) -> Document | InputError:
    """The Document of one Parquet row, or the InputError saying why it cannot be one; never raises."""
    try:
        text = record.get(text_key) if isinstance(record, dict) else None
        if isinstance(text, str) and _utf8_longer_than(text, max_record_bytes):
            return input_error(where, f"text longer than the limit of {max_record_bytes} bytes; skipped")
        return record_document(record, where, text_key, id_key, where)
    except InputError as exc:
        return exc
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - the guard for one row
        return input_error(where, f"cannot read this row ({describe(exc)}); skipped")


def _utf8_longer_than(text: str, limit: int) -> bool:
    """Whether ``text`` takes more than ``limit`` bytes as UTF-8, encoding it only when it might."""
    if len(text) > limit:
        return True
    return len(text) * 4 > limit and len(text.encode("utf-8", "surrogatepass")) > limit
