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

Add ``?selftest=1`` to the URL and the page renders every document view, then writes the
highlighted spans of each (kind, start, end, text) as JSON into ``<pre id="selftest-result">``
and sets the title to ``selftest-done``: the browser test compares them with report.json.
"""
from __future__ import annotations

import base64
import difflib
import hashlib
import html
import json
import os
import re
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from dedup.report.load import DocumentTexts, document_texts, load_report, report_path
from dedup.write.atomic import write_atomic
from dedup.write.report_json import readable

MAX_DIFF_LINES = 5000  # per side: longer cleaned texts get a diff of their first lines only
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the script splits lines with the same pattern
KINDS = ("exact", "near", "contained", "marker")


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
    script = _SCRIPT
    csp = (
        f"default-src 'none'; style-src '{_sha256(_CSS)}'; script-src '{_sha256(script)}'; "
        "base-uri 'none'; form-action 'none'"
    )
    title = f"dedup report: {report.get('output') or 'run'}"
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp, quote=False)}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n",
        _summary_html(report),
        _table_html(),
        '<section id="view-section"><h2>Document</h2><div id="view">'
        '<p class="hint">Click a document in the table (or a link below) to see what was removed from it.</p>'
        "</div></section>\n",
        _clusters_html(report),
        _problems_html(report),
        '<pre id="selftest-result" hidden></pre>\n',
        f'<script type="application/json" id="data">{script_json(data)}</script>\n',
        f"<script>{script}</script>\n</body>\n</html>\n",
    ]
    return "".join(parts)


def _sha256(source: str) -> str:
    """A CSP source expression admitting exactly this inline script or style."""
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


def script_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element: ``<``, ``>`` and ``&`` only as ``\\u00XX`` escapes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def split_lines(text: str) -> list[str]:
    return _LINE_BREAK.split(text)


# Row fields, in the order the script reads them (see COL in _SCRIPT).
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


_CSS = """
:root{--exact:#ffb3b3;--near:#ffd591;--contained:#d9c2ff;--marker:#d0d0d0;--kept:#c8f0c8;--line:#ddd;
--font:system-ui,-apple-system,"Segoe UI","Hiragino Sans","Hiragino Kaku Gothic ProN","Noto Sans CJK JP","Noto Sans JP","Yu Gothic",Meiryo,"Noto Sans CJK SC","Microsoft YaHei",sans-serif}
*{box-sizing:border-box}
body{font-family:var(--font);margin:0 auto;max-width:1400px;padding:0 16px 40px;color:#222;background:#fff;line-height:1.5}
h1{font-size:1.5em;margin:.6em 0 .2em}h2{font-size:1.2em;border-bottom:1px solid var(--line);padding-bottom:.2em;margin-top:1.4em}
.meta,.note,.hint{color:#666}.note{font-size:.9em}
code{font-size:.95em}
.figures{display:flex;flex-wrap:wrap;gap:8px;margin:.6em 0}.fig{border:1px solid var(--line);border-radius:6px;padding:4px 10px;min-width:90px}
.fig dt{font-size:.8em;color:#666}.fig dd{margin:0;font-size:1.15em;font-weight:600}
details pre{background:#f6f6f6;padding:8px;max-height:360px;overflow:auto}
.chip{display:inline-block;padding:0 6px;border-radius:4px;margin:0 2px;font-size:.9em}
.k-exact{background:var(--exact)}.k-near{background:var(--near)}.k-contained{background:var(--contained)}.k-marker{background:var(--marker)}
.chip.kept{background:var(--kept);outline:1px dashed #2a8a2a}
.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin-bottom:6px}.filters input[type=number]{width:7em}
#f-count{color:#666}
.table-box{max-height:42vh;overflow:auto;border:1px solid var(--line)}
table{border-collapse:collapse;width:100%}th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
#doc-table{table-layout:fixed}#doc-table th:nth-child(1){width:28%}#doc-table th:nth-child(2){width:9%}
#doc-table th:nth-child(3){width:8%}#doc-table th:nth-child(4){width:10%}#doc-table th:nth-child(5),#doc-table th:nth-child(6){width:7%}
#doc-table th{position:sticky;top:0;background:#f3f3f3;cursor:pointer;user-select:none;white-space:nowrap}
#doc-table th[aria-sort=ascending]::after{content:" ▲"}#doc-table th[aria-sort=descending]::after{content:" ▼"}
#doc-table td.n{text-align:right;font-variant-numeric:tabular-nums}
#doc-table tbody tr{cursor:pointer}#doc-table tbody tr:hover{background:#f5f9ff}#doc-table tbody tr.current{background:#e3efff}
#doc-table td.id{word-break:break-all}
.st{font-size:.85em;padding:0 5px;border-radius:4px}.st-cleaned{background:#fff0c2}.st-duplicate{background:#ffd6d6}.st-unique{background:#e8e8e8}
.docmeta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:.4em 0}.docmeta dt{color:#666}.docmeta dd{margin:0;word-break:break-all}
pre.text{font-family:var(--font);white-space:pre-wrap;overflow-wrap:anywhere;word-break:normal;line-height:1.75;background:#fcfcfc;border:1px solid var(--line);padding:10px 12px;font-size:15px;max-width:100%}
mark.rm{color:inherit;border-radius:2px;padding:0}
mark.rm .lbl{font-size:11px;font-family:system-ui,sans-serif;vertical-align:super;line-height:1;padding:0 3px;margin-right:2px;border-radius:3px;background:rgba(255,255,255,.75);color:#333;text-decoration:none;user-select:none;white-space:nowrap}
a.lbl:hover{background:#fff;text-decoration:underline}
.kept{background:var(--kept);box-shadow:0 1px 0 #2a8a2a}
mark.rm .kept{box-shadow:0 1px 0 #2a8a2a inset}
.flash{animation:flash 1.6s ease-out 1}
@keyframes flash{0%{background:#ffef5a;outline:3px solid #f0b400}60%{background:#fff6a8;outline:3px solid #f0b400}100%{outline:0 solid transparent}}
table.spans td{font-size:.9em}
table.diff{table-layout:fixed;font-size:14px}table.diff td{font-family:var(--font);white-space:pre-wrap;overflow-wrap:anywhere;border-bottom:0;padding:1px 6px}
table.diff td.ln{width:4.5em;color:#999;text-align:right;font-variant-numeric:tabular-nums;user-select:none}
table.diff col.ln{width:4.5em}
td.del{background:#ffecec}td.ins{background:#eaffea}td.chg-del{background:#ffecec}td.chg-ins{background:#eaffea}
td.chg-del b{background:#ffb8b8;font-weight:normal}td.chg-ins b{background:#a8f0a8;font-weight:normal}
tr.fold td{background:#f0f4f8;color:#557;cursor:pointer;text-align:center}
ul.members{margin:0;padding-left:1.2em}
#problems li{word-break:break-all}
"""

_SCRIPT = r"""
(function () {
"use strict";
var parseStart = performance.now();
var DATA = JSON.parse(document.getElementById("data").textContent);
document.documentElement.setAttribute("data-parse-ms", (performance.now() - parseStart).toFixed(1));
var ROWS = DATA.rows, DETAIL = DATA.detail, MEMBERS = DATA.members;
var COL = {id: 0, status: 1, chars: 2, removed: 3, cuts: 4, dupOf: 5, sim: 6, dkind: 7, batch: 8, detail: 9, input: 10, warnings: 11};
var INDEX = new Map();
ROWS.forEach(function (r, i) { INDEX.set(r[COL.id], i); });
var PAGE = 500, CONTEXT = 3, MAX_DIFF_ROWS = 6000;
var root = document.documentElement;

function el(tag, attrs) {
  var node = document.createElement(tag);
  if (attrs) for (var k in attrs) {
    if (attrs[k] === null || attrs[k] === undefined) continue;
    if (k === "class") node.className = attrs[k]; else node.setAttribute(k, attrs[k]);
  }
  for (var i = 2; i < arguments.length; i++) add(node, arguments[i]);
  return node;
}
function add(node, child) {
  if (child === null || child === undefined) return;
  if (Array.isArray(child)) { child.forEach(function (c) { add(node, c); }); return; }
  node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
}
var NUMBER = new Intl.NumberFormat("en-US");
function fmt(n) { return n === null || n === undefined ? "" : NUMBER.format(n); }
function pct(a, b) { return b ? (100 * a / b).toFixed(1) + "%" : "0.0%"; }
function simText(s) { return s === null || s === undefined ? "" : Number(s).toFixed(2); }
function docHref(id, at) { return "#doc=" + encodeURIComponent(id) + (at ? "&at=" + at : ""); }
function docLink(id, label) { return el("a", {href: docHref(id)}, label === undefined ? id : label); }

/* ---------------------------------------------------------------- code points */
// report.json offsets count code points; JS strings index UTF-16 units.
function unitOffsets(text, points) {
  var sorted = Array.from(new Set(points)).sort(function (a, b) { return a - b; });
  var map = new Map();
  if (!/[\uD800-\uDFFF]/.test(text)) { sorted.forEach(function (p) { map.set(p, Math.min(p, text.length)); }); return map; }
  var u = 0, cp = 0;
  sorted.forEach(function (p) {
    while (cp < p && u < text.length) {
      var c = text.charCodeAt(u);
      u += (c >= 0xD800 && c <= 0xDBFF && u + 1 < text.length) ? 2 : 1;
      cp++;
    }
    map.set(p, u);
  });
  return map;
}
var cleanedCache = new Map();
function cleanedText(id) {
  if (cleanedCache.has(id)) return cleanedCache.get(id);
  var d = DETAIL[id];
  if (!d || d.text === null) return null;
  var pts = [];
  d.removed.forEach(function (r) { pts.push(r[0], r[1]); });
  var map = unitOffsets(d.text, pts), out = [], at = 0;
  d.removed.forEach(function (r) {
    var s = map.get(r[0]), e = map.get(r[1]);
    if (s > at) out.push(d.text.slice(at, s));
    at = Math.max(at, e);
  });
  out.push(d.text.slice(at));
  var result = out.join("");
  cleanedCache.set(id, result);
  return result;
}

/* ---------------------------------------------------------------- table */
var state = {key: "removed", dir: -1, limit: PAGE, current: null};
var KEYS = {
  id: function (r) { return r[COL.id]; },
  status: function (r) { return r[COL.status]; },
  chars: function (r) { return r[COL.chars]; },
  removed: function (r) { return r[COL.removed]; },
  share: function (r) { return r[COL.chars] ? r[COL.removed] / r[COL.chars] : 0; },
  cuts: function (r) { return r[COL.cuts]; },
  dup: function (r) { return r[COL.dupOf] || ""; }
};
var tbody = document.querySelector("#doc-table tbody");
var fStatus = document.getElementById("f-status"), fMin = document.getElementById("f-min"), fId = document.getElementById("f-id");
var moreButton = document.getElementById("more"), allButton = document.getElementById("all");

function matching() {
  var status = fStatus.value, min = Number(fMin.value) || 0, needle = fId.value.trim().toLowerCase();
  var out = [];
  for (var i = 0; i < ROWS.length; i++) {
    var r = ROWS[i];
    if (status && r[COL.status] !== status) continue;
    if (r[COL.removed] < min) continue;
    if (needle && r[COL.id].toLowerCase().indexOf(needle) < 0) continue;
    out.push(i);
  }
  var key = KEYS[state.key], dir = state.dir;
  out.sort(function (a, b) {
    var x = key(ROWS[a]), y = key(ROWS[b]);
    return x < y ? -dir : x > y ? dir : a - b;
  });
  return out;
}

function rowNode(i) {
  var r = ROWS[i], id = r[COL.id];
  var dup = null;
  if (r[COL.dupOf]) {
    dup = [r[COL.batch] !== null && r[COL.batch] !== undefined ? el("span", null, r[COL.dupOf] + " (index)") : docLink(r[COL.dupOf]),
           el("span", {class: "note"}, " " + (r[COL.dkind] || "") + " " + simText(r[COL.sim]))];
  }
  var tr = el("tr", {"data-id": id, class: id === state.current ? "current" : null},
    el("td", {class: "id"}, docLink(id)),
    el("td", null, el("span", {class: "st st-" + r[COL.status]}, r[COL.status])),
    el("td", {class: "n"}, fmt(r[COL.chars])),
    el("td", {class: "n"}, fmt(r[COL.removed])),
    el("td", {class: "n"}, pct(r[COL.removed], r[COL.chars])),
    el("td", {class: "n"}, fmt(r[COL.cuts])),
    el("td", {class: "id"}, dup));
  return tr;
}

function renderTable() {
  var list = matching();
  var shown = list.slice(0, state.limit);
  var frag = document.createDocumentFragment();
  shown.forEach(function (i) { frag.appendChild(rowNode(i)); });
  tbody.replaceChildren(frag);
  document.getElementById("f-count").textContent =
    "showing " + fmt(shown.length) + " of " + fmt(list.length) + " matching (" + fmt(ROWS.length) + " documents)";
  moreButton.hidden = allButton.hidden = shown.length >= list.length;
  document.querySelectorAll("#doc-table th").forEach(function (th) {
    if (th.dataset.key === state.key) th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
  });
}

document.querySelectorAll("#doc-table th").forEach(function (th) {
  function sortBy() {
    var key = th.dataset.key;
    if (state.key === key) state.dir = -state.dir;
    else { state.key = key; state.dir = (key === "id" || key === "status" || key === "dup") ? 1 : -1; }
    renderTable();
  }
  th.addEventListener("click", sortBy);
  th.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sortBy(); } });
});
[fStatus, fMin, fId].forEach(function (input) {
  input.addEventListener("input", function () { state.limit = PAGE; renderTable(); });
});
moreButton.addEventListener("click", function () { state.limit += PAGE; renderTable(); });
allButton.addEventListener("click", function () { state.limit = Infinity; renderTable(); });
tbody.addEventListener("click", function (ev) {
  if (ev.target.closest("a")) return;
  var tr = ev.target.closest("tr");
  if (tr) location.hash = docHref(tr.dataset.id).slice(1);
});

/* ---------------------------------------------------------------- document view */
var KIND_TEXT = {exact: "exact repeat", near: "near repeat", contained: "contained in a longer paragraph", marker: "continuation marker"};

function spanTitle(r) {
  var t = KIND_TEXT[r[2]] || r[2];
  t += " (" + r[3] + ")";
  if (r[2] !== "marker") t += ", similarity " + simText(r[4]);
  t += "; characters " + r[0] + "–" + r[1];
  if (r[5] !== null) t += "; kept copy: " + r[5] + " " + r[6] + "–" + r[7] + " (click the label)";
  return t;
}

function textView(id, d) {
  var text = d.text, removed = d.removed, kept = d.kept;
  var pts = [0, codePoints(text)];
  var events = new Map();
  function ev(p) { if (!events.has(p)) events.set(p, {open: [], close: []}); return events.get(p); }
  removed.forEach(function (r) { pts.push(r[0], r[1]); });
  kept.forEach(function (k, i) { pts.push(k[0], k[1]); if (k[1] > k[0]) { ev(k[0]).open.push(i); ev(k[1]).close.push(i); } });
  var units = unitOffsets(text, pts);
  var bounds = Array.from(units.keys()).sort(function (a, b) { return a - b; });
  var pre = el("pre", {class: "text", id: "text"});
  if (/[\u3040-\u30ff]/.test(text)) pre.setAttribute("lang", "ja");
  else if (/[\u4e00-\u9fff]/.test(text)) pre.setAttribute("lang", "zh");
  var active = new Set(), ri = 0, mark = null, markEnd = -1;
  for (var b = 0; b + 1 < bounds.length; b++) {
    var p = bounds[b], q = bounds[b + 1];
    var e = events.get(p);
    if (e) { e.close.forEach(function (k) { active.delete(k); }); e.open.forEach(function (k) { active.add(k); }); }
    if (mark && p >= markEnd) mark = null;
    while (ri < removed.length && (removed[ri][0] < p || (removed[ri][0] === p && removed[ri][1] === p))) {
      // overlapping spans (a broken report) are skipped; an empty one still shows as an empty mark
      if (removed[ri][0] === p) pre.appendChild(emptyMark(removed[ri], ri));
      ri++;
    }
    if (!mark && ri < removed.length && removed[ri][0] === p) {
      var r = removed[ri];
      mark = markNode(r, ri);
      var label = r[2] + (r[2] === "marker" ? "" : " " + simText(r[4]));
      if (r[5] !== null) mark.appendChild(el("a", {class: "lbl", href: docHref(r[5], r[6] + "-" + r[7])}, label + " ↪"));
      else mark.appendChild(el("span", {class: "lbl"}, label));
      pre.appendChild(mark);
      markEnd = r[1];
      ri++;
    }
    var piece = text.slice(units.get(p), units.get(q));
    if (!piece) continue;
    var keptIds = active.size ? Array.from(active).join(" ") : null;
    if (mark) mark.appendChild(el("span", {class: keptIds ? "seg kept" : "seg", "data-k": keptIds}, piece));
    else if (keptIds) pre.appendChild(el("span", {class: "kept", "data-k": keptIds, title: "kept: a removed copy elsewhere points here"}, piece));
    else pre.appendChild(document.createTextNode(piece));
  }
  for (; ri < removed.length; ri++) if (removed[ri][0] === removed[ri][1]) pre.appendChild(emptyMark(removed[ri], ri));
  return pre;
}
function markNode(r, i) {
  return el("mark", {class: "rm k-" + r[2], "data-i": i, "data-kind": r[2], "data-start": r[0], "data-end": r[1], title: spanTitle(r)});
}
function emptyMark(r, i) {
  var m = markNode(r, i);
  m.appendChild(el("span", {class: "lbl"}, r[2] + " (empty)"));
  return m;
}
function codePoints(text) {
  var n = text.length, pairs = text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g);
  return pairs ? n - pairs.length : n;
}

function spansTable(d) {
  return el("table", {class: "spans"},
    el("thead", null, el("tr", null, ["start", "end", "kind", "unit", "similarity", "kept copy", "text (start)"].map(function (h) { return el("th", null, h); }))),
    el("tbody", null, d.removed.map(function (r) {
      return el("tr", null, el("td", null, r[0]), el("td", null, r[1]), el("td", null, el("span", {class: "chip k-" + r[2]}, r[2])),
        el("td", null, r[3]), el("td", null, simText(r[4])),
        el("td", null, r[5] === null ? "" : el("a", {href: docHref(r[5], r[6] + "-" + r[7])}, r[5] + " " + r[6] + "–" + r[7])),
        el("td", null, r[8] || ""));
    })));
}

function common(a, b) {
  var n = Math.min(a.length, b.length), pre = 0, suf = 0;
  while (pre < n && a[pre] === b[pre]) pre++;
  while (suf < n - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  return [pre, suf];
}
function changed(line, pre, suf) {
  return [line.slice(0, pre), el("b", null, line.slice(pre, line.length - suf)), line.slice(line.length - suf)];
}

function diffView(id, d) {
  var diff = d.diff, box = el("div", {class: "diff-box", id: "diff"});
  box.appendChild(el("h3", null, "Cleaned text of this document (left) against the kept document ", docLink(diff.against), " (right)"));
  if (diff.skipped) { box.appendChild(el("p", {class: "note"}, "No diff: " + diff.skipped + ".")); return box; }
  var left = cleanedText(id).split(/\r\n|\r|\n/), right = cleanedText(diff.against).split(/\r\n|\r|\n/);
  var table = el("table", {class: "diff"}, el("colgroup", null, el("col", {class: "ln"}), el("col"), el("col", {class: "ln"}), el("col")));
  var body = el("tbody");
  table.appendChild(body);
  var rows = 0, capped = false;
  function line(i, j, lt, rt, lc, rc) {
    if (rows >= MAX_DIFF_ROWS) { capped = true; return null; }
    rows++;
    return el("tr", null, el("td", {class: "ln"}, i === null ? "" : i + 1), el("td", {class: lc}, lt),
      el("td", {class: "ln"}, j === null ? "" : j + 1), el("td", {class: rc}, rt));
  }
  function equalRows(i1, i2, j1) {
    var out = [];
    for (var k = i1; k < i2; k++) { var tr = line(k, j1 + k - i1, left[k], right[j1 + k - i1], "", ""); if (tr) out.push(tr); }
    return out;
  }
  var changes = 0;
  diff.ops.forEach(function (op, n) {
    var tag = op[0], i1 = op[1], i2 = op[2], j1 = op[3], j2 = op[4];
    if (tag === "equal") {
      var head = n === 0 ? 0 : CONTEXT, tail = n === diff.ops.length - 1 ? 0 : CONTEXT;
      if (i2 - i1 <= head + tail + 1) { add(body, equalRows(i1, i2, j1)); return; }
      add(body, equalRows(i1, i1 + head, j1));
      var hidden = i2 - i1 - head - tail, from = i1 + head, to = i2 - tail, jFrom = j1 + head;
      var fold = el("tr", {class: "fold", title: "click to show"}, el("td", {colspan: 4}, "⋯ " + fmt(hidden) + " unchanged lines ⋯"));
      fold.addEventListener("click", function () { fold.replaceWith.apply(fold, equalRows(from, to, jFrom)); });
      body.appendChild(fold);
      add(body, equalRows(to, i2, j1 + (to - i1)));
      return;
    }
    changes++;
    var n1 = i2 - i1, n2 = j2 - j1, m = Math.max(n1, n2);
    for (var k = 0; k < m; k++) {
      var a = k < n1 ? left[i1 + k] : null, b = k < n2 ? right[j1 + k] : null, tr;
      if (a !== null && b !== null) {
        var c = common(a, b);
        tr = line(i1 + k, j1 + k, changed(a, c[0], c[1]), changed(b, c[0], c[1]), "chg-del", "chg-ins");
      } else tr = line(a === null ? null : i1 + k, b === null ? null : j1 + k, a === null ? "" : a, b === null ? "" : b,
                       a === null ? "" : "del", b === null ? "" : "ins");
      if (tr) body.appendChild(tr);
    }
  });
  box.appendChild(el("p", {class: "note"}, changes ? fmt(changes) + " changed region(s); unchanged runs are folded." : "The cleaned texts are identical."));
  box.appendChild(table);
  if (capped) box.appendChild(el("p", {class: "note"}, "Diff cut at " + fmt(MAX_DIFF_ROWS) + " rows; run `dedup diff` for all of it."));
  if (diff.truncated) box.appendChild(el("p", {class: "note"}, "Only the first " + fmt(diff.truncated) + " lines of each side were compared."));
  return box;
}

function buildView(id) {
  var i = INDEX.get(id);
  if (i === undefined) return el("div", null, el("p", null, "No document ", el("code", null, id), " in this report."));
  var r = ROWS[i], d = DETAIL[id] || null;
  var view = el("div", {class: "docview", "data-doc": id});
  view.appendChild(el("h3", null, id, " ", el("span", {class: "st st-" + r[COL.status]}, r[COL.status])));
  var meta = el("dl", {class: "docmeta"});
  function item(k, v) { meta.appendChild(el("dt", null, k)); meta.appendChild(el("dd", null, v)); }
  item("input", r[COL.input] || "");
  item("characters", fmt(r[COL.chars]));
  item("removed", fmt(r[COL.removed]) + " (" + pct(r[COL.removed], r[COL.chars]) + ") in " + fmt(r[COL.cuts]) + " cut(s)");
  if (r[COL.status] === "duplicate") {
    var of = r[COL.batch] !== null && r[COL.batch] !== undefined
      ? [r[COL.dupOf], " (in the index, batch " + r[COL.batch] + ")"] : docLink(r[COL.dupOf]);
    item("duplicate of", [of, " — " + (r[COL.dkind] || "") + ", similarity " + simText(r[COL.sim]) + "; the whole document was dropped"]);
  }
  var dups = MEMBERS[id];
  if (dups && dups.length) item("its duplicates", dups.map(function (m, k) {
    return [k ? ", " : "", docLink(m[0]), " (" + m[1] + " " + simText(m[2]) + ")"];
  }));
  if (r[COL.warnings].length) item("warnings", r[COL.warnings].join("; "));
  view.appendChild(meta);
  if (d && d.diff) view.appendChild(diffView(id, d));
  if (d && d.text !== null) {
    view.appendChild(el("h3", null, d.removed.length ? "Original text, removed spans highlighted" : "Original text (nothing removed)"));
    if (d.removed.length || d.kept.length) view.appendChild(el("p", {class: "legend"}, "Removed: ",
      ["exact", "near", "contained", "marker"].map(function (k) { return el("span", {class: "chip k-" + k}, k); }),
      " ", el("span", {class: "chip kept"}, "kept copy"), " — hover a highlight for details; its label jumps to the copy kept."));
    view.appendChild(textView(id, d));
  } else if (d && d.removed.length) {
    view.appendChild(el("p", {class: "note"}, "The original (" + (r[COL.input] || "?") + ") cannot be read back; the removed spans as the report lists them:"));
    view.appendChild(spansTable(d));
  } else if (!d) {
    view.appendChild(el("p", {class: "note"}, "Nothing was removed from this document; its text is not embedded in the report."));
  } else {
    view.appendChild(el("p", {class: "note"}, "The original (" + (r[COL.input] || "?") + ") cannot be read back."));
  }
  return view;
}

function keptIndex(id, s, e) {
  var d = DETAIL[id], k = -1;
  if (d) d.kept.forEach(function (span, i) { if (span[0] === s && span[1] === e) k = i; });
  return k;
}
function keptNodes(k) { return document.querySelectorAll('#view [data-k~="' + k + '"]'); }

function flashKept(at) {
  var m = /^(\d+)-(\d+)$/.exec(at || "");
  if (!m || !state.current) return false;
  var k = keptIndex(state.current, Number(m[1]), Number(m[2]));
  if (k < 0) return false;
  var nodes = keptNodes(k);
  if (!nodes.length) return false;
  nodes[0].scrollIntoView({block: "center"});
  nodes.forEach(function (node) { node.classList.remove("flash"); void node.offsetWidth; node.classList.add("flash"); });
  return true;
}

function openDoc(id, at) {
  var t0 = performance.now();
  var view = document.getElementById("view");
  if (state.current !== id || !view.firstChild || !view.firstChild.dataset || view.firstChild.dataset.doc !== id) {
    state.current = id;
    view.replaceChildren(buildView(id));
    view.getBoundingClientRect();  // lay it out now, so the time below includes layout
    tbody.querySelectorAll("tr.current").forEach(function (tr) { tr.classList.remove("current"); });
    tbody.querySelectorAll("tr").forEach(function (tr) { if (tr.dataset.id === id) tr.classList.add("current"); });
    document.title = id + " — dedup report";
  }
  if (!flashKept(at)) {
    var section = document.getElementById("view-section"), top = section.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight * 0.6) section.scrollIntoView({block: "start"});  // already in sight: stay
  }
  root.setAttribute("data-view-doc", id);
  root.setAttribute("data-view-top", Math.round(document.getElementById("view-section").getBoundingClientRect().top) + "," + Math.round(window.scrollY));
  root.setAttribute("data-view-ms", (performance.now() - t0).toFixed(1));
  root.setAttribute("data-view-ready-ms", performance.now().toFixed(1));
}

function route() {
  var params = {};
  location.hash.replace(/^#/, "").split("&").forEach(function (part) {
    var eq = part.indexOf("=");
    if (eq < 0) return;
    var value = part.slice(eq + 1);
    try { value = decodeURIComponent(value); } catch (err) { /* a raw id typed by hand */ }
    params[part.slice(0, eq)] = value;
  });
  if (params.doc !== undefined) openDoc(params.doc, params.at);
}
window.addEventListener("hashchange", route);
document.addEventListener("click", function (ev) {
  var a = ev.target.closest && ev.target.closest('a[href^="#doc="]');
  if (a && a.getAttribute("href") === location.hash) { ev.preventDefault(); route(); }  // same link again: flash again
});

/* ---------------------------------------------------------------- start */
renderTable();
tbody.getBoundingClientRect();  // laid out, not just built
root.setAttribute("data-table-ready-ms", performance.now().toFixed(1));
root.setAttribute("data-table-rows", String(tbody.rows.length));
route();

if (new URLSearchParams(location.search).get("bench") === "1") {
  // timings of table operations, for benchmarks/report_html.py
  var bench = {};
  function time(name, action) {
    var t = performance.now(); action(); tbody.getBoundingClientRect(); bench[name] = +(performance.now() - t).toFixed(1);
  }
  time("sort_id", function () { state.key = "id"; state.dir = 1; renderTable(); });
  time("sort_share", function () { state.key = "share"; state.dir = -1; renderTable(); });
  time("filter_duplicate", function () { fStatus.value = "duplicate"; renderTable(); });
  time("filter_min_1000", function () { fStatus.value = ""; fMin.value = "1000"; renderTable(); });
  time("filter_id", function () { fMin.value = "0"; fId.value = "0042"; renderTable(); });
  time("show_all", function () { fId.value = ""; state.limit = Infinity; renderTable(); });
  bench.rows_shown = tbody.rows.length;
  if (performance.memory) bench.js_heap_mb = +(performance.memory.usedJSHeapSize / 1048576).toFixed(1);
  root.setAttribute("data-bench", JSON.stringify(bench));
}

if (new URLSearchParams(location.search).get("selftest") === "1") {
  var result = {documents: {}, errors: []};
  var view = document.getElementById("view");
  ROWS.forEach(function (r) {
    var id = r[COL.id];
    try {
      view.replaceChildren(buildView(id));
      var spans = [];
      view.querySelectorAll("mark.rm").forEach(function (m) {
        var text = "";
        m.querySelectorAll(".seg").forEach(function (s) { text += s.textContent; });
        spans.push({kind: m.dataset.kind, start: Number(m.dataset.start), end: Number(m.dataset.end), text: text});
      });
      var kept = [];
      view.querySelectorAll(".kept[data-k]").forEach(function (n) { kept.push(n.dataset.k); });
      var diff = view.querySelector("table.diff");
      result.documents[id] = {spans: spans, kept_pieces: kept.length, diff_rows: diff ? diff.rows.length : null,
                              has_text: !!view.querySelector("pre.text"), jumps: []};
    } catch (err) {
      result.errors.push(id + ": " + err);
    }
  });
  // every "kept copy" link: open its document, and read back what got flashed
  ROWS.forEach(function (r) {
    var id = r[COL.id], d = DETAIL[id];
    if (!d || !result.documents[id]) return;
    d.removed.forEach(function (span) {
      if (span[5] === null || !DETAIL[span[5]]) return;
      try {
        openDoc(span[5], span[6] + "-" + span[7]);
        var text = "";
        keptNodes(keptIndex(span[5], span[6], span[7])).forEach(function (n) { text += n.textContent; });
        result.documents[id].jumps.push({doc: span[5], start: span[6], end: span[7], text: text,
                                         flashed: document.querySelectorAll("#view .flash").length});
      } catch (err) {
        result.errors.push(id + " jump: " + err);
      }
    });
  });
  // the table: each status filter, the minimum filter, the id filter, sorting by id
  var table = {};
  ["", "cleaned", "unique", "duplicate"].forEach(function (status) {
    fStatus.value = status; renderTable(); table["status:" + status] = tbody.rows.length;
  });
  fStatus.value = ""; fMin.value = "1000"; renderTable(); table["min:1000"] = tbody.rows.length;
  fMin.value = "0"; fId.value = "00"; renderTable(); table["id:00"] = tbody.rows.length;
  fId.value = ""; state.key = "id"; state.dir = 1; renderTable();
  table.by_id = Array.from(tbody.rows).map(function (tr) { return tr.dataset.id; });
  document.querySelector('#doc-table th[data-key="id"]').click();
  table.by_id_clicked = Array.from(tbody.rows).map(function (tr) { return tr.dataset.id; });
  result.table = table;
  state.current = null;
  view.replaceChildren();
  var out = document.getElementById("selftest-result");
  out.textContent = JSON.stringify(result);
  out.hidden = false;
  document.title = "selftest-done";
}
})();
"""
