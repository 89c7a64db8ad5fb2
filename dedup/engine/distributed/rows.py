"""Documents as rows: read one input file, clean and sketch a block, emit its LSH keys.

A document's position is ``file index << 40 | record number``: unique, ordered as the input,
and enough to tell which file (and so which part of the output) a row belongs to.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from dedup.engine.process import process_batch
from dedup.index.bands import IndexParams, band_keys
from dedup.model import CleanOptions
from dedup.read.document import Document
from dedup.read.records import DEFAULT_MAX_RECORD_BYTES, PARQUET_SUFFIXES, read_jsonl, read_parquet
from dedup.errors import InputError
from dedup.signatures.minhash import MinHashParams

FILE_SHIFT = 40
EXACT_BAND = -1  # the "band" of a document's exact key: members are duplicates without verification


PROCESSED_SCHEMA = pa.schema([
    ("pos", pa.int64()), ("error", pa.string()), ("id", pa.string()), ("chars", pa.int64()),
    ("cleaned_chars", pa.int64()), ("removals", pa.int64()), ("payload", pa.binary()), ("record", pa.binary()),
    ("sig", pa.binary()), ("size", pa.int64()), ("exact", pa.int64()),
])


def position(file_index: int, record: int) -> int:
    return (file_index << FILE_SHIFT) | record


def file_of(positions: np.ndarray) -> np.ndarray:
    return np.asarray(positions, dtype=np.int64) >> FILE_SHIFT


def read_file_rows(
    row: dict[str, Any], text_key: str, id_key: str | None, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
) -> Iterator[dict[str, Any]]:
    """The documents (or the errors) of one input file, in order, as rows; streamed, so Ray cuts
    a large file into blocks as it goes instead of holding it whole."""
    path = row["path"]
    reader = read_parquet if path.lower().endswith(PARQUET_SUFFIXES) else read_jsonl
    for n, item in enumerate(reader(path, text_key, id_key, max_record_bytes=max_record_bytes)):
        pos = position(row["file"], n)
        if isinstance(item, InputError):
            yield {"pos": pos, "error": str(item), "id": "", "source": "", "text": "", "record": ""}
        else:
            yield {"pos": pos, "error": "", "id": item.id, "source": item.source, "text": item.text,
                   "record": json.dumps(item.record, ensure_ascii=False, default=str)}


def process_rows(batch: Any, clean: CleanOptions, minhash: MinHashParams, text_key: str) -> Any:
    """Clean and sketch a block of documents with the single-machine ``process_batch``.

    The original text stays here; what goes on is the bytes to write if kept, the report
    record, the signature (bytes), its shingle count and the exact key. Error rows pass
    through with empty values: every column keeps one Arrow type (a 64-bit key must never
    become a float because a bad line sat in its block).
    """
    marker = os.environ.get("DEDUP_RAY_FAIL_ONCE")
    if marker and not Path(marker).exists():
        Path(marker).touch()
        os._exit(1)  # a worker dying mid-run, for the retry test
    good = batch[batch["error"] == ""]
    errors = batch[batch["error"] != ""]
    docs = [Document(r.id, r.text, r.source, record=json.loads(r.record), text_key=text_key) for r in good.itertuples()]
    processed, sketches = process_batch(docs, clean, minhash)
    assert sketches is not None
    failed = len(errors)
    zeros = [0] * failed
    columns = {
        "pos": [*good["pos"].tolist(), *errors["pos"].tolist()],
        "error": [""] * len(processed) + errors["error"].tolist(),
        "id": [p.id for p in processed] + [""] * failed,
        "chars": [p.chars for p in processed] + zeros,
        "cleaned_chars": [p.cleaned_chars for p in processed] + zeros,
        "removals": [p.removals for p in processed] + zeros,
        "payload": [p.payload for p in processed] + [b""] * failed,
        "record": [p.record for p in processed] + [b""] * failed,
        "sig": [s.tobytes() for s in sketches.signatures] + [b""] * failed,
        "size": [int(n) for n in sketches.sizes] + zeros,
        "exact": sketches.exact_keys.view(np.int64).tolist() + zeros,
    }
    return pa.table({name: pa.array(values, type=PROCESSED_SCHEMA.field(name).type) for name, values in columns.items()},
                    schema=PROCESSED_SCHEMA)


def signatures(blobs: Any, params: IndexParams) -> np.ndarray:
    """(documents × permutations) signatures from their bytes."""
    dtype = np.uint32 if params.scheme == "affine32" else np.uint64
    if len(blobs) == 0:
        return np.empty((0, params.num_perm), dtype=dtype)
    return np.frombuffer(b"".join(blobs), dtype=dtype).reshape(len(blobs), -1)


def key_rows(batch: dict[str, np.ndarray], params: IndexParams) -> dict[str, np.ndarray]:
    """The group-by keys of a block: one row per (document, band), and one per exact key.

    Only (band, key, position) travel: 24 bytes per row, the signatures stay behind and are
    joined onto the few candidate pairs later. Documents without shingles (empty, white
    space only) take no part at all, as on one machine: they repeat nothing.
    """
    ok = batch["error"] == ""
    pos = batch["pos"][ok].astype(np.int64)
    live = batch["size"][ok] > 0
    keys = band_keys(signatures(batch["sig"][ok][live], params), params)
    band = np.tile(np.arange(params.bands, dtype=np.int64), len(keys))
    return {
        "band": np.concatenate([band, np.full(int(live.sum()), EXACT_BAND, dtype=np.int64)]),
        "key": np.concatenate([keys.ravel(), batch["exact"][ok][live].astype(np.int64)]),
        "pos": np.concatenate([np.repeat(pos[live], params.bands), pos[live]]),
    }
