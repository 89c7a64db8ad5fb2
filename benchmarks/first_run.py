"""First run after installing the wheel against later runs: ``dedup clean`` cold and warm, and ``dedup --help``.

Usage (from the repository root; a couple of minutes on 2 cores, most of it pip)::

    .venv/bin/python -m build --wheel --outdir dist/ .
    .venv/bin/python benchmarks/first_run.py --wheel dist/dedup_articles-*.whl [--write-readme]

The wheel goes into a new venv in a temporary folder (with pip's cache, as a user's install
would be) and every command runs from there, on copies of the inputs outside the checkout.
Cold is the first run after the install (numba's cache empty); warm the median of three
runs after it. CPU is user + system of the command and the worker processes it waited for.
The same is measured with ``DEDUP_KERNELS=compiled`` (numba from the first call: what every
run did before the plain kernels, ``dedup/compiled.py``), its cache emptied first, and on a
generated corpus large enough for the kernels to be compiled by the default rule.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from _common import SAMPLES, load_average, machine, show_section


def run(command: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (the command and its waited-for children) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env={**os.environ, **(env or {})}, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def clear_numba_cache(venv: Path) -> None:
    for pattern in ("*.nbi", "*.nbc"):
        for path in venv.rglob(pattern):
            path.unlink()


def cold_and_warm(dedup: Path, inputs: Path, work: Path, env: dict[str, str] | None = None, warm_runs: int = 3) -> tuple:
    out = work / f"{inputs.name}-dedup"

    def once() -> tuple[float, float]:
        shutil.rmtree(out, ignore_errors=True)
        return run([str(dedup), "clean", str(inputs), "--out", str(out), "--quiet"], work, env)

    cold = once()
    warm = [once() for _ in range(warm_runs)]
    return cold, (statistics.median(w for w, _ in warm), statistics.median(c for _, c in warm))


def corpus(folder: Path, megabytes: float) -> Path:
    """Text files of sample paragraphs, each file its own mix with numbers of its own (few duplicates)."""
    paragraphs = [p for s in sorted(SAMPLES.glob("*.txt")) for p in s.read_text(encoding="utf-8").split("\n\n") if len(p) > 40]
    folder.mkdir()
    size, k = 0, 0
    while size < megabytes * 1_000_000:
        text = "\n\n".join(f"{paragraphs[(k * 7 + j * 3) % len(paragraphs)]} ({k}-{j})" for j in range(12)) + "\n"
        (folder / f"doc_{k:05d}.txt").write_text(text, encoding="utf-8")
        size += len(text.encode("utf-8"))
        k += 1
    return folder


def figure(pair: tuple[float, float]) -> str:
    return f"{pair[0]:.2f} s / {pair[1]:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wheel", required=True, type=Path)
    parser.add_argument("--corpus-mb", type=float, default=16.0, help="size of the generated corpus (MB)")
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()
    start_load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="dedup-first-run-") as tmp:
        work = Path(tmp)
        venv = work / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        began = time.perf_counter()
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(args.wheel.resolve())], check=True)
        install = time.perf_counter() - began
        size = subprocess.run(["du", "-sm", str(venv)], capture_output=True, text=True, check=True).stdout.split()[0]
        dedup = venv / "bin" / "dedup"
        samples = work / "samples"
        shutil.copytree(SAMPLES, samples)
        clear_numba_cache(venv)
        auto = cold_and_warm(dedup, samples, work)
        helps = [run([str(dedup), "--help"], work) for _ in range(5)]
        help_median = (statistics.median(w for w, _ in helps), statistics.median(c for _, c in helps))
        clear_numba_cache(venv)
        compiled = cold_and_warm(dedup, samples, work, {"DEDUP_KERNELS": "compiled"}, warm_runs=2)
        big = corpus(work / "corpus", args.corpus_mb)
        clear_numba_cache(venv)
        big_auto = cold_and_warm(dedup, big, work, warm_runs=1)
        clear_numba_cache(venv)
        big_compiled = cold_and_warm(dedup, big, work, {"DEDUP_KERNELS": "compiled"}, warm_runs=1)
        shutil.rmtree(work / "corpus-dedup", ignore_errors=True)
        big_plain = run([str(dedup), "clean", str(big), "--out", str(work / "corpus-dedup"), "--quiet"], work, {"DEDUP_KERNELS": "plain"})
        files = len(list(big.iterdir()))
    rows = [
        ("`dedup clean samples/` (5 files, 0.1 MB)", auto),
        ("the same, `DEDUP_KERNELS=compiled` (numba from the first call, as before)", compiled),
        (f"`dedup clean` on {files:,} generated files, {args.corpus_mb:g} MB", big_auto),
        ("the same, `DEDUP_KERNELS=compiled`", big_compiled),
    ]
    lines = [
        "## First run after installing (benchmarks/first_run.py)",
        "",
        "Run from the repository root (a couple of minutes on 2 cores, most of it pip):",
        "",
        "```",
        ".venv/bin/python -m build --wheel --outdir dist/ .",
        ".venv/bin/python benchmarks/first_run.py --wheel dist/dedup_articles-*.whl [--write-readme]",
        "```",
        "",
        f"Machine: {machine(load=f'{load_average(start_load)} at start, {load_average()} at the end (shared machine)')}.",
        "",
        f"The wheel `{args.wheel.name}` installed alone into a new venv ({install:.0f} s with pip's cache; the venv "
        f"takes {size} MB), every command run from there on copies outside the checkout, with the default "
        "`--jobs` (both cores). Cold: the first run after the install, numba's cache empty; warm: the median of "
        "three later runs (one for the corpus). Wall / CPU (user + system of the command and its worker processes).",
        "",
        "| run | cold (wall / CPU) | warm (wall / CPU) | cold / warm (wall) |",
        "|---|--:|--:|--:|",
    ]
    for name, (cold, warm) in rows:
        lines.append(f"| {name} | {figure(cold)} | {figure(warm)} | {cold[0] / warm[0]:.2f} |")
    lines += [
        f"| `dedup --help` | — | {figure(help_median)} (median of 5) | — |",
        "",
        f"The corpus with the plain kernels only (`DEDUP_KERNELS=plain`, numba cache warm): {figure(big_plain)}.",
        "",
        "How: the numba kernels are compiled only once a process has done as much work with their plain twins "
        "(numpy, and xxhash's XXH32 per shingle: bit-identical) as compiling would cost; less once numba's cache "
        "holds them (`dedup/compiled.py`, thresholds in `dedup/signatures/sized.py`). A run on a few articles never "
        "imports numba; a large one pays at most about twice what it would have with a warm cache. `dedup --help` "
        "imports click and the CLI module only (commands import the library when they run).",
    ]
    show_section("\n".join(lines), args.write_readme)


if __name__ == "__main__":
    main()
