"""Scale-out benchmark: ``dedup clean --engine ray`` on 1 and 2 worker CPUs, per-core rates, a 1-billion plan.

One deterministic run, each measured configuration in its own fresh interpreter:

1. a corpus of 1-8 KB Japanese/English documents with ~10% known near-duplicates (the generator of
   ``benchmarks/corpus.py``, same seed), written as 16 JSONL files so that Ray reads them in parallel;
2. per-core rates on one core, no Ray: ``clean_text`` and ``sketch`` MB/s, ``band_keys``, the local
   engine's matching, and how LSH candidates grow with the corpus (band-key groups of prefixes of it);
3. ``clean_with_ray(..., max_driver_documents=0)`` (the corpus stage distributed whatever the size) after
   ``ray.init(num_cpus=N)`` for N = 2 and 1, on the whole corpus: CPU time, rows
   and bytes out of each per-partition function (timers wrapped around the functions the engine imports,
   in the benchmark's process only), the wall time of each step of the driver, and a small run first for
   the fixed cost of a run (also on the engine's default driver path, for comparison); after the 2-CPU run, the distributed connected components (large-star/small-star)
   on the corpus's verified edges and on a larger synthetic graph, checked against the expected labels, and the
   driver's two sequential steps (duplicates published, report.json streamed) on more data than a run gives them;
   then the read + clean stage alone with Ray Data's per-operator resource reservation on and off;
4. the single-machine engine, ``clean_paths`` with jobs=2 and jobs=1, for reference;
5. the Ray outputs compared with the local ones (kept documents, report records, clusters, totals, errors, warnings);
6. a plan for 1 billion documents derived from the measured rates.

Run ``python benchmarks/ray_scale.py`` (100k documents), ``--quick`` for 10k documents, ``--write-readme``
to refresh its section of ``benchmarks/README.md``; ``--save FILE --workdir DIR`` keep the figures and the
outputs so that ``--resume`` continues an interrupted run. MB means 10**6 bytes of UTF-8 document text;
per-core rates are on thread CPU time.
"""
from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from itertools import chain, zip_longest
from pathlib import Path
from typing import Any

import numpy as np

from _common import (
    MB, README, Log, Stopwatch, TreeWatch, load_average, machine, mib, proc_memory, run_in_subprocess, show_section,
    versions,
)

SECTION = "## Scale-out on Ray (benchmarks/ray_scale.py)"

FILES = 16
FULL_DOCS, QUICK_DOCS = 100_000, 10_000
CASE_TIMEOUT_S = 45 * 60
OBJECT_STORE = 4 * 2**30  # Ray's shared-memory object store, bounded on this shared 24 GiB machine
TINY_DOCS = 1_000  # the small run (one input file): a Ray run's fixed cost, and the parallelism within a file
SAMPLE_S = 1.0  # process-tree sampling interval
STAR_EDGES, QUICK_STAR_EDGES = 1_000_000, 200_000  # the synthetic graph of the components check
PUBLISH_ROWS, QUICK_PUBLISH_ROWS = 5_000_000, 1_000_000  # synthetic duplicates of the publishing probe (and a tenth)
SMOKE_PROBE = 1_000  # the least of either probe when they shrink with a corpus below QUICK_DOCS
# What 1 billion documents cost: assumptions, stated in the README.
TARGET_DOCS = 1_000_000_000
TARGET_DOC_BYTES = 4_000
PRICE_PER_CORE_HOUR = 0.05  # USD, on-demand compute-optimised vCPU (assumption)
NODE_CORES, NODE_MEMORY_GIB = 32, 128
NODES = 16
EFFICIENCY = 0.7  # of the parallel part on a cluster: stragglers, shuffle stalls, spilling (assumption)

# --- 1. corpus -------------------------------------------------------------------------------------------------


class Generator:
    """Documents by position: ``text(position) -> (lang, text)``, and the planned duplicates (benchmarks/corpus.py)."""

    def __init__(self, n: int):
        self.n = n
        import corpus as bench  # benchmarks/corpus.py: the same generator and seed as the other benchmarks

        pool = bench.load_pool()
        plan = bench.plan_corpus(pool, n, bench.SEED)
        self._doc = lambda p: bench.document(pool, plan, p)
        self.duplicates = dict(plan.duplicates)
        self.source = f"the generator of benchmarks/corpus.py (seed {bench.SEED})"

    def text(self, position: int) -> tuple[str, str]:
        doc = self._doc(position)
        return doc.lang, doc.text


def write_corpus(n: int, folder: Path) -> dict[str, Any]:
    """``n`` documents as FILES contiguous JSONL files (input order = position), and their description."""
    generator = Generator(n)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    total, by_lang, bytes_by_lang = 0, {"ja": 0, "en": 0}, {"ja": 0, "en": 0}
    bounds = [round(i * n / FILES) for i in range(FILES + 1)]
    for f in range(FILES):
        with open(folder / f"part-{f:02d}.jsonl", "w", encoding="utf-8") as out:
            for position in range(bounds[f], bounds[f + 1]):
                lang, text = generator.text(position)
                out.write(json.dumps({"id": f"doc{position:06d}", "text": text}, ensure_ascii=False) + "\n")
                size = len(text.encode("utf-8"))
                total += size
                by_lang[lang] += 1
                bytes_by_lang[lang] += size
    kinds: dict[str, int] = {}
    for _, kind in generator.duplicates.values():
        kinds[kind] = kinds.get(kind, 0) + 1
    return {"docs": n, "bytes": total, "by_lang": by_lang, "bytes_by_lang": bytes_by_lang, "duplicates": kinds,
            "source": generator.source, "seconds": time.perf_counter() - started, "folder": str(folder)}


