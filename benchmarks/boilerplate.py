"""Benchmark of boilerplate counting: time and memory per line occurrence and per distinct line.

Counting works on each document's distinct line keys (int64 arrays) with numpy
(``dedup.decide.boilerplate.count_votes``); the vote rows it gives are what an index stores.
This measures, on synthetic key arrays shaped like real pages (40 countable lines per
document, a site's chrome shared by its pages, lines shared across sites, the rest the
document's own):

- CPU time and peak traced memory (tracemalloc: numpy's arrays included) of ``count_votes``
  and ``boilerplate_of``, per line occurrence and per distinct line;
- the bytes of the vote rows (three int64 columns) and of the same rows in a SQLite index
  (``votes`` table, file size growth), per row.

Run ``python benchmarks/boilerplate.py [--documents N ...] [--chunk C ...]`` (default 100,000 and
400,000 documents, each counted at once and in ``count_votes``' default chunks; a few minutes).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dedup.decide.boilerplate import VOTING_CHUNK, BoilerplateRule, boilerplate_of, count_votes  # noqa: E402
from dedup.index.sqlite import SqliteStore  # noqa: E402

from _common import load_average, machine  # noqa: E402

LINES_PER_DOCUMENT = 40
SITES = 2_000
CHROME_PER_SITE = 15  # lines every page of a site has
SHARED = 500  # lines shared across sites ("Privacy Policy", "Facebook"), 5 per document


def documents(count: int, seed: int = 5) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Line keys, units (every document its own cluster but every tenth, a copy of the one before) and sites."""
    rng = np.random.default_rng(seed)
    sites = rng.integers(0, SITES, size=count)
    keys = []
    for number in range(count):
        site = int(sites[number])
        chrome = (1 << 40) + site * 100 + np.arange(CHROME_PER_SITE)
        shared = (2 << 40) + rng.choice(SHARED, size=5, replace=False)
        own = (3 << 40) + number * 100 + np.arange(LINES_PER_DOCUMENT - CHROME_PER_SITE - 5)
        keys.append(np.unique(np.concatenate([chrome, shared, own]).astype(np.int64)))
    units = np.arange(count)
    units[9::10] -= 1
    return keys, units, sites


def measure(count: int, chunk: int) -> dict[str, float]:
    keys, units, sites = documents(count)
    occurrences = sum(len(k) for k in keys)
    tracemalloc.start()
    cpu = time.process_time()
    votes = count_votes(keys, units, sites, chunk=chunk)
    everywhere, on_site = boilerplate_of(votes, BoilerplateRule())
    cpu = time.process_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    distinct = len(np.unique(np.concatenate(keys)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "index.sqlite"
        store = SqliteStore(path)
        store.add([], np.empty((0, 14), dtype=np.int64), {"x": 1})
        store.compact()
        empty = os.path.getsize(path)
        store.add([], np.empty((0, 14), dtype=np.int64), {"x": 1}, None, votes)
        store.compact()
        stored = os.path.getsize(path) - empty
        store.close()
    return {
        "documents": count, "chunk": chunk, "occurrences": occurrences, "distinct": distinct, "rows": len(votes),
        "cpu": cpu, "peak": peak, "everywhere": len(everywhere), "on_site": len(on_site),
        "row_bytes": votes.key.nbytes + votes.site.nbytes + votes.units.nbytes, "sqlite_bytes": stored,
    }


def table(results: list[dict[str, float]]) -> str:
    return "\n".join([
        f"Machine: {machine()}, load {load_average()}",
        "",
        "| documents | occurrences counted at once | line occurrences | distinct lines | vote rows | CPU | peak traced memory | per occurrence | "
        "per distinct line | vote rows in memory | in SQLite |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        *(f"| {r['documents']:,} | {min(r['chunk'], r['occurrences']):,} | {r['occurrences']:,} | {r['distinct']:,} | {r['rows']:,} | {r['cpu']:.2f} s | "
        f"{r['peak'] / 2**20:.0f} MiB | {r['peak'] / r['occurrences']:.0f} B | {r['peak'] / r['distinct']:.0f} B | "
        f"{r['row_bytes'] / r['rows']:.0f} B/row | {r['sqlite_bytes'] / r['rows']:.0f} B/row |"
          for r in results),
        "",
        *(f"Boilerplate found in {r['documents']:,} documents, {min(r['chunk'], r['occurrences']):,} at once: "
          f"{r['everywhere']:,} lines everywhere, {r['on_site']:,} (line, site) pairs." for r in results),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, nargs="+", default=[100_000, 400_000])
    parser.add_argument("--chunk", type=int, nargs="+", default=[1 << 40, VOTING_CHUNK],
                        help="line occurrences counted at once (default: all of them, then count_votes' default)")
    args = parser.parse_args()
    print(table([measure(count, chunk) for count in args.documents for chunk in args.chunk]))


if __name__ == "__main__":
    main()
