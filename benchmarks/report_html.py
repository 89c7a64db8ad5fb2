"""Benchmark of the HTML review page (``dedup.report.html``) on a run of 10,000 documents.

1. Generates 10,000 small documents (2-6 KB of UTF-8) from the sample paragraphs, each
   with its kanji and katakana rotated by its number so documents are distinct (see
   ``rotate`` in benchmarks/within.py); ~30% repeat some of their paragraphs (exactly, with
   a sentence added, or across a ``---END---`` marker) and ~5% are near copies of an
   earlier document (a few characters changed, a source line added), so the run has
   cleaned documents, duplicates and clusters.
2. Runs the real ``clean_paths`` on them (all cores), then times, in Python, loading the
   report with its texts (``load_report`` + ``document_texts``), ``render_html`` (best of
   3) and the atomic write; reports the page's size.
3. Opens the page in headless Chromium (``--dump-dom``, no virtual time) several times and
   reads back what the page recorded with ``performance.now()`` (milliseconds since
   navigation start): the JSON parse, the table built and laid out, one document view
   opened from ``#doc=<id>`` (build + layout), and, with TABLE_BENCH added to a copy of
   the page's script, sorting/filtering the table and showing all 10,000 rows; plus the
   wall time of the whole Chromium run.

Run from the repository root: ``python benchmarks/report_html.py`` (about 3 minutes on 2
cores), ``--docs 2000`` for a smaller run, ``--write-readme`` to refresh this benchmark's
section of benchmarks/README.md, ``--keep DIR`` to keep the generated run and page.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dedup import RunOptions, clean_paths

# The stages this benchmark times one by one (load, render, write) are what write_html_report does in one call.
from dedup.report.html import page_data, render_html, script_json
from dedup.report.load import document_texts, load_report
from dedup.write.atomic import write_atomic

from _common import README, load_average, machine, show_section, timed, utf8_len
from within import build_pool, large_document, load_samples, rotate  # the same generator as the cleaning benchmark

SECTION = "## HTML report (benchmarks/report_html.py)"

SEED = 20251124
DOC_BYTES = (2_000, 6_000)
REPEAT_SHARE = 0.30
DUPLICATE_SHARE = 0.05
CHROMIUM_RUNS = 3
CHROMIUM_TIMEOUT = 180  # seconds per Chromium run
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# what "usable" means here
TARGET_TABLE_MS = 2_000  # page opened to table shown
TARGET_VIEW_MS = 300  # one document view opened
TARGET_MB = 50  # file size
PAGE_ROWS = 500  # rows the page's table shows at first (PAGE in dedup/report/html.py)
LARGE_BYTES = 1_000_000  # one long document, to show what a view costs beyond article size
# Timings of table operations, run at the end of the page's own script (where its functions are in scope) in a
# copy of the page made for them: the page a user opens carries no benchmark code.
TABLE_BENCH = """
{
  var bench = {};
  var time = function (name, action) {
    var t = performance.now(); action(); tbody.getBoundingClientRect(); bench[name] = +(performance.now() - t).toFixed(1);
  };
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
"""


def csp_hash(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


def with_script(page: str, extra: str) -> str:
    """``page`` with ``extra`` run at the end of its own script, and the Content-Security-Policy's hash of that script
    updated so that the browser still runs it (the same as tests/test_browser.py does for its self-test)."""
    (script,) = re.findall(r"<script>(.*?)</script>", page, re.S)
    end = "})();\n"
    assert script.endswith(end) and page.count(csp_hash(script)) == 1, "report.js is no longer one function"
    longer = script[: -len(end)] + extra + end
    return page.replace(csp_hash(script), csp_hash(longer)).replace(f"<script>{script}</script>", f"<script>{longer}</script>")


def paragraphs_for(rng: random.Random, sentences: Sequence[str], variant: int, nbytes: int) -> list[str]:
    """Paragraphs of 2-5 sentences, no sentence used twice (a clean document has nothing to remove)."""
    unused = rng.sample(list(sentences), len(sentences))
    out: list[str] = []
    size = 0
    while size < nbytes and len(unused) >= 5:
        paragraph = rotate("".join(unused.pop() for _ in range(rng.randint(2, 5))), variant)
        out.append(paragraph)
        size += utf8_len(paragraph) + 2
    return out


def document(rng: random.Random, sentences: Sequence[str], headings: Sequence[str], number: int) -> tuple[str, str]:
    """(pattern, text) of document ``number``: clean, or with ~30% chance some paragraphs repeated."""
    target = rng.uniform(*DOC_BYTES)
    repeats = rng.random() < REPEAT_SHARE
    body = paragraphs_for(rng, sentences, number, int(target / (1.35 if repeats else 1.0)))
    body.insert(0, "# " + rotate(rng.choice(headings), number))
    if len(body) > 4:
        body.insert(len(body) // 2, "## " + rotate(rng.choice(headings), number))
    if not repeats:
        return "clean", "\n\n".join(body) + "\n"
    pattern = rng.choice(["exact", "sentence added", "marker"])
    start = rng.randrange(1, max(2, len(body) - 1))
    run = body[start : start + rng.randint(1, 3)]
    if pattern == "sentence added":  # a sentence of another variant: new to this document
        run = [p + rotate(rng.choice(sentences), number + 7919) for p in run]
    tail = (["---END---"] if pattern == "marker" else []) + run
    text = "\n\n".join(body + tail) + "\n"
    while utf8_len(text) > DOC_BYTES[1] and len(body) > 3:
        body.pop(-1)
        text = "\n\n".join(body + tail) + "\n"
    return pattern, text


def near_copy(rng: random.Random, text: str, number: int) -> str:
    """``text`` with a few characters changed and a source line added."""
    chars = list(text)
    for _ in range(3):
        at = rng.randrange(len(chars))
        if chars[at] not in "\n#-":
            chars[at] = "〇"
    return "".join(chars) + f"\n転載元：ニュースサイト {number}\n"


def generate(folder: Path, count: int, seed: int = SEED) -> dict[str, int]:
    rng = random.Random(seed)
    pool = build_pool(load_samples())
    sentences = pool.sentences()
    texts: list[str] = []
    counts: dict[str, int] = {}
    folder.mkdir(parents=True)
    for number in range(count):
        if number >= 20 and rng.random() < DUPLICATE_SHARE:
            pattern, text = "near copy", near_copy(rng, texts[rng.randrange(number)], number)
        else:
            pattern, text = document(rng, sentences, pool.ja_headings, number)
        texts.append(text)
        counts[pattern] = counts.get(pattern, 0) + 1
        (folder / f"doc_{number:05d}.txt").write_text(text, encoding="utf-8")
    counts["bytes"] = sum(utf8_len(t) for t in texts)
    return counts


def chromium_binary() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if not found:
        sys.exit("chromium is needed (apt-get install -y chromium fonts-noto-cjk)")
    return found


def chromium_dom(binary: str, url: str) -> tuple[str, float]:
    """The DOM after load (``--dump-dom``) and the wall seconds of the whole Chromium run."""
    return chromium(binary, "--dump-dom", url)


def chromium_paint_s(binary: str, url: str) -> float:
    """Wall seconds of a headless run that loads ``url``, paints it and saves a 1280x1600 screenshot."""
    with tempfile.TemporaryDirectory(prefix="dedup-bench-shot-") as folder:
        return chromium(binary, f"--screenshot={folder}/page.png", "--window-size=1280,1600", url)[1]


def chromium(binary: str, *args: str) -> tuple[str, float]:
    """Standard output and wall seconds of one headless Chromium run with a fresh profile (killed after a timeout)."""
    url = args[-1]
    with tempfile.TemporaryDirectory(prefix="dedup-bench-profile-") as profile:
        command = [binary, *FLAGS, f"--user-data-dir={profile}", *args]
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            out, _ = process.communicate(timeout=CHROMIUM_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise RuntimeError(f"chromium took over {CHROMIUM_TIMEOUT} s on {url}") from None
        wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"chromium exited with {process.returncode} on {url}")
    return out.decode("utf-8", "replace"), wall


def html_attributes(dom: str) -> dict[str, str]:
    tag = re.search(r"<html\b[^>]*>", dom)
    assert tag, "no <html> element in the dumped DOM"
    return {k: v.replace("&quot;", '"') for k, v in re.findall(r'([\w-]+)="([^"]*)"', tag.group(0))}


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def measure_browser(binary: str, page: Path, view_ids: dict[str, str]) -> dict[str, Any]:
    url = page.as_uri()
    load = [chromium_dom(binary, url) for _ in range(CHROMIUM_RUNS)]
    attributes = [html_attributes(dom) for dom, _ in load]
    result: dict[str, Any] = {
        "parse_ms": median([float(a["data-parse-ms"]) for a in attributes]),
        "table_ms": median([float(a["data-table-ready-ms"]) for a in attributes]),
        "table_rows": int(attributes[0]["data-table-rows"]),
        "paint_s": median([chromium_paint_s(binary, url) for _ in range(CHROMIUM_RUNS)]),
        "paint_empty_s": median([chromium_paint_s(binary, "about:blank") for _ in range(CHROMIUM_RUNS)]),
        "views": {},
    }
    for label, doc_id in view_ids.items():
        runs = [chromium_dom(binary, url + "#doc=" + doc_id) for _ in range(CHROMIUM_RUNS)]
        attrs = [html_attributes(dom) for dom, _ in runs]
        assert all(a.get("data-view-doc") == doc_id for a in attrs), f"view of {doc_id} not opened"
        result["views"][label] = {
            "id": doc_id,
            "view_ms": median([float(a["data-view-ms"]) for a in attrs]),
            "ready_ms": median([float(a["data-view-ready-ms"]) for a in attrs]),
        }
    bench_page = page.with_name("report-bench.html")
    bench_page.write_text(with_script(page.read_text(encoding="utf-8"), TABLE_BENCH), encoding="utf-8")
    bench = [json.loads(html_attributes(chromium_dom(binary, bench_page.as_uri())[0])["data-bench"])
             for _ in range(CHROMIUM_RUNS)]
    result["table_ops"] = {k: median([b[k] for b in bench]) for k in bench[0]}
    return result


def measure_large_view(binary: str, work: Path, nbytes: int) -> dict[str, Any]:
    """One long document (benchmarks/within.py's generator, ~30% repeated paragraphs): its view's open time."""
    folder = work / "large-in"
    folder.mkdir(parents=True)
    text = large_document(build_pool(load_samples()), nbytes)
    (folder / "large.txt").write_text(text, encoding="utf-8")
    clean_paths([folder], work / "large-out", RunOptions(show_progress=False))
    report = load_report(work / "large-out")
    page = work / "large-out" / "report.html"
    write_atomic(page, render_html(report, document_texts(report)).encode("utf-8"))
    attrs = [html_attributes(chromium_dom(binary, page.as_uri() + "#doc=large.txt")[0]) for _ in range(CHROMIUM_RUNS)]
    return {"bytes": len(text.encode("utf-8")), "chars": len(text), "cuts": len(report["documents"][0]["removed"]),
            "view_ms": median([float(a["data-view-ms"]) for a in attrs])}


def chromium_version(binary: str) -> str:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "chromium (version unknown)"
    return out.strip() or "chromium (version unknown)"


def run(count: int, keep: Path | None) -> dict[str, Any]:
    binary = chromium_binary()
    load = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="dedup-bench-html-")) if keep is None else keep
    try:
        inputs, out = work / "in", work / "out"
        if keep is not None and work.exists():
            shutil.rmtree(work)
        patterns, generated = timed(lambda: generate(inputs, count))
        _, cleaned = timed(lambda: clean_paths([inputs], out, RunOptions(show_progress=False)))
        report, loaded = timed(lambda: load_report(out))
        texts, loaded_texts = timed(lambda: document_texts(report))
        renders = []
        for _ in range(3):
            page, took = timed(lambda: render_html(report, texts))
            renders.append(took.wall)
        data, data_took = timed(lambda: page_data(report, texts))
        data_bytes = len(script_json(data).encode("utf-8"))
        target = out / "report.html"
        _, written = timed(lambda: write_atomic(target, page.encode("utf-8")))

        documents = report["documents"]
        by_removed = sorted((d for d in documents if d["status"] == "cleaned"), key=lambda d: -len(d["removed"]))
        duplicate = next(d for d in documents if d["status"] == "duplicate")
        views = {"cleaned, most cuts": by_removed[0]["id"], "duplicate (with diff)": duplicate["id"]}
        browser = measure_browser(binary, target, views)
        large = measure_large_view(binary, work, LARGE_BYTES)
        detail = data["detail"]
        return {
            "machine": machine([f"{chromium_version(binary)} (headless)"], load=f"{load_average(load)} at start"),
            "count": count,
            "patterns": patterns,
            "totals": report["totals"],
            "generate_s": generated.wall,
            "clean_s": cleaned.wall,
            "load_s": loaded.wall + loaded_texts.wall,
            "render_s": min(renders),
            "page_data_s": data_took.wall,
            "write_s": written.wall,
            "html_bytes": target.stat().st_size,
            "data_bytes": data_bytes,
            "report_json_bytes": (out / "report.json").stat().st_size,
            "embedded_texts": sum(1 for d in detail.values() if d["text"] is not None),
            "diffs": sum(1 for d in detail.values() if "diff" in d),
            "most_cuts": len(by_removed[0]["removed"]),
            "browser": browser,
            "large": large,
        }
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)


def verdict(r: dict[str, Any]) -> str:
    b = r["browser"]
    view = max(v["view_ms"] for v in b["views"].values())
    worst_op = max(v for k, v in b["table_ops"].items() if k not in ("rows_shown", "js_heap_mb"))
    checks = [
        (f"table shown {b['table_ms'] / 1000:.2f} s after navigation (target < {TARGET_TABLE_MS / 1000:g} s)",
         b["table_ms"] < TARGET_TABLE_MS),
        (f"a document view opens in {view:.0f} ms (target < {TARGET_VIEW_MS} ms)", view < TARGET_VIEW_MS),
        (f"file {r['html_bytes'] / 1e6:.1f} MB (target < {TARGET_MB} MB)", r["html_bytes"] < TARGET_MB * 1e6),
    ]
    ok = all(passed for _, passed in checks)
    word = "**usable**" if ok else "**not yet usable**"
    parts = "; ".join(f"{text}: {'met' if passed else 'NOT met'}" for text, passed in checks)
    large = r["large"]
    return (f"Verdict on \"usable on {r['count']:,} documents\": {word}. {parts}. Limits: the slowest table "
            f"operation (re-sorting, filtering, or showing all {r['count']:,} rows at once) takes {worst_op:.0f} ms, "
            f"which is why the table shows {PAGE_ROWS} rows at a time (\"show more\", \"show all\"); a view's cost grows with its "
            f"document, not with the run: one {large['bytes'] / 1e6:.1f} MB document ({large['chars']:,} characters, "
            f"{large['cuts']:,} cuts) takes {large['view_ms'] / 1000:.1f} s to open, almost all of it the browser laying "
            "out the text.")


def section(r: dict[str, Any]) -> str:
    b, t = r["browser"], r["totals"]
    p = r["patterns"]
    ops = b["table_ops"]
    view_rows = "\n".join(
        f"| open `#doc=` view: {label} (`{v['id']}`) | {v['view_ms']:.0f} ms (build + layout); "
        f"{v['ready_ms'] / 1000:.2f} s after navigation |"
        for label, v in b["views"].items()
    )
    return "\n".join([
        SECTION,
        "",
        "Run from the repository root (about 3 minutes on 2 cores; needs `chromium`, and `fonts-noto-cjk` to see Japanese):",
        "",
        "```",
        ".venv/bin/python benchmarks/report_html.py                 # print the figures",
        ".venv/bin/python benchmarks/report_html.py --write-readme  # and refresh this section",
        "```",
        "",
        f"Machine: {r['machine']}.",
        "",
        f"Run: {r['count']:,} generated documents (seed {SEED}), {p['bytes'] / 1e6:.1f} MB, 2-6 KB each, sample "
        f"paragraphs with kanji/katakana rotated per document: {p.get('clean', 0):,} clean, "
        f"{p.get('exact', 0) + p.get('sentence added', 0) + p.get('marker', 0):,} with repeated paragraphs "
        f"(exact {p.get('exact', 0):,}, with a sentence added {p.get('sentence added', 0):,}, across `---END---` "
        f"{p.get('marker', 0):,}), {p.get('near copy', 0):,} near copies of earlier documents. "
        f"`clean_paths` found {t['cleaned']:,} cleaned, {t['unique']:,} unchanged, {t['duplicate']:,} duplicates in "
        f"{t.get('clusters', 0):,} clusters, {t['removals']:,} cuts ({r['clean_s']:.1f} s, all cores). "
        f"Browser figures are medians of {CHROMIUM_RUNS} headless Chromium runs, read back from what the page "
        "records with `performance.now()` (milliseconds since navigation start), without virtual time.",
        "",
        "| measure | value |",
        "|---|--:|",
        f"| report.html size | {r['html_bytes'] / 1e6:.1f} MB (JSON data {r['data_bytes'] / 1e6:.1f} MB; "
        f"report.json {r['report_json_bytes'] / 1e6:.1f} MB) |",
        f"| texts embedded / diffs embedded | {r['embedded_texts']:,} / {r['diffs']:,} |",
        f"| Python: load report + read {r['count']:,} originals | {r['load_s']:.2f} s |",
        f"| Python: `render_html` (best of 3; of which `page_data` with difflib {r['page_data_s']:.2f} s) "
        f"| {r['render_s']:.2f} s |",
        f"| Python: atomic write | {r['write_s']:.2f} s |",
        f"| Chromium: JSON.parse of the data block | {b['parse_ms']:.0f} ms |",
        f"| Chromium: table built and laid out ({b['table_rows']} rows shown, paged) | "
        f"{b['table_ms'] / 1000:.2f} s after navigation |",
        f"| Chromium: whole headless run: start, load, paint, 1280×1600 screenshot, exit | {b['paint_s']:.2f} s "
        f"(about:blank: {b['paint_empty_s']:.2f} s) |",
        view_rows,
        f"| table: sort by id / by share | {ops['sort_id']:.0f} ms / {ops['sort_share']:.0f} ms |",
        f"| table: filter duplicates / removed ≥ 1000 / id text | {ops['filter_duplicate']:.0f} ms / "
        f"{ops['filter_min_1000']:.0f} ms / {ops['filter_id']:.0f} ms |",
        f"| table: show all {ops['rows_shown']:,} rows | {ops['show_all']:.0f} ms |",
        *([f"| JS heap after the table operations | {ops['js_heap_mb']:.0f} MB |"] if "js_heap_mb" in ops else []),
        f"| separately: view of one {r['large']['bytes'] / 1e6:.1f} MB document ({r['large']['cuts']:,} cuts) "
        f"| {r['large']['view_ms']:.0f} ms (build + layout) |",
        "",
        verdict(r),
        "",
    ])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--docs", type=int, default=10_000, help="documents to generate [10000]")
    parser.add_argument("--write-readme", action="store_true", help=f"refresh '{SECTION}' in {README}")
    parser.add_argument("--keep", type=Path, help="keep the generated run (inputs, outputs, report.html) here")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    args = parser.parse_args(argv)
    if args.write_readme and args.docs != 10_000:
        parser.error("--write-readme only with the full 10,000 documents")
    result = run(args.docs, args.keep)
    show_section(section(result), args.write_readme)
    if args.json:
        print(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