def write_tiny(folder: Path, out: Path, docs: int) -> None:
    """The first ``docs`` documents of the corpus, as one file: the small run."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(sorted(folder.glob("*.jsonl"))[0], encoding="utf-8") as lines, open(out, "w", encoding="utf-8") as w:
        for n, line in zip(range(docs), lines):
            w.write(line)
            if n == 0:
                first = json.loads(line)
        w.write(json.dumps({"id": first["id"] + "-copy", "text": first["text"]}, ensure_ascii=False) + "\n")


def corpus_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("part-*.jsonl"))


def lines_in(path: Path) -> int:
    with open(path, "rb") as lines:
        return sum(1 for _ in lines)


def read_texts(folder: Path) -> Iterator[str]:
    for path in corpus_files(folder):
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)["text"]


# --- measuring helpers --------------------------------------------------------------------------------------------


def is_japanese(text: str) -> bool:
    head = text[:200]
    return sum("\u3040" <= c <= "\u9fff" for c in head) > len(head) // 4


def run_case(args: Sequence[str], timeout: float = CASE_TIMEOUT_S) -> dict[str, Any]:
    """This script on one case in a fresh interpreter, in a session of its own, watched as a process tree (Ray's
    workers are children of the raylet, which the driver started): the case's JSON plus ``rusage`` and ``tree``
    (peak summed RSS and PSS, CPU seconds, processes; see ``_common.run_in_subprocess``)."""
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", PYTHONHASHSEED="0")
    return run_in_subprocess(__file__, args, timeout=timeout, interval=SAMPLE_S, pss=True, env=env, own_session=True)


# --- 2. per-core rates (one process, one core, no Ray) ---------------------------------------------------------


def percore_case(folder: Path, clean_bytes: int, prefixes: Sequence[int], edges_out: Path) -> dict[str, Any]:
    """The per-core rates the plan is built on, and the corpus's verified edges for the components check."""
    from dedup import CorpusOptions, clean_text

    # internal: the per-core rate of each stage the engine distributes (signatures, band keys, LSH, verification)
    from dedup.index.bands import IndexParams
    from dedup.match.documents import exact_matches, lsh_candidates, near_matches
    from dedup.match.lsh import band_keys
    from dedup.signatures.minhash import sketch

    options = CorpusOptions()
    params = IndexParams.from_options(options)
    clean_text("ウォームアップの文です。ウォームアップの文です。\n\nwarm up. warm up.\n")
    sketch(["warm-up text for the compiled kernels", "コンパイル済みカーネルのウォームアップ"])
    result: dict[str, Any] = {"params": params.as_dict()}

    # within-document cleaning, on the first clean_bytes of the corpus (documents in random language order)
    clean = {"ja": [0, 0, 0.0, 0.0], "en": [0, 0, 0.0, 0.0]}  # docs, bytes, wall, cpu
    done = 0
    for text in read_texts(folder):
        watch = Stopwatch(thread=True)
        clean_text(text)
        took = watch.read()
        row = clean["ja" if is_japanese(text) else "en"]
        size = len(text.encode("utf-8"))
        row[0], row[1], row[2], row[3] = row[0] + 1, row[1] + size, row[2] + took.wall, row[3] + took.cpu
        done += size
        if done >= clean_bytes:
            break
    result["clean"] = clean

    # signatures of every document, in the engine's batches of 64 (mixed languages, as they come)
    parts, nbytes, wall, cpu, texts = [], 0, 0.0, 0.0, []
    for text in chain(read_texts(folder), [None]):  # None: the end, flush the last batch
        if text is not None:
            texts.append(text)
        if texts and (len(texts) == 64 or text is None):
            watch = Stopwatch(thread=True)
            parts.append(sketch(texts))
            took = watch.read()
            wall, cpu = wall + took.wall, cpu + took.cpu
            nbytes += sum(len(t.encode("utf-8")) for t in texts)
            texts = []
    signatures = np.concatenate([p.signatures for p in parts])
    sizes = np.concatenate([p.sizes for p in parts])
    keys = np.concatenate([p.exact_keys for p in parts])
    parts.clear()
    n = len(sizes)
    result["sketch"] = {"docs": n, "bytes": nbytes, "wall": wall, "cpu": cpu}

    # signatures by language, on the documents cleaned above (pure batches)
    by_lang = {}
    for lang in ("ja", "en"):
        chosen = [t for t, _ in zip(read_texts(folder), range(clean["ja"][0] + clean["en"][0]))
                  if is_japanese(t) == (lang == "ja")]
        watch = Stopwatch(thread=True)
        for i in range(0, len(chosen), 64):
            sketch(chosen[i:i + 64])
        took = watch.read()
        by_lang[lang] = {"docs": len(chosen), "bytes": sum(len(t.encode("utf-8")) for t in chosen), "wall": took.wall,
                         "cpu": took.cpu}
    result["sketch_by_lang"] = by_lang

    # band keys of every signature (best of 3)
    best = None
    for _ in range(3):
        watch = Stopwatch(thread=True)
        bkeys = band_keys(signatures, params)
        took = watch.read()
        best = took if best is None or took.cpu < best.cpu else best
    result["band_keys"] = {"docs": n, "wall": best.wall, "cpu": best.cpu}

    # exact and near matches exactly as the local engine calls them
    key_list, size_list = keys.tolist(), sizes.tolist()
    watch = Stopwatch(thread=True)
    exact = exact_matches(key_list, size_list)
    took = watch.read()
    result["exact"] = {"pairs": len(exact), "wall": took.wall, "cpu": took.cpu}
    watch.restart()
    near = near_matches(signatures, size_list, key_list, options)
    took = watch.read()
    result["near"] = {"pairs": len(near), "wall": took.wall, "cpu": took.cpu}
    first_of_key: dict[int, int] = {}
    for p, k in enumerate(key_list):
        first_of_key.setdefault(k, p)
    representative = np.array([first_of_key[k] == p for p, k in enumerate(key_list)])
    masked = np.where(representative, sizes, 0)
    watch.restart()
    candidates = sum(1 for _ in lsh_candidates(signatures, masked, options))
    took = watch.read()
    result["candidates"] = {"pairs": candidates, "wall": took.wall, "cpu": took.cpu}

    # how candidates grow with the corpus: band-key groups of prefixes (what bucket_candidates sees)
    result["growth"] = [bucket_stats(bkeys[:m], signatures[:m], sizes[:m], masked[:m], options)
                        for m in sorted({min(p, n) for p in prefixes})]

    edges = np.array([(m.first, m.second) for m in exact + near], dtype=np.int64).reshape(-1, 2)
    np.save(edges_out, edges)
    result["edges"] = len(edges)
    result["hwm_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result


def bucket_stats(bkeys: np.ndarray, signatures: np.ndarray, sizes: np.ndarray, masked: np.ndarray, options: Any) -> dict[str, Any]:
    """Pairs sharing a band key among the first m documents: (pair, band) instances, distinct pairs, verified.

    Verified with ``relate``'s rule in numpy (Jaccard, or containment from a minimum Jaccard on).
    """
    m, bands = bkeys.shape
    live = masked > 0
    instances, largest, pairs = 0, 1, []
    for b in range(bands):
        column = bkeys[live, b]
        positions = np.flatnonzero(live)
        order = np.argsort(column, kind="stable")
        column, positions = column[order], positions[order]
        starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
        counts = np.diff(np.r_[starts, len(column)])
        instances += int((counts * (counts - 1) // 2).sum())
        largest = max(largest, int(counts.max()) if len(counts) else 1)
        for s, c in zip(starts[counts > 1], counts[counts > 1]):
            if c > 2000:
                continue  # a hot band key: counted above, not enumerated
            group = positions[s:s + c]
            i, j = np.triu_indices(c, 1)
            pairs.append(np.stack([group[i], group[j]], axis=1))
    distinct = np.unique(np.concatenate(pairs), axis=0) if pairs else np.empty((0, 2), dtype=np.int64)
    verified = 0
    if len(distinct):
        a, b = distinct[:, 0], distinct[:, 1]
        jaccard = (signatures[a] == signatures[b]).mean(axis=1)
        sa, sb = sizes[a].astype(float), sizes[b].astype(float)
        shared = jaccard * (sa + sb) / (1.0 + jaccard)
        containment = np.minimum(1.0, shared / np.maximum(np.minimum(sa, sb), 1))
        near = jaccard >= options.threshold
        contained = (containment >= options.containment_threshold) & (jaccard >= options.containment_min_jaccard)
        verified = int((near | contained).sum())
    return {"docs": m, "instances": instances, "distinct": len(distinct), "verified": verified, "largest": largest}


# --- 3. Ray runs: per-partition functions timed in the workers, the driver's steps timed in the driver ------------

STAGES = {  # a function dedup.engine.ray_engine imports and hands to Ray Data -> stage name
    "read_file_rows": "read",
    "process_rows": "clean + sketch",
    "key_rows": "key rows",
    "bucket_candidates": "candidate pairs",
    "bucket_distinct_candidates": "distinct pairs",
    "verify_candidates": "verification",
    "canonical_rows": "canonical choice",
    "write_block": "write parts",
}
STAR_STAGES = {"large_star": "large-star", "small_star": "small-star", "distinct_edges": "distinct edges"}
TEXT_STAGES = ("read", "clean + sketch", "write parts")  # their work grows with the text; the others' per document
PAIR_STAGES = ("candidate pairs", "distinct pairs")  # their rows carry an ``exact`` flag worth counting
DRIVER_STEPS = {  # a function of dedup.engine.ray_engine run on the driver -> step name
    "_edges": "LSH: key rows → candidates → distinct → signature joins → verified edges",
    "_driver_components": "components: scipy on the driver",
    "star_components": "components: large-star/small-star rounds",
    "write_report": "report.json streamed by the driver",
    "write_html": "report.html",  # dedup.engine.session's, imported by the engine
}
PUBLISH = "duplicates published per input file (driver)"
GAP_BEFORE = {  # what the engine does between two timed steps, named by the step that follows
    "errors collected": "read, clean, sketch: processed documents materialised",
    PUBLISH: "canonical: labels joined with the documents, choice per component (materialised); cluster records sorted",
    DRIVER_STEPS["write_report"]: "totals",
}
# The distributed corpus stage is what this benchmark measures: ``clean_with_ray`` runs it on the driver (the local
# code, no shuffle) up to ``max_driver_documents`` documents, so every measured run passes 0; the small run is also
# measured once on that driver path (the default), as a run of its size goes.
DISTRIBUTED = 0
DRIVER_DOCUMENTS = 200_000  # the engine's default max_driver_documents (dedup.engine.ray_engine.DRIVER_DOCUMENTS)


def rows_of(value: Any) -> int:
    """Rows of what a stage function takes or returns: an Arrow table, a pandas frame, numpy columns, one row."""
    if hasattr(value, "num_rows"):
        return value.num_rows
    if isinstance(value, dict):
        first = next(iter(value.values()), None)
        return len(first) if isinstance(first, np.ndarray) else 1
    return len(value)


def value_bytes(values: Any) -> int:
    """Bytes of a column as Ray Data carries it: strings and bytes by their UTF-8 length, numbers by width."""
    if isinstance(values, (str, bytes)):
        return len(values.encode("utf-8", "surrogatepass") if isinstance(values, str) else values)
    if isinstance(values, np.ndarray) and values.dtype != object:
        return values.nbytes
    if isinstance(values, np.ndarray):
        return sum(value_bytes(v) if isinstance(v, (str, bytes)) else 8 for v in values)
    return 8


def column_bytes(value: Any) -> dict[str, int]:
    if hasattr(value, "column_names"):  # an Arrow table: its buffers (offsets of binary columns included)
        return {name: value.column(name).nbytes for name in value.column_names}
    if isinstance(value, dict):
        return {name: value_bytes(column) for name, column in value.items()}
    return {name: value_bytes(value[name].to_numpy()) for name in value.columns}


def stage_timer(stage: str, fn: Callable[..., Any], folder: str, run: str) -> Callable[..., Any]:
    """``fn`` with its calls, wall and thread CPU time, rows in and out and bytes out per column added up per process.

    The totals go to ``folder/run-pid.json`` after every call (a few thousand calls per run), so they outlive
    the worker and are complete when ``clean_with_ray`` returns. The wrapper is pickled by value into Ray's
    workers with the calls of ``clean_with_ray`` that pass it; the engine's code is not changed (and it uses
    nothing of ``_common``, which the workers could not import). A generator (``read_file_rows``) is timed while
    it produces its rows.
    """
    key = f"{run}|{stage}"

    def record(rows_in: int, rows: int, nbytes: dict[str, int], exact: int, wall: float, cpu: float) -> None:
        holder = sys.modules.get("dedup") or sys
        totals = vars(holder).setdefault("_ray_scale_stages", {})
        row = totals.setdefault(key, {"calls": 0, "wall": 0.0, "cpu": 0.0, "rows_in": 0, "rows": 0, "exact": 0, "bytes": {}})
        row["calls"] += 1
        row["wall"] += wall
        row["cpu"] += cpu
        row["rows_in"] += rows_in
        row["rows"] += rows
        row["exact"] += exact
        for name, size in nbytes.items():
            row["bytes"][name] = row["bytes"].get(name, 0) + size
        path = f"{folder}/{run}-{os.getpid()}.json"
        with open(path + ".tmp", "w") as handle:
            json.dump({k: v for k, v in totals.items() if k.startswith(run + "|")}, handle)
        os.replace(path + ".tmp", path)

    if inspect.isgeneratorfunction(fn):
        def timed_rows(*args: Any, **kwargs: Any) -> Iterator[Any]:
            produced = fn(*args, **kwargs)
            rows, wall, cpu, nbytes = 0, 0.0, 0.0, {}
            while True:
                w, c = time.perf_counter(), time.thread_time()
                item = next(produced, None)
                wall, cpu = wall + time.perf_counter() - w, cpu + time.thread_time() - c
                if item is None:
                    break
                rows += 1
                for name, size in column_bytes(item).items():
                    nbytes[name] = nbytes.get(name, 0) + size
                yield item
            record(1, rows, nbytes, 0, wall, cpu)

        return timed_rows

    def timed(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.thread_time()
        out = fn(*args, **kwargs)
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        exact = int(np.count_nonzero(out["exact"])) if stage in PAIR_STAGES else 0
        record(rows_of(args[0]), rows_of(out), column_bytes(out), exact, wall, cpu)
        return out

    return timed


def collect_stages(folder: Path, run: str) -> dict[str, dict[str, Any]]:
    """The stage totals of one run, summed over the worker processes that wrote them."""
    stages: dict[str, dict[str, Any]] = {}
    for path in folder.glob(f"{run}-*.json"):
        for key, totals in json.loads(path.read_text()).items():
            row = stages.setdefault(key.split("|", 1)[1], {"calls": 0, "wall": 0.0, "cpu": 0.0, "rows_in": 0, "rows": 0,
                                                           "exact": 0, "bytes": {}, "processes": 0})
            for field in ("calls", "wall", "cpu", "rows_in", "rows", "exact"):
                row[field] += totals[field]
            for name, size in totals["bytes"].items():
                row["bytes"][name] = row["bytes"].get(name, 0) + size
            row["processes"] += 1
    return stages


class Timers:
    """Puts the stage timers and the driver-step recorders on ``dedup.engine.ray_engine``, and takes them off.

    The engine imports its per-partition functions by name, so each is replaced on the engine's module; the
    driver's steps are the engine's own helpers (and ``DuplicatesByFile.publish``), whose start and end give
    a timeline of the run; the gaps between them are the work the engine does inline (see GAP_BEFORE).
    """

    def __init__(self, engine: Any, folder: Path):
        self.engine, self.folder = engine, folder
        self.originals = {name: getattr(engine, name) for name in (*STAGES, *STAR_STAGES, *DRIVER_STEPS, "_frame")}
        self.publish = vars(engine.DuplicatesByFile)["publish"]
        self.events: list[dict[str, Any]] = []

    def install(self, run: str) -> None:
        self.restore()
        self.events = []
        for name, stage in {**STAGES, **STAR_STAGES}.items():
            setattr(self.engine, name, stage_timer(stage, self.originals[name], str(self.folder), run))
        for name, step in DRIVER_STEPS.items():
            setattr(self.engine, name, self.step(lambda args, step=step: step, self.originals[name]))
        self.engine._frame = self.step(frame_step, self.originals["_frame"])
        self.engine.DuplicatesByFile.publish = self.step(lambda args: PUBLISH, self.publish.__get__(None, self.engine.DuplicatesByFile))

    def restore(self) -> None:
        for name, original in self.originals.items():
            setattr(self.engine, name, original)
        self.engine.DuplicatesByFile.publish = self.publish

    def step(self, name_of: Callable[[tuple[Any, ...]], str], fn: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.events.append({"step": name_of(args), "start": start, "end": time.perf_counter(),
                                    "cpu": time.process_time() - cpu})
        return recorded


def frame_step(args: tuple[Any, ...]) -> str:
    """What the engine's ``_frame(dataset, columns)`` brings to the driver, told by its columns."""
    columns = args[1] if len(args) > 1 else []
    if "sig" in columns:  # _decide_on_driver: every document's sketch, for the local corpus stage
        return "sketches collected, corpus stage on the driver"
    if "error" in columns:
        return "errors collected"
    if "part" in columns:
        return "parts written (write_block), their counts collected"
    return "small result to the driver"


def timeline(events: list[dict[str, Any]], start: float, end: float) -> list[list[Any]]:
    """[step, wall s, driver CPU s or None] in run order; untimed stretches are named by the step that follows."""
    steps: list[list[Any]] = []

    def add(name: str, wall: float, cpu: float | None) -> None:
        if steps and steps[-1][0] == name:
            steps[-1][1] += wall
            steps[-1][2] = None if cpu is None or steps[-1][2] is None else steps[-1][2] + cpu
        else:
            steps.append([name, wall, cpu])

    cursor = start
    for event in sorted(events, key=lambda e: e["start"]):
        if event["end"] <= cursor:
            continue  # inside the previous step (star_components' own digests)
        gap = event["start"] - cursor
        if event["step"] in GAP_BEFORE or gap > 0.05:
            add(GAP_BEFORE.get(event["step"], "between steps"), max(gap, 0.0), None)
        add(event["step"], event["end"] - event["start"], event["cpu"])
        cursor = event["end"]
    add("clean-up, summary", end - cursor, None)
    return steps


def ray_case(cpus: int, folder: Path, tiny: Path, out: Path, stage_dir: Path, edges: Path | None,
             star_edges: int, publish_rows: int) -> dict[str, Any]:
    """A small run then the whole corpus with ``cpus`` worker CPUs; with ``edges``, then the components check and
    the probes of the driver's two sequential steps (duplicates published, report.json streamed)."""
    import ray

    from dedup import RunOptions
    from dedup.engine import ray_engine  # internal: its per-partition functions and driver steps are timed one by one

    options = RunOptions(id_key="id", show_progress=False, html=False)
    shutil.rmtree(stage_dir, ignore_errors=True)  # an interrupted attempt's totals must not add up with these
    stage_dir.mkdir(parents=True)
    result: dict[str, Any] = {"cpus": cpus}
    tree = TreeWatch(os.getpid(), SAMPLE_S, pss=True)
    start = time.perf_counter()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, object_store_memory=OBJECT_STORE)
    result["init"] = time.perf_counter() - start
    timers = Timers(ray_engine, stage_dir)
    result["tiny"], _ = measured_run(ray_engine, timers, tree, "tiny", [tiny], out.parent / f"{out.name}-tiny", options)
    # the same small run as the engine runs it by default: the corpus stage on the driver ("small-driver", so that no
    # run's name is a prefix of another's: collect_stages globs "<run>-*.json")
    result["tiny_driver"], _ = measured_run(ray_engine, timers, tree, "small-driver", [tiny],
                                            out.parent / f"{out.name}-tiny-driver", options,
                                            max_driver_documents=DRIVER_DOCUMENTS)
    result["main"], summary = measured_run(ray_engine, timers, tree, "main", corpus_files(folder), out, options)
    if edges is not None:
        verified = np.load(edges)
        result["star"] = {"corpus": star_check(ray, ray_engine, timers, tree, verified, scipy_labels(verified), "star-corpus"),
                          "synthetic": star_check(ray, ray_engine, timers, tree, *synthetic_graph(star_edges), "star-synthetic")}
        result["publish"] = [publish_probe(ray, ray_engine, rows) for rows in (publish_rows // 10, publish_rows)]
        result["report"] = report_probe(ray_engine, summary, out / "report.json", out.parent / f"{out.name}-report-probe")
    tree.close()
    ray.shutdown()
    result["driver_maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result


def measured_run(engine: Any, timers: Timers, tree: TreeWatch, run: str, paths: Sequence[Path], out: Path,
                 options: Any, max_driver_documents: int = DISTRIBUTED) -> tuple[dict[str, Any], Any]:
    """One ``clean_with_ray`` call: wall, CPU and peak memory of every process, the driver's steps, each stage's
    totals, output sizes; and the run's summary. The corpus stage is distributed unless ``max_driver_documents``
    lets the engine run it on the driver."""
    timers.install(run)
    before, driver_cpu = tree.sample(), time.process_time()
    tree.reset_peaks()
    start = time.perf_counter()
    try:
        done = engine.clean_with_ray(paths, out, options, max_driver_documents=max_driver_documents)
    finally:
        end = time.perf_counter()
        timers.restore()
    summary = done.summary
    return {
        "wall": end - start, "cpu": tree.sample() - before, "driver_cpu": time.process_time() - driver_cpu,
        "documents": summary.documents, "duplicates": summary.duplicate, "clusters": summary.clusters,
        "errors": len(summary.errors), "parts": len(done.parts), "max_driver_documents": max_driver_documents,
        "report_bytes": (out / "report.json").stat().st_size,
        "kept_bytes": sum(p.stat().st_size for p in out.glob("part-*.*")),  # JSONL or Parquet parts
        "steps": timeline(timers.events, start, end), "stages": collect_stages(timers.folder, run),
        "driver": proc_memory(), "memory": dict(tree.peaks),
    }, summary


def publish_probe(ray: Any, engine: Any, rows: int, files: int = 100) -> dict[str, Any]:
    """``DuplicatesByFile.publish`` on ``rows`` synthetic duplicates spread over ``files`` input files.

    In a run it handles only the corpus's duplicates, too few to show its cost per duplicate through the fixed
    cost of its sort; two sizes here give the slope: the driver's part (the sorted duplicates streamed to it, cut
    per file, duplicates of the index counted, put back into the object store) plus the distributed sort, here on
    the same 2 CPUs. The rows are the engine's DUPLICATE_SCHEMA (pos, canonical_id, batch, kind, similarity), a
    hundredth of them duplicates of an indexed document (``batch`` set), as ``hit_duplicates`` gives them.
    """
    import pandas as pd
    import pyarrow as pa

    from dedup.engine.distributed.canonical import DUPLICATE_SCHEMA

    rng = np.random.default_rng(11)
    record = rng.integers(0, 1 << 30, size=rows)
    file = rng.integers(0, files, size=rows)
    indexed = np.arange(rows) % 100 == 0
    frame = pd.DataFrame({
        "pos": (file << 40) | record,
        "canonical_id": pd.Series([f"doc{r:010d}".encode() for r in record], dtype=object),
        "batch": pd.Series([b"batch-1" if i else b"" for i in indexed], dtype=object),
        "kind": pd.Series(["near"] * rows, dtype=object), "similarity": np.full(rows, 0.93),
    })
    step = -(-rows // 16)
    chosen = ray.data.from_arrow([pa.Table.from_pandas(frame.iloc[i:i + step], schema=DUPLICATE_SCHEMA, preserve_index=False)
                                  for i in range(0, rows, step)]).materialize()
    del frame
    start, cpu = time.perf_counter(), time.process_time()
    published = engine.DuplicatesByFile.publish(chosen)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert published.of_index == int(indexed.sum()), (published.of_index, int(indexed.sum()))
    result = {"rows": rows, "files": len(published.refs), "of_index": published.of_index, "wall": wall,
              "driver_cpu": cpu}
    del published, chosen
    return result


def report_probe(engine: Any, summary: Any, report: Path, folder: Path, target: int = 300 * MB) -> dict[str, Any]:
    """report.json streamed by the driver from copies of a run's report records laid out as workers' fragments.

    The run's own report.json is written in a fraction of a second at this size, too short to time well; about
    ``target`` bytes of the same records give the rate. The same two functions as the engine: ``report_records``
    reading the fragments, ``write_report`` writing the file.
    """
    from dedup.engine.distributed.parts import REPORT_PARTS, part_name

    with open(report, encoding="utf-8") as lines:
        records = [line.strip().rstrip(",") for line in lines if line.startswith("  {")]
    block = ("\n".join(records) + "\n").encode("utf-8")
    copies = max(1, min(200, target // max(len(block), 1)))
    parts = folder / REPORT_PARTS
    parts.mkdir(parents=True, exist_ok=True)
    for copy in range(copies):
        (parts / part_name(copy * len(records))).write_bytes(block)
    start, cpu = time.perf_counter(), time.process_time()
    engine.write_report(folder / "report.json", summary, engine.report_records(folder), iter(()))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    result = {"records": copies * len(records), "bytes": (folder / "report.json").stat().st_size, "wall": wall, "cpu": cpu}
    for path in [*parts.iterdir(), folder / "report.json"]:
        path.unlink()
    parts.rmdir()
    folder.rmdir()
    return result


def scipy_labels(edges: np.ndarray) -> dict[int, int]:
    """Each node of ``edges`` → the smallest node of its component, by scipy (what the engine does up to 2M edges)."""
    import pandas as pd

    from dedup.decide.clusters import components
    from dedup.match.documents import DocumentMatch
    from dedup.model import RemovalKind

    nodes, inverse = np.unique(edges.ravel(), return_inverse=True)
    inverse = inverse.reshape(-1, 2)
    local = components(len(nodes), [DocumentMatch(int(a), int(b), RemovalKind.NEAR, 1.0) for a, b in inverse])
    smallest = pd.Series(nodes).groupby(local).transform("min").to_numpy()
    return dict(zip(nodes.tolist(), smallest.tolist()))


def synthetic_graph(edges: int, seed: int = 7) -> tuple[np.ndarray, dict[int, int]]:
    """About ``edges`` edges in components of 2-6 nodes, each a random tree, on scattered 40-bit positions.

    The shape of a dedup graph (many small clusters) at a size where the cost per edge shows through the
    fixed cost of the rounds; the expected labels (smallest node of each component) come by construction.
    """
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 7, size=edges)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes - 1), edges)) + 1]
    total = int(sizes.sum())
    positions = rng.choice(1 << 40, size=total, replace=False).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    component = np.repeat(np.arange(len(sizes)), sizes)
    rank = np.arange(total) - starts[component]
    child = np.flatnonzero(rank > 0)
    parent = starts[component[child]] + np.floor(rng.random(len(child)) * rank[child]).astype(np.int64)
    smallest = np.minimum.reduceat(positions, starts)
    return (np.stack([positions[child], positions[parent]], axis=1),
            dict(zip(positions.tolist(), smallest[component].tolist())))


def star_check(ray: Any, engine: Any, timers: Timers, tree: TreeWatch, edges: np.ndarray, expected: dict[int, int],
               run: str) -> dict[str, Any]:
    """``star_components`` (what the engine runs past 2M edges) on ``edges``, against ``expected`` labels.

    Rounds are counted as the calls of ``Dataset.materialize`` (one per round); the labels repeat each
    root once per member, so they are made distinct before the comparison.
    """
    import pandas as pd

    if not len(edges):
        return {"edges": 0}
    partitions = max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))  # as the engine's _configure
    materialize = ray.data.Dataset.materialize
    calls = {"n": 0}

    def counted(self: Any) -> Any:
        calls["n"] += 1
        return materialize(self)

    timers.install(run)
    ray.data.Dataset.materialize = counted
    try:
        dataset = ray.data.from_pandas(pd.DataFrame({"a": edges[:, 0], "b": edges[:, 1]}))
        before, start = tree.sample(), time.perf_counter()
        labels = engine.star_components(dataset, partitions).to_pandas().drop_duplicates()
        wall, cpu = time.perf_counter() - start, tree.sample() - before
    finally:
        ray.data.Dataset.materialize = materialize
        timers.restore()
    got = dict(zip(labels["pos"].tolist(), labels["comp"].tolist()))
    return {"edges": int(len(edges)), "nodes": len(expected), "components": len(set(expected.values())),
            "rounds": calls["n"], "wall": wall, "cpu": cpu, "partitions": partitions,
            "equal": len(got) == len(labels) and got == expected, "stages": collect_stages(timers.folder, run)}


def reservation_case(folder: Path, stage_dir: Path, files: int) -> dict[str, Any]:
    """The engine's read + clean + sketch stage alone, on the first ``files`` input files with 2 worker CPUs, with
    Ray Data's per-operator resource reservation on (Ray Data's default) and off (as the engine sets it).

    With the reservation on, the workers sit in ``process_rows`` for only part of that stage: while reads are pending
    Ray Data keeps part of the CPUs for the read operator; this case measures what turning it off is worth. The same pipeline as ``clean_with_ray`` (file names →
    ``read_file_rows`` → ``process_rows`` in batches of 64 → materialised), timed both ways after a warm-up.
    """
    import ray

    from dedup import RunOptions
    from dedup.engine import ray_engine  # internal: the engine's read + clean stage alone

    options = RunOptions(id_key="id")
    paths = [str(p) for p in corpus_files(folder)[:files]]
    shutil.rmtree(stage_dir, ignore_errors=True)
    stage_dir.mkdir(parents=True)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=OBJECT_STORE)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False

    def stage(run: str, chosen: list[str]) -> dict[str, Any]:
        read = stage_timer("read", ray_engine.read_file_rows, str(stage_dir), run)
        process = stage_timer("clean + sketch", ray_engine.process_rows, str(stage_dir), run)
        start = time.perf_counter()
        (ray.data.from_items([{"file": i, "path": os.fsencode(p)} for i, p in enumerate(chosen)],
                             override_num_blocks=len(chosen))
         .flat_map(read, fn_kwargs={"text_key": options.text_key, "id_key": options.id_key,
                                    "max_record_bytes": options.max_record_bytes, "max_bytes": options.max_bytes})
         .map_batches(process, batch_format="pandas", batch_size=ray_engine.PROCESS_ROWS,
                      fn_kwargs={"clean": options.clean, "minhash": options.corpus.minhash, "text_key": options.text_key})
         .materialize())
        wall = time.perf_counter() - start
        busy = collect_stages(stage_dir, run)["clean + sketch"]["wall"]
        return {"wall": wall, "process_wall": busy, "busy": busy / (2 * wall)}

    stage("warm-up", paths[:2])
    result: dict[str, Any] = {"files": len(paths), "documents": sum(lines_in(Path(p)) for p in paths)}
    for enabled in (True, False):
        context.op_resource_reservation_enabled = enabled
        result["on" if enabled else "off"] = stage("on" if enabled else "off", paths)
    ray.shutdown()
    return result


# --- 4. the single-machine engine ---------------------------------------------------------------------------------


def local_case(jobs: int, folder: Path, out: Path) -> dict[str, Any]:
    from dedup import RunOptions, clean_paths

    watch = Stopwatch()
    summary = clean_paths(corpus_files(folder), out, RunOptions(id_key="id", jobs=jobs, show_progress=False, html=False))
    took = watch.read()
    return {"jobs": jobs, "wall": took.wall, "driver_cpu": took.cpu, "cpu": took.total_cpu,
            "documents": summary.documents, "duplicates": summary.duplicate, "clusters": summary.clusters,
            "errors": len(summary.errors), "driver_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


# --- 5. Ray output = local output ---------------------------------------------------------------------------------


def kept_of(kind: str, path: Path) -> Iterator[dict[str, Any]]:
    if kind == "ray":
        from dedup.engine.ray_engine import kept_lines

        yield from kept_lines(path)
    else:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)


def report_path(kind: str, path: Path) -> Path:
    return path / "report.json" if kind == "ray" else Path(f"{path}.report.json")


def report_items(path: Path) -> Iterator[tuple[str, Any]]:
    """("totals", totals), ("documents", record)…, ("clusters", record)…, ("errors", list), ("warnings", list) of a
    report.json, streamed.

    ``write_report`` puts each record on a line of its own, so a 100k-document report is compared one
    record at a time instead of being loaded whole, twice.
    """
    section = None
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.startswith((' "totals": ', ' "errors": ', ' "warnings": ')):
                yield line.split('"')[1], json.loads(line.split(":", 1)[1].rstrip().rstrip(","))
            elif line.startswith((' "documents": [', ' "clusters": [')):
                section = line.split('"')[1]
            elif line.startswith(" ]"):
                section = None
            elif section:
                yield section, json.loads(line.strip().rstrip(","))


def compare_case(kind_a: str, path_a: Path, kind_b: str, path_b: Path) -> dict[str, Any]:
    """Kept documents (whole output records), report records (all but the output location), clusters, totals (all but
    the elapsed time), errors and warnings."""
    kept = same_records = same_id_text = 0
    differing: list[str] = []
    sentinel: Any = object()
    for a, b in zip_longest(kept_of(kind_a, path_a), kept_of(kind_b, path_b), fillvalue=sentinel):
        kept += 1
        if a is sentinel or b is sentinel:
            differing.append("(different numbers of kept documents)")
            break
        same_records += a == b
        same_id_text += (a.get("id"), a.get("text")) == (b.get("id"), b.get("text"))
        if a != b and len(differing) < 5:
            differing.append(f"kept {a.get('id')} vs {b.get('id')}: " + ", ".join(
                sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))))
    counts = {"documents": 0, "clusters": 0}
    same = {"totals": False, "documents": 0, "clusters": 0, "errors": False, "warnings": False}
    for item_a, item_b in zip_longest(report_items(report_path(kind_a, path_a)), report_items(report_path(kind_b, path_b)),
                                      fillvalue=(None, None)):
        (section, a), (section_b, b) = item_a, item_b
        if section != section_b:
            differing.append(f"report sections {section} vs {section_b}")
            break
        if section == "totals":  # all but the run's elapsed time
            same["totals"] = {**a, "elapsed_seconds": 0} == {**b, "elapsed_seconds": 0}
            continue
        if section in ("errors", "warnings"):
            same[section] = a == b
            continue
        counts[section] += 1
        if section == "documents":
            a, b = ({k: v for k, v in r.items() if k != "output"} for r in (a, b))
        same[section] += a == b
        if a != b and len(differing) < 5:
            differing.append(f"{section} record {counts[section]}: " + ", ".join(
                sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))))
    return {"kept": kept, "same_records": same_records, "same_id_text": same_id_text, "differing": differing,
            "documents": counts["documents"], "same_documents": same["documents"], "clusters": counts["clusters"],
            "same_clusters": same["clusters"], "same_totals": same["totals"],
            "same_errors_warnings": same["errors"] and same["warnings"]}


