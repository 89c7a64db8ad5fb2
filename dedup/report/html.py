"""The review in a browser: one self-contained report.html beside report.json.

``render_html(report, texts)`` is a pure function from a loaded report (and the texts
``dedup.report.load.document_texts`` read back) to the page; ``write_html_report`` loads,
renders and writes it atomically.

The page is one file with its CSS and JavaScript inline: no network, works from
``file://``. It stays usable on large runs because nothing per document is put in the
DOM up front: the rows, the removed spans and the texts travel as one JSON block
(``<script type="application/json" id="data">``) and a document's view is built only when
it is opened (a click in the table, or ``#doc=<id>`` in the URL). Only documents that
lost something, duplicates, their canonical copies and documents holding a kept copy
carry their text; the others are just a row.

Safety: every ``<``, ``>`` and ``&`` in the JSON is written as a ``\\u00XX`` escape, so no
document text can close the script element; the script builds the views with
``textContent`` / text nodes only; and a Content-Security-Policy admits only the page's
own script and style (by their SHA-256) and no network at all, so even markup that got in
could neither run nor load anything.

Offsets in report.json count code points; the script converts them to UTF-16 positions
(surrogate pairs) before slicing. Undecodable input bytes (lone surrogates after
``surrogateescape``) are shown as U+FFFD, one for one, so offsets still line up.

The CSS and JavaScript are package data, ``dedup/report/assets/report.css`` and
``report.js``, inlined as they are. The page carries no test code: it only records a few
timings as attributes of ``<html>`` (``data-parse-ms``, ``data-table-ready-ms``,
``data-view-ms`` …) for benchmarks/report_html.py; the browser test and that benchmark
append their own script to the page's (tests/test_browser.py, benchmarks/report_html.py).
"""
from __future__ import annotations

import base64
import difflib
import functools
import hashlib
import html
import json
import os
import re
from collections import defaultdict
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from dedup.report.load import DocumentTexts, boilerplate_blocks, document_texts, load_report, report_path
from dedup.write.atomic import write_atomic
from dedup.write.report_json import readable

MAX_DIFF_LINES = 5000  # per side: longer cleaned texts get a diff of their first lines only
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the script splits lines with the same pattern
KINDS = ("exact", "near", "contained", "marker", "boilerplate")
MAX_BOILERPLATE_ROWS = 50


def write_html_report(
    report_location: str | os.PathLike[str], html_path: str | os.PathLike[str] | None = None
) -> Path:
    """Render the run at ``report_location`` (output folder or report.json) into ``report.html`` beside it."""
    source = report_path(report_location)
    report = load_report(source)
    page = render_html(report, document_texts(report))
    target = Path(html_path) if html_path is not None else source.with_name("report.html")
    write_atomic(target, page.encode("utf-8", "replace"))
    return target


def render_html(report: Mapping[str, Any], texts: Mapping[str, DocumentTexts]) -> str:
    """The whole page for ``report``; ``texts`` gives each document's original (None when unreadable)."""
    data = page_data(report, texts)
    style, script = _inline_asset("report.css"), _inline_asset("report.js")
    csp = (
        f"default-src 'none'; style-src '{_sha256(style)}'; script-src '{_sha256(script)}'; "
        "base-uri 'none'; form-action 'none'"
    )
    title = f"dedup report: {report.get('output') or 'run'}"
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp, quote=False)}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>{_e(title)}</title>\n<style>{style}</style>\n</head>\n<body>\n",
        _summary_html(report),
        _table_html(),
        '<section id="view-section"><h2>Document</h2><div id="view">'
        '<p class="hint">Click a document in the table (or a link below) to see what was removed from it.</p>'
        "</div></section>\n",
        _clusters_html(report),
        _boilerplate_html(report),
        _problems_html(report),
        f'<script type="application/json" id="data">{script_json(data)}</script>\n',
        f"<script>{script}</script>\n</body>\n</html>\n",
    ]
    return "".join(parts)


