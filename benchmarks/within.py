"""Benchmark of within-document cleaning (``dedup.clean_text``): throughput, scaling, memory.

Four measurements, all single-process (so MB/s is per core), all deterministic (fixed seed):

1. the five real articles in ``samples/``;
2. a generated corpus of article-sized documents (2-20 KB) with the repeat patterns met in
   scraped text: an article pasted twice with headings in the second copy, paragraphs
   repeated with sentences added, LLM chunks repeated across ``---END---`` markers, and
   clean articles;
3. single documents of 0.5, 1, 2 and 5 MB, to see whether time grows linearly with size;
4. peak RSS of each of those sizes, each run in its own subprocess so the peak is its own.

MB means 10**6 bytes of UTF-8 input; MB/s is on CPU time. Run ``python benchmarks/within.py``
(under 3 minutes), ``--quick`` for a smoke run (under 30 s), ``--write-readme`` to refresh the
figures in ``benchmarks/README.md``. ``--case 5`` cleans one generated 5 MB document in this process,
which is the handle for ``python -m cProfile -s cumulative benchmarks/within.py --case 5``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import resource
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from dedup import clean_text

from _common import (
    MB, README, SAMPLES, CaseTimeout, Stopwatch, load_average, machine, run_in_subprocess, show_section, utf8_len,
)

SECTION = "## Within-document cleaning (benchmarks/within.py)"

SEED = 20251124
MARKER = "---END---"
TARGET_MBPS = 2.0  # article-sized documents, per core
TARGET_5MB_SECONDS = 10.0
ARTICLE_BYTES = (2_000, 20_000)
CASE_TIMEOUT_S = 120  # a size case that takes longer is reported as a timeout, not waited for

ENGLISH_PARAGRAPHS = (
    "Building a data centre for large models is no longer a matter of renting racks. The operator has to "
    "secure hundreds of megawatts years in advance, negotiate with the grid, and design cooling for chips "
    "that draw more power per square metre than any earlier generation. Each of these steps takes longer "
    "than training the model that will eventually run there.",
    "The economics are unusual as well. A single training cluster can cost more than the company's annual "
    "revenue, and the hardware loses much of its value within three years. Investors therefore look less at "
    "the size of the announcement and more at how quickly the capacity turns into paying workloads.",
    "Cooling has become the quiet bottleneck. Air cooling reaches its limit at roughly forty kilowatts per "
    "rack, while the newest accelerator systems exceed one hundred. Direct liquid cooling moves the heat "
    "out through cold plates, but it requires new plumbing, new maintenance skills and a different floor layout.",
    "Location decisions follow the power. Sites in Texas and the northern plains offer cheap land and "
    "abundant wind, yet they are far from the fibre routes that connect the largest cities. Operators "
    "trade a few milliseconds of latency for a lower electricity bill that they will pay for decades.",
    "Local communities see both sides of the bargain. Construction brings thousands of temporary jobs and "
    "a lasting tax base, but a finished facility employs only a few hundred people. Water use and noise "
    "are now standard questions at planning hearings, and some counties have paused new approvals.",
    "For the model developers, owning infrastructure is about control rather than cost. When capacity is "
    "scarce, a cloud provider decides whose jobs run first. A company with its own halls can schedule "
    "training runs around its research plans instead of around someone else's quarterly priorities.",
    "Critics warn that the spending resembles earlier bubbles. Fibre networks laid in the late nineties "
    "sat dark for years before demand caught up. The difference, supporters argue, is that inference "
    "demand is already visible in usage numbers, not only in projections made for investors.",
    "The supply chain adds its own risks. Advanced packaging capacity is concentrated in a handful of "
    "plants, and transformers for new substations now have lead times of two years or more. A delay in "
    "any one component can leave an expensive building waiting without the machines it was built for.",
    "Energy policy is catching up slowly. Several states are drafting rules that would require large "
    "consumers to fund the grid upgrades they trigger. Operators respond by signing long contracts for "
    "nuclear and geothermal power, which promise steady output regardless of the weather.",
    "Whatever the outcome, the shift is already visible in hiring. Electrical engineers, site managers "
    "and specialists in high-voltage equipment are in demand at companies that only recently hired "
    "mostly researchers. The competition in artificial intelligence has become a competition in concrete and copper.",
)
ENGLISH_HEADINGS = (
    "Background", "Why build now", "Power and cooling", "Where the sites are", "What it costs",
    "Risks", "The local view", "Outlook", "Key figures", "What to watch next",
)

_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_STRUCTURE = re.compile(r"^(?:#|[-*+|>]|\d+[.)]\s)")
_SENTENCE_END = re.compile(r"(?<=[。！？])|(?<=[.!?])\s+(?=[A-Z])")
_KANJI = (0x4E00, 0x9FFF)
_KATAKANA = (0x30A1, 0x30F6)


@dataclass(frozen=True)
class Pool:
    """Text the generated documents are made of: distinct paragraphs and headings per language."""

    ja_paragraphs: tuple[str, ...]
    ja_headings: tuple[str, ...]
    en_paragraphs: tuple[str, ...] = ENGLISH_PARAGRAPHS
    en_headings: tuple[str, ...] = ENGLISH_HEADINGS

    def sentences(self) -> list[str]:
        """Distinct Japanese sentences, the raw material of the large documents."""
        return list(dict.fromkeys(s for p in self.ja_paragraphs for s in split_sentences(p)))


@dataclass(frozen=True)
class Timing:
    """One benchmark row: what was cleaned, how long it took, what was removed.

    Times are totals over ``passes`` passes, or with ``best_of`` > 1 the best single pass
    (``first_wall`` then is the first pass, cold caches and compiled kernels loading included).
    """

    case: str
    docs: int
    input_bytes: int
    chars: int
    removed_chars: int
    wall: float
    cpu: float
    passes: int = 1
    best_of: int = 1
    first_wall: float | None = None
    rss_before_kb: int | None = None  # after imports and generation, before the first clean
    peak_rss_kb: int | None = None

    @property
    def removed_share(self) -> float:
        return self.removed_chars / self.chars

    @property
    def mb_per_s(self) -> float:
        """Per core, on CPU time: the process is single-threaded, and CPU time is less inflated
        by other jobs on the shared machine than wall time is."""
        return self.input_bytes * self.passes / MB / self.cpu


def split_sentences(paragraph: str) -> list[str]:
    """Sentences at 。！？ (no space follows in Japanese) or at .!? followed by a capital."""
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]


def load_samples() -> list[str]:
    """The real articles, in file order, so runs are comparable."""
    return [p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt"))]


def build_pool(samples: Sequence[str]) -> Pool:
    """Distinct paragraphs and headings of the samples.

    Samples 001 and 002 repeat themselves, so exact copies are dropped, and so are
    paragraphs contained in another (chunk-boundary fragments): a "clean" generated
    document must not contain repeats that the generator did not put there.
    """
    paragraphs: list[str] = []
    headings: list[str] = []
    for text in samples:
        for line in _FRONT_MATTER.sub("", text).splitlines():
            line = line.strip()
            if line.startswith("#"):
                headings.append(line.lstrip("#").strip())
            elif len(line) >= 40 and not _STRUCTURE.match(line) and line != MARKER:
                paragraphs.append(line)
    unique = list(dict.fromkeys(paragraphs))
    whole = tuple(p for p in unique if not any(p != q and p in q for q in unique))
    return Pool(whole, tuple(dict.fromkeys(headings)))


def take(rng: random.Random, paragraphs: Sequence[str], nbytes: int) -> list[str]:
    """Distinct paragraphs in random order until ``nbytes`` (or the pool) is used up."""
    chosen: list[str] = []
    size = 0
    for paragraph in rng.sample(list(paragraphs), len(paragraphs)):
        if size >= nbytes:
            break
        chosen.append(paragraph)
        size += utf8_len(paragraph) + 2
    return chosen


def join(lines: Sequence[str]) -> str:
    """Markdown-style article: one line per block, blank line between blocks."""
    return "\n\n".join(lines) + "\n"


def pasted_twice(rng: random.Random, body: list[str], headings: Sequence[str], extra: list[str]) -> str:
    """The article, then the article again with a title and section headings (the fuller copy)."""
    second = [f"# {rng.choice(headings)}"]
    for paragraph in body:
        if rng.random() < 0.35:
            second.append(f"## {rng.choice(headings)}")
        second.append(paragraph)
    return join(body + second)


def sentences_added(rng: random.Random, body: list[str], headings: Sequence[str], extra: list[str]) -> str:
    """The article, then half its paragraphs again, each with a new sentence before or after it."""
    repeated = sorted(rng.sample(range(len(body)), max(1, len(body) // 2)))
    tail = [f"## {rng.choice(headings)}"]
    for index in repeated:
        sentence = extra.pop() if extra else ""
        sep = " " if sentence[-1:] in ".!?" else ""
        tail.append(f"{sentence}{sep}{body[index]}" if rng.random() < 0.5 else f"{body[index]}{sep}{sentence}")
    return join(body + tail)


def end_chunks(rng: random.Random, body: list[str], headings: Sequence[str], extra: list[str]) -> str:
    """LLM output in chunks of 2-5 paragraphs split by ``---END---``.

    After a marker the model often restarts: it repeats the whole previous chunk or its
    last paragraphs exactly before going on, as in sample 002.
    """
    lines: list[str] = []
    previous: list[str] = []
    at = 0
    while at < len(body):
        chunk = body[at : at + rng.randint(2, 5)]
        at += len(chunk)
        if previous:
            lines.append(MARKER)
            roll = rng.random()
            if roll < 0.3:
                lines.extend(previous + [MARKER])
            elif roll < 0.7:
                lines.extend(previous[-rng.randint(1, len(previous)) :])
        lines.extend(chunk)
        previous = chunk
    return join(lines + [MARKER])


def clean_article(rng: random.Random, body: list[str], headings: Sequence[str], extra: list[str]) -> str:
    """A title and distinct paragraphs: nothing should be removed."""
    return join([f"# {rng.choice(headings)}"] + body)


# (rng, distinct paragraphs, headings, spare sentences) -> document; each pattern uses what it needs
Builder = Callable[[random.Random, list[str], Sequence[str], list[str]], str]
# pattern name -> (builder, share of the document taken by its distinct body)
PATTERNS: dict[str, tuple[Builder, float]] = {
    "pasted twice + headings": (pasted_twice, 0.5),
    "paragraphs + added sentences": (sentences_added, 0.65),
    "chunks repeated across ---END---": (end_chunks, 0.6),
    "clean article": (clean_article, 1.0),
}


def article_corpus(pool: Pool, count: int, seed: int = SEED) -> list[tuple[str, str]]:
    """``count`` (pattern, document) pairs of 2-20 KB, patterns in rotation, 1 in 5 in English.

    A document outside 2-20 KB (a body of one long paragraph, an overshoot) is drawn again,
    so the sizes are those of articles. English bodies are capped by the ten English
    paragraphs (3 KB), so English documents stay under about 7 KB.
    """
    rng = random.Random(seed)
    names = list(PATTERNS)
    corpus = []
    for number in range(count):
        name = names[number % len(names)]
        english = number % 5 == 4
        paragraphs = pool.en_paragraphs if english else pool.ja_paragraphs
        headings = pool.en_headings if english else pool.ja_headings
        document = ""
        while not ARTICLE_BYTES[0] <= utf8_len(document) <= ARTICLE_BYTES[1]:
            document = article(rng, name, paragraphs, headings)
        corpus.append((name, document))
    return corpus


def article(rng: random.Random, pattern: str, paragraphs: Sequence[str], headings: Sequence[str]) -> str:
    """One document of ``pattern`` aiming at a uniformly drawn size in ARTICLE_BYTES."""
    builder, body_share = PATTERNS[pattern]
    body = take(rng, paragraphs, int(rng.uniform(*ARTICLE_BYTES) * body_share))
    unused = [s for p in paragraphs if p not in body for s in split_sentences(p)]
    rng.shuffle(unused)
    return builder(rng, body, headings, unused)


def rotate(text: str, variant: int) -> str:
    """``text`` with its kanji and katakana shifted by an amount keyed by ``variant``.

    A 5 MB document needs thousands of distinct paragraphs; the samples hold about 150.
    Shifting code points keeps each sentence's length, script mix, punctuation and
    hiragana (the frequent shingles of real Japanese) while its kanji and katakana
    shingles become new, so two variants of one sentence are far from near-duplicates.
    """
    kanji_shift = variant * 1009 % (_KANJI[1] - _KANJI[0] + 1)
    kana_shift = variant % (_KATAKANA[1] - _KATAKANA[0] + 1)
    table = {}
    for char in set(text):
        code = ord(char)
        if _KANJI[0] <= code <= _KANJI[1]:
            table[code] = _KANJI[0] + (code - _KANJI[0] + kanji_shift) % (_KANJI[1] - _KANJI[0] + 1)
        elif _KATAKANA[0] <= code <= _KATAKANA[1]:
            table[code] = _KATAKANA[0] + (code - _KATAKANA[0] + kana_shift) % (_KATAKANA[1] - _KATAKANA[0] + 1)
    return text.translate(table)


def large_document(pool: Pool, nbytes: int, repeat_share: float = 0.3, seed: int = SEED) -> str:
    """One document of about ``nbytes``: distinct paragraphs, ~``repeat_share`` of them repeated later.

    Paragraph n is 2-6 sample sentences rotated as variant n, so paragraphs are distinct.
    Repeats come as runs of 1-4 consecutive paragraphs copied to a later position; one run in
    three gets a new sentence appended to each copy. A heading opens every eighth paragraph.
    """
    rng = random.Random(seed)
    sentences = pool.sentences()
    distinct: list[str] = []
    size = 0
    while size < nbytes / (1 + repeat_share):
        number = len(distinct)
        paragraph = rotate("".join(rng.sample(sentences, rng.randint(2, 6))), number)
        if number % 8 == 0:
            paragraph = f"## 第{number // 8 + 1}節 {rotate(rng.choice(pool.ja_headings), number)}\n\n{paragraph}"
        distinct.append(paragraph)
        size += utf8_len(paragraph) + 2
    inserts: dict[int, list[str]] = {}
    repeated = 0
    while repeated < repeat_share * len(distinct):
        start = rng.randrange(len(distinct))
        run = distinct[start : start + rng.randint(1, 4)]
        if rng.random() < 1 / 3:
            run = [p + rotate(rng.choice(sentences), len(distinct) + repeated) for p in run]
        inserts.setdefault(rng.randint(start + len(run), len(distinct)), []).extend(run)
        repeated += len(run)
    lines = [line for at, p in enumerate(distinct) for line in inserts.get(at, []) + [p]]
    return join(lines + inserts.get(len(distinct), []))


def timed(text: str) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds and cleaned text of one ``clean_text`` call."""
    watch = Stopwatch()
    cleaned = clean_text(text).text
    took = watch.read()
    return took.wall, took.cpu, cleaned


