"""Benchmark of the corpus stage alone: what containment adds to LSH matching, in CPU and memory per document.

The corpus of ``benchmarks/corpus.py`` (same generator and seed) is generated in memory and
sketched in batches of 64 (``sketch()`` of the raw texts, samples included); then, in one
process, each timed apart (CPU: ``time.process_time``; memory: tracemalloc's peak during
the call, which counts numpy's buffers, so the figure is what the call itself allocates):

- ``near_matches`` without samples: LSH candidates and their verification (the corpus
  stage before containment);
- ``containment_candidates`` alone: each document's anchors and the documents holding two;
- ``near_matches`` with samples, as ``dedup clean`` runs it.

Run ``python benchmarks/corpus_stage.py [--documents N ...]`` (default 10,000 and 100,000; a
few minutes). It prints a Markdown table.
"""
from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import corpus as generator  # noqa: E402
from _common import load_average, machine  # noqa: E402

from dedup.match.containment import containment_candidates  # noqa: E402
from dedup.match.documents import CorpusOptions, near_matches  # noqa: E402
from dedup.signatures.minhash import Sketches, sketch  # noqa: E402


def sketched(count: int) -> tuple[Sketches, int]:
    pool = generator.load_pool()
    plan = generator.plan_corpus(pool, count, generator.SEED)
    parts, nbytes, batch = [], 0, []
    for position in range(count):
        text = generator.document(pool, plan, position).text
        nbytes += len(text.encode("utf-8"))
        batch.append(text)
        if len(batch) == 64:
            parts.append(sketch(batch))
            batch = []
    if batch:
        parts.append(sketch(batch))
    return Sketches.join(parts), nbytes


def measured(action: Callable[[], Any]) -> tuple[Any, float, int]:
    tracemalloc.start()
    cpu = time.process_time()
    result = action()
    cpu = time.process_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, cpu, peak


def measure(count: int) -> dict[str, Any]:
    sketches, nbytes = sketched(count)
    options = CorpusOptions()
    sizes, keys = sketches.sizes.tolist(), sketches.exact_keys.tolist()
    samples = sketches.samples
    assert samples is not None
    plain, plain_cpu, plain_peak = measured(lambda: near_matches(sketches.signatures, sizes, keys, options))
    live = np.ones(count, dtype=bool)
    found, found_cpu, found_peak = measured(lambda: containment_candidates(samples, sizes, live, options.containment_rule))
    full, full_cpu, full_peak = measured(lambda: near_matches(sketches.signatures, sizes, keys, options, samples))
    return {
        "documents": count, "bytes": nbytes, "samples": len(samples.values),
        "samples_bytes": samples.values.nbytes + samples.offsets.nbytes,
        "plain": (len(plain), plain_cpu, plain_peak), "candidates": (len(found), found_cpu, found_peak),
        "full": (len(full), full_cpu, full_peak),
    }


def table(results: list[dict[str, Any]]) -> str:
    def cell(pairs: int, cpu: float, peak: int, count: int) -> str:
        return f"{pairs:,} pairs, {cpu:.2f} s CPU, peak {peak / 2**20:.0f} MiB ({peak / count / 1024:.1f} KiB a document)"

    lines = [
        f"Machine: {machine()}, load {load_average()}",
        "",
        "| documents | corpus | samples (bytes a document) | `near_matches` without samples | `containment_candidates` | "
        "`near_matches` with samples |",
        "|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        n = r["documents"]
        lines.append(
            f"| {n:,} | {r['bytes'] / 1e6:.0f} MB | {r['samples']:,} ({r['samples_bytes'] / n:,.0f} B) | "
            f"{cell(*r['plain'], n)} | {cell(*r['candidates'], n)} | {cell(*r['full'], n)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(table([measure(count) for count in args.documents]))


if __name__ == "__main__":
    main()
