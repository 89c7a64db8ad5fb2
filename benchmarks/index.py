"""Benchmark of the persistent index: SQLite and Redis holding a million documents.

For each backend, in a subprocess of its own (so its peak memory is its own):

1. fill: a million synthetic documents (random uint32 signatures, 1M × 128, drawn 50,000 at a
   time from a fixed seed, with realistic ids, batch names, sizes and exact keys), added with
   ``store.add`` 50,000 at a time, as a run adds its kept documents;
2. size: the SQLite file (and its WAL) on disk; Redis ``used_memory`` (``INFO memory``) and
   its append-only file on disk;
3. lookups on the full index: band candidates, exact keys and records for 10,000 documents,
   once for unseen signatures and once for stored ones;
4. real text: 2,000 generated articles (paragraphs of ``samples/*.txt`` and English ones,
   numbers changed per document) are cleaned into the index as a batch of their own; then a
   batch of 10,000 such articles, one in ten a near-copy of one of those 2,000 (a credit line
   added, a paragraph dropped or a few characters changed), is matched against the 1,002,000
   stored documents: ``match_index`` alone (sketches made beforehand) and the whole
   ``clean_paths(..., RunOptions(index=...))``, with 2 worker processes.

For Redis, the server is private (loopback, a free port, ``--appendonly yes`` with automatic
rewrites off, ``--maxmemory 5gb`` so a runaway fill fails instead of crowding the machine),
and after the runs it is restarted once to time the reload of its append-only file. The
server is stopped and every temporary file deleted at the end, also on errors and Ctrl-C.

``python benchmarks/index.py`` takes about ten minutes on 2 cores; ``--quick`` (100,000
documents, a 2,000-document batch) a couple of minutes; ``--write-readme`` refreshes the
section in ``benchmarks/README.md``; ``--backends sqlite`` or ``redis`` runs one of them.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from _common import SAMPLES, Log, best_of, load_average, machine, run_in_subprocess, show_section, timed

SECTION = "## Persistent index (benchmarks/index.py)"

SEED = 20251124
FILL_CHUNK = 50_000
LOOKUP_DOCS = 10_000
REDIS_MAXMEMORY = "5gb"
COPY_SHARE = 10  # one in ten batch documents is a near-copy of an indexed article

ENGLISH_PARAGRAPHS = (
    "The harbour authority confirmed on Monday that the old fish market on the eastern quay will be turned into "
    "a covered hall for small traders, after two years of argument about whether the building was worth saving.",
    "Engineers found that the iron roof is sound, although the brick walls need new foundations where the tide "
    "has washed out the soil beneath them. The work is expected to take eighteen months.",
    "Volunteers planted more than two hundred fruit trees on the slope above the railway cutting this weekend, "
    "restoring an orchard that was grubbed up in the nineteen sixties to make room for a depot that was never built.",
    "The varieties were chosen from old nursery catalogues found in the county archive, and several of them had "
    "not been grown in the valley for half a century, including a small russet apple and a late cooking pear.",
    "The hilltop observatory reopened its doors after a long restoration of the brass telescope that was installed "
    "there in 1890 and had not moved since the dome jammed during a storm fifteen years ago.",
    "A team of retired engineers rebuilt the clockwork drive by hand, copying worn gears from drawings kept by the "
    "family of the instrument maker, and the lens was cleaned by specialists from the national museum.",
    "Analysts expect the chip maker to report revenue of 12 billion dollars for the quarter, driven by demand for "
    "accelerators in data centres, while sales of chips for personal computers remain flat.",
    "The power company said that a new substation would be needed before the data centre could draw its full 300 "
    "megawatts, and that the transformers alone have a delivery time of more than two years.",
    "Planning officers recommended approval of the warehouse on the ring road, subject to limits on lorry movements "
    "at night and a new footpath along the brook for residents of the estate next door.",
    "The university's rowing crews trained on the river at dawn all week, and the coach said that the younger "
    "squad had improved faster than any group he had worked with in twenty years.",
    "A survey of 2,400 households found that two in five now work from home at least one day a week, and that "
    "most of them would turn down a job that required five days in the office.",
    "The museum has bought a collection of 340 letters written by a lighthouse keeper's daughter in the 1880s, "
    "describing storms, shipwrecks and the arrival of the first telegraph on the island.",
)


@dataclass(frozen=True)
class Config:
    docs: int  # synthetic documents in the index
    seed_docs: int  # real articles indexed as a batch of their own
    batch_docs: int  # the real-text batch matched against everything


FULL = Config(docs=1_000_000, seed_docs=2_000, batch_docs=10_000)
QUICK = Config(docs=100_000, seed_docs=500, batch_docs=2_000)


# -- the synthetic fill ---------------------------------------------------------------------


def fill_chunks(total: int):
    """(first, signatures, documents) 50,000 at a time, always the same for a seed."""
    from dedup.index.store import IndexedDocument

    rng = np.random.default_rng(SEED)
    for first in range(0, total, FILL_CHUNK):
        count = min(FILL_CHUNK, total - first)
        signatures = rng.integers(0, 2**32, size=(count, 128), dtype=np.uint32)
        chars = np.clip(rng.lognormal(8.2, 0.6, count), 300, 200_000).astype(np.int64)  # median ~3,600
        sizes = (chars * rng.uniform(0.7, 0.95, count)).astype(np.int64)
        exact = rng.integers(-(2**63), 2**63 - 1, size=count, dtype=np.int64)
        docs = [
            IndexedDocument(f"crawl/2025-{1 + (first + i) // 100_000:02d}/{first + i:07d}.jsonl:1", f"fill-{(first + i) // 100_000:02d}",
                            int(chars[i]), int(sizes[i]), int(exact[i]), signatures[i])
            for i in range(count)
        ]
        yield first, signatures, docs


# -- real text ------------------------------------------------------------------------------


def paragraph_pool() -> list[str]:
    """Body paragraphs of the samples (no front matter, no headings) and the English ones."""
    pool = []
    for path in sorted(SAMPLES.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        if lines and lines[0].strip() == "---":  # YAML front matter
            end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
            lines = lines[end + 1 :]
        pool += [line.strip() for line in lines if len(line.strip()) >= 60 and not line.lstrip().startswith("#")]
    return list(dict.fromkeys(pool)) + list(ENGLISH_PARAGRAPHS)


def article(rng: np.random.Generator, pool: Sequence[str], number: int) -> str:
    """6-12 paragraphs of the pool, every number in them redrawn, under a title of its own."""
    picks = rng.choice(len(pool), size=int(rng.integers(6, 13)), replace=False)
    paragraphs = [re.sub(r"\d+", lambda m: str(int(rng.integers(10 ** (len(m.group()) - 1), 10 ** len(m.group())))), pool[p]) for p in picks]
    title = f"記事 {number:06d}：{pool[picks[0]][:12]} ({int(rng.integers(1, 29))}日更新)"
    return title + "\n\n" + "\n\n".join(paragraphs) + "\n"


def near_copy(rng: np.random.Generator, text: str) -> str:
    """A re-post: a credit line, and a paragraph dropped or a few characters changed."""
    paragraphs = text.split("\n\n")
    if rng.random() < 0.5 and len(paragraphs) > 6:
        del paragraphs[int(rng.integers(1, len(paragraphs)))]
    else:
        at = int(rng.integers(1, len(paragraphs)))
        line = paragraphs[at]
        cut = int(rng.integers(0, max(1, len(line) - 8)))
        paragraphs[at] = line[:cut] + "（編集部注）" + line[cut + 4 :]
    return "転載：テックニュース編集部\n\n" + "\n\n".join(paragraphs)


def write_texts(workdir: Path, config: Config) -> tuple[Path, Path]:
    rng = np.random.default_rng(SEED + 1)
    pool = paragraph_pool()
    seeds = [article(rng, pool, i) for i in range(config.seed_docs)]
    batch = []
    for i in range(config.batch_docs):
        if i % COPY_SHARE == 0:
            batch.append(near_copy(rng, seeds[int(rng.integers(0, len(seeds)))]))
        else:
            batch.append(article(rng, pool, config.seed_docs + i))
    paths = workdir / "seed.jsonl", workdir / "batch.jsonl"
    for path, texts, name in ((paths[0], seeds, "seed"), (paths[1], batch, "batch")):
        with open(path, "w", encoding="utf-8") as out:
            for i, text in enumerate(texts):
                out.write(json.dumps({"id": f"{name}-{i:06d}", "text": text}, ensure_ascii=False) + "\n")
    return paths


def read_texts(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line)["text"] for line in lines]


def _sketch_chunk(texts: list[str]):
    from dedup import clean_text
    from dedup.signatures.minhash import sketch  # internal: match_index is timed alone, on the engine's sketches

    return sketch([clean_text(t).text for t in texts])


def batch_sketches(path: Path, workdir: Path) -> Path:
    """Sketches of the cleaned batch, as the engine makes them, saved for the backends' ``match_index``."""
    texts = read_texts(path)
    chunks = [texts[i : i + 250] for i in range(0, len(texts), 250)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(_sketch_chunk, chunks))
    target = workdir / "batch-sketches.npz"
    np.savez(target, signatures=np.concatenate([p.signatures for p in parts]),
             sizes=np.concatenate([p.sizes for p in parts]), exact_keys=np.concatenate([p.exact_keys for p in parts]))
    return target