@functools.cache
def _inline_asset(name: str) -> str:
    """The text of ``dedup/report/assets/<name>`` as the page inlines (and hashes) it: on a line of its own.

    Read as bytes and decoded, so no newline translation can make the inlined text differ from
    the file; read once per process.
    """
    source = (resources.files("dedup.report") / "assets" / name).read_bytes().decode("utf-8")
    return "\n" + source


def _sha256(source: str) -> str:
    """A CSP source expression admitting exactly this inline script or style."""
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


def script_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element: ``<``, ``>`` and ``&`` only as ``\\u00XX`` escapes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def split_lines(text: str) -> list[str]:
    return _LINE_BREAK.split(text)


# Row fields, in the order the script reads them (see COL in assets/report.js).
ROW_FIELDS = ("id", "status", "chars", "chars_removed", "cuts", "duplicate_of", "similarity",
              "duplicate_kind", "duplicate_of_batch", "has_detail", "input", "warnings")


def page_data(report: Mapping[str, Any], texts: Mapping[str, DocumentTexts]) -> dict[str, Any]:
    """What the page's script needs: a row per document, details (spans, text, diff) for the few that need them."""
    documents = report["documents"]
    by_id = {d["id"]: d for d in documents}
    local_dup = {
        d["id"]: d["duplicate_of"]
        for d in documents
        if d["status"] == "duplicate" and d.get("duplicate_of_batch") is None and d.get("duplicate_of") in by_id
    }
    kept_in: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for d in documents:
        for r in d["removed"]:
            if r.get("kept") and r["kept"]["doc"] in by_id:
                kept_in[r["kept"]["doc"]].add((r["kept"]["start"], r["kept"]["end"]))
    wanted = {d["id"] for d in documents if d["removed"] or d["status"] == "duplicate"}
    wanted |= set(local_dup.values()) | set(kept_in)

    originals: dict[str, str] = {}
    for doc_id in wanted:
        original = texts.get(doc_id, DocumentTexts(None, None)).original
        if original is not None:
            originals[doc_id] = readable(original)  # an undecodable byte shows as one U+FFFD: offsets hold

    detail: dict[str, dict[str, Any]] = {}
    for record in documents:
        doc_id = record["id"]
        if doc_id not in wanted:
            continue
        item: dict[str, Any] = {
            "removed": [_span(r, doc_id in originals) for r in sorted(record["removed"], key=lambda r: r["start"])],
            "kept": sorted(kept_in.get(doc_id, ())),
            "text": originals.get(doc_id),
        }
        if doc_id in local_dup:
            item["diff"] = _diff(doc_id, local_dup[doc_id], texts)
        detail[doc_id] = item

    members: dict[str, list[list[Any]]] = {}
    for cluster in report.get("clusters", []):
        members[cluster["canonical"]] = [
            [m["id"], m["kind"], m["similarity"]] for m in cluster["members"] if m["id"] != cluster["canonical"]
        ]
    rows = [
        [
            d["id"], d["status"], d["chars"], d["chars_removed"], len(d["removed"]), d.get("duplicate_of"),
            d.get("similarity"), d.get("duplicate_kind"), d.get("duplicate_of_batch"), d["id"] in detail,
            d.get("input"), d.get("warnings") or [],
        ]
        for d in documents
    ]
    return {"rows": rows, "detail": detail, "members": members}


def _span(r: Mapping[str, Any], has_text: bool) -> list[Any]:
    kept = r.get("kept")
    span = [r["start"], r["end"], r["kind"], r["unit"], r["similarity"],
            kept["doc"] if kept else None, kept["start"] if kept else None, kept["end"] if kept else None]
    if not has_text:
        span.append(r.get("text", ""))  # the report's preview stands in for the unreadable original
    return span


def _diff(doc_id: str, canonical: str, texts: Mapping[str, DocumentTexts]) -> dict[str, Any]:
    """Line diff (difflib opcodes) of a duplicate's cleaned text against its canonical's cleaned text."""
    mine, theirs = texts.get(doc_id), texts.get(canonical)
    if mine is None or mine.cleaned is None or theirs is None or theirs.cleaned is None:
        missing = canonical if mine is not None and mine.cleaned is not None else doc_id
        return {"against": canonical, "skipped": f"the original of {missing} cannot be read back"}
    left = split_lines(readable(mine.cleaned))
    right = split_lines(readable(theirs.cleaned))
    truncated = len(left) > MAX_DIFF_LINES or len(right) > MAX_DIFF_LINES
    matcher = difflib.SequenceMatcher(None, left[:MAX_DIFF_LINES], right[:MAX_DIFF_LINES], autojunk=False)
    return {"against": canonical, "ops": [list(op) for op in matcher.get_opcodes()],
            "truncated": MAX_DIFF_LINES if truncated else None}


