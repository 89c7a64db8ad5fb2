"""report.html in a real headless Chromium: what the page highlights is exactly what report.json removed.

The self-test, tests/report_selftest.js, runs at the end of the page's own script (this test
adds it to a copy of report.html; the page a user gets has no test code): it renders every
document view and writes, per document, the highlighted spans (kind, start, end, text), what
each "kept copy" link flashes, the size of the duplicate diff and a few table filter results
into ``<pre id="selftest-result">``; ``--dump-dom`` gives it back. Offsets are code points
and the run includes characters outside the BMP (surrogate pairs in JavaScript) and
undecodable bytes.

Needs the Debian package ``chromium`` (and ``fonts-noto-cjk`` for the screenshot to show
Japanese). Skipped when it is missing, except under ``CI=true``, where that is a failure.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import signal
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from dedup import RunOptions, clean_paths
from dedup.report.html import write_html_report
from dedup.write.report_json import readable
from dedup.report.load import document_texts, load_report

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
ID_001 = "001_49c849b59a745fdc.txt"
ID_003 = "003_1900c49a4f37e301.txt"
HOSTILE = "hostile.md"
EVIL_NAME = "evil<img src=x onerror=alert(2)>.md"
SELFTEST = Path(__file__).with_name("report_selftest.js")
TIMEOUT = 120  # seconds, per Chromium run
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_binary() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (CI=true: apt-get install -y chromium fonts-noto-cjk)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return found


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Chromium with the test flags and its own profile; the whole process group is killed on timeout."""
    command = [binary, *FLAGS, f"--user-data-dir={profile}", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"chromium did not finish within {TIMEOUT} s: {' '.join(command)}")
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def build_inputs(folder: Path) -> Path:
    """The samples, a re-post of 003, an article with markup and non-BMP characters, its copy named as markup, Latin-1."""
    shutil.copytree(SAMPLES, folder)
    for path in folder.iterdir():
        path.chmod(0o644)
    repost = (SAMPLES / ID_003).read_text(encoding="utf-8").replace("Anthropic", "アンソロピック", 2)
    (folder / "zz_repost.txt").write_text(repost + "\n転載元：テックニュース\n", encoding="utf-8")
    p1 = ("Breaking: the parser saw </script><script>alert(1)</script> inside an article about the town council "
          "budget, and nobody noticed it for weeks.")
    p2 = ("Another paragraph carries an image tag <img src=x onerror=alert(1)> that a careless page would run, "
          "next to 𠮷野家 and 😀 characters outside the BMP.")
    p3 = ("The railway company said that the evening trains to the coast would run every half hour from May, after "
          "a long campaign by commuters and shop owners.")
    p4 = ("Scientists at the university have started a three-year study of the river, measuring water quality and "
          "counting fish at twelve points along its course.")
    hostile = "# 𠮷野家 😀 <b>report</b>\n\n" + "\n\n".join([p1, p2, p3, p1, p4, p2]) + "\n"
    (folder / HOSTILE).write_text(hostile, encoding="utf-8")
    (folder / EVIL_NAME).write_text(hostile.replace("twelve points", "eleven points"), encoding="utf-8")
    p5 = ("Doctors welcomed the opening of the hospital's new children's wing, which adds forty beds and a playroom "
          "painted by pupils from the primary school nearby.")
    p6 = ("An exhibition of hand-drawn maps from the seventeenth century opens at the museum on Friday, showing how "
          "sailors once imagined the coastline and distant islands.")
    (folder / "latin.txt").write_bytes(b"caf\xe9 \xff\xfe menu\n\n" + ("\n\n".join([p5, p6, p5]) + "\n").encode())
    return folder


