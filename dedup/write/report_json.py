"""report.json: every document, every removal, the clusters, the parameters and the totals.

The format is versioned (``schema_version``) and documented in the README; later tools
(the HTML report, ``dedup diff``) read only this file and the inputs it names. The
document records are streamed into the file one by one, so a report of a million
documents never sits in memory whole.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from typing import Any

from dedup import __version__
from dedup.decide.boilerplate import Boilerplate, Cut
from dedup.model import Removal
from dedup.outcome import RunSummary
from dedup.write.atomic import atomic_output

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


def boilerplate_record(cut: Cut, boilerplate: Boilerplate, doc_id: str) -> dict[str, Any]:
    """A boilerplate line cut from document ``doc_id``: where, how many unrelated documents have it, and one
    other document of the batch that does (none if only earlier batches do)."""
    return {
        "start": cut.original_start,
        "end": cut.original_end,
        "kind": "boilerplate",
        "unit": "block",
        "similarity": 1.0,
        "kept": None,
        "documents": boilerplate.documents.get(cut.key, 0),
        "seen_in": boilerplate.seen_elsewhere(cut.key, doc_id),
        "text": _preview(cut.text),
    }


def with_boilerplate(removed: list[dict[str, Any]], cuts: list[Cut], boilerplate: Boilerplate, doc_id: str) -> list[dict[str, Any]]:
    """A document's removal records with its boilerplate cuts among them, in order."""
    return sorted(removed + [boilerplate_record(c, boilerplate, doc_id) for c in cuts], key=lambda r: r["start"])


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_report(
    path: str | os.PathLike[str],
    summary: RunSummary,
    documents: Iterable[dict[str, Any] | str],
    clusters: Iterable[dict[str, Any] | str],
    before_publish: Callable[[], None] | None = None,
) -> None:
    """Write report.json atomically, streaming ``documents`` (records in input order).

    A document or cluster may come already encoded as JSON text (a ``str``): the Ray engine's
    records are written by its workers and only copied here.

    ``before_publish`` runs once the report is complete but before it replaces the old
    one: the run's last step (adding the batch to the index); if it fails, no report.
    """
    with atomic_output(path) as out:
        def put(text: str) -> None:
            out.write(text.encode("utf-8", "backslashreplace"))

        put("{\n")
        put(f' "schema_version": {SCHEMA_VERSION},\n')
        put(f' "tool": {dumps({"name": "dedup", "version": __version__})},\n')
        put(f' "parameters": {dumps(summary.parameters)},\n')
        put(f' "totals": {dumps(summary.totals())},\n')
        put(f' "output": {dumps(summary.output)},\n')
        put(f' "cwd": {dumps(readable(os.getcwd()))},\n')
        for name, items in (("documents", documents), ("clusters", clusters)):
            put(f' "{name}": [')
            for i, item in enumerate(items):
                put(("," if i else "") + "\n  " + (item if isinstance(item, str) else dumps(item)))
            put("\n ],\n")
        put(f' "errors": {dumps(list(summary.errors))},\n')
        put(f' "warnings": {dumps(list(summary.warnings))}\n')
        put("}\n")
        if before_publish is not None:
            before_publish()


_SURROGATE = re.compile("[\ud800-\udfff]")


def readable(text: str) -> str:
    """``text`` with undecodable input bytes (kept as lone surrogates) and lone surrogates from JSON escapes
    shown as U+FFFD, so the report is valid UTF-8."""
    return _SURROGATE.sub("\ufffd", text)


def _preview(text: str) -> str:
    text = readable(text.strip())
    return text if len(text) <= _PREVIEW else text[: _PREVIEW - 1] + "…"