def identical(c: dict[str, Any]) -> bool:
    return (not c["differing"] and c["same_records"] == c["kept"] and c["same_documents"] == c["documents"]
            and c["same_clusters"] == c["clusters"] and c["same_totals"] and c["same_errors_warnings"])


# --- driver -------------------------------------------------------------------------------------------------------


def host() -> str:
    return machine(versions(("ray", "pandas", "pyarrow", "numpy", "scipy")))


def run(args: argparse.Namespace, log: Callable[[str], None]) -> dict[str, Any]:
    """All the steps; with ``--save``, the results so far are written after each, and ``--resume`` skips the
    steps already in that file (with ``--workdir``, whose corpus and outputs must still be there)."""
    docs = args.docs or (QUICK_DOCS if args.quick else FULL_DOCS)
    resumed = args.resume and args.save is not None and args.save.exists()
    results: dict[str, Any] = json.loads(args.save.read_text()) if resumed else {
        "machine": host(), "load_start": load_average(), "docs": docs, "elapsed": 0.0, "runs": {}, "comparisons": {}}
    if results["docs"] != docs:
        raise SystemExit(f"{args.save} holds a run on {results['docs']:,} documents, not {docs:,}: no --resume")
    segment = time.time()

    def checkpoint() -> None:
        nonlocal segment
        now = time.time()
        results["elapsed"] += now - segment
        segment = now
        results["load_end"] = load_average()
        if args.save:
            args.save.write_text(json.dumps(results, indent=1))

    keep = contextlib.nullcontext(str(args.workdir)) if args.workdir else tempfile.TemporaryDirectory(prefix="dedup-ray-scale-")
    with keep as tmp:
        work = Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        tiny = work / "tiny" / "tiny.jsonl"
        if "percore" not in results:
            corpus = write_corpus(docs, work / f"corpus-{docs}")
            write_tiny(Path(corpus["folder"]), tiny, TINY_DOCS)
            results["corpus"] = corpus
            log(f"corpus: {docs:,} documents, {corpus['bytes'] / MB:.1f} MB in {corpus['seconds']:.0f} s")
            prefixes = (docs // 10, docs * 3 // 10, docs)
            results["percore"] = run_case(["--percore-case", corpus["folder"], str((5 if args.quick else 20) * MB),
                                           ",".join(map(str, prefixes)), str(work / "edges.npy")])
            log(f"per-core rates done ({results['percore']['tree']['cpu']:.0f} CPU s)")
            checkpoint()
        folder = Path(results["corpus"]["folder"])

        runs = results["runs"]
        star_edges, publish_rows = (QUICK_STAR_EDGES, QUICK_PUBLISH_ROWS) if args.quick else (STAR_EDGES, PUBLISH_ROWS)
        if docs < QUICK_DOCS:  # a smoke run (--docs below the quick size): the probes shrink with the corpus
            star_edges, publish_rows = (max(SMOKE_PROBE, size * docs // QUICK_DOCS) for size in (star_edges, publish_rows))
        probes = [str(star_edges), str(publish_rows)]
        for cpus in (2, 1):
            if f"ray{cpus}" in runs:
                continue
            log(f"ray, {cpus} CPU(s) ... (load {load_average()})")
            check = ["--edges", str(work / "edges.npy"), "--star-edges", probes[0], "--publish-rows", probes[1]] if cpus == 2 else []
            runs[f"ray{cpus}"] = run_case(["--ray-case", str(cpus), str(folder), str(tiny), str(work / f"ray{cpus}"),
                                           str(work / f"stages{cpus}"), *check])
            runs[f"ray{cpus}"]["load"] = load_average()
            log(f"ray, {cpus} CPU(s): {runs[f'ray{cpus}']['main']['wall']:.0f} s")
            checkpoint()
        if "reservation" not in results:
            log(f"ray, read + clean stage with and without Ray Data's resource reservation ... (load {load_average()})")
            results["reservation"] = run_case(["--reservation-case", str(folder), str(work / "stages-reservation"),
                                               str(FILES)])
            checkpoint()
        for jobs in (2, 1):
            if f"local{jobs}" in runs:
                continue
            log(f"local, jobs={jobs} ... (load {load_average()})")
            runs[f"local{jobs}"] = run_case(["--local-case", str(jobs), str(folder), str(work / f"local{jobs}.jsonl")])
            runs[f"local{jobs}"]["load"] = load_average()
            log(f"local, jobs={jobs}: {runs[f'local{jobs}']['wall']:.0f} s")
            checkpoint()

        for a, b in (("ray2", "local2"), ("ray1", "local2"), ("local1", "local2")):
            if f"{a} vs {b}" in results["comparisons"]:
                continue
            kind = lambda name: "ray" if name.startswith("ray") else "local"  # noqa: E731
            path = lambda name: work / (name if name.startswith("ray") else f"{name}.jsonl")  # noqa: E731
            results["comparisons"][f"{a} vs {b}"] = run_case(["--compare-case", kind(a), str(path(a)), kind(b), str(path(b))])
            log(f"{a} vs {b}: {'identical' if identical(results['comparisons'][f'{a} vs {b}']) else 'NOT identical'}")
            checkpoint()
    return results


# --- 6. rendering and the plan ------------------------------------------------------------------------------------


def rate(nbytes: float, seconds: float) -> float:
    return nbytes / MB / seconds if seconds else float("nan")


def si(value: float, unit: str = "B") -> str:
    for factor, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.1f} {prefix}{unit}"
    return f"{value:.0f} {unit}"


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 1 else f"{value:.1f} s"


def hours(value: float) -> str:
    return f"{value * 60:.0f} min" if value < 1 else f"{value:.1f} h"


def rates(results: dict[str, Any]) -> dict[str, float]:
    """The per-core rates (MB/s on thread CPU time; µs per document)."""
    p = results["percore"]
    n = p["sketch"]["docs"]
    return {
        "clean": rate(sum(p["clean"][k][1] for k in ("ja", "en")), sum(p["clean"][k][3] for k in ("ja", "en"))),
        "clean_ja": rate(p["clean"]["ja"][1], p["clean"]["ja"][3]),
        "clean_en": rate(p["clean"]["en"][1], p["clean"]["en"][3]),
        "sketch": rate(p["sketch"]["bytes"], p["sketch"]["cpu"]),
        "sketch_ja": rate(p["sketch_by_lang"]["ja"]["bytes"], p["sketch_by_lang"]["ja"]["cpu"]),
        "sketch_en": rate(p["sketch_by_lang"]["en"]["bytes"], p["sketch_by_lang"]["en"]["cpu"]),
        "bands_us": p["band_keys"]["cpu"] / n * 1e6,
        "near_us": p["near"]["cpu"] / n * 1e6,
    }


def marginal(run: dict[str, Any]) -> float:
    """CPU seconds per document of a Ray run beyond its fixed cost (the small run's CPU taken off)."""
    main, tiny = run["main"], run["tiny"]
    return (main["cpu"] - tiny["cpu"]) / (main["documents"] - tiny["documents"])


def steps_of(run: dict[str, Any]) -> dict[str, list[Any]]:
    return {step[0]: step for step in run["steps"]}


def plan(results: dict[str, Any]) -> dict[str, Any]:
    """The 1-billion-document plan's numbers, from the 2-CPU run and the per-core rates; the README states each formula."""
    corpus, p = results["corpus"], results["percore"]
    ray2, local1 = results["runs"]["ray2"], results["runs"]["local1"]
    main, tiny = ray2["main"], ray2["tiny"]
    params, r = p["params"], rates(results)
    n, avg = corpus["docs"], corpus["bytes"] / corpus["docs"]
    N, S = TARGET_DOCS, TARGET_DOC_BYTES
    empty = {"calls": 0, "cpu": 0.0, "rows_in": 0, "rows": 0, "exact": 0, "bytes": {}}

    def stage(name: str) -> dict[str, Any]:
        return main["stages"].get(name, empty)

    processed = stage("clean + sketch")["bytes"]

    def per_doc(*columns: str) -> float:
        return sum(processed.get(c, 0) for c in columns) / n

    x: dict[str, Any] = {"rates": r, "bands": params["bands"], "rows": params["rows"], "avg": avg, "scale": S / avg,
                         "sig_bytes": params["num_perm"] * (4 if params["scheme"] == "affine32" else 8), "d_mb": N * S / MB}
    # CPU of the parallel part, per document: each stage (text stages scaled from this corpus's average to S),
    # everything else of the run beyond its fixed cost, and the star rounds that replace scipy past 2M edges
    x["stage_ms"] = {name: stage(name)["cpu"] / n * 1000 * (x["scale"] if name in TEXT_STAGES else 1.0)
                     for name in STAGES.values()}
    steps = steps_of(main)
    sequential = (PUBLISH, DRIVER_STEPS["write_report"])
    x["sequential_cpu_ms"] = sum(steps[s][2] or 0.0 for s in sequential if s in steps) / n * 1000
    x["marginal_ms"] = marginal(ray2) * 1000
    x["rest_ms"] = (x["marginal_ms"] - sum(stage(s)["cpu"] for s in STAGES.values()) / n * 1000
                    - x["sequential_cpu_ms"])
    candidates, distinct = stage("candidate pairs"), stage("distinct pairs")
    x["instances_doc"] = candidates["rows"] / n
    x["distinct_doc"] = distinct["rows"] / n
    x["exact_doc"] = distinct["exact"] / n
    x["near_candidates_doc"] = (distinct["rows"] - distinct["exact"]) / n
    x["verified_doc"] = stage("verification")["rows"] / n
    x["edges_doc"] = x["exact_doc"] + x["verified_doc"]
    synthetic = ray2["star"]["synthetic"]
    x["star_rounds"] = synthetic["rounds"]
    x["star_us"] = synthetic["cpu"] / (synthetic["edges"] * synthetic["rounds"]) * 1e6  # CPU per edge and round
    x["star_rows"] = sum(s["rows_in"] for s in synthetic["stages"].values()) / (synthetic["edges"] * synthetic["rounds"])
    x["star_ms"] = x["edges_doc"] * x["star_rounds"] * x["star_us"] / 1000
    x["parallel_ms"] = sum(x["stage_ms"].values()) + x["rest_ms"] + x["star_ms"]
    x["core_h"] = N * x["parallel_ms"] / 1000 / 3600
    x["clean_h"] = x["d_mb"] / r["clean"] / 3600
    x["sketch_h"] = x["d_mb"] / r["sketch"] / 3600
    x["lower_h"] = x["clean_h"] + x["sketch_h"] + N * r["bands_us"] / 1e6 / 3600
    x["local_ms"] = local1["cpu"] / local1["documents"] * 1000
    x["factor_local"] = x["marginal_ms"] / x["local_ms"]
    x["percore_ms"] = avg / MB * (1 / r["clean"] + 1 / r["sketch"]) * 1000
    x["factor_percore"] = x["marginal_ms"] / x["percore_ms"]
    x["percore_ms_S"] = S / MB * (1 / r["clean"] + 1 / r["sketch"]) * 1000
    # the driver's sequential steps, beyond the small run's
    x["dup_share"] = main["duplicates"] / n
    small, large = ray2["publish"]
    x["publish_us"] = max(large[k] - small[k] for k in ("wall", "driver_cpu")) / (large["rows"] - small["rows"]) * 1e6
    x["publish_h"] = N * x["dup_share"] * x["publish_us"] / 1e6 / 3600
    x["report_mbps"] = ray2["report"]["bytes"] / MB / ray2["report"]["wall"]
    x["report_run_mbps"] = main["report_bytes"] / MB / steps[DRIVER_STEPS["write_report"]][1]
    x["report_doc"] = main["report_bytes"] / n
    x["report_N"] = N * x["report_doc"]
    x["report_h"] = x["report_N"] / MB / x["report_mbps"] / 3600
    # bytes: the materialised documents, and each shuffle (a group-by's rows carry an 8-byte bucket column)
    x["processed_doc"] = per_doc(*(c for c in processed if c != "payload")) + per_doc("payload") * x["scale"]
    x["processed_N"] = N * x["processed_doc"]
    keys = stage("key rows")
    x["key_rows_doc"] = keys["rows"] / n
    x["key_row"] = sum(keys["bytes"].values()) / max(keys["rows"], 1)
    x["candidate_row"] = sum(candidates["bytes"].values()) / max(candidates["rows"], 1)
    x["side_doc"] = per_doc("pos", "sig", "size")
    x["canonical_side_doc"] = per_doc("pos", "id", "cleaned_chars", "sig", "size", "exact")
    canonical = stage("canonical choice")
    x["members_doc"] = canonical["rows_in"] / n
    x["duplicate_row"] = (sum(canonical["bytes"].get(c, 0) for c in ("pos", "canonical_id", "batch", "kind", "similarity"))
                          / max(canonical["rows"], 1))
    x["shuffles"] = {
        "key rows": N * x["key_rows_doc"] * (x["key_row"] + 8),
        "candidate pairs": N * x["instances_doc"] * (x["candidate_row"] + 8),
        "join on a": N * x["side_doc"] + N * x["near_candidates_doc"] * 16,
        "join on b": N * x["side_doc"] + N * x["near_candidates_doc"] * (16 + x["side_doc"]),
        "star rounds": N * x["edges_doc"] * x["star_rounds"] * x["star_rows"] * 24,
        "canonical join": N * x["canonical_side_doc"] + N * x["members_doc"] * 16,
        "canonical group-by": N * x["members_doc"] * (x["canonical_side_doc"] + 16 + 8),
        "duplicates sorted": N * x["dup_share"] * x["duplicate_row"],
    }
    x["shuffle_total"] = sum(x["shuffles"].values())
    x["signature_shuffles"] = x["shuffles"]["join on a"] + x["shuffles"]["join on b"] + x["shuffles"]["canonical join"]
    x["kept_doc"] = main["kept_bytes"] / n * x["scale"]
    x["written_N"] = N * (x["kept_doc"] + x["report_doc"])
    # the example cluster
    x["cores"] = NODES * NODE_CORES
    x["parallel_wall_h"] = x["core_h"] / x["cores"] / EFFICIENCY
    x["fixed_h"] = tiny["wall"] / 3600
    x["wall_h"] = x["parallel_wall_h"] + x["publish_h"] + x["report_h"] + x["fixed_h"]
    x["cost"] = x["wall_h"] * x["cores"] * PRICE_PER_CORE_HOUR
    x["lower_wall_h"] = x["lower_h"] / x["cores"]
    x["lower_cost"] = x["lower_h"] * PRICE_PER_CORE_HOUR
    x["worker_rss_kb"] = main["memory"]["largest_other_rss_kb"]
    for key, cpus in (("busy2", 2), ("busy1", 1)):
        run = results["runs"][f"ray{cpus}"]["main"]
        x[key] = run["stages"]["clean + sketch"]["wall"] / (cpus * steps_of(run)[GAP_BEFORE["errors collected"]][1])
    x["largest_bucket"] = p["growth"][-1]["largest"]
    return x


def e2e_rows(results: dict[str, Any]) -> list[str]:
    corpus = results["corpus"]
    docs, nbytes = corpus["docs"], corpus["bytes"]
    rows = ["| run | wall | docs/s | MB/s | CPU s of the run | CPU ms per document | peak RSS of the driver | "
            "largest Ray process | peak RSS / PSS summed over the tree | processes | load avg (1 min) after |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    names = {"ray1": "Ray, 1 worker CPU", "ray2": "Ray, 2 worker CPUs", "local1": "local, jobs=1", "local2": "local, jobs=2"}
    for key in ("ray1", "ray2", "local1", "local2"):
        r = results["runs"][key]
        ray = key.startswith("ray")
        m = r["main"] if ray else r
        per_doc = marginal(r) if ray else r["cpu"] / docs
        if ray:
            memory = m["memory"]
            largest, other = mib(m["driver"]["VmHWM"]), mib(memory["largest_other_rss_kb"])
            tree = f"{mib(memory['rss_kb'])} / {mib(memory['pss_kb'])} | {memory['processes']}"
        else:
            largest, other = mib(r["rusage"]["maxrss_kb"]), "—"
            tree = f"{mib(r['tree']['peak_rss_kb'])} / {mib(r['tree']['peak_pss_kb'])} | {r['tree']['processes']}"
        rows.append(
            f"| {names[key]} | {m['wall']:.0f} s | {docs / m['wall']:,.0f} | {rate(nbytes, m['wall']):.2f} | {m['cpu']:,.0f} | "
            f"{per_doc * 1000:.2f}{' (beyond fixed cost)' if ray else ''} | {largest} | {other} | {tree} | "
            f"{r['load'].split(',')[0]} |")
    return rows


def timeline_rows(results: dict[str, Any]) -> list[str]:
    two, one = results["runs"]["ray2"]["main"], results["runs"]["ray1"]["main"]
    tiny = results["runs"]["ray2"]["tiny"]
    rows = ["| step of `clean_with_ray` (in order) | wall, 2 CPUs | wall, 1 CPU | driver CPU, 2 CPUs | wall, small run (2 CPUs) |",
            "|---|--:|--:|--:|--:|"]
    other, small = steps_of(one), steps_of(tiny)
    for name, wall, cpu in two["steps"]:
        w1 = other.get(name, [name, float("nan")])[1]
        ws = small.get(name, [name, float("nan")])[1]
        if max(wall, w1, ws) < 0.05 and name != DRIVER_STEPS["write_report"]:
            continue  # report.html (off here), empty stretches
        rows.append(f"| {name} | {seconds(wall)} | {seconds(w1)} | {'' if cpu is None else seconds(cpu)} | {seconds(ws)} |")
    rows.append(f"| **whole call** | **{two['wall']:.0f} s** | **{one['wall']:.0f} s** | {two['driver_cpu']:.0f} s | "
                f"{tiny['wall']:.1f} s |")
    return rows


def stage_rows(results: dict[str, Any]) -> list[str]:
    rows = ["| stage (engine function) | calls | worker processes | CPU s, 2 CPUs | CPU s, 1 CPU | rows in | rows out | MB out | "
            "bytes per row out | bytes out per document |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    docs = results["corpus"]["docs"]
    two, one = results["runs"]["ray2"]["main"], results["runs"]["ray1"]["main"]
    totals = {"two": 0.0, "one": 0.0}
    for function, name in STAGES.items():
        a, b = two["stages"].get(name), one["stages"].get(name)
        if not a:
            continue
        totals["two"] += a["cpu"]
        totals["one"] += b["cpu"] if b else 0.0
        out = sum(a["bytes"].values())
        rows.append(f"| {name} (`{function}`) | {a['calls']:,} | {a['processes']} | {a['cpu']:.1f} | "
                    f"{b['cpu'] if b else float('nan'):.1f} | {a['rows_in']:,} | {a['rows']:,} | {out / MB:,.1f} | "
                    f"{out / max(a['rows'], 1):,.0f} | {out / docs:,.0f} |")
    rows.append(f"| everything else: Ray Data around the functions (Arrow/pandas conversions, hash shuffles and joins, "
                f"sorts, scheduling, object store), the driver, Ray's own processes | | | {two['cpu'] - totals['two']:.1f} | "
                f"{one['cpu'] - totals['one']:.1f} | | | | | |")
    rows.append(f"| **whole run** (CPU of every process during `clean_with_ray`) | | | **{two['cpu']:.1f}** | **{one['cpu']:.1f}** "
                f"| | | | | |")
    return rows


def reservation_lines(results: dict[str, Any], x: dict[str, Any]) -> list[str]:
    r = results["reservation"]
    stage = GAP_BEFORE["errors collected"]
    two, one = (steps_of(results["runs"][k]["main"])[stage][1] for k in ("ray2", "ray1"))
    gain = r["on"]["wall"] / r["off"]["wall"]
    lines = [
        f"The first stage (read, clean, sketch) is {two / results['runs']['ray2']['main']['wall']:.0%} of the 2-CPU run; in "
        f"it the two workers were inside `process_rows` for **{x['busy2']:.0%}** of its {two:.0f} s (the 1-CPU run's "
        f"worker: {x['busy1']:.0%} of {one:.0f} s). The engine turns off Ray Data's per-operator resource reservation "
        f"(`DataContext.op_resource_reservation_enabled = False`): with it on, Ray Data keeps part of the CPUs for each "
        f"operator, so while reads are pending (held back by backpressure) part of the two CPUs stays with "
        f"`read_file_rows` instead of cleaning. The same stage alone on {r['files']} files ({r['documents']:,} documents, "
        f"2 CPUs): {r['on']['wall']:.0f} s with the reservation on ({r['on']['busy']:.0%} busy in `process_rows`), "
        f"**{r['off']['wall']:.0f} s** off, as the engine runs it ({r['off']['busy']:.0%} busy): {gain:.2f}×.",
    ]
    return lines


def star_lines(results: dict[str, Any]) -> list[str]:
    star = results["runs"]["ray2"].get("star") or {}
    lines = []
    for name, label in (("corpus", "the corpus's verified edges (exact + near, from the local functions)"),
                        ("synthetic", "a synthetic graph: components of 2-6 nodes as random trees on scattered positions")):
        s = star.get(name)
        if not s or not s.get("edges"):
            continue
        lines.append(
            f"- {label}: {s['edges']:,} edges, {s['nodes']:,} nodes, {s['components']:,} components; {s['rounds']} rounds, "
            f"{s['wall']:.0f} s wall, {s['cpu']:.0f} CPU s"
            + (f" ({s['cpu'] / (s['edges'] * s['rounds']) * 1e6:.1f} µs per edge and round)" if name == "synthetic" else "")
            + f" with {s['partitions']} partitions; labels, made distinct, "
            f"{'**equal** to' if s['equal'] else '**different from**'} the expected ones.")
    return lines


def percore_lines(results: dict[str, Any], x: dict[str, Any]) -> list[str]:
    p, r = results["percore"], x["rates"]
    cl = p["clean"]
    cb = cl["ja"][1] + cl["en"][1]
    n = p["sketch"]["docs"]
    lines = [
        f"On the {n:,}-document corpus, thread CPU time.",
        "",
        "| measure | input | CPU s | rate |",
        "|---|--:|--:|--:|",
        f"| within-document cleaning, `clean_text` (the first {cb / MB:.0f} MB of the corpus) | {cl['ja'][0] + cl['en'][0]:,} docs, "
        f"{cb / MB:.1f} MB | {cl['ja'][3] + cl['en'][3]:.1f} | **{r['clean']:.2f} MB/s** |",
        f"| — Japanese / English documents | {cl['ja'][1] / MB:.1f} / {cl['en'][1] / MB:.1f} MB | {cl['ja'][3]:.1f} / {cl['en'][3]:.1f} | "
        f"{r['clean_ja']:.2f} / {r['clean_en']:.2f} MB/s |",
        f"| signatures, `sketch` (every document, batches of 64 as they come, raw text) | {n:,} docs, {p['sketch']['bytes'] / MB:.1f} MB | "
        f"{p['sketch']['cpu']:.1f} | **{r['sketch']:.2f} MB/s** |",
        f"| — Japanese-only / English-only batches | {p['sketch_by_lang']['ja']['bytes'] / MB:.1f} / "
        f"{p['sketch_by_lang']['en']['bytes'] / MB:.1f} MB | {p['sketch_by_lang']['ja']['cpu']:.2f} / "
        f"{p['sketch_by_lang']['en']['cpu']:.2f} | {r['sketch_ja']:.2f} / {r['sketch_en']:.2f} MB/s |",
        f"| band keys, `band_keys` ({x['bands']} bands × {x['rows']} rows, best of 3) | {n:,} signatures | "
        f"{p['band_keys']['cpu']:.3f} | {r['bands_us']:.2f} µs per document |",
        f"| exact duplicates, `exact_matches` | {n:,} keys | {p['exact']['cpu']:.2f} | {p['exact']['pairs']:,} pairs |",
        f"| LSH candidates + verification, `near_matches` (numpy bands, as the local engine) | {n:,} sketches | "
        f"{p['near']['cpu']:.1f} | {r['near_us']:.0f} µs per document; {p['near']['pairs']:,} verified pairs |",
        f"| — of which candidates, `lsh_candidates` alone | | {p['candidates']['cpu']:.1f} | {p['candidates']['pairs']:,} "
        f"candidate pairs ({p['candidates']['pairs'] / n:.3f} per document) |",
        "",
        f"Signatures are timed on the raw text (the engines sketch the cleaned text; these generated documents lose little to "
        f"cleaning). Cleaning is the expensive step, {r['sketch'] / r['clean']:.1f}× slower than signatures. Peak RSS of this "
        f"process: {mib(p['hwm_kb'])}.",
        "",
        "LSH candidates as the corpus grows, from the band keys (what `bucket_candidates` and `bucket_distinct_candidates` "
        "produce), counted with numpy on prefixes of the same sketches (exact copies after the first left out, as the "
        "engines do), verified with `relate`'s rule:",
        "",
        "| documents | (pair, band) instances | distinct candidate pairs | verified | not verified (LSH false positives) | "
        "largest band-key group |",
        "|--:|--:|--:|--:|--:|--:|",
    ]
    for g in p["growth"]:
        lines.append(f"| {g['docs']:,} | {g['instances']:,} ({g['instances'] / g['docs']:.3f} per document) | {g['distinct']:,} | "
                     f"{g['verified']:,} | {g['distinct'] - g['verified']:,} | {g['largest']:,} |")
    last = p["growth"][-1]
    same = last["verified"] == p["near"]["pairs"] and last["distinct"] == p["candidates"]["pairs"]
    lines += [
        "",
        f"At {last['docs']:,} documents: {last['distinct']:,} distinct candidates and {last['verified']:,} verified pairs here; "
        f"`lsh_candidates` gives {p['candidates']['pairs']:,} and `near_matches` {p['near']['pairs']:,}"
        + (" — the same." if same else " (a difference needs a look)."),
        "Verified pairs grow linearly with the corpus (the planted ~10%); the false positives grow faster than linearly "
        "because this generator recombines a few hundred sentences, so unrelated documents share whole sentences. Real "
        "text is far less self-similar; the plan carries the measured candidates per document over as they are.",
    ]
    return lines


def comparison_lines(results: dict[str, Any]) -> list[str]:
    names = {"ray2": "Ray 2 CPUs", "ray1": "Ray 1 CPU", "local1": "local jobs=1", "local2": "local jobs=2"}
    lines = []
    for name, c in results["comparisons"].items():
        a, b = name.split(" vs ")
        lines.append(
            f"- {names[a]} vs {names[b]}: {c['kept']:,} kept documents, {c['same_id_text']:,} with the same id and text at "
            f"the same place, {c['same_records']:,} with the whole output record equal; report records of all "
            f"{c['documents']:,} documents: {c['same_documents']:,} equal (all fields but `output`, the part file and line); "
            f"{c['clusters']:,} clusters: {c['same_clusters']:,} equal, in the same order; totals "
            f"{'equal' if c['same_totals'] else '**different**'}; errors and warnings "
            f"{'equal' if c['same_errors_warnings'] else '**different**'}: "
            f"**{'identical' if identical(c) else 'NOT identical'}**"
            + (f" (first differences: {'; '.join(c['differing'])})" if c["differing"] else "") + ".")
    return lines


def render(results: dict[str, Any]) -> str:
    corpus, runs = results["corpus"], results["runs"]
    x = plan(results)
    ray1, ray2, local1, local2 = runs["ray1"], runs["ray2"], runs["local1"], runs["local2"]
    docs = corpus["docs"]
    lines = [SECTION, ""]
    lines += [
        f"Run from the repository root (this run: {results['elapsed'] / 60:.0f} minutes on 2 shared cores):",
        "",
        "```",
        ".venv/bin/python benchmarks/ray_scale.py                 # 100k documents; --quick: 10k",
        ".venv/bin/python benchmarks/ray_scale.py --write-readme  # and refresh this section",
        ".venv/bin/python benchmarks/ray_scale.py --save r.json --workdir w  # keep figures and outputs; --resume continues",
        ".venv/bin/python benchmarks/ray_scale.py --from-saved r.json --write-readme  # render saved figures",
        "```",
        "",
        f"Machine: {results['machine']}; load average {results['load_start']} at start, {results['load_end']} at the end "
        f"(the 1-minute load after each run is in its row below). The machine is shared with other jobs: wall times are "
        f"inflated by them, CPU times much less, so the plan uses CPU times.",
        "",
    ]
    dup = ", ".join(f"{k} {v:,}" for k, v in corpus["duplicates"].items())
    lines += [
        f"Corpus: {docs:,} documents from {corpus['source']}, {corpus['bytes'] / MB:.1f} MB of text "
        f"({corpus['bytes'] / docs / 1000:.2f} KB average, 1-8 KB; Japanese {corpus['by_lang']['ja']:,} documents / "
        f"{corpus['bytes_by_lang']['ja'] / MB:.0f} MB, English {corpus['by_lang']['en']:,} / {corpus['bytes_by_lang']['en'] / MB:.0f} MB), "
        f"planned duplicates: {dup}; written as {FILES} JSONL files of contiguous documents. Every run below is on all of it.",
        "",
        "### 1. End to end",
        "",
        f"`clean_with_ray(files, out, RunOptions(id_key=\"id\", show_progress=False, html=False), max_driver_documents=0)` "
        f"(0: the corpus stage distributed, as past the default {DRIVER_DOCUMENTS:,} documents) after "
        f"`ray.init(num_cpus=N, include_dashboard=False, log_to_driver=False, object_store_memory={OBJECT_STORE // 2**30} GiB)`, "
        f"and `clean_paths(files, out.jsonl, RunOptions(id_key=\"id\", jobs=N, show_progress=False, html=False))`, each in a "
        f"fresh interpreter. Wall: the `clean_with_ray` / `clean_paths` call alone (Ray: after `ray.init` and a small run, "
        f"below). CPU: user+system time of every process of the run (driver, Ray's GCS, raylet and workers; the local engine's "
        f"pool), sampled from /proc every {SAMPLE_S:.0f} s, during the call only; for Ray, CPU per document leaves out the fixed "
        f"cost (the small run's CPU). Memory, sampled the same way during the call: peak RSS of the driver (Ray: VmHWM; "
        f"local: `ru_maxrss` from wait4), of the largest other process (a Ray worker, the raylet or the GCS), and of the "
        f"whole tree; RSS counts Ray's shared-memory object store once per process that maps it, PSS shares it out.",
        "",
        *e2e_rows(results),
        "",
        f"Ray with 2 worker CPUs vs 1: **{ray1['main']['wall'] / ray2['main']['wall']:.2f}×** the throughput "
        f"({docs / ray2['main']['wall']:,.0f} vs {docs / ray1['main']['wall']:,.0f} documents/s); local engine, jobs=2 vs 1: "
        f"**{local1['wall'] / local2['wall']:.2f}×** ({docs / local2['wall']:,.0f} vs {docs / local1['wall']:,.0f}). On this "
        f"2-core machine the driver, raylet and GCS share the two cores with the workers and with the other jobs on the "
        f"machine, so neither can reach 2×, and the '1 worker CPU' run uses more than one core in total. The Ray engine "
        f"spends **{x['marginal_ms']:.1f} ms of CPU per document** against {x['local_ms']:.1f} ms for the local engine on one "
        f"core: a **Ray overhead factor of {x['factor_local']:.2f}** for the same output ({x['factor_percore']:.2f}× the "
        f"cleaning and signatures alone at the per-core rates of §3).",
        "",
        *reservation_lines(results, x),
        "",
        f"Fixed cost of Ray, measured: `ray.init` {ray2['init']:.1f} s (2 CPUs) / {ray1['init']:.1f} s (1 CPU); a whole "
        f"`clean_with_ray` run of {ray2['tiny']['documents']:,} documents (one file, with one exact copy) after that: "
        f"{ray2['tiny']['wall']:.1f} s / {ray1['tiny']['wall']:.1f} s wall, {ray2['tiny']['cpu']:.0f} / {ray1['tiny']['cpu']:.0f} "
        f"CPU s. That is the floor of any distributed run (a dozen Ray Data executions, each with scheduling and start-up "
        f"latency); it is {ray2['tiny']['wall'] / ray2['main']['wall'] * 100:.0f}% of the 2-CPU run at {docs:,} documents and "
        f"negligible on a cluster run of hours."
        + (f" The same small run as the engine runs it by default (up to {DRIVER_DOCUMENTS:,} documents the corpus stage "
           f"runs on the driver with the local code, no shuffle): {ray2['tiny_driver']['wall']:.1f} s / "
           f"{ray1['tiny_driver']['wall']:.1f} s wall, {ray2['tiny_driver']['cpu']:.0f} / {ray1['tiny_driver']['cpu']:.0f} "
           f"CPU s." if "tiny_driver" in ray2 and "tiny_driver" in ray1 else ""),
        "",
        "### 2. Where a Ray run's time goes",
        "",
        "The driver's steps, in order: the engine's own helpers (`_frame`, `_edges`, `_driver_components`, "
        "`DuplicatesByFile.publish`, `write_report`) wrapped with a clock in the benchmark's process; the stretches between "
        "them are named by what `clean_with_ray` does there. Ray Data executes lazily, so a step's wall includes the "
        "distributed work it triggers; driver CPU is the driver process's own (its Ray Data threads included).",
        "",
        *timeline_rows(results),
        "",
        "CPU time (thread time) inside each per-partition function, summed over the worker processes: timers wrapped around "
        "the functions `dedup.engine.ray_engine` imports (pickled into the workers with `clean_with_ray`'s calls; the engine "
        "is unchanged). Rows in and out, and bytes out: what each call takes and returns, i.e. what Ray Data carries to the "
        "next stage (Arrow buffers for the processed rows; strings and bytes by their UTF-8 length, numbers by width). "
        "Calls, processes, rows and bytes are from the 2-CPU run.",
        "",
        *stage_rows(results),
        "",
    ]
    cs = ray2["main"]["stages"].get("clean + sketch")
    if cs:
        lines += [
            f"Cleaning and sketching inside Ray: {rate(corpus['bytes'], cs['cpu']):.2f} MB/s per core (the two measured alone "
            f"on one core, §3: {1 / (1 / x['rates']['clean'] + 1 / x['rates']['sketch']):.2f} MB/s). The key rows are "
            f"{x['key_row']:.0f} bytes each (band, key, position int64), {x['key_rows_doc']:.2f} per document "
            f"({x['bands']} bands + the exact key); {x['instances_doc']:.3f} (pair, band) instances per document become "
            f"{x['distinct_doc']:.3f} distinct pairs ({x['exact_doc']:.3f} exact, {x['near_candidates_doc']:.3f} to verify), "
            f"{x['verified_doc']:.3f} verified.",
            "",
        ]
    star = star_lines(results)
    if star:
        lines += ["Distributed connected components, checked separately after the 2-CPU run: the engine takes scipy on the "
                  "driver up to 2M edges (every run here) and `star_components(edges, partitions)` (large-star/small-star "
                  "group-bys) past that.", "", *star, ""]
    publish = ray2.get("publish")
    if publish:
        small, large = publish
        lines += [
            f"The driver's sequential steps, measured separately after the 2-CPU run (a run of this size is too short to "
            f"show their cost per item through their fixed cost): `DuplicatesByFile.publish` on {small['rows']:,} "
            f"and {large['rows']:,} synthetic duplicates in {large['files']} files took {small['wall']:.1f} s and "
            f"{large['wall']:.1f} s wall ({small['driver_cpu']:.1f} / {large['driver_cpu']:.1f} s of driver CPU): "
            f"**{x['publish_us']:.2f} µs per duplicate** (the larger of the two slopes; the wall includes the sort, which "
            f"a cluster spreads out). report.json: the run's {ray2['main']['report_bytes'] / MB:.1f} MB "
            f"({x['report_doc']:.0f} B per document) were streamed in "
            f"{steps_of(ray2['main'])[DRIVER_STEPS['write_report']][1]:.2f} s ({x['report_run_mbps']:.0f} MB/s); the same "
            f"records laid out again as {ray2['report']['bytes'] / MB:,.0f} MB of fragments and streamed by the engine's "
            f"`report_records` + `write_report` on the driver: {ray2['report']['wall']:.1f} s, **{x['report_mbps']:.0f} MB/s** "
            f"(fragments just written, in the page cache; from a shared filesystem it can only be slower).",
            "",
        ]
    lines += ["### 3. Per-core rates (one process, one core, no Ray)", "", *percore_lines(results, x), ""]
    lines += ["### 4. Ray output = local output", "", *comparison_lines(results), ""]
    lines += plan_lines(results, x)
    return "\n".join(lines).rstrip() + "\n"


def plan_lines(results: dict[str, Any], x: dict[str, Any]) -> list[str]:
    from dedup.engine.ray_engine import PART_ROWS

    r = x["rates"]
    N = TARGET_DOCS
    docs = results["corpus"]["docs"]
    ray2 = results["runs"]["ray2"]
    tiny = ray2["tiny"]
    tiny_cs = tiny["stages"].get("clean + sketch", {})
    read_cpu = ray2["main"]["stages"]["read"]["cpu"]
    read_rate = rate(results["corpus"]["bytes"], read_cpu)
    sh = x["shuffles"]
    largest = max(sh, key=sh.get)
    stage_ms = x["stage_ms"]
    lines = [
        "### 5. Plan: 1 billion documents on a cluster", "",
        f"Assumptions: N = 10⁹ documents of S = {TARGET_DOC_BYTES / 1000:.0f} KB on average (D = N·S = "
        f"{x['d_mb'] / 1e6:.0f} TB of text), this corpus's Japanese/English mix and duplicate share "
        f"({x['dup_share'] * 100:.0f}% of documents removed; crawls often have more), its candidate pairs per document, default "
        f"parameters ({x['bands']} bands × {x['rows']} rows of a 128-permutation signature of {x['sig_bytes']} bytes), many "
        f"input files of moderate size. A core is one vCPU like this machine's. **Measured** (at {docs:,} documents, 2-CPU "
        f"run): the CPU per document of every stage and of the rest of a Ray run beyond its fixed cost, the bytes per row and "
        f"rows per document of every stage, the driver's report.json and duplicate-publishing rates, the star rounds' CPU per "
        f"edge (synthetic graph). **Extrapolated**: every figure at 10⁹ — linearly per document, the text-bound stages "
        f"(read, clean + sketch, write) and the output scaled from {x['avg'] / 1000:.2f} to {TARGET_DOC_BYTES / 1000:.0f} KB "
        f"per document.",
        "",
        "CPU (the parallel part):",
        "",
        "| quantity | formula (measured inputs) | at 10⁹ documents |",
        "|---|---|--:|",
    ]
    for function, name in STAGES.items():
        lines.append(f"| {name} (`{function}`) | N × {stage_ms[name]:.3f} ms | {N * stage_ms[name] / 1000 / 3600:,.0f} core-hours |")
    lines += [
        f"| everything else of a Ray run (shuffles, joins, sorts, conversions, scheduling, Ray's processes) | N × "
        f"{x['rest_ms']:.3f} ms (the run's {x['marginal_ms']:.2f} ms per document beyond its fixed cost, less the stages and "
        f"the driver's sequential steps) | {N * x['rest_ms'] / 1000 / 3600:,.0f} core-hours |",
        f"| connected components: star rounds (scipy past 2M edges is not an option) | N × {x['edges_doc']:.3f} edges × "
        f"{x['star_rounds']} rounds × {x['star_us']:.1f} µs | {N * x['star_ms'] / 1000 / 3600:,.0f} core-hours |",
        f"| **the Ray engine** | N × {x['parallel_ms']:.2f} ms | **{x['core_h']:,.0f} core-hours** |",
        f"| cross-check: cleaning + signatures of a {TARGET_DOC_BYTES / 1000:.0f} KB document at the per-core rates × the "
        f"measured Ray overhead factor over them (§1) | N × {x['percore_ms_S']:.2f} ms × {x['factor_percore']:.2f} | "
        f"{N * x['percore_ms_S'] * x['factor_percore'] / 1000 / 3600:,.0f} core-hours |",
        f"| lower bound for any engine: cleaning + signatures + band keys at the per-core rates | D/{r['clean']:.2f} MB/s + "
        f"D/{r['sketch']:.2f} MB/s + N × {r['bands_us']:.2f} µs | {x['lower_h']:,.0f} core-hours |",
        "",
        "On the driver, one after the other (no parallelism; rates of §2):",
        "",
        "| step | formula | at 10⁹ documents |",
        "|---|---|--:|",
        f"| duplicates sorted by position and published per input file (`DuplicatesByFile.publish`) | N × "
        f"{x['dup_share']:.3f} duplicates × {x['publish_us']:.1f} µs | {hours(x['publish_h'])} |",
        f"| report.json streamed from the workers' fragments (`write_report`) | N × {x['report_doc']:,.0f} B = "
        f"{si(x['report_N'])} at {x['report_mbps']:.0f} MB/s | {hours(x['report_h'])} |",
        "",
        "Data moved (Ray Data hash shuffles unless said; each group-by row also carries an 8-byte bucket):",
        "",
        "| what | formula (measured bytes) | at 10⁹ documents |",
        "|---|---|--:|",
        f"| processed documents, materialised once in the object store (spilled to local disk), never shuffled | N × "
        f"{x['processed_doc']:,.0f} B (cleaned payload scaled to {TARGET_DOC_BYTES / 1000:.0f} KB, report record, signature, "
        f"ids and counts) | {si(x['processed_N'])} |",
        f"| key rows, grouped by bucket of key | N × {x['key_rows_doc']:.2f} rows × ({x['key_row']:.0f} + 8) B | "
        f"{si(sh['key rows'])} |",
        f"| candidate pairs, grouped by pair to make them distinct | N × {x['instances_doc']:.3f} × ({x['candidate_row']:.0f} "
        f"+ 8) B | {si(sh['candidate pairs'])} |",
        f"| signature join on a: every live document's (pos, sig, size) + the pairs to verify | N × {x['side_doc']:.0f} B + N "
        f"× {x['near_candidates_doc']:.3f} × 16 B | {si(sh['join on a'])} |",
        f"| signature join on b: the same documents again + the pairs with sig_a | N × {x['side_doc']:.0f} B + N × "
        f"{x['near_candidates_doc']:.3f} × {16 + x['side_doc']:.0f} B | {si(sh['join on b'])} |",
        f"| star rounds on the edges | N × {x['edges_doc']:.3f} edges × {x['star_rounds']} rounds × {x['star_rows']:.1f} rows "
        f"per edge and round (measured on the synthetic graph) × 24 B | {si(sh['star rounds'])} |",
        f"| canonical join: labels with every document's (pos, id, cleaned_chars, sig, size, exact) | N × "
        f"{x['canonical_side_doc']:.0f} B + N × {x['members_doc']:.3f} members × 16 B | {si(sh['canonical join'])} |",
        f"| canonical group-by on a bucket of components | N × {x['members_doc']:.3f} × {x['canonical_side_doc'] + 24:.0f} B | "
        f"{si(sh['canonical group-by'])} |",
        f"| duplicates sorted by position for the driver | N × {x['dup_share']:.3f} × {x['duplicate_row']:.0f} B | "
        f"{si(sh['duplicates sorted'])} |",
        f"| **all shuffles** | | **{si(x['shuffle_total'])}** ({x['shuffle_total'] / (x['d_mb'] * MB):.2f}× the text; the three "
        f"signature shuffles {si(x['signature_shuffles'])}) |",
        f"| written: kept parts + report fragments (shared filesystem), then report.json | N × ({x['kept_doc']:,.0f} + "
        f"{x['report_doc']:,.0f}) B, + {si(x['report_N'])} | {si(x['written_N'])} + {si(x['report_N'])} |",
        "",
        f"**Example cluster: {NODES} nodes × {NODE_CORES} cores = {x['cores']} cores, {NODE_MEMORY_GIB} GiB RAM and local "
        f"NVMe per node, a shared filesystem for the output**, at an **assumed ${PRICE_PER_CORE_HOUR:.2f} per core-hour** "
        f"(order of magnitude of an on-demand compute-optimised vCPU; not a quote), {EFFICIENCY:.0%} efficiency of the "
        f"parallel part (stragglers, shuffle stalls, spilling; an assumption):",
        "",
        f"- parallel part: {x['core_h']:,.0f} core-hours / {x['cores']} cores / {EFFICIENCY} = **{hours(x['parallel_wall_h'])}**;",
        f"- the driver's sequential steps: {hours(x['publish_h'])} publishing duplicates + {hours(x['report_h'])} writing "
        f"report.json, the cluster idle meanwhile;",
        f"- **about {hours(x['wall_h'])} wall, ${x['cost']:,.0f}** (all {x['cores']} cores paid for the whole time); the lower "
        f"bound of cleaning and signatures alone would be {hours(x['lower_wall_h'])} and ${x['lower_cost']:,.0f};",
        f"- shuffles: {si(x['shuffle_total'] / NODES)} per node over the run (~{x['shuffle_total'] / NODES / 1e9 / 3600 * 60:.0f} "
        f"min at 1 GB/s of network per node if not overlapped); the largest, the {largest}, is "
        f"{si(sh[largest] / NODES)} per node;",
        f"- memory and disk per node: the processed documents, {si(x['processed_N'] / NODES)} per node, stay in the object "
        f"store for the whole run, so most of them spill to local disk (plan ≥ {si(2 * x['processed_N'] / NODES)} of NVMe "
        f"with the shuffles' spill); the largest Ray process peaked at {mib(x['worker_rss_kb'])} RSS here (object-store "
        f"pages it maps included, so an upper bound per worker): {NODE_CORES} workers need at most "
        f"~{NODE_CORES * x['worker_rss_kb'] / 2**20:.0f} GiB besides the object store;",
        f"- fixed costs (cluster start, `ray.init`, the ~{ray2['tiny']['wall']:.0f} s floor of a run measured here) are "
        f"minutes: negligible at this scale, dominant below ~100k documents on one machine.",
        "",
        "What still limits scale (reading `dedup/engine/ray_engine.py` and `dedup/engine/distributed/`; figures from the "
        "plan above):",
        "",
        f"- **one report.json, written by the driver alone**: it streams every worker's fragment into one file, "
        f"{si(x['report_N'])} at 10⁹, {hours(x['report_h'])} at the {x['report_mbps']:.0f} MB/s measured here, while the "
        f"cluster waits; and the fragments (like the parts) are plain files under the output folder, so workers and driver "
        f"need one shared POSIX filesystem (no object storage);",
        f"- **the duplicates pass through the driver**: `DuplicatesByFile.publish` sorts all duplicates by position and puts "
        f"each input file's into the object store from the driver, {hours(x['publish_h'])} at 10⁹; and every block of "
        f"{PART_ROWS:,} documents fetches its whole file's duplicates, so an input file of F documents costs O(F²/{PART_ROWS:,}) "
        f"rows fetched: many files of moderate size are assumed;",
        f"- **reading is one task per input file, cleaning one task per block it reads**: `read_file_rows` reads a whole "
        f"file in one task (the corpus's {results['corpus']['bytes'] / MB:.0f} MB in {read_cpu:.1f} CPU s, "
        f"~{read_rate:.0f} MB/s per core), and `process_rows` runs once per block of read rows (Ray Data's 128 MiB "
        f"target: a whole {results['corpus']['docs'] // FILES:,}-document file here; the small run's one file: "
        f"{tiny_cs.get('calls', 0)} `process_rows` calls in {tiny_cs.get('processes', 0)} worker process); so cleaning, the "
        f"costly stage, has the parallelism of the number of ~128 MiB blocks: ample for 10⁹ documents, but a corpus of few "
        f"small files cleans on as many cores as it has files;",
        f"- **O(s²) pairs in a big band-key group**: `bucket_candidates` enumerates every pair of a group sharing a band key "
        f"(exact-key groups are linked as stars); the largest group here has {x['largest_bucket']:,} documents, but templated "
        f"or boilerplate pages can make groups of 10⁵ (5·10⁹ pairs in one task): big groups need a cap or a split;",
        f"- **three shuffles of every live document's signature** ({si(x['signature_shuffles'])}): both verification joins "
        f"and the canonical join take all documents although only those in a candidate pair ({x['near_candidates_doc']:.3f} "
        f"pairs per document) or in a cluster ({x['members_doc']:.3f} members per document) need it; a semi-join on the "
        f"pairs' positions first would shrink them to that share;",
        "- **scipy on the driver up to 2M edges**: the whole edge list comes to the driver as Python objects (a few hundred "
        "MB at 2M edges); past it the star rounds run, whose round count grows slowly (O(log n)) but each round is three "
        "group-bys of all edges;",
        "- **a giant component is one task**: `canonical_rows` handles a component whole (its members' signatures in one "
        "pandas frame, `relation_to` per member in Python, one JSON cluster record), so a template matched by millions of "
        "pages is one long task and one huge record;",
        "- **errors and warnings gather on the driver**: every malformed line and every document warning (empty document, "
        "invalid UTF-8) is held in the run summary, O(bad documents);",
        "- **shuffle parallelism is Ray Data's default**: the engine sets 2 × cluster CPUs hash partitions, and Ray Data uses "
        "at most min(CPUs, 128) aggregator actors per shuffle (`DataContext.max_hash_shuffle_aggregators`), left at its "
        "default: on 512 cores the reduce side of every shuffle and join runs on 128 actors unless that is raised.",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_DOCS:,} documents instead of {FULL_DOCS:,}")
    parser.add_argument("--docs", type=int, help="corpus size")
    parser.add_argument("--write-readme", action="store_true", help=f"write the section into {README.name}")
    parser.add_argument("--save", type=Path, metavar="FILE", help="also keep the raw results (JSON) in FILE")
    parser.add_argument("--from-saved", type=Path, metavar="FILE", help="render saved results instead of running")
    parser.add_argument("--workdir", type=Path, metavar="DIR", help="keep the corpus and outputs here [default: a temporary folder]")
    parser.add_argument("--resume", action="store_true", help="skip the steps already in the --save file (needs --workdir)")
    parser.add_argument("--percore-case", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--ray-case", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--edges", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--star-edges", type=int, default=STAR_EDGES, help=argparse.SUPPRESS)
    parser.add_argument("--publish-rows", type=int, default=PUBLISH_ROWS, help=argparse.SUPPRESS)
    parser.add_argument("--reservation-case", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--local-case", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--compare-case", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.percore_case:
        folder, clean_bytes, prefixes, edges = args.percore_case
        print(json.dumps(percore_case(Path(folder), int(clean_bytes), [int(x) for x in prefixes.split(",")], Path(edges))))
        return 0
    if args.ray_case:
        cpus, folder, tiny, out, stages = args.ray_case
        print(json.dumps(ray_case(int(cpus), Path(folder), Path(tiny), Path(out), Path(stages), args.edges, args.star_edges,
                                  args.publish_rows)))
        return 0
    if args.reservation_case:
        folder, stages, files = args.reservation_case
        print(json.dumps(reservation_case(Path(folder), Path(stages), int(files))))
        return 0
    if args.local_case:
        jobs, folder, out = args.local_case
        print(json.dumps(local_case(int(jobs), Path(folder), Path(out))))
        return 0
    if args.compare_case:
        ka, pa, kb, pb = args.compare_case
        print(json.dumps(compare_case(ka, Path(pa), kb, Path(pb))))
        return 0

    if args.from_saved:
        results = json.loads(args.from_saved.read_text())
    else:
        results = run(args, Log())
    section = render(results)
    show_section(section, args.write_readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