def time_groups(named_docs: Sequence[tuple[str, str]], min_seconds: float) -> list[Timing]:
    """One row per name, timed per document over whole passes until ``min_seconds`` of wall time.

    All documents are cleaned in every pass (not group by group) so that all rows come from
    the same passes under the same machine load; one untimed pass warms up first.
    """
    rows = {name: Timing(name, 0, 0, 0, 0, 0.0, 0.0, 0) for name, _ in named_docs}
    for name, text in named_docs:
        row = rows[name]
        removed = len(text) - len(timed(text)[2])
        rows[name] = replace(
            row, docs=row.docs + 1, input_bytes=row.input_bytes + utf8_len(text), chars=row.chars + len(text),
            removed_chars=row.removed_chars + removed,
        )
    passes = 0
    while sum(r.wall for r in rows.values()) < min_seconds:
        passes += 1
        for name, text in named_docs:
            wall, cpu, _ = timed(text)
            row = rows[name]
            rows[name] = replace(row, wall=row.wall + wall, cpu=row.cpu + cpu, passes=passes)
    return list(rows.values())


def total(case: str, rows: Sequence[Timing]) -> Timing:
    """The rows of one set of passes added up."""
    return Timing(
        case, sum(r.docs for r in rows), sum(r.input_bytes for r in rows), sum(r.chars for r in rows),
        sum(r.removed_chars for r in rows), sum(r.wall for r in rows), sum(r.cpu for r in rows), rows[0].passes,
    )