# ---------------------------------------------------------------- static parts


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _doc_link(doc_id: str) -> str:
    return f'<a href="#doc={quote(doc_id, safe="")}">{_e(doc_id)}</a>'


def _figure(name: str, label: str, value: Any, shown_as: str | None = None) -> str:
    text = shown_as if shown_as is not None else (f"{value:,}" if isinstance(value, int) else str(value))
    return (f'<div class="fig"><dt>{_e(label)}</dt>'
            f'<dd data-figure="{name}" data-value="{_e(value)}">{_e(text)}</dd></div>')


def _summary_html(report: Mapping[str, Any]) -> str:
    totals = report["totals"]
    chars_in, chars_removed = totals.get("chars_in", 0), totals.get("chars_removed", 0)
    share = 100.0 * chars_removed / chars_in if chars_in else 0.0
    clusters = totals.get("clusters", len(report.get("clusters", [])))
    tool = report.get("tool", {})
    figures = [
        _figure("documents", "documents", totals["documents"]),
        _figure("cleaned", "cleaned", totals["cleaned"]),
        _figure("unchanged", "unchanged", totals["unique"]),
        _figure("duplicates", "duplicates", totals["duplicate"]),
        _figure("clusters", "clusters", clusters),
        _figure("chars_removed", "characters removed", chars_removed,
                f"{chars_removed:,} of {chars_in:,} ({share:.1f}%)"),
        _figure("removals", "cuts", totals.get("removals", 0)),
        _figure("errors", "errors", totals.get("errors", len(report.get("errors", [])))),
        _figure("warnings", "warnings", len(report.get("warnings", []))),
    ]
    if "elapsed_seconds" in totals:
        figures.append(_figure("elapsed", "run time", totals["elapsed_seconds"], f"{totals['elapsed_seconds']} s"))
    parameters = json.dumps(report.get("parameters", {}), ensure_ascii=False, indent=2)
    return (
        '<section id="summary">\n'
        f"<h1>dedup report</h1>\n<p class=\"meta\">{_e(tool.get('name', 'dedup'))} {_e(tool.get('version', ''))}"
        f" · output: <code>{_e(report.get('output'))}</code> · run in <code>{_e(report.get('cwd', ''))}</code></p>\n"
        f'<dl class="figures">{"".join(figures)}</dl>\n'
        f"{_legend_html()}"
        f'<details id="parameters"><summary>Parameters</summary><pre>{_e(parameters)}</pre></details>\n'
        "</section>\n"
    )


def _legend_html() -> str:
    items = "".join(f'<span class="chip k-{k}">{k}</span>' for k in KINDS)
    return (f'<p class="legend">Removed, by kind: {items} '
            '<span class="chip kept">kept copy</span></p>\n')


def _table_html() -> str:
    headers = (("id", "document"), ("status", "status"), ("chars", "chars"), ("removed", "removed"),
               ("share", "share"), ("cuts", "cuts"), ("dup", "duplicate of"))
    cells = "".join(f'<th data-key="{k}" tabindex="0" role="button">{label}</th>' for k, label in headers)
    return (
        '<section id="documents"><h2>Documents</h2>\n'
        '<div class="filters">'
        '<label>status <select id="f-status"><option value="">all</option><option>cleaned</option>'
        "<option>unique</option><option>duplicate</option></select></label> "
        '<label>removed ≥ <input id="f-min" type="number" min="0" step="1" value="0"> chars</label> '
        '<label>id contains <input id="f-id" type="search" placeholder="filter ids"></label> '
        '<span id="f-count"></span></div>\n'
        f'<div class="table-box"><table id="doc-table"><thead><tr>{cells}</tr></thead><tbody></tbody></table></div>\n'
        '<p id="more-box"><button id="more" type="button" hidden>show more</button> '
        '<button id="all" type="button" hidden>show all</button></p>\n'
        "</section>\n"
    )