# -- one backend (child process) --------------------------------------------------------------


def run_backend(backend: str, location: str, config: Config, workdir: Path) -> dict:
    from dedup import CorpusOptions, RunOptions, clean_paths

    # internal: the index is the stage measured, filled and queried directly (store.add, candidates, match_index)
    from dedup.index.bands import IndexParams
    from dedup.index.matching import match_index
    from dedup.index.open import open_index
    from dedup.match.lsh import band_keys
    from dedup.signatures.minhash import Sketches

    corpus = CorpusOptions()
    params = IndexParams.from_options(corpus)
    meta = params.as_dict()
    store = open_index(location)
    result: dict = {"backend": backend}

    # 1. fill
    add_times, make_time, known = [], 0.0, None
    started = time.perf_counter()
    for first, signatures, docs in fill_chunks(config.docs):
        keys = band_keys(signatures, params)
        if known is None:
            known = (signatures[:LOOKUP_DOCS].copy(), [d.exact_key for d in docs[:LOOKUP_DOCS]])
        make_time = time.perf_counter() - started - sum(add_times)
        t = time.perf_counter()
        store.add(docs, keys, meta)
        add_times.append(time.perf_counter() - t)
        progress(f"{backend}: {first + len(docs):,} documents, last {len(docs):,} in {add_times[-1]:.1f} s")
    result["fill"] = {
        "documents": config.docs, "add_seconds": sum(add_times), "rate": config.docs / sum(add_times),
        "first_rate": FILL_CHUNK / add_times[0], "last_rate": FILL_CHUNK / add_times[-1], "generate_seconds": make_time,
        "chunk": FILL_CHUNK,
    }

    # 2. size, once the store is closed (SQLite then folds its WAL back into the file)
    store.close()
    result["size"] = size_of(backend, location, workdir)
    store = open_index(location)

    # 3. lookups, best of 3 (the machine is shared)
    rng = np.random.default_rng(SEED + 2)
    unseen = band_keys(rng.integers(0, 2**32, size=(LOOKUP_DOCS, 128), dtype=np.uint32), params)
    stored = band_keys(known[0], params)
    lookups = {
        "candidates_unseen": best_of(3, lambda: sum(map(len, store.candidates(unseen)))),
        "candidates_stored": best_of(3, lambda: sum(map(len, store.candidates(stored)))),
        "exact_stored": best_of(3, lambda: sum(e is not None for e in store.exact(known[1]))),
        "fetch": best_of(3, lambda: len(store.fetch(list(range(1, LOOKUP_DOCS + 1))))),
    }
    result["lookups"] = {k: {"seconds": s, "found": n, "rate": LOOKUP_DOCS / s} for k, (s, n) in lookups.items()}
    result["stats_seconds"] = best_of(1, store.stats)[0]
    store_class = type(store)
    store.close()

    # 4. real text: a batch of articles into the index, then the batch of near-copies and new ones
    calls = time_methods(store_class, ("lock", "read_meta", "exact", "candidates", "fetch", "add"))
    options = RunOptions(index=location, id_key="id", jobs=2, show_progress=False)
    summary, took = timed(lambda: clean_paths([workdir / "seed.jsonl"], workdir / f"seed-{backend}.jsonl", options, batch="seed"))
    result["seed_batch"] = {"documents": summary.documents, "seconds": took.wall, "added": summary.indexed,
                            "duplicates_of_index": summary.duplicates_of_index, "store_seconds": dict(calls)}
    progress(f"{backend}: seed batch of {summary.documents:,} in {result['seed_batch']['seconds']:.1f} s")

    saved = np.load(workdir / "batch-sketches.npz")
    sketches = Sketches(saved["signatures"], saved["sizes"], saved["exact_keys"])
    store = open_index(location)
    match_seconds, matches = best_of(3, lambda: match_index(store, params, sketches, corpus))
    store.close()

    calls.update(dict.fromkeys(calls, 0.0))
    summary, took = timed(lambda: clean_paths([workdir / "batch.jsonl"], workdir / f"batch-{backend}.jsonl", options, batch="batch"))
    clean_seconds = took.wall
    result["batch"] = {
        "documents": summary.documents, "match_index_seconds": match_seconds, "match_index_found": len(matches),
        "clean_seconds": clean_seconds, "duplicates_of_index": summary.duplicates_of_index,
        "duplicates_in_batch": summary.duplicate - summary.duplicates_of_index, "added": summary.indexed,
        "chars_in": summary.chars_in, "store_seconds": dict(calls),
    }
    progress(f"{backend}: batch of {summary.documents:,} in {clean_seconds:.1f} s (match_index {match_seconds:.2f} s)")
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["workers_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result["size_after"] = size_of(backend, location, workdir)
    return result


def time_methods(cls: type, names: Sequence[str]) -> dict[str, float]:
    """Wrap these methods of a store class to add up their wall time (``lock``: acquiring it) into the returned dict."""
    totals = dict.fromkeys(names, 0.0)

    def wrap(name: str, method):
        def timed_method(*args, **kwargs):
            t = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                totals[name] += time.perf_counter() - t

        @contextlib.contextmanager
        def timed_lock(self, *args, **kwargs):
            t = time.perf_counter()
            with method(self, *args, **kwargs):
                totals[name] += time.perf_counter() - t
                yield

        return timed_lock if name == "lock" else timed_method

    for name in names:
        setattr(cls, name, wrap(name, getattr(cls, name)))
    return totals


def size_of(backend: str, location: str, workdir: Path) -> dict:
    if backend == "sqlite":
        path = Path(location)
        wal = Path(f"{location}-wal")
        return {"file_bytes": path.stat().st_size, "wal_bytes": wal.stat().st_size if wal.exists() else 0}
    import redis

    client = redis.Redis.from_url(location)
    memory = client.info("memory")
    aof = sum(p.stat().st_size for p in (workdir / "redis").rglob("*.aof*") if p.is_file())
    hashes = sum(client.memory_usage(f"dedup:{name}", samples=0) or 0 for name in ("docs", "exact", "ids"))  # exact: all fields
    return {"used_memory": memory["used_memory"], "used_memory_rss": memory["used_memory_rss"],
            "used_memory_peak": memory["used_memory_peak"], "aof_bytes": aof, "keys": client.dbsize(), "hashes_bytes": hashes}


progress = Log()


# -- the Redis server ---------------------------------------------------------------------


class RedisServer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(exist_ok=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> float:
        """Start (or restart) the server; seconds until it answers with its data loaded."""
        import redis

        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed (Debian: apt-get install redis-server)")
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory), "--save", "",
             "--appendonly", "yes", "--auto-aof-rewrite-percentage", "0", "--maxmemory", REDIS_MAXMEMORY,
             "--daemonize", "no", "--logfile", str(self.directory / "redis.log")],
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        while True:
            if self.process.poll() is not None:
                raise RuntimeError((self.directory / "redis.log").read_text()[-2000:])
            try:
                if client.ping() and not client.info("persistence").get("loading"):
                    return time.perf_counter() - started
            except (redis.ConnectionError, redis.BusyLoadingError):
                pass
            time.sleep(0.05)

    def version(self) -> str:
        import redis

        return redis.Redis(port=self.port).info("server")["redis_version"]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(120)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# -- the whole benchmark ---------------------------------------------------------------------