def run_case(megabytes: float, repeats: int) -> dict[str, float | int]:
    """Clean one generated document of ``megabytes`` ``repeats`` times in this process."""
    text = large_document(build_pool(load_samples()), int(megabytes * MB))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    runs = [timed(text) for _ in range(repeats)]
    return {
        "bytes": utf8_len(text),
        "chars": len(text),
        "removed_chars": len(text) - len(runs[0][2]),
        "wall": min(r[0] for r in runs),
        "cpu": min(r[1] for r in runs),
        "first_wall": runs[0][0],
        "rss_before_kb": rss_before,
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def time_size(megabytes: float, repeats: int) -> Timing | None:
    """A size case in a fresh subprocess, so that its peak RSS is its own and not the largest so far.

    None when it ran past CASE_TIMEOUT_S, so that one pathological size cannot stall the run.
    """
    try:
        f = run_in_subprocess(__file__, ["--case", str(megabytes), "--repeats", str(repeats)], timeout=CASE_TIMEOUT_S,
                     interval=None)
    except CaseTimeout:
        print(f"single document of {megabytes:g} MB: over {CASE_TIMEOUT_S} s, left out", file=sys.stderr)
        return None
    return Timing(
        f"single document, {megabytes:g} MB", 1, f["bytes"], f["chars"], f["removed_chars"], f["wall"], f["cpu"],
        best_of=repeats, first_wall=f["first_wall"], rss_before_kb=f["rss_before_kb"], peak_rss_kb=f["peak_rss_kb"],
    )


def growth_exponent(sizes: Sequence[Timing]) -> float:
    """Slope of log(CPU time) against log(size): 1 is linear, 2 quadratic."""
    if len(sizes) < 2:
        return math.nan
    slope, _ = np.polyfit(np.log([t.input_bytes for t in sizes]), np.log([t.cpu for t in sizes]), 1)
    return float(slope)


def table(rows: Sequence[Timing]) -> str:
    """Markdown table of the rows."""
    lines = [
        "| Case | Docs | Input | Removed | Passes | Wall | CPU | First pass (wall) | MB/s per core "
        "| Peak RSS (growth) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        passes = f"best of {r.best_of}" if r.best_of > 1 else str(r.passes)
        first = f"{r.first_wall:.2f} s" if r.first_wall is not None else "—"
        rss = "—"
        if r.peak_rss_kb and r.rss_before_kb:
            rss = f"{r.peak_rss_kb / 1024:.0f} MiB (+{(r.peak_rss_kb - r.rss_before_kb) / 1024:.0f})"
        lines.append(
            f"| {r.case} | {r.docs} | {r.input_bytes / MB:.3f} MB | {100 * r.removed_share:.1f}% | {passes} "
            f"| {r.wall:.2f} s | {r.cpu:.2f} s | {first} | {r.mb_per_s:.2f} | {rss} |"
        )
    return "\n".join(lines)


def verdict(articles: Sequence[Timing], sizes: Sequence[Timing], ran_5mb: bool) -> str:
    """One line against the targets: ≥ 2 MB/s per core on articles, a 5 MB document in < 10 s."""
    slowest = min(articles, key=lambda r: r.mb_per_s)
    speed = "met" if slowest.mb_per_s >= TARGET_MBPS else "NOT met"
    parts = [f"≥ {TARGET_MBPS:g} MB/s per core on article-sized documents: **{speed}** "
             f"(slowest row: {slowest.case}, {slowest.mb_per_s:.2f} MB/s)"]
    five = next((t for t in sizes if t.input_bytes >= 4.5 * MB), None)
    if five is None and ran_5mb:
        parts.append(f"5 MB document in < {TARGET_5MB_SECONDS:g} s: **NOT met** (over {CASE_TIMEOUT_S} s)")
    elif five is not None:
        slowest_5 = max(five.wall, five.cpu, five.first_wall or 0.0)
        big = "met" if slowest_5 < TARGET_5MB_SECONDS else "NOT met"
        parts.append(f"5 MB document in < {TARGET_5MB_SECONDS:g} s: **{big}** "
                     f"({five.cpu:.2f} s CPU, {five.wall:.2f} s wall, first pass {five.first_wall:.2f} s wall)")
    exponent = growth_exponent(sizes)
    shape = "roughly linear" if exponent < 1.15 else "super-linear"
    parts.append(f"growth with size: {shape} (CPU time ∝ size^{exponent:.2f})")
    return "Verdict: " + "; ".join(parts) + "."


def report(
    articles: Sequence[Timing],
    sizes: Sequence[Timing],
    corpus: Sequence[tuple[str, str]],
    budget: float,
    load: Sequence[float],
    ran_5mb: bool,
) -> str:
    """The README section: how to run, the machine, the table, the verdict."""
    kb = sorted(utf8_len(t) / 1000 for _, t in corpus)
    return "\n".join(
        [
            SECTION,
            "",
            "Run from the repository root (about a minute; `--quick` for a smoke run under 30 s):",
            "",
            "```",
            ".venv/bin/python benchmarks/within.py                 # print the table",
            ".venv/bin/python benchmarks/within.py --write-readme  # and refresh this section",
            ".venv/bin/python -m cProfile -s cumulative benchmarks/within.py --case 5  # profile 5 MB",
            "```",
            "",
            f"Machine: {machine([f'numpy {np.__version__}'], load=f'{load_average(load)} at start')}.",
            "",
            "Everything runs single-process, single-threaded; MB = 10^6 bytes of UTF-8 input; MB/s per "
            "core = input × passes / CPU time (the machine is shared, and CPU time is much less inflated by other "
            "jobs; wall time is shown beside it). Samples and corpus: one untimed warm-up pass, then whole "
            f"passes until {budget:g} s of wall time; Wall and CPU are totals over the passes. Corpus: "
            f"{len(corpus)} generated documents (seed {SEED}), {kb[0]:.1f}-{kb[-1]:.1f} KB, median "
            f"{statistics.median(kb):.1f} KB, one in five English. Single documents: distinct paragraphs "
            "(sample sentences with kanji/katakana rotated per paragraph) with ~30% of them repeated later, "
            "each size in its own subprocess; Wall and CPU are the best pass, First pass includes loading "
            "compiled kernels and cold caches; Peak RSS is `ru_maxrss` of that subprocess, in brackets its "
            "growth while cleaning (imports and the generated text come before). Removed = share of "
            "characters cut.",
            "",
            table([*articles, *sizes]),
            "",
            verdict(articles, sizes, ran_5mb),
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Run the whole benchmark, or with ``--case`` one size case (the subprocess side of time_size)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced run (< 30 s), not for the README")
    parser.add_argument("--write-readme", action="store_true", help=f"refresh '{SECTION}' in {README}")
    parser.add_argument("--case", type=float, metavar="MB", help="clean one generated document of MB here, print JSON")
    parser.add_argument("--repeats", type=int, default=1, help="passes for --case (best one counts)")
    args = parser.parse_args(argv)
    if args.quick and args.write_readme:
        parser.error("--write-readme needs the full run")
    if args.case is not None:
        print(json.dumps(run_case(args.case, args.repeats)))
        return

    budget, docs, sizes, repeats = (0.5, 40, (0.5, 1.0), 2) if args.quick else (3.0, 200, (0.5, 1.0, 2.0, 5.0), 3)
    load = os.getloadavg()
    samples = load_samples()
    corpus = article_corpus(build_pool(samples), docs)
    rows = time_groups([("samples/*.txt", text) for text in samples], budget)
    by_pattern = time_groups([(f"corpus: {name}", text) for name, text in corpus], budget)
    rows += by_pattern + [total("corpus: all", by_pattern)]
    size_rows = [row for row in (time_size(mb, repeats) for mb in sizes) if row is not None]
    section = report(rows, size_rows, corpus, budget, load, 5.0 in sizes)
    show_section(section, args.write_readme)


if __name__ == "__main__":
    main()
