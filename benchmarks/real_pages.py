"""Real-page corpus: the same article as a page's full visible text and as its extracted body.

Source: scrapinghub/article-extraction-benchmark (MIT), see tests/data/real_pages/SOURCE.md.
Each page is in the corpus twice: ``<page>-page`` (what a naive scraper gets: every visible
text node of the HTML, with navigation, related links, footers and promos) and
``<page>-article`` (the human-extracted ``articleBody``); both carry ``"pair": "<page>"``.

Run from the repository root:

    # (re)build the corpus from a bare git mirror of the benchmark repository
    .venv/bin/python benchmarks/real_pages.py build --git-dir /path/to/article-extraction-benchmark/repo
    # measure the current tool: one configuration per argument ('' = defaults)
    .venv/bin/python benchmarks/real_pages.py measure '' '--lsh-threshold 0.5' '--threshold 0.3 --lsh-threshold 0.3'
    # corpus statistics (line overlap, lengths, chrome lines shared across sites)
    .venv/bin/python benchmarks/real_pages.py stats

Only the standard library is used for HTML (html.parser).
"""
from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "real_pages" / "pages.jsonl.gz"
DEFAULT_CONFIGS = ["", "--lsh-threshold 0.5", "--threshold 0.3 --lsh-threshold 0.3"]

# ---------------------------------------------------------------------------
# HTML -> visible text (naive scraper)
# ---------------------------------------------------------------------------

# Whose content is never shown (title is the tab caption, not page text).
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "title"})
# Elements that start a new line (HTML block-level and the table/list boxes).
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
    "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
    "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html",
    "iframe", "legend", "li", "main", "menu", "nav", "ol", "option", "p", "pre", "section",
    "select", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
_SPACE = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0  # depth inside SKIP_TAGS

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self.skip += 1
        elif tag == "br" or tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):  # <br/>, <div/>: no content, no skip depth
        if tag == "br" or tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(_SPACE.sub(" ", data))


