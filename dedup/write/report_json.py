"""report.json: every document, every removal, the parameters and the totals.

The format is versioned (``schema_version``) and documented in the README; later tools
(the HTML report, ``dedup diff``) read only this file and the inputs it names.
"""
from __future__ import annotations

import json
from typing import Any

from dedup import __version__
from dedup.model import Removal
from dedup.outcome import DocumentOutcome, RunSummary

SCHEMA_VERSION = 1
_PREVIEW = 80


def removal_record(removal: Removal, doc_id: str, original: str) -> dict[str, Any]:
    kept = None
    if removal.kept is not None:
        kept = {"doc": removal.kept.doc or doc_id, "start": removal.kept.start, "end": removal.kept.end}
    return {
        "start": removal.start,
        "end": removal.end,
        "kind": removal.kind.value,
        "unit": removal.unit,
        "similarity": removal.similarity,
        "kept": kept,
        "text": _preview(original[removal.start : removal.end]),
    }


def document_record(outcome: DocumentOutcome) -> dict[str, Any]:
    return {
        "id": outcome.id,
        "input": outcome.source,
        "status": outcome.status,
        "duplicate_of": outcome.duplicate_of,
        "similarity": outcome.similarity,
        "output": outcome.output,
        "chars": outcome.chars,
        "chars_removed": outcome.chars_removed,
        "removed": [removal_record(r, outcome.id, outcome.original) for r in outcome.result.removals],
        "warnings": list(outcome.warnings),
    }


def build_report(summary: RunSummary, clusters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "dedup", "version": __version__},
        "parameters": summary.parameters,
        "totals": {
            "documents": len(summary.outcomes),
            "unique": summary.count("unique"),
            "cleaned": summary.count("cleaned"),
            "duplicate": summary.count("duplicate"),
            "errors": len(summary.errors),
            "chars_in": summary.chars_in,
            "chars_removed": summary.chars_removed,
            "removals": sum(len(o.result.removals) for o in summary.outcomes),
            "elapsed_seconds": round(summary.elapsed, 3),
        },
        "documents": [document_record(o) for o in summary.outcomes],
        "clusters": clusters or [],
        "errors": list(summary.errors),
        "warnings": list(summary.warnings),
    }


def report_bytes(report: dict[str, Any]) -> bytes:
    return (json.dumps(report, ensure_ascii=False, indent=1) + "\n").encode("utf-8", "surrogateescape")


def _preview(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _PREVIEW else text[: _PREVIEW - 1] + "…"
