"""report.html: the page's structure, its embedded data and its safety, from a real run on the samples.

The run: the five samples, a re-post of 003 (a near duplicate: a cluster and a diff), an
article carrying ``</script><script>alert(1)</script>`` and ``<img onerror>`` with
repeated paragraphs and characters outside the BMP, a near copy of it whose *file name*
is markup, a Latin-1 file (invalid UTF-8, one repeated paragraph), an empty file (a
warning) and a binary file (an error). What the browser makes of the page is in
tests/test_browser.py.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from dedup import RunOptions, clean_paths
from dedup.report.html import (
    MAX_DIFF_LINES,
    page_data,
    render_html,
    script_json,
    split_lines,
    write_html_report,
)
from dedup.decide.cuts import apply_removals
from dedup.report.load import DocumentTexts, document_texts, load_report, removals_of
from dedup.write.report_json import readable

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
ID_001 = "001_49c849b59a745fdc.txt"
ID_002 = "002_b99ba1c9dcc93368.txt"
ID_003 = "003_1900c49a4f37e301.txt"
REPOST = "zz_repost.txt"
HOSTILE = "hostile.md"
EVIL_NAME = "evil<img src=x onerror=alert(2)>.md"
SCRIPT_ATTACK = "</script><script>alert(1)</script>"
IMG_ATTACK = "<img src=x onerror=alert(1)>"
PARAGRAPHS = (
    f"Breaking: the parser saw {SCRIPT_ATTACK} inside an article about the town council budget, "
    "and nobody noticed it for weeks.",
    f"Another paragraph carries an image tag {IMG_ATTACK} that a careless page would run, "
    "next to 𠮷野家 and 😀 characters outside the BMP.",
    "The railway company said that the evening trains to the coast would run every half hour from May, "
    "after a long campaign by commuters and shop owners.",
    "Scientists at the university have started a three-year study of the river, measuring water quality "
    "and counting fish at twelve points along its course.",
    "Doctors welcomed the opening of the hospital's new children's wing, which adds forty beds and a "
    "playroom painted by pupils from the primary school nearby.",
    "An exhibition of hand-drawn maps from the seventeenth century opens at the museum on Friday, showing "
    "how sailors once imagined the coastline and distant islands.",
)


def build_inputs(folder: Path) -> Path:
    """The samples plus the awkward documents described above, in ``folder``."""
    shutil.copytree(SAMPLES, folder)
    for path in folder.iterdir():
        path.chmod(0o644)
    repost = (SAMPLES / ID_003).read_text(encoding="utf-8").replace("Anthropic", "アンソロピック", 2)
    (folder / REPOST).write_text(repost + "\n転載元：テックニュース\n", encoding="utf-8")
    p1, p2, p3, p4, p5, p6 = PARAGRAPHS
    hostile = "# 𠮷野家 😀 <b>report</b>\n\n" + "\n\n".join([p1, p2, p3, p1, p4, p2]) + "\n"
    (folder / HOSTILE).write_text(hostile, encoding="utf-8")
    (folder / EVIL_NAME).write_text(hostile.replace("twelve points", "eleven points"), encoding="utf-8")
    (folder / "latin.txt").write_bytes(b"caf\xe9 \xff\xfe menu\n\n" + ("\n\n".join([p5, p6, p5]) + "\n").encode())
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blob.txt").write_bytes(b"abc\x00def")
    return folder


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("html")
    clean_paths([build_inputs(root / "in")], root / "out", RunOptions(show_progress=False))
    report = load_report(root / "out")
    texts = document_texts(report)
    path = write_html_report(root / "out")
    page = path.read_text(encoding="utf-8")
    return {"out": root / "out", "report": report, "texts": texts, "path": path, "html": page,
            "data": embedded_data(page)}


def data_block(page: str) -> str:
    match = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    assert match, "no data block"
    return match.group(1)


def embedded_data(page: str) -> dict[str, Any]:
    return json.loads(data_block(page))


def outside_data(page: str) -> str:
    block = data_block(page)
    return page.replace(block, "")


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text under elements with an id or data-figure."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, str] = {}
        self._open: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        key = attributes.get("data-figure") or attributes.get("id")
        if key and tag not in ("script",):
            self._open.append((tag, key))
            self.text.setdefault(key, "")

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for _, key in self._open:
            self.text[key] += data


def parse(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    return parser


def test_summary_figures_match_the_report(run) -> None:
    totals = run["report"]["totals"]
    figures = {a["data-figure"]: a["data-value"] for t, a in parse(run["html"]).tags if "data-figure" in a}
    assert figures["documents"] == str(totals["documents"]) == "10"
    assert figures["cleaned"] == str(totals["cleaned"])
    assert figures["unchanged"] == str(totals["unique"])
    assert figures["duplicates"] == str(totals["duplicate"]) == "2"
    assert figures["clusters"] == str(len(run["report"]["clusters"])) == "2"
    assert figures["chars_removed"] == str(totals["chars_removed"])
    assert figures["errors"] == str(totals["errors"]) == "1"
    assert figures["warnings"] == str(len(run["report"]["warnings"]))
    share = 100 * totals["chars_removed"] / totals["chars_in"]
    assert f"{totals['chars_removed']:,} of {totals['chars_in']:,} ({share:.1f}%)" in run["html"]
    parameters = parse(run["html"]).text["parameters"]
    assert json.loads(parameters.split("Parameters", 1)[1]) == run["report"]["parameters"]


def test_data_block_parses_and_holds_every_document(run) -> None:
    data, report = run["data"], run["report"]
    assert [row[0] for row in data["rows"]] == [d["id"] for d in report["documents"]]
    for row, record in zip(data["rows"], report["documents"]):
        assert row[1:5] == [record["status"], record["chars"], record["chars_removed"], len(record["removed"])]
        assert row[5] == record["duplicate_of"]
    needs_text = {d["id"] for d in report["documents"] if d["removed"] or d["status"] == "duplicate"}
    needs_text |= {d["duplicate_of"] for d in report["documents"] if d["duplicate_of"]}
    assert set(data["detail"]) == needs_text
    assert "000_59e544b5d46df972.txt" not in data["detail"] and "empty.txt" not in data["detail"]
    assert data["members"] == {
        REPOST: [[ID_003, "near", pytest.approx(0.9922, abs=1e-3)]],
        EVIL_NAME: [[HOSTILE, "near", pytest.approx(0.93, abs=0.05)]],
    }


@pytest.mark.parametrize("doc_id", [ID_001, ID_002])
def test_highlights_of_001_and_002(run, doc_id: str) -> None:
    record = next(d for d in run["report"]["documents"] if d["id"] == doc_id)
    detail = run["data"]["detail"][doc_id]
    assert detail["text"] == run["texts"][doc_id].original
    assert len(detail["removed"]) == len(record["removed"]) > 10
    kinds = set()
    for span, removal in zip(detail["removed"], sorted(record["removed"], key=lambda r: r["start"])):
        start, end, kind, unit, similarity, kept_doc, kept_start, kept_end = span
        assert (start, end, kind, unit, similarity) == (
            removal["start"], removal["end"], removal["kind"], removal["unit"], removal["similarity"])
        kept = removal["kept"]
        assert [kept_doc, kept_start, kept_end] == ([kept["doc"], kept["start"], kept["end"]] if kept else [None] * 3)
        if kept:
            assert [kept_start, kept_end] in detail["kept"]
        kinds.add(kind)
        assert detail["text"][start:end].strip().startswith(removal["text"].rstrip("…")[:20])
    assert apply_removals(detail["text"], removals_of(record)) == run["texts"][doc_id].cleaned
    assert kinds <= {"exact", "near", "contained", "marker"}
    if doc_id == ID_002:
        assert {"near", "contained", "marker"} <= kinds
    assert run["html"].count('class="chip k-exact"') >= 1  # the legend


def test_markup_in_articles_and_ids_cannot_break_out(run) -> None:
    page, block = run["html"], data_block(run["html"])
    assert "</script" not in block.lower() and "<" not in block and ">" not in block
    assert run["data"]["detail"][HOSTILE]["text"].count(SCRIPT_ATTACK) == 2  # embedded, intact
    assert run["data"]["detail"][HOSTILE]["text"].count(IMG_ATTACK) == 2
    for attack in (SCRIPT_ATTACK, IMG_ATTACK, "<img src=x onerror=alert(2)>", "<b>report</b>", "<script>alert"):
        assert attack not in page
    rest = outside_data(page)
    assert "evil&lt;img src=x onerror=alert(2)&gt;.md" in rest  # the id, in the clusters, escaped
    tags = parse(page).tags
    assert not [t for t, a in tags if t == "img"]
    assert [t for t, _ in tags].count("script") == 2
    assert not [a for _, a in tags if any(k.startswith("on") for k in a)]  # no inline handlers at all
    assert page.lower().count("</script") == 2


def test_style_and_script_are_the_package_assets_inlined_as_they_are(run) -> None:
    assets = resources.files("dedup.report") / "assets"
    for tag, name in (("style", "report.css"), ("script", "report.js")):
        (inline,) = re.findall(rf"<{tag}>(.*?)</{tag}>", run["html"], re.S)
        assert inline == "\n" + (assets / name).read_bytes().decode("utf-8")


def test_content_security_policy_admits_only_the_page_script(run) -> None:
    page = run["html"]
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page).group(1)
    assert "default-src 'none'" in csp and "unsafe" not in csp
    for tag, directive in (("script", "script-src"), ("style", "style-src")):
        (source,) = re.findall(rf"<{tag}>(.*?)</{tag}>", page, re.S)
        digest = base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in csp
    rest = outside_data(page)
    assert not re.search(r"(src|href)\s*=\s*\"?(https?:|//)", rest, re.I)  # no network
    assert "<link" not in rest and "@import" not in rest and "url(" not in rest


def test_japanese_round_trips(run) -> None:
    raw = run["path"].read_bytes()
    page = raw.decode("utf-8")  # strict: valid UTF-8
    assert '<meta charset="utf-8">' in page[:200]
    assert "人工知能会社Anthropic PBC" in page  # written as characters, not \\u escapes
    assert "2025年11月12日、人工知能会社".encode("utf-8") in raw
    detail = run["data"]["detail"]
    assert detail[ID_001]["text"] == (SAMPLES / ID_001).read_text(encoding="utf-8")
    assert detail[REPOST]["text"].endswith("転載元：テックニュース\n")
    assert "𠮷野家 😀" in detail[HOSTILE]["text"]
    for mojibake in ("ã\x81", "Ã©", "\ufffd"):
        assert mojibake not in detail[ID_001]["text"]


def test_undecodable_bytes_show_as_replacement_characters_one_for_one(run) -> None:
    original = run["texts"]["latin.txt"].original
    detail = run["data"]["detail"]["latin.txt"]
    assert len(detail["text"]) == len(original)
    assert detail["text"].startswith("caf\ufffd \ufffd\ufffd menu") and detail["text"] == readable(original)
    start, end = detail["removed"][0][:2]
    assert detail["text"][start:end] == original[start:end]


def test_duplicate_gets_a_diff_against_its_canonical(run) -> None:
    diff = run["data"]["detail"][ID_003]["diff"]
    assert diff["against"] == REPOST and diff["truncated"] is None
    left = split_lines(run["texts"][ID_003].cleaned)
    right = split_lines(run["texts"][REPOST].cleaned)
    changed = [op for op in diff["ops"] if op[0] != "equal"]
    assert 1 <= len(changed) <= 5
    for tag, i1, i2, j1, j2 in diff["ops"]:
        if tag == "equal":
            assert left[i1:i2] == right[j1:j2]
    inserted = [line for tag, i1, i2, j1, j2 in changed for line in right[j1:j2]]
    assert "転載元：テックニュース" in inserted
    assert any("アンソロピック" in line for line in inserted)
    assert "diff" in run["data"]["detail"][HOSTILE]  # a duplicate that also lost paragraphs of its own
    assert "diff" not in run["data"]["detail"][ID_001]


def test_clusters_are_listed_with_links_to_their_members(run) -> None:
    tags = parse(run["html"]).tags
    rows = [a for t, a in tags if t == "tr" and a.get("class") == "cluster"]
    assert [a["data-canonical"] for a in rows] == [c["canonical"] for c in run["report"]["clusters"]]
    members = [a["data-member"] for t, a in tags if t == "li" and "data-member" in a]
    assert members == [m["id"] for c in run["report"]["clusters"] for m in c["members"]]
    links = {a["href"] for t, a in tags if t == "a" and a.get("href", "").startswith("#doc=")}
    assert "#doc=003_1900c49a4f37e301.txt" in links
    assert "#doc=evil%3Cimg%20src%3Dx%20onerror%3Dalert%282%29%3E.md" in links
    assert "similarity 0.9922" in run["html"]


def test_errors_and_warnings_are_listed(run) -> None:
    text = parse(run["html"]).text
    assert "blob.txt: binary file" in text["errors"]
    assert "empty.txt: empty document" in text["warnings"]
    assert "latin.txt: invalid UTF-8" in text["warnings"]
    assert "latin.txt: invalid UTF-8" in text["doc-warnings"]


def test_page_has_the_table_and_the_view_and_no_test_code(run) -> None:
    page = run["html"]
    for needle in ('id="doc-table"', 'id="f-status"', 'id="f-min"', 'id="f-id"', 'id="view"',
                   "white-space:pre-wrap", "data-table-ready-ms"):
        assert needle in page
    (script,) = re.findall(r"<script>(.*?)</script>", page, re.S)
    for hook in ("selftest", 'get("bench")', "location.search"):  # tests/test_browser.py and the benchmark add their own
        assert hook not in script
    assert 'id="selftest-result"' not in page
    headers = [a["data-key"] for t, a in parse(page).tags if t == "th" and "data-key" in a]
    assert headers == ["id", "status", "chars", "removed", "share", "cuts", "dup"]
    assert page.count("<pre class=\"text\"") == 0  # views are built in the browser, on demand


def test_write_html_report_places_the_page_beside_report_json(run, tmp_path: Path) -> None:
    out = run["out"]
    assert run["path"] == out / "report.html"
    assert write_html_report(out / "report.json") == out / "report.html"
    target = write_html_report(out, tmp_path / "elsewhere" / "review.html")
    assert target.read_text(encoding="utf-8") == run["path"].read_text(encoding="utf-8")
    assert not [p for p in out.iterdir() if p.name.endswith(".dedup-tmp")]


def test_render_is_pure_and_works_without_texts(run) -> None:
    report = run["report"]
    none = {d["id"]: DocumentTexts(None, None) for d in report["documents"]}
    page = render_html(report, none)
    assert render_html(report, none) == page
    detail = embedded_data(page)["detail"]
    assert detail[ID_001]["text"] is None
    assert detail[ID_001]["removed"][0][8].startswith("2025年11月12日")  # the report's preview instead
    assert detail[ID_003]["diff"]["skipped"].startswith("the original of")
    assert render_html(report, run["texts"]) == run["html"]


def synthetic_report(documents: list[dict[str, Any]], clusters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    totals = {"documents": len(documents), "unique": 0, "cleaned": 0, "duplicate": 0, "errors": 0,
              "chars_in": sum(d["chars"] for d in documents), "chars_removed": 0, "removals": 0}
    return {"schema_version": 1, "tool": {"name": "dedup", "version": "0"}, "parameters": {}, "totals": totals,
            "documents": documents, "clusters": clusters or [], "errors": [], "warnings": []}


def record(doc_id: str, text: str, status: str = "unique", duplicate_of: str | None = None) -> dict[str, Any]:
    return {"id": doc_id, "input": doc_id, "status": status, "duplicate_of": duplicate_of, "duplicate_of_batch": None,
            "similarity": 0.9 if duplicate_of else None, "duplicate_kind": "near" if duplicate_of else None,
            "chars": len(text), "chars_removed": 0, "removed": [], "warnings": []}


def test_diff_of_long_documents_is_bounded() -> None:
    lines = [f"line {i} " + "本文" * 5 for i in range(MAX_DIFF_LINES + 500)]
    a, b = "\n".join(lines), "\n".join(lines[:100] + ["inserted"] + lines[100:])
    report = synthetic_report([record("a", a, "duplicate", "b"), record("b", b)])
    texts = {"a": DocumentTexts(a, a), "b": DocumentTexts(b, b)}
    diff = page_data(report, texts)["detail"]["a"]["diff"]
    assert diff["truncated"] == MAX_DIFF_LINES
    assert max(op[2] for op in diff["ops"]) == MAX_DIFF_LINES
    changed = [op for op in diff["ops"] if op[0] != "equal"]
    assert changed[0] == ["insert", 100, 100, 100, 101]  # then the line pushed past the cut on the right
    assert changed[1:] == [["delete", MAX_DIFF_LINES - 1, MAX_DIFF_LINES, MAX_DIFF_LINES, MAX_DIFF_LINES]]


def test_duplicate_of_an_indexed_document_needs_no_canonical_text() -> None:
    doc = record("a", "text", "duplicate", "old/doc.txt")
    doc["duplicate_of_batch"] = "batch-1"
    data = page_data(synthetic_report([doc]), {"a": DocumentTexts("text", "text")})
    assert "diff" not in data["detail"]["a"] and data["rows"][0][8] == "batch-1"


def test_script_json_escapes_every_angle_bracket_and_ampersand() -> None:
    value = {"t": "</script><!-- <script> & \u2028 𠮷"}
    text = script_json(value)
    assert not set(text) & set("<>&")
    assert json.loads(text) == value


def test_split_lines_splits_at_every_line_break() -> None:
    assert split_lines("a\r\nb\rc\nd") == ["a", "b", "c", "d"]
