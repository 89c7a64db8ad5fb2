"""The work done on each batch of documents, in a worker process.

Clean each document, then sketch the cleaned text for corpus matching. What comes back is
small: the bytes to write if the document is kept, its report record, and its sketch;
the original text stays in the worker.
"""
from __future__ import annotations

import json

import xxhash
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dedup.model import CleanOptions, CleanResult
from dedup.read.document import Document
from dedup.signatures.minhash import MinHashParams, Sketches, sketch
from dedup.within import clean_document
from dedup.write.report_json import removal_record


@dataclass(frozen=True)
class Processed:
    """One cleaned document, ready to be spooled."""

    id: str
    source: str
    chars: int
    cleaned_chars: int
    removals: int
    payload: bytes  # what is written if the document is kept
    record: bytes  # its report record (JSON) without the corpus-level fields
    warnings: tuple[str, ...]
    content_key: bytes = b""  # XXH3 of the original text: with the id, what tells a re-run of a batch


def document_warnings(doc: Document) -> tuple[str, ...]:
    warnings = []
    if doc.invalid_utf8_at is not None:
        warnings.append(f"{doc.source}: invalid UTF-8 at byte {doc.invalid_utf8_at}, kept byte for byte")
    if not doc.text:
        warnings.append(f"{doc.source}: empty document, written as is")
    elif not doc.text.strip():
        warnings.append(f"{doc.source}: only white space, written as is")
    return tuple(warnings)


def clean_one(doc: Document, options: CleanOptions) -> tuple[CleanResult, dict[str, Any]]:
    """The cleaned document and its report record without the corpus-level fields."""
    result = clean_document(doc.text, options)
    record = {
        "id": doc.id,
        "input": doc.source,
        "chars": len(doc.text),
        "removed": [removal_record(r, doc.id, doc.text) for r in result.removals],
        "warnings": list(document_warnings(doc)),
    }
    return result, record


def process_batch(
    docs: Sequence[Document], options: CleanOptions, minhash: MinHashParams | None
) -> tuple[list[Processed], Sketches | None]:
    processed, cleaned_texts = [], []
    for doc in docs:
        result, record = clean_one(doc, options)
        processed.append(
            Processed(
                id=doc.id,
                source=doc.source,
                chars=len(doc.text),
                cleaned_chars=len(result.text),
                removals=len(result.removals),
                payload=doc.encode(result.text),
                record=json.dumps(record, ensure_ascii=False).encode("utf-8", "backslashreplace"),
                warnings=tuple(record["warnings"]),
                content_key=xxhash.xxh3_64_digest(doc.text.encode("utf-8", "surrogatepass")),
            )
        )
        cleaned_texts.append(result.text)
    return processed, (sketch(cleaned_texts, minhash) if minhash is not None else None)