def html_to_text(html: str) -> str:
    """Visible text of a page: text nodes outside script/style/noscript/template/title, a line
    break at block-level elements and <br>, spaces collapsed within a line, lines stripped, runs
    of blank lines collapsed to one blank line (so block boundaries stay visible)."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


# ---------------------------------------------------------------------------
# Building the corpus
# ---------------------------------------------------------------------------

def _git(git_dir: str, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True).stdout


def build(git_dir: str, out: Path, budget: int, commit: str = "HEAD") -> dict:
    """Write pages.jsonl.gz from a (bare) clone of scrapinghub/article-extraction-benchmark.

    Pages of sites with several pages come first (shared chrome), then one page per further
    site (sites in name order), as many as fit in ``budget`` bytes of gzip file."""
    sha = _git(git_dir, "rev-parse", commit).decode().strip()
    truth = json.loads(_git(git_dir, "show", f"{sha}:ground-truth.json"))
    by_site: dict[str, list[str]] = defaultdict(list)
    for key in sorted(truth):
        by_site[urlsplit(truth[key]["url"]).hostname or "unknown"].append(key)
    multi = [k for site in sorted(by_site) if len(by_site[site]) > 1 for k in by_site[site]]
    single = [k for site in sorted(by_site) if len(by_site[site]) == 1 for k in by_site[site]]
    records: list[tuple[str, list[dict]]] = []
    for key in multi + single:
        html = gzip.decompress(_git(git_dir, "show", f"{sha}:html/{key}.html.gz")).decode("utf-8", "replace")
        url = truth[key]["url"]
        site = urlsplit(url).hostname or "unknown"
        page = key[:12]
        text = html_to_text(html)
        article = truth[key]["articleBody"].strip()
        if not text or not article:
            continue
        records.append((site, [
            {"id": f"{page}-page", "url": url, "site": site, "text": text, "pair": page},
            {"id": f"{page}-article", "url": url, "site": site, "text": article, "pair": page},
        ]))
    # The longest prefix (multi-page sites first) whose gzip file fits the budget.
    def encode(recs_list):
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for recs in recs_list for r in recs).encode()

    def gz(body: bytes) -> bytes:  # mtime 0: the same input gives the same bytes
        return gzip.compress(body, compresslevel=9, mtime=0)

    lo, hi = 0, len(records)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(gz(encode(recs for _, recs in records[:mid]))) <= budget:
            lo = mid
        else:
            hi = mid - 1
    chosen = [recs for _, recs in records[:lo]]
    body = encode(chosen)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(gz(body))
    sites = Counter(recs[0]["site"] for recs in chosen)
    return {"commit": sha, "pages": len(chosen), "records": 2 * len(chosen), "sites": len(sites),
            "sites_with_several": sum(1 for c in sites.values() if c > 1), "bytes": out.stat().st_size,
            "uncompressed": len(body), "available_pages": len(truth)}


def read_corpus(path: Path = CORPUS) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# ---------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------

def _pair_of(doc_id: str) -> str:
    return doc_id.rsplit("-", 1)[0]


def clusters_of(duplicate_of: dict[str, str | None]) -> dict[str, list[str]]:
    """Members of each cluster (singletons included), keyed by canonical id: ``duplicate_of`` followed."""
    def root(doc_id: str) -> str:
        seen = set()
        while duplicate_of.get(doc_id) and doc_id not in seen:
            seen.add(doc_id)
            doc_id = duplicate_of[doc_id]  # type: ignore[assignment]
        return doc_id

    out: dict[str, list[str]] = defaultdict(list)
    for doc_id in duplicate_of:
        out[root(doc_id)].append(doc_id)
    return out


def pair_scores(report_path) -> tuple[float, float, int, int, int]:
    """(recall, precision, found, predicted, positives) of the page/article pairs in a report.

    Clusters come from ``duplicate_of`` (followed to the canonical document); every two
    documents in one cluster are a predicted pair; a true pair is ``<p>-page`` with
    ``<p>-article``. Positives are the pairs whose two documents are both in the report."""
    with open(report_path, encoding="utf-8") as fh:
        docs = json.load(fh)["documents"]
    parent = {d["id"]: d.get("duplicate_of") for d in docs}
    clusters = clusters_of(parent)
    predicted = found = 0
    for members in clusters.values():
        for a, b in itertools.combinations(members, 2):
            predicted += 1
            found += _pair_of(a) == _pair_of(b)
    members_by_pair = Counter(_pair_of(i) for i in parent)
    positives = sum(1 for c in members_by_pair.values() if c == 2)
    recall = found / positives if positives else 0.0
    precision = found / predicted if predicted else 1.0
    return recall, precision, found, predicted, positives


RATIO_BUCKETS = ((0.0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, float("inf")))


def pair_details(report_path, records: list[dict]) -> dict:
    """Wrong pairs split by same site / different sites, and recall by article/page length."""
    with open(report_path, encoding="utf-8") as fh:
        parent = {d["id"]: d.get("duplicate_of") for d in json.load(fh)["documents"]}
    by_id = {r["id"]: r for r in records}
    clusters = clusters_of(parent)
    root = {member: canonical for canonical, members in clusters.items() for member in members}
    wrong_same = wrong_cross = 0
    for members in clusters.values():
        for a, b in itertools.combinations(members, 2):
            if _pair_of(a) != _pair_of(b):
                if by_id[a]["site"] == by_id[b]["site"]:
                    wrong_same += 1
                else:
                    wrong_cross += 1
    buckets = {b: [0, 0] for b in RATIO_BUCKETS}
    for pair in {r["pair"] for r in records}:
        page, art = by_id.get(f"{pair}-page"), by_id.get(f"{pair}-article")
        if not page or not art or page["id"] not in parent or art["id"] not in parent:
            continue
        ratio = len(art["text"]) / len(page["text"])
        for lo, hi in RATIO_BUCKETS:
            if lo <= ratio < hi:
                buckets[(lo, hi)][1] += 1
                buckets[(lo, hi)][0] += root[page["id"]] == root[art["id"]]
    return {"wrong_same_site": wrong_same, "wrong_cross_site": wrong_cross,
            "by_ratio": {f"{lo:g}-{hi:g}" if hi != float("inf") else f">={lo:g}": tuple(v) for (lo, hi), v in buckets.items()}}


def run_config(corpus: Path, args: str, workdir: Path, dedup: str = str(ROOT / ".venv" / "bin" / "dedup")) -> dict:
    out = workdir / "out.jsonl"
    report = Path(f"{out}.report.json")
    for p in (out, report):
        p.unlink(missing_ok=True)
    cmd = [*shlex.split(dedup), "clean", str(corpus), "--id-key", "id",
           "--out", str(out), "-q", "--no-html", *shlex.split(args)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    recall, precision, found, predicted, positives = pair_scores(report)
    details = pair_details(report, read_corpus(corpus))
    with open(report, encoding="utf-8") as fh:
        statuses = Counter(d["status"] for d in json.load(fh)["documents"])
    return {"args": args or "(defaults)", "recall": recall, "precision": precision, "found": found,
            "predicted": predicted, "positives": positives, "wall": wall,
            "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "maxrss_mib": after.ru_maxrss / 1024, "statuses": dict(statuses), **details}


def measure(corpus: Path, configs: list[str], dedup: str = str(ROOT / ".venv" / "bin" / "dedup")) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="real_pages_") as tmp:
        for args in configs:
            rows.append(run_config(corpus, args, Path(tmp), dedup))
    return rows


def format_table(rows: list[dict]) -> str:
    lines = ["| dedup clean options | recall | precision | found / positives | predicted pairs | wrong: same site / other site | duplicates | wall | CPU (children) |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in rows:
        lines.append(f"| `{r['args']}` | {r['recall']:.3f} | {r['precision']:.3f} | {r['found']} / {r['positives']} | "
                     f"{r['predicted']} | {r['wrong_same_site']} / {r['wrong_cross_site']} | {r['statuses'].get('duplicate', 0)} | "
                     f"{r['wall']:.1f} s | {r['cpu']:.1f} s |")
    buckets = list(rows[0]["by_ratio"]) if rows else []
    lines += ["", "Pairs found by article length / page length:", "",
              "| dedup clean options | " + " | ".join(buckets) + " |", "|---|" + "--:|" * len(buckets)]
    for r in rows:
        lines.append(f"| `{r['args']}` | " + " | ".join(f"{f} / {n}" for f, n in r["by_ratio"].values()) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------

def _norm_line(line: str) -> str:
    return " ".join(line.split()).casefold()


def corpus_stats(records: list[dict]) -> dict:
    pages = {r["pair"]: r for r in records if r["id"].endswith("-page")}
    articles = {r["pair"]: r for r in records if r["id"].endswith("-article")}
    pairs = sorted(set(pages) & set(articles))
    line_share, char_share = [], []
    for p in pairs:
        page_lines = {_norm_line(x) for x in pages[p]["text"].split("\n") if x.strip()}
        art_lines = [_norm_line(x) for x in articles[p]["text"].split("\n") if x.strip()]
        hit = [x in page_lines for x in art_lines]
        line_share.append(sum(hit) / len(hit) if hit else 0.0)
        total = sum(len(x) for x in art_lines)
        char_share.append(sum(len(x) for x, h in zip(art_lines, hit) if h) / total if total else 0.0)
    page_len = [len(pages[p]["text"]) for p in pairs]
    art_len = [len(articles[p]["text"]) for p in pairs]
    ratio = [a / b for a, b in zip(art_len, page_len)]

    # Chrome: distinct (normalised, non-empty) page lines by the sites and pages they occur in.
    line_sites: dict[str, set[str]] = defaultdict(set)
    line_pages: dict[str, set[str]] = defaultdict(set)
    article_lines: set[str] = set()
    for p in pairs:
        article_lines.update(_norm_line(x) for x in articles[p]["text"].split("\n") if x.strip())
    for p, r in pages.items():
        for x in {_norm_line(x) for x in r["text"].split("\n") if x.strip()}:
            line_sites[x].add(r["site"])
            line_pages[x].add(p)
    site_pages = Counter(r["site"] for r in pages.values())
    multi_sites = {s for s, c in site_pages.items() if c > 1}
    distinct = len(line_sites)
    cross3 = [x for x, s in line_sites.items() if len(s) >= 3]
    cross2 = [x for x, s in line_sites.items() if len(s) == 2]
    within = [x for x, s in line_sites.items() if len(s) == 1 and len(line_pages[x]) >= 2]
    single = [x for x, s in line_sites.items() if len(line_pages[x]) == 1]
    # Share of each multi-page site's page text (chars) in lines shared with another page of the site.
    shared_char = []
    for p, r in pages.items():
        if r["site"] not in multi_sites:
            continue
        ls = [_norm_line(x) for x in r["text"].split("\n") if x.strip()]
        tot = sum(len(x) for x in ls)
        sh = sum(len(x) for x in ls if len(line_pages[x]) >= 2 and r["site"] in line_sites[x])
        shared_char.append(sh / tot if tot else 0.0)
    # Share of page characters that are not in the article (by line).
    non_article = []
    for p in pairs:
        ls = [_norm_line(x) for x in pages[p]["text"].split("\n") if x.strip()]
        art = {_norm_line(x) for x in articles[p]["text"].split("\n") if x.strip()}
        tot = sum(len(x) for x in ls)
        non_article.append(sum(len(x) for x in ls if x not in art) / tot if tot else 0.0)

    def top(lines, n=12):
        return sorted(lines, key=lambda x: (-len(line_sites[x]), -len(line_pages[x]), x))[:n]

    return {
        "pairs": len(pairs), "sites": len(site_pages), "sites_with_several_pages": len(multi_sites),
        "article_lines_in_page_median": statistics.median(line_share),
        "article_lines_in_page_mean": statistics.mean(line_share),
        "article_chars_in_page_lines_median": statistics.median(char_share),
        "pairs_all_article_lines_in_page": sum(1 for s in line_share if s == 1.0),
        "pairs_under_half_lines_in_page": sum(1 for s in line_share if s < 0.5),
        "page_chars_median": statistics.median(page_len), "article_chars_median": statistics.median(art_len),
        "article_over_page_median": statistics.median(ratio),
        "page_chars_not_in_article_median": statistics.median(non_article),
        "distinct_page_lines": distinct, "lines_in_3plus_sites": len(cross3), "lines_in_2_sites": len(cross2),
        "lines_in_several_pages_one_site": len(within), "lines_in_one_page": len(single),
        "lines_in_3plus_sites_also_in_articles": sum(1 for x in cross3 if x in article_lines),
        "lines_within_site_also_in_articles": sum(1 for x in within if x in article_lines),
        "multi_site_page_chars_shared_within_site_median": statistics.median(shared_char) if shared_char else 0.0,
        "lines_in_3plus_sites_50plus_chars": sum(1 for x in cross3 if len(x) >= 50),
        "lines_in_several_pages_one_site_50plus_chars": sum(1 for x in within if len(x) >= 50),
        "lines_in_one_page_50plus_chars": sum(1 for x in single if len(x) >= 50),
        "top_cross_site_lines": [(x, len(line_sites[x])) for x in top(cross3)],
        "longest_within_site_lines": [(x, len(line_pages[x])) for x in sorted(within, key=lambda x: (-len(x), x))[:8]],
    }


def format_stats(s: dict) -> str:
    lines = [
        f"- pairs: {s['pairs']} pages from {s['sites']} sites ({s['sites_with_several_pages']} sites with several pages)",
        f"- article lines found verbatim (case/space-normalised) among its page's lines: median {s['article_lines_in_page_median']:.1%}, "
        f"mean {s['article_lines_in_page_mean']:.1%}; by characters median {s['article_chars_in_page_lines_median']:.1%}; "
        f"all lines found in {s['pairs_all_article_lines_in_page']} pairs, under half in {s['pairs_under_half_lines_in_page']}",
        f"- median length: page {s['page_chars_median']:,.0f} chars, article {s['article_chars_median']:,.0f} chars; "
        f"article/page median {s['article_over_page_median']:.2f}; page characters in lines not in the article: median {s['page_chars_not_in_article_median']:.1%}",
        f"- distinct page lines: {s['distinct_page_lines']:,}; in pages of >= 3 sites: {s['lines_in_3plus_sites']} "
        f"(of them also article lines: {s['lines_in_3plus_sites_also_in_articles']}); in 2 sites: {s['lines_in_2_sites']}; "
        f"in >= 2 pages of one site only: {s['lines_in_several_pages_one_site']} (also article lines: {s['lines_within_site_also_in_articles']}); "
        f"in one page only: {s['lines_in_one_page']:,}",
        f"- of them >= 50 chars (--min-block-weight default): >= 3 sites {s['lines_in_3plus_sites_50plus_chars']}, "
        f"several pages of one site {s['lines_in_several_pages_one_site_50plus_chars']}, one page {s['lines_in_one_page_50plus_chars']:,}",
        f"- pages of multi-page sites: median share of page characters in lines shared with another page of the site: "
        f"{s['multi_site_page_chars_shared_within_site_median']:.1%}",
        "- most widespread cross-site lines (sites): " + "; ".join(f"`{x[:60]}` ({n})" for x, n in s["top_cross_site_lines"]),
        "- longest lines shared by pages of one site: " + "; ".join(f"`{x[:70]}`" for x, n in s["longest_within_site_lines"]),
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------

def machine_line(dedup: str | None = None) -> str:
    load = Path("/proc/loadavg").read_text().split()[:3]
    try:
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "dedup"], capture_output=True, text=True).stdout.strip()
    except OSError:
        rev, dirty = "?", ""
    return (f"{time.strftime('%Y-%m-%d %H:%M')}, nproc {os.cpu_count()}, load average {', '.join(load)} at start, "
            f"Python {sys.version.split()[0]}, "
            + (f"dedup command `{dedup}`" if dedup else f"dedup at {rev}{' + uncommitted changes in dedup/' if dirty else ''}"))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd")
    b = sub.add_parser("build", help="build the corpus from the benchmark repository")
    b.add_argument("--git-dir", required=True, help="(bare) git directory of scrapinghub/article-extraction-benchmark")
    b.add_argument("--commit", default="HEAD")
    b.add_argument("--out", type=Path, default=CORPUS)
    b.add_argument("--budget", type=int, default=575_000, help="size of the gzip file in bytes [default: 575000]")
    m = sub.add_parser("measure", help="run dedup clean per configuration and print recall/precision")
    m.add_argument("configs", nargs="*", help="dedup clean options, one configuration per argument ('' = defaults)")
    m.add_argument("--corpus", type=Path, default=CORPUS)
    m.add_argument("--json", action="store_true")
    m.add_argument("--dedup", default=str(ROOT / ".venv" / "bin" / "dedup"),
                   help="command that runs dedup [default: .venv/bin/dedup]")
    s = sub.add_parser("stats", help="line overlap, lengths and chrome statistics of the corpus")
    s.add_argument("--corpus", type=Path, default=CORPUS)
    s.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.cmd == "build":
        print(json.dumps(build(args.git_dir, args.out, args.budget, args.commit), indent=2))
    elif args.cmd == "stats":
        st = corpus_stats(read_corpus(args.corpus))
        print(json.dumps(st, indent=2, ensure_ascii=False) if args.json else format_stats(st))
    else:  # measure (also the default with no subcommand)
        corpus = getattr(args, "corpus", CORPUS)
        configs = getattr(args, "configs", None) or DEFAULT_CONFIGS
        dedup = getattr(args, "dedup", str(ROOT / ".venv" / "bin" / "dedup"))
        print(f"Machine: {machine_line(None if dedup == str(ROOT / '.venv' / 'bin' / 'dedup') else dedup)}", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="real_pages_") as tmp:  # untimed warm-up (imports, numba cache)
            run_config(corpus, configs[0], Path(tmp), dedup)
        rows = measure(corpus, configs, dedup)
        print(json.dumps(rows, indent=2) if getattr(args, "json", False) else format_table(rows))


if __name__ == "__main__":
    main()