def _clusters_html(report: Mapping[str, Any]) -> str:
    clusters = report.get("clusters", [])
    if not clusters:
        return '<section id="clusters"><h2>Clusters</h2><p>No duplicate documents.</p></section>\n'
    rows = []
    for number, cluster in enumerate(clusters, start=1):
        members = []
        for m in cluster["members"]:
            role = "canonical" if m["kind"] == "canonical" else f"{m['kind']}, similarity {m['similarity']}"
            members.append(f'<li data-member="{_e(m["id"])}">{_doc_link(m["id"])} <span class="note">({_e(role)})</span></li>')
        rows.append(
            f'<tr class="cluster" data-canonical="{_e(cluster["canonical"])}"><td>{number}</td>'
            f'<td>{_doc_link(cluster["canonical"])}</td><td>{_e(cluster.get("size", len(cluster["members"])))}</td>'
            f'<td><ul class="members">{"".join(members)}</ul></td></tr>'
        )
    return (
        f'<section id="clusters"><h2>Clusters ({len(clusters):,})</h2>\n'
        f'<details{" open" if len(clusters) <= 200 else ""}><summary>{len(clusters):,} clusters of duplicate documents</summary>'
        '<table class="clusters"><thead><tr><th>#</th><th>kept (canonical)</th><th>size</th><th>members</th></tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></details></section>\n'
    )


def _boilerplate_html(report: Mapping[str, Any]) -> str:
    """The run's top boilerplate lines: how many documents each was cut from, how many unrelated ones have it."""
    blocks = boilerplate_blocks(report)
    if not blocks:
        return ""
    rows = "".join(
        f'<tr><td class="num">{b.cut_from:,}</td><td class="num">{b.documents:,}</td>'
        f'<td><span class="chip k-boilerplate">{_e(b.text)}</span></td><td>{_doc_link(b.example)}</td></tr>'
        for b in blocks[:MAX_BOILERPLATE_ROWS]
    )
    shown = f"the {MAX_BOILERPLATE_ROWS} cut from most documents" if len(blocks) > MAX_BOILERPLATE_ROWS else "all"
    return (
        f'<section id="boilerplate"><h2>Boilerplate ({len(blocks):,} lines)</h2>\n'
        "<p>Lines that many unrelated documents have (site chrome, promos, footers), cut from every document; "
        f"{shown}.</p>\n"
        '<table class="boilerplate"><thead><tr><th>cut from</th><th>in (unrelated documents)</th><th>line</th>'
        f"<th>e.g.</th></tr></thead><tbody>{rows}</tbody></table></section>\n"
    )


def _problems_html(report: Mapping[str, Any]) -> str:
    errors = report.get("errors", [])
    warnings = report.get("warnings", [])
    doc_warnings = [(d["id"], w) for d in report["documents"] for w in d.get("warnings") or []]

    def items(lines: list[str]) -> str:
        return "".join(f"<li>{_e(line)}</li>" for line in lines) or "<li class=\"none\">none</li>"

    shown_doc = doc_warnings[:2000]
    doc_items = "".join(f"<li>{_doc_link(i)}: {_e(w)}</li>" for i, w in shown_doc)
    if len(doc_warnings) > len(shown_doc):
        doc_items += f"<li>… and {len(doc_warnings) - len(shown_doc):,} more</li>"
    return (
        '<section id="problems"><h2>Errors and warnings</h2>\n'
        f'<h3>Errors ({len(errors):,})</h3><ul id="errors">{items(errors)}</ul>\n'
        f'<h3>Warnings ({len(warnings):,})</h3><ul id="warnings">{items(warnings)}</ul>\n'
        + (f'<h3>Document warnings ({len(doc_warnings):,})</h3><ul id="doc-warnings">{doc_items}</ul>\n' if doc_warnings else "")
        + "</section>\n"
    )