def csp_hash(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


def with_script(page: str, extra: str) -> str:
    """``page`` with ``extra`` run at the end of its own script (where the page's functions are in scope), and the
    Content-Security-Policy's hash of that script updated so that the browser still runs it."""
    (script,) = re.findall(r"<script>(.*?)</script>", page, re.S)
    end = "})();\n"
    assert script.endswith(end), "report.js no longer ends with the end of its function"
    longer = script[: -len(end)] + extra + end
    assert page.count(csp_hash(script)) == 1
    return page.replace(csp_hash(script), csp_hash(longer)).replace(f"<script>{script}</script>", f"<script>{longer}</script>")


@pytest.fixture(scope="module")
def browser() -> str:
    return chromium_binary()


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("browser")
    clean_paths([build_inputs(root / "in")], root / "out", RunOptions(show_progress=False))
    report = load_report(root / "out")
    page = write_html_report(root / "out")
    selftest = root / "selftest.html"
    selftest.write_text(with_script(page.read_text(encoding="utf-8"), SELFTEST.read_text(encoding="utf-8")), encoding="utf-8")
    return {"root": root, "report": report, "texts": document_texts(report), "html": page, "selftest_html": selftest}


class Collect(HTMLParser):
    """Start tags, the title, the text of one element by id, and the text of ``pre.text``."""

    def __init__(self, wanted_id: str = "selftest-result") -> None:
        super().__init__(convert_charrefs=True)
        self.wanted_id, self.tags, self.title, self.wanted, self.pre_text = wanted_id, [], "", "", ""
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in ("br", "col", "input", "meta", "img", "hr", "link"):
            return
        mark = "title" if tag == "title" else "wanted" if attributes.get("id") == self.wanted_id else \
            "pre" if tag == "pre" and attributes.get("class") == "text" else ""
        self._stack.append(mark or (self._stack[-1] if self._stack else ""))

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("br", "col", "input", "meta", "img", "hr", "link") and self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        where = self._stack[-1] if self._stack else ""
        if where == "title":
            self.title += data
        elif where == "wanted":
            self.wanted += data
        elif where == "pre":
            self.pre_text += data


def dump(browser: str, profile: Path, url: str) -> Collect:
    done = run_chromium(browser, profile, "--virtual-time-budget=10000", "--dump-dom", url)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    collected = Collect()
    collected.feed(done.stdout.decode("utf-8"))
    return collected


@pytest.fixture(scope="module")
def selftest(browser: str, run, tmp_path_factory) -> dict[str, Any]:
    page = dump(browser, tmp_path_factory.mktemp("profile"), run["selftest_html"].as_uri())
    assert page.title == "selftest-done", "the self-test did not finish"
    return json.loads(page.wanted)


def test_highlighted_spans_are_exactly_the_removed_spans(run, selftest) -> None:
    assert selftest["errors"] == []
    documents = run["report"]["documents"]
    assert set(selftest["documents"]) == {d["id"] for d in documents}
    checked = 0
    for record in documents:
        got = selftest["documents"][record["id"]]
        assert [(s["start"], s["end"], s["kind"]) for s in got["spans"]] == [
            (r["start"], r["end"], r["kind"]) for r in record["removed"]
        ], record["id"]
        original = run["texts"][record["id"]].original
        assert got["has_text"] == (bool(record["removed"]) or record["status"] == "duplicate"
                                   or any(d["duplicate_of"] == record["id"] for d in documents))
        for span in got["spans"]:
            assert span["text"] == readable(original)[span["start"] : span["end"]], (record["id"], span["start"])
            checked += 1
    assert checked == sum(len(d["removed"]) for d in documents) > 50


def test_surrogate_pairs_and_undecodable_bytes_do_not_shift_offsets(run, selftest) -> None:
    hostile = run["texts"][HOSTILE].original
    spans = selftest["documents"][HOSTILE]["spans"]
    assert any(ord(c) > 0xFFFF for c in hostile[: spans[0]["start"]])  # surrogate pairs in JS before the first span
    assert spans and all(s["text"] == hostile[s["start"] : s["end"]] for s in spans)
    assert any("𠮷野家" in s["text"] for s in spans)
    latin = selftest["documents"]["latin.txt"]["spans"]
    assert latin and latin[0]["text"].strip().startswith("Doctors welcomed")


def test_kept_copy_links_flash_the_kept_text(run, selftest) -> None:
    jumps = 0
    for record in run["report"]["documents"]:
        got = selftest["documents"][record["id"]]["jumps"]
        expected = [r["kept"] for r in record["removed"] if r["kept"]]
        assert [(j["doc"], j["start"], j["end"]) for j in got] == [(k["doc"], k["start"], k["end"]) for k in expected]
        for jump in got:
            kept_original = readable(run["texts"][jump["doc"]].original)
            assert jump["text"] == kept_original[jump["start"] : jump["end"]]
            assert jump["flashed"] > 0
            jumps += 1
    assert jumps > 30


def test_duplicates_show_a_diff_and_the_table_filters(run, selftest) -> None:
    documents = selftest["documents"]
    assert documents[ID_003]["diff_rows"] > 5 and documents[HOSTILE]["diff_rows"] > 3
    assert all(documents[d["id"]]["diff_rows"] is None for d in run["report"]["documents"] if d["status"] != "duplicate")
    table, records = selftest["table"], run["report"]["documents"]
    assert table["status:"] == len(records)
    for status in ("cleaned", "unique", "duplicate"):
        assert table[f"status:{status}"] == sum(d["status"] == status for d in records)
    assert table["min:1000"] == sum(d["chars_removed"] >= 1000 for d in records)
    assert table["id:00"] == sum("00" in d["id"] for d in records)
    assert table["by_id"] == sorted(d["id"] for d in records)
    assert table["by_id_clicked"] == sorted((d["id"] for d in records), reverse=True)


def test_markup_in_a_document_is_shown_as_text_not_run(browser: str, run, tmp_path: Path) -> None:
    for doc in (HOSTILE, EVIL_NAME):
        page = dump(browser, tmp_path / doc.replace("<", "").replace(">", ""),
                    run["html"].as_uri() + "#doc=" + quote(doc, safe=""))
        assert "</script><script>alert(1)</script>" in page.pre_text
        assert "<img src=x onerror=alert(1)>" in page.pre_text
        assert not [t for t, _ in page.tags if t == "img"]
        assert [t for t, _ in page.tags].count("script") == 2
        assert not [a for _, a in page.tags if any(k.startswith("on") for k in a)]
        assert page.title.startswith(doc)  # the view was built (document.title is set from the id)


def test_screenshot_of_a_document_view(browser: str, run, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    url = run["html"].as_uri() + "#doc=" + ID_001
    done = run_chromium(browser, tmp_path / "profile", "--virtual-time-budget=10000", f"--screenshot={png}",
                        "--window-size=1280,1600", url)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (1280, 1600)
    assert len(data) > 60_000, "a nearly blank page"  # text-filled: ~470 KB; blank: ~6 KB
    keep = os.environ.get("DEDUP_SCREENSHOT_DIR")
    if keep:
        shutil.copy(png, Path(keep) / "report.png")
