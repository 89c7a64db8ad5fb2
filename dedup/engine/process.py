"""The work done on each batch of documents, in a worker process.

Clean each document, then sketch the cleaned text for corpus matching. What comes back is
small: the bytes to write if the document is kept, its report record, and its sketch;
the original text stays in the worker.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xxhash

from dedup.decide.boilerplate import (
    NO_SITE, Boilerplate, BoilerplateRule, Cut, countable_keys, cut_boilerplate, site_key, site_of_record,
)
from dedup.model import CleanOptions, CleanResult
from dedup.read.document import Document
from dedup.segment.blocks import DocumentBlocks
from dedup.signatures.minhash import MinHashParams, Sketches, sketch
from dedup.within import clean_and_segment
from dedup.write.report_json import removal_record, with_boilerplate


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
    line_keys: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # its lines that may be boilerplate
    site: int = NO_SITE
    bom: bool = False
    is_record: bool = False


_NO_KEYS = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class LineOptions:
    """What pass 1 needs to count a document's lines for boilerplate: the rule and where a record names its site."""

    rule: BoilerplateRule
    site_key: str | None = None


def document_warnings(doc: Document) -> tuple[str, ...]:
    warnings = []
    if doc.invalid_utf8_at is not None:
        warnings.append(f"{doc.source}: invalid UTF-8 at byte {doc.invalid_utf8_at}, kept byte for byte")
    if not doc.text:
        warnings.append(f"{doc.source}: empty document, written as is")
    elif not doc.text.strip():
        warnings.append(f"{doc.source}: only white space, written as is")
    return tuple(warnings)


def clean_one(doc: Document, options: CleanOptions) -> tuple[CleanResult, dict[str, Any], DocumentBlocks | None]:
    """The cleaned document, its report record without the corpus-level fields, and the cleaned text's plain
    blocks if cleaning made them (``clean_and_segment``)."""
    result, blocks = clean_and_segment(doc.text, options)
    record = {
        "id": doc.id,
        "input": doc.source,
        "chars": len(doc.text),
        "removed": [removal_record(r, doc.id, doc.text) for r in result.removals],
        "warnings": list(document_warnings(doc)),
    }
    return result, record, blocks


def process_batch(
    docs: Sequence[Document], options: CleanOptions, minhash: MinHashParams | None, lines: LineOptions | None = None,
) -> tuple[list[Processed], Sketches | None]:
    processed, cleaned_texts = [], []
    for doc in docs:
        result, record, blocks = clean_one(doc, options)
        keys = countable_keys(result.text, lines.rule, blocks) if lines is not None else _NO_KEYS
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
                line_keys=keys,
                site=site_key(site_of_record(doc.record, lines.site_key)) if lines is not None else NO_SITE,
                bom=doc.bom,
                is_record=doc.record is not None,
            )
        )
        cleaned_texts.append(result.text)
    return processed, (sketch(cleaned_texts, minhash) if minhash is not None else None)


# -- boilerplate: pass 1.5 and pass 2 -----------------------------------------------------


@dataclass(frozen=True)
class Spooled:
    """A document as pass 1 spooled it, with what it takes to read its cleaned text back and write it again."""

    position: int
    payload: bytes
    record: bytes
    site: int
    bom: bool
    is_record: bool
    text_key: str


def read_back(doc: Spooled) -> Document:
    """The spooled payload as a :class:`Document` again: its cleaned text, and what it takes to encode it anew
    (the inverse of :meth:`Document.encode`; the payload is parsed once)."""
    if doc.is_record:
        record = json.loads(doc.payload)
        return Document("", str(record[doc.text_key]), "", doc.bom, record=record, text_key=doc.text_key)
    body = doc.payload[3:] if doc.bom else doc.payload
    return Document("", body.decode("utf-8", "surrogateescape"), "", doc.bom)


def without_boilerplate(
    doc: Spooled, boilerplate: Boilerplate, rule: BoilerplateRule,
) -> tuple[Document, str, list[Cut], dict[str, Any]]:
    """The document read back, its cleaned text with its boilerplate lines cut, the cuts, and its report record."""
    record = json.loads(doc.record)
    removed = [(r["start"], r["end"]) for r in record["removed"]]
    document = read_back(doc)
    text, cuts = cut_boilerplate(document.text, doc.site, boilerplate, removed, rule)
    return document, text, cuts, record


def cut_spooled(doc: Spooled, doc_id: str, boilerplate: Boilerplate, rule: BoilerplateRule) -> tuple[bytes, dict[str, Any], int]:
    """The payload to write, the report record (its boilerplate cuts among the removals) and the cleaned length
    of a spooled document once its boilerplate is cut."""
    document, text, cuts, record = without_boilerplate(doc, boilerplate, rule)
    if not cuts:
        return doc.payload, record, len(text)
    record["removed"] = with_boilerplate(record["removed"], cuts, boilerplate, doc_id)
    return document.encode(text), record, len(text)


def resketch_batch(
    docs: Sequence[Spooled], boilerplate: Boilerplate, rule: BoilerplateRule, minhash: MinHashParams,
) -> tuple[list[int], list[int], list[int], Sketches]:
    """Positions, cleaned lengths and cut counts of documents after their boilerplate is cut, and their sketches
    (boilerplate is left out of every document's similarity)."""
    texts, lengths, counts = [], [], []
    for doc in docs:
        _, text, cuts, _ = without_boilerplate(doc, boilerplate, rule)
        texts.append(text)
        lengths.append(len(text))
        counts.append(len(cuts))
    return [d.position for d in docs], lengths, counts, sketch(texts, minhash)