def child(backend: str, location: str, config: Config, workdir: Path) -> dict:
    """Run one backend in a fresh interpreter, so its peak memory is its own (its progress lines pass through)."""
    return run_in_subprocess(
        __file__, ["--child", backend, "--location", location, "--workdir", str(workdir), "--docs", str(config.docs),
                   "--seed-docs", str(config.seed_docs), "--batch-docs", str(config.batch_docs)],
        interval=None, show_stderr=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 documents and a 2,000-document batch")
    parser.add_argument("--backends", default="sqlite,redis")
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--save-results", metavar="JSON", help="also keep the raw figures in this file")
    parser.add_argument("--render", metavar="JSON", nargs="+",
                        help="only render the section from figures saved with --save-results; more files: earlier runs, for the spread")
    parser.add_argument("--docs", type=int)
    parser.add_argument("--seed-docs", type=int)
    parser.add_argument("--batch-docs", type=int)
    parser.add_argument("--child", choices=("sqlite", "redis"), help=argparse.SUPPRESS)
    parser.add_argument("--location", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    base = QUICK if args.quick else FULL
    config = Config(args.docs or base.docs, args.seed_docs or base.seed_docs, args.batch_docs or base.batch_docs)

    if args.render:
        saved, *others = (json.loads(Path(path).read_text()) for path in args.render)
        text = section(Config(**saved["config"]), saved["results"], saved["load"], saved["versions"], saved["same"], saved["machine"],
                       [o["results"] for o in others if o["config"] == saved["config"]])
        show_section(text, args.write_readme)
        return

    if args.child:
        print(json.dumps(run_backend(args.child, args.location, config, Path(args.workdir))))
        return

    load = os.getloadavg()
    started = datetime.datetime.now()
    workdir = Path(tempfile.mkdtemp(prefix="dedup-index-bench-"))
    server: RedisServer | None = None
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        progress(f"writing {config.seed_docs:,} + {config.batch_docs:,} articles to {workdir}")
        write_texts(workdir, config)
        t = time.perf_counter()
        batch_sketches(workdir / "batch.jsonl", workdir)
        progress(f"sketched the batch in {time.perf_counter() - t:.1f} s")
        results: dict[str, dict] = {}
        software = {"sqlite": sqlite3.sqlite_version}
        for backend in args.backends.split(","):
            if backend == "sqlite":
                results["sqlite"] = child("sqlite", str(workdir / "index.sqlite"), config, workdir)
                (workdir / "index.sqlite").unlink()
                for extra in ("index.sqlite-wal", "index.sqlite-shm", "index.sqlite.lock"):
                    (workdir / extra).unlink(missing_ok=True)
            elif backend == "redis":
                server = RedisServer(workdir / "redis")
                server.start()
                software["redis"] = server.version()
                results["redis"] = child("redis", server.url, config, workdir)
                server.stop()
                results["redis"]["restart_seconds"] = server.start()
                server.stop()
                server = None
            else:
                raise SystemExit(f"unknown backend {backend!r}")
        same = same_decisions(workdir, list(results)) if len(results) > 1 else None
        host = machine_line(started, load, software)
        text = section(config, results, load, software, same, host)
        if args.save_results:
            Path(args.save_results).write_text(json.dumps(
                {"config": asdict(config), "results": results, "load": load, "versions": software, "same": same, "machine": host}, indent=1))
        show_section(text, args.write_readme)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)


# -- the README section ---------------------------------------------------------------------


def machine_line(started: datetime.datetime, load: Sequence[float], software: dict[str, str]) -> str:
    import redis

    return machine(
        [f"numpy {np.__version__}", f"SQLite {software.get('sqlite')}", f"redis-server {software.get('redis', '—')}",
         f"redis-py {redis.__version__}"],
        load=f"{load_average(load)} at start, {load_average()} at the end (shared machine)",
        when=f"{started.strftime('%Y-%m-%d %H:%M')} (start)",
    )


def section(config: Config, results: dict[str, dict], load: Sequence[float], versions: dict[str, str], same: bool | None,
            machine: str, others: Sequence[dict[str, dict]] = ()) -> str:
    names = [b for b in ("sqlite", "redis") if b in results]
    label = {"sqlite": "SQLite (file, WAL)", "redis": "Redis (AOF on)"}
    n, batch = config.docs, config.batch_docs

    def row(title: str, cell) -> str:
        return f"| {title} | " + " | ".join(cell(results[b]) for b in names) + " |"

    def size(r: dict) -> str:
        s = r["size"]
        if r["backend"] == "sqlite":
            total = s["file_bytes"] + s["wal_bytes"]
            return f"{mib(total)} on disk ({total / n:,.0f} B/doc; WAL {mib(s['wal_bytes'])})"
        return (f"{mib(s['used_memory'])} in memory ({s['used_memory'] / n:,.0f} B/doc; RSS {mib(s['used_memory_rss'])}), "
                f"AOF {mib(s['aof_bytes'])} on disk")

    def lookup(key: str):
        return lambda r: f"{r['lookups'][key]['seconds']:.2f} s ({r['lookups'][key]['rate']:,.0f} docs/s; {r['lookups'][key]['found']:,} found)"

    lines = [
        SECTION,
        "",
        "Run from the repository root (about ten minutes on this machine; `--quick` for 100,000 documents in a couple of minutes):",
        "",
        "```",
        ".venv/bin/python benchmarks/index.py                 # print the section",
        ".venv/bin/python benchmarks/index.py --write-readme  # and refresh it here",
        ".venv/bin/python benchmarks/index.py --quick --backends redis",
        "```",
        "",
        f"Machine: {machine}.",
        "",
        f"Fill: {n:,} synthetic documents (random uint32 signatures, 128 per document, fixed seed; ids, batch names, "
        f"sizes and exact keys like real ones) added with `store.add` {FILL_CHUNK:,} at a time, one transaction each; "
        f"14 bands of 9 rows (the default parameters), so {14 * n:,} band entries. Lookups (best of 3): {LOOKUP_DOCS:,} documents on the full index. "
        f"Real text: {config.seed_docs:,} generated articles (paragraphs of samples/*.txt and English ones, every number redrawn "
        f"per article, 6-12 paragraphs) cleaned into the index as a batch, then a batch of {batch:,} such articles, one in "
        f"{COPY_SHARE} a near-copy of one of those (credit line added, a paragraph dropped or a few characters changed), "
        f"with `--jobs 2`. `match_index` is timed alone on sketches made beforehand; the whole run includes reading, "
        f"cleaning, sketching, in-batch matching, writing and adding the kept documents. Redis runs on the same machine "
        f"(loopback), appendonly yes, appendfsync everysec. Each backend runs in its own process; peak RSS is that process's "
        f"(`ru_maxrss`), the 2 workers' peak beside it.",
        "",
        "| | " + " | ".join(label[b] for b in names) + " |",
        "|---|" + "--:|" * len(names),
        row(f"fill {n:,} documents: add time", lambda r: f"{r['fill']['add_seconds']:.0f} s"),
        row("insert rate (all; first / last 50k)", lambda r: f"{r['fill']['rate']:,.0f} docs/s ({r['fill']['first_rate']:,.0f} / {r['fill']['last_rate']:,.0f})"),
        row("size", size),
        row(f"candidates, {LOOKUP_DOCS:,} unseen signatures", lookup("candidates_unseen")),
        row(f"candidates, {LOOKUP_DOCS:,} stored signatures", lookup("candidates_stored")),
        row(f"exact keys, {LOOKUP_DOCS:,}", lookup("exact_stored")),
        row(f"fetch {LOOKUP_DOCS:,} records", lookup("fetch")),
        row("`dedup index stats`", lambda r: f"{r['stats_seconds'] * 1000:.0f} ms"),
        row(f"{config.seed_docs:,} articles into the index: whole run (in the store: add; lookups)", lambda r: (
            f"{r['seed_batch']['seconds']:.1f} s ({store_seconds(r['seed_batch']['store_seconds'])[0]:.1f} s; "
            f"{store_seconds(r['seed_batch']['store_seconds'])[1]:.1f} s)")),
        row(f"**{batch:,}-document batch: `match_index`** (best of 3)", lambda r: f"**{r['batch']['match_index_seconds']:.2f} s** ({r['batch']['match_index_found']:,} matched)"),
        row(f"**{batch:,}-document batch: whole `clean_paths`**", lambda r: f"**{r['batch']['clean_seconds']:.1f} s**"),
        row("of which in the store: add; lookups", lambda r: "{:.1f} s; {:.1f} s".format(*store_seconds(r["batch"]["store_seconds"]))),
        row("batch result", lambda r: f"{r['batch']['duplicates_of_index']:,} duplicates of the index (of {planted(config):,} near-copies planted), {r['batch']['duplicates_in_batch']:,} within the batch, {r['batch']['added']:,} added"),
        row("peak RSS (workers)", lambda r: f"{r['peak_rss_mib']:,.0f} MiB ({r['workers_peak_rss_mib']:,.0f} MiB)"),
    ]
    if "redis" in results:
        lines.append(row("server restart (AOF reload)", lambda r: f"{r['restart_seconds']:.1f} s" if "restart_seconds" in r else "—"))
        lines.append(row("size after the real batches", lambda r: (
            f"{mib(r['size_after']['file_bytes'] + r['size_after']['wal_bytes'])}" if r["backend"] == "sqlite"
            else f"{mib(r['size_after']['used_memory'])} (peak {mib(r['size_after']['used_memory_peak'])}, during the {FILL_CHUNK:,}-document adds: queued transaction, AOF buffer)")))
    if others:
        lines += ["", spread(results, others)]
    lines += ["", verdict(config, results, same, others)]
    return "\n".join(lines) + "\n"


def planted(config: Config) -> int:
    return len(range(0, config.batch_docs, COPY_SHARE))


def same_decisions(workdir: Path, backends: Sequence[str]) -> bool:
    """Whether the batch's report says the same of every document with every backend."""
    decisions = []
    for backend in backends:
        report = json.loads((workdir / f"batch-{backend}.jsonl.report.json").read_text(encoding="utf-8"))
        decisions.append([(d["id"], d["status"], d["duplicate_of"], d["duplicate_of_batch"]) for d in report["documents"]])
    return all(d == decisions[0] for d in decisions)


def store_seconds(calls: dict[str, float]) -> tuple[float, float]:
    """(adding, looking up) seconds of a run in its store."""
    return calls["add"], sum(v for k, v in calls.items() if k in ("exact", "candidates", "fetch", "read_meta"))


def spread(results: dict[str, dict], others: Sequence[dict[str, dict]]) -> str:
    """The same figures from earlier runs on this machine: how much a shared machine moves them."""
    title = {"sqlite": "SQLite", "redis": "Redis"}
    parts = []
    for label, get, unit in (
        ("fill", lambda r: r["fill"]["add_seconds"], "{:.0f} s"),
        ("whole batch run", lambda r: r["batch"]["clean_seconds"], "{:.0f} s"),
        ("`match_index`", lambda r: r["batch"]["match_index_seconds"], "{:.2f} s"),
    ):
        cells = []
        for name, r in results.items():
            earlier = [unit.format(get(o[name])) for o in others if name in o]
            cells.append(f"{title[name]} {unit.format(get(r))} (earlier: {', '.join(earlier)})")
        parts.append(f"{label}: " + "; ".join(cells))
    return (f"Earlier runs of this benchmark on this machine the same day ({len(others)} of them, the index code the same; "
            f"`match_index` and lookups were then timed once, not best of 3), against the run above: " + ". ".join(parts) + ".")


def verdict(config: Config, results: dict[str, dict], same: bool | None, others: Sequence[dict[str, dict]] = ()) -> str:
    n, batch = config.docs, config.batch_docs
    title = {"sqlite": "SQLite", "redis": "Redis"}
    lines = ["Verdict:", ""]
    runs = []
    for name, r in results.items():
        add, look = store_seconds(r["batch"]["store_seconds"])
        runs.append(f"{title[name]} {add + look:.1f} s of {r['batch']['clean_seconds']:.0f} s (`match_index` alone "
                    f"{r['batch']['match_index_seconds']:.2f} s, adding the {r['batch']['added']:,} kept documents {add:.1f} s)")
    lines.append(
        f"- Speed is not the limit at {n:,} documents with either backend: of a {batch:,}-document run, the index takes "
        + "; ".join(runs) + ". Reading, cleaning and sketching the articles take the rest."
    )
    if others:
        def fold(get) -> float:
            return max(max(v) / min(v) for v in (
                [get(r)] + [get(o[name]) for o in others if name in o] for name, r in results.items()))

        lines[-1] += (
            f" The machine is shared (load average above): between runs, whole-run times differed up to "
            f"{fold(lambda r: r['batch']['clean_seconds']):.1f}-fold and fill times up to {fold(lambda r: r['fill']['add_seconds']):.1f}-fold "
            f"(see above), so read each figure as good to a factor of two or three."
        )
        every = [results] + [o for o in others if "sqlite" in o and "redis" in o]
        if "sqlite" in results and "redis" in results:
            for what, get in (("filled", lambda r: r["fill"]["add_seconds"]),
                              ("looked up candidates", lambda r: r["lookups"]["candidates_unseen"]["seconds"])):
                faster = {min(("sqlite", "redis"), key=lambda b: get(run[b])) for run in every}
                if len(faster) == 1:
                    lines[-1] += f" {title[faster.pop()]} {what} faster in all {len(every)} runs."
                else:
                    lines[-1] += f" Which backend {what} faster changed between runs."

    fills = "; ".join(
        f"{title[name]} {r['fill']['add_seconds'] / 60:.1f} min ({r['fill']['rate']:,.0f} docs/s, first 50k at "
        f"{r['fill']['first_rate']:,.0f}, last at {r['fill']['last_rate']:,.0f})" for name, r in results.items()
    )
    lines.append(f"- Filling {n:,} documents in {FILL_CHUNK:,}-document transactions: {fills}.")
    if "redis" in results:
        r = results["redis"]
        per_doc = r["size"]["used_memory"] / n
        peak = r["size_after"]["used_memory_peak"] - r["size_after"]["used_memory"]
        bands = 1 - r["size"]["hashes_bytes"] / r["size"]["used_memory"]
        lines.append(
            f"- Redis's cost is memory: {per_doc:,.0f} bytes of RAM per document ({per_doc * 1e6 / 2**30:.1f} GiB per million, "
            f"{bands:.0%} of it the 14 band sets per document, each a key of its own; the rest is the records and the id and exact-key hashes), plus about {mib(peak)} "
            f"more at the peak of a {FILL_CHUNK:,}-document add (queued commands and their copies for the append-only file). Ten "
            f"million documents would need {per_doc * 1e7 / 2**30:.0f} GiB: more than this machine should give it. Its append-only file was {mib(r['size']['aof_bytes'])} (automatic rewrites off) and a restart replayed it "
            f"in {r.get('restart_seconds', float('nan')):.0f} s (runs started meanwhile wait for it)."
        )
    if "sqlite" in results:
        r = results["sqlite"]
        total = r["size"]["file_bytes"] + r["size"]["wal_bytes"]
        lines.append(
            f"- SQLite needs {total / n:,.0f} bytes of disk per document ({mib(total)} here), no server and no RAM beyond the page "
            f"cache; `dedup index stats` counts its band rows ({r['stats_seconds']:.1f} s). It is the default for one machine."
        )
    found = sorted({r["batch"]["duplicates_of_index"] for r in results.values()})
    agree = ""
    if same is not None:
        agree = f"Both backends made {'the same decision for every document' if same else 'DIFFERENT decisions'} of the batch. "
    lines.append(
        f"- {agree}{'/'.join(f'{f:,}' for f in found)} of the {planted(config):,} planted near-copies were found; the misses (checked "
        f"on the --quick data) are copies with a paragraph dropped, Jaccard similarity 0.6-0.8 to their original, which the LSH "
        f"bands tuned for 0.8 do not always propose: the matcher's recall (`--lsh-threshold` lowers it), not the store's."
    )
    return "\n".join(lines)


def mib(value: float) -> str:
    return f"{value / 2**20:,.0f} MiB" if value < 2**30 else f"{value / 2**30:,.2f} GiB"


if __name__ == "__main__":
    main()
