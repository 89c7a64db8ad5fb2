"""Bounds of within-document cleaning (``dedup.clean_text``): time on repetitive documents, memory per byte.

Two measurements, each case in a fresh interpreter (so its peak RSS is its own):

1. CPU time against size for one ~900-character article passage pasted over and over, to
   0.5, 1, 2, 5 and 10 MB: the first paragraphs of ``samples/000`` (Japanese, with a heading)
   and an English passage of the same shape (headings and paragraphs). Cleaning must keep
   exactly one copy, in time linear in the size: a quadratic step shows here first, as every
   block of the first copy matches all its copies.
2. Peak RSS per input byte on large ordinary documents (generated as in ``benchmarks/within.py``:
   distinct paragraphs, ~30% repeated later), Japanese and English, of 10 MB and just under
   64 MiB (the largest the default ``--max-bytes`` accepts; the target is 2 GiB for it):
   ``ru_maxrss`` of the case over its input bytes, and its growth while cleaning (imports and
   the generated text come before) over its input bytes.

Run ``python benchmarks/within_bounds.py`` (a few minutes), ``--quick`` for a smoke run,
``--write-readme`` to refresh its section of ``benchmarks/README.md``, ``--before REV`` to run the
cases up to 10 MB again with ``dedup/`` as of a git revision (``--before HEAD``: the last commit).
``--case KIND MB`` runs one case in this process and prints JSON (the subprocess side; KIND is
ja, en, ja-article or en-article).
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import resource
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from _common import MB, ROOT, SAMPLES, CaseTimeout, Stopwatch, load_average, machine, run_in_subprocess, show_section, utf8_len

SECTION = "## Within-document bounds (benchmarks/within_bounds.py)"
SIZES = (0.5, 1.0, 2.0, 5.0, 10.0)
LARGEST = 2**26 / MB * 0.999  # just under 64 MiB, the default --max-bytes
MEMORY_CASES = (("ja-article", 10.0), ("ja-article", LARGEST), ("en-article", 10.0), ("en-article", LARGEST))
PASSAGE_CHARS = 918
TARGET_2MB_CPU = 3.0
TARGET_BYTES_PER_BYTE = 30  # 64 MiB (the default --max-bytes) in 2 GiB
CASE_TIMEOUT_S = 600
BEFORE_TIMEOUT_S = 300


def passage(kind: str) -> str:
    """About PASSAGE_CHARS characters of article text, whole lines with blank lines between."""
    if kind == "ja":
        text = next(SAMPLES.glob("000_*.txt")).read_text(encoding="utf-8")
        lines = [line for line in text.splitlines() if line.strip()][2:]  # after the title lines
    else:  # a heading, then each paragraph of within.py's English article in two halves
        from within import ENGLISH_HEADINGS, ENGLISH_PARAGRAPHS, split_sentences

        lines = []
        for heading, paragraph in zip(ENGLISH_HEADINGS, ENGLISH_PARAGRAPHS):
            sentences = split_sentences(paragraph)
            half = (len(sentences) + 1) // 2
            lines += [f"## {heading}", " ".join(sentences[:half]), " ".join(sentences[half:])]
    taken: list[str] = []
    while len("\n\n".join(taken + lines[len(taken) : len(taken) + 1])) <= PASSAGE_CHARS:
        taken.append(lines[len(taken)])
    return "\n\n".join(taken)


def repeated(kind: str, megabytes: float) -> str:
    unit = passage(kind) + "\n\n"
    return unit * int(megabytes * MB // utf8_len(unit))


def english_article(megabytes: float, seed: int = 20251124) -> str:
    """Distinct English paragraphs (sentences of within.py's English paragraphs, numbered), ~30% repeated later."""
    from within import ENGLISH_PARAGRAPHS, split_sentences

    rng = random.Random(seed)
    sentences = [s for p in ENGLISH_PARAGRAPHS for s in split_sentences(p)]
    paragraphs: list[str] = []
    size = 0
    while size < megabytes * MB / 1.3:
        paragraph = " ".join(rng.sample(sentences, rng.randint(2, 6))) + f" (Case {len(paragraphs)}.)"
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    lines = []
    for number, paragraph in enumerate(paragraphs):
        lines.append(paragraph)
        if rng.random() < 0.3:
            lines.append(paragraphs[rng.randrange(number + 1)])
    return "\n\n".join(lines) + "\n"


def document(kind: str, megabytes: float) -> str:
    """The document of a case; an article is cut after its last whole line within ``megabytes``."""
    if kind in ("ja", "en"):
        return repeated(kind, megabytes)
    if kind == "ja-article":
        from within import build_pool, large_document, load_samples

        text = large_document(build_pool(load_samples()), int(megabytes * MB))
    elif kind == "en-article":
        text = english_article(megabytes)
    else:
        raise ValueError(f"unknown case kind {kind!r}")
    head = text.encode("utf-8")[: int(megabytes * MB)].decode("utf-8", "ignore")
    return head[: head.rfind("\n") + 1]


def run_case(kind: str, megabytes: float) -> dict[str, object]:
    """Clean one document in this process: time, result size, peak RSS before and after."""
    from dedup import clean_text

    text = document(kind, megabytes)
    clean_text("A warm-up paragraph, long enough to be prose and to be matched.\n\n" * 3)  # load compiled kernels
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    watch = Stopwatch()
    result = clean_text(text)
    took = watch.read()
    one_copy = kind not in ("ja", "en") or result.text == passage(kind) + "\n"
    return {
        "kind": kind, "bytes": utf8_len(text), "chars": len(text), "out_chars": len(result.text),
        "removals": len(result.removals), "one_copy": one_copy, "cpu": took.cpu, "wall": took.wall,
        "rss_before_kb": before, "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


@dataclass(frozen=True)
class Case:
    kind: str
    megabytes: float
    figures: dict | None  # None: ran past the time limit
    before: dict | None = None  # the same case with the --before code (None: not run, or past its time limit)
    before_run: bool = False

    @property
    def per_byte(self) -> float:
        return self.figures["peak_rss_kb"] * 1024 / self.figures["bytes"]

    @property
    def growth_per_byte(self) -> float:
        return (self.figures["peak_rss_kb"] - self.figures["rss_before_kb"]) * 1024 / self.figures["bytes"]


def run(kind: str, megabytes: float, timeout: float, code: str | None = None) -> dict | None:
    """One case in a fresh interpreter (with the code in checkout ``code``, if given); None past ``timeout``."""
    env = None if code is None else {**os.environ, "PYTHONPATH": code}
    try:
        figures = run_in_subprocess(Path(__file__), ["--case", kind, str(megabytes)], timeout=timeout, interval=None, env=env)
    except CaseTimeout:
        print(f"{kind} {megabytes:g} MB{' (before)' if code else ''}: over {timeout:g} s, left out", file=sys.stderr)
        return None
    print(f"{kind} {megabytes:g} MB{' (before)' if code else ''}: {figures['cpu']:.2f} s CPU", file=sys.stderr)
    return figures


def measure(kind: str, megabytes: float, before: str | None, before_up_to: float) -> Case:
    figures = run(kind, megabytes, CASE_TIMEOUT_S)
    if before is None or megabytes > before_up_to:
        return Case(kind, megabytes, figures)
    return Case(kind, megabytes, figures, run(kind, megabytes, BEFORE_TIMEOUT_S, before), True)


def was(case: Case, text: str) -> str:
    """`` (before: …)`` for a case also run with the --before code."""
    if not case.before_run:
        return ""
    return f" ({text})" if case.before is not None else f" (over {BEFORE_TIMEOUT_S} s)"


def exponent(cases: Sequence[Case]) -> float | None:
    """Slope of log(CPU time) against log(size) between the two largest measured sizes: 1 linear, 2 quadratic."""
    done = [c for c in cases if c.figures is not None and c.figures["cpu"] > 0]
    if len(done) < 2:
        return None
    a, b = done[-2], done[-1]
    return math.log(b.figures["cpu"] / a.figures["cpu"]) / math.log(b.figures["bytes"] / a.figures["bytes"])


def time_table(by_kind: dict[str, list[Case]]) -> str:
    lines = [
        "| Passage | Input | Copies | CPU (before) | Wall | MB/s per core | Output | Peak RSS | growth per input byte |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for kind, cases in by_kind.items():
        unit = utf8_len(passage(kind) + "\n\n")
        for case in cases:
            f = case.figures
            if f is None:
                lines.append(f"| {kind} | {case.megabytes:g} MB | | over {CASE_TIMEOUT_S} s{was(case, '')} | | | | | |")
                continue
            output = f"{f['out_chars']:,} chars" + ("" if f["one_copy"] else " (**not one copy**)")
            before_cpu = f"{case.before['cpu']:.2f} s" if case.before else ""
            lines.append(
                f"| {kind} ({len(passage(kind))} chars) | {f['bytes'] / MB:.2f} MB | {f['bytes'] // unit:,} "
                f"| {f['cpu']:.2f} s{was(case, before_cpu)} | {f['wall']:.2f} s "
                f"| {f['bytes'] / MB / f['cpu']:.2f} | {output} | {f['peak_rss_kb'] / 1024:,.0f} MiB "
                f"| {case.growth_per_byte:.1f} B |"
            )
    return "\n".join(lines)


def memory_table(cases: Sequence[Case]) -> str:
    lines = [
        "| Document | Input | Characters | CPU (before) | Peak RSS (before) | per input byte (before) | growth per input byte (before) |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for case in cases:
        f = case.figures
        if f is None:
            lines.append(f"| {case.kind} | {case.megabytes:g} MB | — | over {CASE_TIMEOUT_S} s | | | |")
            continue
        cpu = rss = per_byte = growth = ""
        if case.before is not None:
            old = Case(case.kind, case.megabytes, case.before)
            cpu, rss = f"{case.before['cpu']:.1f} s", f"{case.before['peak_rss_kb'] / 1024:,.0f} MiB"
            per_byte, growth = f"{old.per_byte:.1f} B", f"{old.growth_per_byte:.1f} B"
        lines.append(
            f"| {case.kind} | {f['bytes'] / MB:.1f} MB | {f['chars']:,} | {f['cpu']:.1f} s{was(case, cpu)} "
            f"| {f['peak_rss_kb'] / 1024:,.0f} MiB{was(case, rss)} | {case.per_byte:.1f} B{was(case, per_byte)} "
            f"| {case.growth_per_byte:.1f} B{was(case, growth)} |"
        )
    return "\n".join(lines)


def verdict(by_kind: dict[str, list[Case]], memory: Sequence[Case]) -> str:
    parts = []
    two = [c for cases in by_kind.values() for c in cases if c.megabytes == 2.0 and c.figures is not None]
    if two:
        slowest = max(c.figures["cpu"] for c in two)
        parts.append(f"2 MB repetitive document in ≤ {TARGET_2MB_CPU:g} s CPU: **{'met' if slowest <= TARGET_2MB_CPU else 'NOT met'}** "
                     f"(slowest {slowest:.2f} s)")
    for kind, cases in by_kind.items():
        slope = exponent(cases)
        if slope is not None:
            parts.append(f"{kind}: CPU time ∝ size^{slope:.2f} from {cases[-2].megabytes:g} to {cases[-1].megabytes:g} MB")
    ones = [c.figures["one_copy"] for cases in by_kind.values() for c in cases if c.figures is not None]
    parts.append("one copy kept in every case" if all(ones) else "**not one copy in some case**")
    largest = [c for c in memory if c.figures is not None and c.megabytes == max(m.megabytes for m in memory)]
    if largest:
        worst = max(largest, key=lambda c: c.figures["peak_rss_kb"])
        fits = worst.figures["peak_rss_kb"] * 1024 <= 2**31
        parts.append(
            f"a {worst.figures['bytes'] / 2**20:.1f} MiB document in ≤ 2 GiB of peak RSS (≤ ~{TARGET_BYTES_PER_BYTE} bytes per "
            f"input byte): **{'met' if fits else 'NOT met'}** (worst {worst.kind}: {worst.figures['peak_rss_kb'] / 1024:,.0f} MiB, "
            f"{worst.per_byte:.1f} B per input byte, {worst.growth_per_byte:.1f} B of it growth while cleaning)"
        )
    return "Verdict: " + "; ".join(parts) + "."


def export(rev: str, folder: Path) -> str:
    """``dedup/`` as of git revision ``rev``, unpacked into ``folder``: a PYTHONPATH for the cases."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "dedup"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    return str(folder)


def revision(rev: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], capture_output=True, text=True).stdout.strip()


def report(by_kind: dict[str, list[Case]], memory: Sequence[Case], load: Sequence[float], before: str | None) -> str:
    compared = (
        f" In brackets, where run: the same case cleaned with {before} (`--before`; a case past "
        f"{BEFORE_TIMEOUT_S} s is left out, up to 10 MB)." if before else ""
    )
    return "\n".join(
        [
            SECTION,
            "",
            "Run from the repository root (a few minutes; `--quick` for a smoke run):",
            "",
            "```",
            ".venv/bin/python benchmarks/within_bounds.py                 # print the section",
            ".venv/bin/python benchmarks/within_bounds.py --write-readme  # and refresh it here",
            ".venv/bin/python benchmarks/within_bounds.py --before HEAD   # and each case up to 10 MB with the last commit",
            "```",
            "",
            f"Machine: {machine(load=f'{load_average(load)} at start, {load_average()} at the end')}.",
            "",
            "Each case runs in a fresh interpreter, single-threaded: it builds the document, cleans a warm-up text "
            "(loads the compiled kernels), then cleans the document once. CPU is `time.process_time` of that call "
            "(the machine is shared: CPU time is less inflated by other jobs than wall time). Peak RSS is the case's "
            "`ru_maxrss`; per input byte is that over the UTF-8 input, growth is the rise of `ru_maxrss` during the "
            f"clean (imports and the generated text come before it). MB = 10^6 bytes.{compared}",
            "",
            "Repetitive documents: one passage pasted over and over with a blank line between copies; the output "
            "must be the passage once.",
            "",
            time_table(by_kind),
            "",
            "Large ordinary documents: ja-article is `benchmarks/within.py`'s large document (distinct paragraphs of "
            "sample sentences, kanji/katakana rotated per paragraph, ~30% repeated later, a heading every eighth); "
            "en-article is English paragraphs of 2-6 sentences of within.py's English paragraphs, numbered, ~30% "
            "repeated later.",
            "",
            memory_table(memory),
            "",
            verdict(by_kind, memory),
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.5-2 MB and one 10 MB memory case, not for the README")
    parser.add_argument("--write-readme", action="store_true", help="refresh this benchmark's section of the README")
    parser.add_argument("--case", nargs=2, metavar=("KIND", "MB"), help="clean one document here, print JSON")
    parser.add_argument("--before", metavar="REV", help="also run the cases up to 10 MB with dedup/ as of this git revision")
    args = parser.parse_args(argv)
    if args.case is not None:
        print(json.dumps(run_case(args.case[0], float(args.case[1]))))
        return
    if args.quick and args.write_readme:
        parser.error("--write-readme needs the full run")
    load = os.getloadavg()
    sizes = SIZES[:3] if args.quick else SIZES
    with tempfile.TemporaryDirectory(prefix="dedup-before-") as folder:
        before = export(args.before, Path(folder)) if args.before else None
        by_kind = {kind: [measure(kind, mb, before, 10.0) for mb in sizes] for kind in ("ja", "en")}
        memory = [measure(kind, mb, before, 10.0) for kind, mb in (MEMORY_CASES[:1] if args.quick else MEMORY_CASES)]
    label = f"dedup/ as of {args.before} ({revision(args.before)})" if args.before else None
    show_section(report(by_kind, memory, load, label), args.write_readme)


if __name__ == "__main__":
    main()
