"""Documents as rows: read one input (a record file, or a group of text files), clean and sketch a block,
emit its LSH keys.

A document's position is ``input index << 40 | document number``: unique, ordered as the
input, and enough to tell which input (and so which part of the output) a row belongs to.
An input is one JSONL/Parquet file, or a group of consecutive text files.

Ids, texts, sources, records and error lines travel as bytes (UTF-8 with ``surrogatepass``):
a text file's undecodable bytes, a non-UTF-8 file name and a JSON ``"\\ud800"`` escape are
lone surrogates in Python strings, which Arrow strings cannot hold, and they must come out
byte for byte as on one machine.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from dedup.decide.boilerplate import NO_SITE, Boilerplate, BoilerplateRule
from dedup.engine.process import LineOptions, Spooled, process_batch, resketch_batch
from dedup.errors import InputError
from dedup.index.bands import IndexParams
from dedup.match.lsh import band_keys
from dedup.model import CleanOptions
from dedup.read.document import Document
from dedup.read.files import DEFAULT_MAX_BYTES, InputFile, read_text_input
from dedup.read.records import DEFAULT_MAX_RECORD_BYTES, PARQUET_SUFFIXES, read_jsonl, read_parquet
from dedup.signatures.minhash import MinHashParams, Sketches
from dedup.signatures.samples import Samples

FILE_SHIFT = 40
EXACT_BAND = -1  # the "band" of a document's exact key: members are duplicates without verification
NO_ERROR = b""

PROCESSED_SCHEMA = pa.schema([
    ("pos", pa.int64()), ("error", pa.binary()), ("id", pa.binary()), ("chars", pa.int64()),
    ("cleaned_chars", pa.int64()), ("removals", pa.int64()), ("payload", pa.binary()), ("record", pa.binary()),
    ("sig", pa.binary()), ("size", pa.int64()), ("exact", pa.int64()), ("content_key", pa.binary()),
    ("samples", pa.binary()), ("lines", pa.binary()), ("site", pa.int64()), ("bom", pa.bool_()),
    ("is_record", pa.bool_()),
])
RESKETCH_SCHEMA = pa.schema([
    ("pos", pa.int64()), ("cleaned_chars", pa.int64()), ("cuts", pa.int64()), ("sig", pa.binary()),
    ("size", pa.int64()), ("exact", pa.int64()), ("samples", pa.binary()),
])


def text_bytes(text: str) -> bytes:
    """A string as bytes, lone surrogates included (:func:`text_of` gives it back)."""
    return text.encode("utf-8", "surrogatepass")


def text_of(blob: bytes) -> str:
    return bytes(blob).decode("utf-8", "surrogatepass")


def position(file_index: int, record: int) -> int:
    return (file_index << FILE_SHIFT) | record


def file_of(positions: np.ndarray) -> np.ndarray:
    return np.asarray(positions, dtype=np.int64) >> FILE_SHIFT


def text_groups(files: Sequence[InputFile], per_group: int) -> list[dict[str, Any]]:
    """Text files as read tasks of ``per_group`` consecutive files each (one task per file would be mostly
    scheduling): rows of (input index, paths, ids), names as bytes."""
    return [
        {"file": g, "paths": [os.fsencode(f.path) for f in files[start:start + per_group]],
         "ids": [text_bytes(f.id) for f in files[start:start + per_group]]}
        for g, start in enumerate(range(0, len(files), per_group))
    ]


def read_file_rows(
    row: dict[str, Any], text_key: str, id_key: str | None, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[dict[str, Any]]:
    """The documents (or the errors) of one input, in order, as rows; streamed, so Ray cuts a large file
    into blocks as it goes instead of holding it whole.

    ``row`` is a record file (``path``, as bytes) or a group of text files (``paths`` and ``ids``, from
    :func:`text_groups`), read by the same guarded readers as on one machine.
    """
    if "paths" in row:
        items: Iterator[Document | InputError] = (
            read_text_input(InputFile(Path(os.fsdecode(bytes(p))), text_of(i)), max_bytes)
            for p, i in zip(row["paths"], row["ids"])
        )
    else:
        path = os.fsdecode(bytes(row["path"]))
        reader = read_parquet if path.lower().endswith(PARQUET_SUFFIXES) else read_jsonl
        items = reader(path, text_key, id_key, max_record_bytes=max_record_bytes)
    for n, item in enumerate(items):
        pos = position(row["file"], n)
        if isinstance(item, InputError):
            yield {"pos": pos, "error": text_bytes(str(item)), "id": b"", "source": b"", "text": b"", "record": b"",
                   "bom": False, "invalid_at": -1}
        else:
            record = b"" if item.record is None else text_bytes(json.dumps(item.record, ensure_ascii=False, default=str))
            yield {"pos": pos, "error": NO_ERROR, "id": text_bytes(item.id), "source": text_bytes(item.source),
                   "text": text_bytes(item.text), "record": record, "bom": item.bom,
                   "invalid_at": -1 if item.invalid_utf8_at is None else item.invalid_utf8_at}


def _document(row: Any, text_key: str) -> Document:
    return Document(
        text_of(row.id), text_of(row.text), text_of(row.source), bool(row.bom),
        None if row.invalid_at < 0 else int(row.invalid_at), json.loads(text_of(row.record)) if row.record else None,
        text_key,
    )


def process_rows(
    batch: Any, clean: CleanOptions, minhash: MinHashParams, text_key: str, lines: LineOptions | None = None,
) -> Any:
    """Clean and sketch a block of documents with the single-machine ``process_batch``.

    The original text stays here; what goes on is the bytes to write if kept, the report
    record, the signature (bytes), its shingle count, the exact key and the content key (what
    tells a re-run of a batch). Error rows pass through with empty values: every column keeps
    one Arrow type (a 64-bit key must never become a float because a bad line sat in its block).
    """
    good = batch[batch["error"] == NO_ERROR]
    errors = batch[batch["error"] != NO_ERROR]
    processed, sketches = process_batch([_document(r, text_key) for r in good.itertuples()], clean, minhash, lines)
    assert sketches is not None
    failed = len(errors)
    zeros = [0] * failed
    columns = {
        "pos": [*good["pos"].tolist(), *errors["pos"].tolist()],
        "error": [NO_ERROR] * len(processed) + errors["error"].tolist(),
        "id": [text_bytes(p.id) for p in processed] + [b""] * failed,
        "chars": [p.chars for p in processed] + zeros,
        "cleaned_chars": [p.cleaned_chars for p in processed] + zeros,
        "removals": [p.removals for p in processed] + zeros,
        "payload": [p.payload for p in processed] + [b""] * failed,
        "record": [p.record for p in processed] + [b""] * failed,
        "sig": [s.tobytes() for s in sketches.signatures] + [b""] * failed,
        "size": [int(n) for n in sketches.sizes] + zeros,
        "exact": sketches.exact_keys.view(np.int64).tolist() + zeros,
        "content_key": [p.content_key for p in processed] + [b""] * failed,
        "samples": [_samples_bytes(sketches.samples_of(i)) for i in range(len(processed))] + [b""] * failed,
        "lines": [np.ascontiguousarray(p.line_keys, dtype="<i8").tobytes() for p in processed] + [b""] * failed,
        "site": [p.site for p in processed] + [NO_SITE] * failed,
        "bom": [p.bom for p in processed] + [False] * failed,
        "is_record": [p.is_record for p in processed] + [False] * failed,
    }
    return pa.table({name: pa.array(values, type=PROCESSED_SCHEMA.field(name).type) for name, values in columns.items()},
                    schema=PROCESSED_SCHEMA)


def line_keys_of(blob: bytes) -> np.ndarray:
    return np.frombuffer(bytes(blob), dtype="<i8").astype(np.int64)


def spooled_of(row: Any, text_key: str) -> Spooled:
    """A processed row as :func:`dedup.engine.process.cut_spooled` takes it."""
    return Spooled(int(row.pos), bytes(row.payload), bytes(row.record), int(row.site), bool(row.bom),
                   bool(row.is_record), text_key)


def resketch_rows(batch: Any, boilerplate: Boilerplate, rule: BoilerplateRule, minhash: MinHashParams, text_key: str) -> Any:
    """The documents of a block with boilerplate, sketched again without it (:func:`resketch_batch`)."""
    good = batch[batch["error"] == NO_ERROR]
    wanted = [r for r in good.itertuples() if boilerplate.flags(line_keys_of(r.lines), int(r.site)).any()]
    positions, lengths, counts, sketches = resketch_batch([spooled_of(r, text_key) for r in wanted], boilerplate, rule, minhash)
    columns = {
        "pos": positions, "cleaned_chars": lengths, "cuts": counts,
        "sig": [s.tobytes() for s in sketches.signatures], "size": [int(n) for n in sketches.sizes],
        "exact": sketches.exact_keys.view(np.int64).tolist(),
        "samples": [_samples_bytes(sketches.samples_of(i)) for i in range(len(positions))],
    }
    return pa.table({name: pa.array(values, type=RESKETCH_SCHEMA.field(name).type) for name, values in columns.items()},
                    schema=RESKETCH_SCHEMA)


def with_resketched(batch: Any, boilerplate: Boilerplate, rule: BoilerplateRule, minhash: MinHashParams, text_key: str,
                    keep: bool) -> Any:
    """A block of processed rows with the sketches of its documents with boilerplate made without it, and
    (unless ``keep``) their lengths and removals as cut (the distributed path's second sketch)."""
    redone = resketch_rows(batch, boilerplate, rule, minhash, text_key).to_pandas().set_index("pos")
    if len(redone) == 0:
        return batch
    batch = batch.copy()
    rows = batch["pos"].isin(redone.index).to_numpy()
    at = redone.loc[batch.loc[rows, "pos"]]
    for column in ("sig", "size", "exact", "samples"):
        batch.loc[rows, column] = at[column].to_numpy()
    if not keep:
        batch.loc[rows, "cleaned_chars"] = at["cleaned_chars"].to_numpy()
        batch.loc[rows, "removals"] = batch.loc[rows, "removals"].to_numpy() + at["cuts"].to_numpy()
    return batch


def _samples_bytes(samples: np.ndarray | None) -> bytes:
    return b"" if samples is None else np.ascontiguousarray(samples, dtype="<u4").tobytes()


def samples_of_rows(blobs: Any) -> Samples:
    """The :class:`Samples` of a column of processed rows' ``samples`` (one machine's, document by document)."""
    return Samples.of_runs([np.frombuffer(bytes(blob), dtype="<u4") for blob in blobs])


def signatures(blobs: Any, params: IndexParams) -> np.ndarray:
    """(documents × permutations) signatures from their bytes."""
    dtype = np.uint32 if params.scheme == "affine32" else np.uint64
    if len(blobs) == 0:
        return np.empty((0, params.num_perm), dtype=dtype)
    return np.frombuffer(b"".join(blobs), dtype=dtype).reshape(len(blobs), -1)


def sketches_of(columns: Any, params: IndexParams) -> Sketches:
    """The :class:`Sketches` of processed rows (``sig``, ``size``, ``exact`` and ``samples`` columns), as one
    machine has them."""
    samples = samples_of_rows(columns["samples"]) if "samples" in columns else None
    return Sketches(
        signatures(list(columns["sig"]), params), np.asarray(columns["size"], dtype=np.int64),
        np.asarray(columns["exact"], dtype=np.int64).view(np.uint64), samples,
    )


def live_signatures(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The documents that take part in matching (read, with shingles): position, signature, size, exact key
    and samples (if the batch has them)."""
    live = (batch["error"] == NO_ERROR) & (batch["size"] > 0)
    return {name: batch[name][live] for name in ("pos", "sig", "size", "exact", "samples") if name in batch}


def key_rows(batch: dict[str, np.ndarray], params: IndexParams) -> dict[str, np.ndarray]:
    """The group-by keys of a block: one row per (document, band), and one per exact key.

    Only (band, key, position) travel: 24 bytes per row, the signatures stay behind and are
    joined onto the few candidate pairs later. Documents without shingles (empty, white
    space only) take no part at all, as on one machine: they repeat nothing.
    """
    ok = batch["error"] == NO_ERROR
    pos = batch["pos"][ok].astype(np.int64)
    live = batch["size"][ok] > 0
    keys = band_keys(signatures(batch["sig"][ok][live], params), params)
    band = np.tile(np.arange(params.bands, dtype=np.int64), len(keys))
    return {
        "band": np.concatenate([band, np.full(int(live.sum()), EXACT_BAND, dtype=np.int64)]),
        "key": np.concatenate([keys.ravel(), batch["exact"][ok][live].astype(np.int64)]),
        "pos": np.concatenate([np.repeat(pos[live], params.bands), pos[live]]),
    }
