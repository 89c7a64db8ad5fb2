"""The review in a terminal: a run's summary, the documents that lost most, and unified diffs.

Pure functions from a loaded report (and texts) to lines; the CLI prints them, in colour
only where click decides the output is a terminal (or as told by --color/--no-color).
"""
from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import click

from dedup.report.load import DocumentTexts, ReportError, boilerplate_blocks

_STYLE: dict[str, dict[str, Any]] = {"+": {"fg": "green"}, "-": {"fg": "red"}, "@": {"fg": "cyan"}}


def summary_lines(report: Mapping[str, Any]) -> list[str]:
    totals = report["totals"]
    share = 100.0 * totals["chars_removed"] / totals["chars_in"] if totals["chars_in"] else 0.0
    return [
        f"{totals['documents']} documents: {totals['cleaned']} cleaned, {totals['unique']} unchanged, "
        f"{totals['duplicate']} duplicate in {totals.get('clusters', len(report.get('clusters', [])))} clusters",
        f"removed {totals['chars_removed']:,} of {totals['chars_in']:,} characters ({share:.1f}%) "
        f"in {totals['removals']} cuts",
        f"{totals['errors']} errors, {len(report.get('warnings', []))} warnings; output: {report.get('output')}",
    ]


def top_documents(report: Mapping[str, Any], count: int = 10) -> list[str]:
    """The ``count`` documents that lost most characters, as aligned rows."""
    ranked = sorted(report["documents"], key=lambda d: (-d["chars_removed"], d["id"]))[:count]
    ranked = [d for d in ranked if d["chars_removed"] > 0]
    if not ranked:
        return ["nothing was removed"]
    width = max(len(d["id"]) for d in ranked)
    rows = [f"{'document':<{width}}  {'status':<9}  {'removed':>9}  {'share':>6}  cuts  kept instead"]
    for d in ranked:
        share = 100.0 * d["chars_removed"] / d["chars"] if d["chars"] else 0.0
        note = f"duplicate of {d['duplicate_of']} ({d['similarity']})" if d["status"] == "duplicate" else ""
        rows.append(
            f"{d['id']:<{width}}  {d['status']:<9}  {d['chars_removed']:>9,}  {share:>5.1f}%  {len(d['removed']):>4}  {note}"
        )
    return rows


def top_boilerplate(report: Mapping[str, Any], count: int = 10) -> list[str]:
    """The ``count`` boilerplate lines cut from most documents, as rows (nothing if none was cut)."""
    blocks = boilerplate_blocks(report)
    if not blocks:
        return []
    rows = [f"boilerplate: {len(blocks):,} distinct lines cut",
            f"{'cut from':>8}  {'in':>6}  line"]
    rows += [f"{b.cut_from:>8,}  {b.documents:>6,}  {b.text}" for b in blocks[:count]]
    return rows


def find_document(report: Mapping[str, Any], doc_id: str) -> Mapping[str, Any]:
    for record in report["documents"]:
        if record["id"] == doc_id:
            return record
    close = difflib.get_close_matches(doc_id, [d["id"] for d in report["documents"]], n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ReportError(f"no document {doc_id!r} in this report{hint}")


def document_diff(
    report: Mapping[str, Any], texts: Mapping[str, DocumentTexts], doc_id: str, context: int = 3
) -> list[str]:
    """Unified diff of a document's original against its cleaned text; a duplicate's against its canonical."""
    record = find_document(report, doc_id)
    own = texts.get(doc_id, DocumentTexts(None, None))
    if own.original is None:
        raise ReportError(f"{doc_id}: the original ({record['input']}) cannot be read back")
    if record["status"] == "duplicate":
        canonical = texts.get(record["duplicate_of"], DocumentTexts(None, None))
        if canonical.cleaned is None:
            raise ReportError(f"{record['duplicate_of']}: the canonical copy cannot be read back")
        header = [f"# {doc_id} is a duplicate ({record['duplicate_kind']}, similarity {record['similarity']}) "
                  f"of {record['duplicate_of']}; the whole document was dropped"]
        return header + unified(own.cleaned or "", canonical.cleaned, f"{doc_id} (cleaned)",
                                f"{record['duplicate_of']} (kept)", context)
    if not record["removed"]:
        return [f"# {doc_id}: nothing was removed"]
    chrome = [r for r in record["removed"] if r["kind"] == "boilerplate"]
    header = [f"# {len(chrome)} boilerplate line(s) cut: each is in {min(r['documents'] for r in chrome)} or more unrelated "
              "documents"] if chrome else []
    return header + unified(own.original, own.cleaned or "", f"{doc_id} (original)", f"{doc_id} (cleaned)", context)


def unified(before: str, after: str, before_name: str, after_name: str, context: int = 3) -> list[str]:
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), before_name, after_name, n=context, lineterm=""
    )
    return list(lines)


def styled(line: str) -> str:
    """A diff line in its colour (click strips the colour again when not writing to a terminal)."""
    if line.startswith(("+++", "---")):
        return click.style(line, bold=True)
    return click.style(line, **_STYLE.get(line[:1], {}))
