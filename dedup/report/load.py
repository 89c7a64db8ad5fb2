"""A finished run as reviewers see it: report.json plus each document's original and cleaned text.

Nothing but report.json and the inputs it names is needed: the cleaned text of any
document (kept or not) is its original with the reported spans cut out, so a review
never depends on the outputs still being there. Originals are read back from text files,
JSONL lines (``path:line``) or Parquet rows (``path:row N``); a document whose input is
gone, or came from standard input, has no texts and is shown from the report alone.
"""
from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dedup.decide.cuts import apply_removals
from dedup.errors import DedupError
from dedup.model import Removal, RemovalKind
from dedup.read.files import decode_bytes
from dedup.read.streams import open_bytes

_LINE = re.compile(r"^(?P<path>.+):(?P<line>\d+)$")
_ROW = re.compile(r"^(?P<path>.+):row (?P<row>\d+)$")


class ReportError(DedupError):
    """The output folder has no readable report.json, or names no such document."""


@dataclass(frozen=True)
class DocumentTexts:
    """Original and cleaned text of one document (None when the input cannot be read back)."""

    original: str | None
    cleaned: str | None


def report_path(location: str | os.PathLike[str]) -> Path:
    """report.json of an output folder, or the report file itself."""
    path = Path(location)
    candidate = path / "report.json" if path.is_dir() else path
    if not candidate.is_file():
        raise ReportError(f"{location}: no report.json here (run 'dedup clean' first)")
    return candidate


def load_report(location: str | os.PathLike[str]) -> dict[str, Any]:
    path = report_path(location)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: not a readable report ({exc})") from None
    if report.get("schema_version") != 1:
        raise ReportError(f"{path}: unsupported schema_version {report.get('schema_version')!r}")
    return report


def removals_of(record: Mapping[str, Any]) -> list[Removal]:
    return [
        Removal(r["start"], r["end"], RemovalKind(r["kind"]), r["unit"], r["similarity"]) for r in record["removed"]
    ]


def read_originals(
    records: Iterable[Mapping[str, Any]], text_key: str = "text", base: str | os.PathLike[str] = "."
) -> dict[str, str]:
    """Original text of each document whose input can still be read, by id; relative inputs start at ``base``."""
    originals: dict[str, str] = {}
    wanted_lines: dict[str, dict[int, str]] = defaultdict(dict)
    wanted_rows: dict[str, dict[int, str]] = defaultdict(dict)
    for record in records:
        source = str(Path(base) / record["input"])
        if (match := _ROW.match(source)) and Path(match["path"]).is_file():
            wanted_rows[match["path"]][int(match["row"])] = record["id"]
        elif (match := _LINE.match(source)) and Path(match["path"]).is_file() and not Path(source).is_file():
            wanted_lines[match["path"]][int(match["line"])] = record["id"]
        elif Path(source).is_file():
            try:
                originals[record["id"]] = decode_bytes(record["id"], Path(source).read_bytes(), source).text
            except (OSError, DedupError):
                continue
    for path, lines in wanted_lines.items():
        originals.update(_jsonl_texts(path, lines, text_key))
    for path, rows in wanted_rows.items():
        originals.update(_parquet_texts(path, rows, text_key))
    return originals


def _jsonl_texts(path: str, lines: Mapping[int, str], text_key: str) -> dict[str, str]:
    found = {}
    try:
        with open_bytes(path) as stream:
            for number, raw in enumerate(stream, start=1):
                if number in lines:
                    value = json.loads(raw).get(text_key)
                    if isinstance(value, str):
                        found[lines[number]] = value
    except (OSError, ValueError):
        pass
    return found


def _parquet_texts(path: str, rows: Mapping[int, str], text_key: str) -> dict[str, str]:
    from dedup.extras import require

    pq = require("pyarrow.parquet", "parquet", "reading .parquet")

    found, row = {}, 0
    try:
        for batch in pq.ParquetFile(path).iter_batches(columns=[text_key]):
            for value in batch.column(0).to_pylist():
                row += 1
                if row in rows and isinstance(value, str):
                    found[rows[row]] = value
    except Exception:  # a Parquet file that changed since the run: review without its texts
        pass
    return found


def document_texts(report: Mapping[str, Any]) -> dict[str, DocumentTexts]:
    """Original and cleaned text of every document of ``report`` that can be read back."""
    text_key = report.get("parameters", {}).get("text_key", "text")
    originals = read_originals(report["documents"], text_key, report.get("cwd", "."))
    texts = {}
    for record in report["documents"]:
        original = originals.get(record["id"])
        if original is not None and all(r["end"] <= len(original) for r in record["removed"]):
            texts[record["id"]] = DocumentTexts(original, apply_removals(original, removals_of(record)))
        else:
            texts[record["id"]] = DocumentTexts(None, None)
    return texts


@dataclass(frozen=True)
class BoilerplateBlock:
    """A boilerplate line of a run: its text (as the report previews it), how many documents it was cut from,
    how many unrelated documents have it, and one of them."""

    text: str
    cut_from: int
    documents: int
    example: str


def boilerplate_blocks(report: Mapping[str, Any]) -> list[BoilerplateBlock]:
    """The run's boilerplate lines, those cut from most documents first."""
    found: dict[str, list[Any]] = {}
    for record in report["documents"]:
        for r in record["removed"]:
            if r["kind"] != RemovalKind.BOILERPLATE.value:
                continue
            entry = found.setdefault(r.get("text") or "", [0, 0, record["id"]])
            entry[0] += 1
            entry[1] = max(entry[1], int(r.get("documents") or 0))
    return sorted((BoilerplateBlock(text, *entry) for text, entry in found.items()),
                  key=lambda b: (-b.cut_from, -b.documents, b.text))
