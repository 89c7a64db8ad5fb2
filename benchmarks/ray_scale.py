"""Scale-out benchmark: ``dedup clean --engine ray`` on 1 and 2 worker CPUs, per-core rates, a 1-billion plan.

One deterministic run, each measured configuration in its own fresh interpreter:

1. a corpus of 1-8 KB Japanese/English documents with ~10% known near-duplicates (the generator of
   ``benchmarks/corpus.py``, same seed; a small built-in one if that file cannot be imported),
   written as 16 JSONL files so that Ray reads them in parallel;
2. per-core rates on one core, no Ray: ``clean_document`` and ``sketch`` MB/s, ``band_keys``,
   ``near_matches`` (LSH candidates + verification) on the sketches of the whole corpus, and how
   LSH candidates grow with the corpus (band-key buckets of prefixes of it);
3. ``clean_with_ray`` after ``ray.init(num_cpus=N)`` for N = 2 and 1, with the CPU time of each
   Ray Data stage's function (timers wrapped around the engine's functions in that process only),
   a small run first to show the fixed cost of a run, and, after the 2-CPU run, the distributed
   connected components (large-star/small-star) on the corpus's verified edges, checked against scipy;
4. the single-machine engine, ``clean_paths`` with jobs=2 and jobs=1, for reference;
5. the Ray outputs compared with the local ones (kept documents, their texts, statuses, clusters);
6. a plan for 1 billion documents derived from the measured rates.

Run ``python benchmarks/ray_scale.py`` (100k documents, about 30 minutes on 2 shared cores; it falls back
to 30k documents end to end when one configuration would take more than ~12 minutes), ``--quick`` for
10k documents (about 5 minutes), ``--write-readme`` to refresh its section of ``benchmarks/README.md``.
MB means 10**6 bytes of UTF-8 document text; per-core rates are on thread CPU time.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import math
import os
import platform
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLES = ROOT / "samples"
README = HERE / "README.md"
SECTION = "## Scale-out on Ray (benchmarks/ray_scale.py)"

MB = 1_000_000
FILES = 16
FULL_DOCS, FALLBACK_DOCS, QUICK_DOCS = 100_000, 30_000, 10_000
CONFIG_LIMIT_S = 12 * 60  # one end-to-end configuration; above it, fall back to FALLBACK_DOCS
CASE_TIMEOUT_S = 30 * 60
RAY_CPU_S_PER_DOC = 0.028  # see predicted_ray_one_cpu
OBJECT_STORE = 4 * 2**30  # Ray's shared-memory object store, bounded on this shared 24 GiB machine
TINY_DOCS = 200  # the small run that shows a Ray run's fixed cost
SAMPLE_S = 0.5  # process-tree sampling interval
# What 1 billion documents cost: assumptions, stated in the README.
TARGET_DOCS = 1_000_000_000
TARGET_DOC_BYTES = 4_000
PRICE_PER_CORE_HOUR = 0.05  # USD, on-demand compute-optimised vCPU (assumption)
NODE_CORES, NODE_MEMORY_GIB = 32, 128
NODES = 16

# --- 1. corpus -------------------------------------------------------------------------------------------------


class Generator:
    """Documents by position: ``text(position) -> (lang, text)``, and the planned duplicates."""

    def __init__(self, n: int):
        self.n = n
        try:
            sys.path.insert(0, str(HERE))
            import corpus as bench  # benchmarks/corpus.py

            pool = bench.load_pool()
            plan = bench.plan_corpus(pool, n, bench.SEED)
            self._doc = lambda p: bench.document(pool, plan, p)
            self.duplicates = dict(plan.duplicates)
            self.source = f"the generator of benchmarks/corpus.py (seed {bench.SEED})"
        except (ImportError, AttributeError) as exc:  # that file is another benchmark's: never depend on it blindly
            self._fallback()
            self.source = f"the built-in fallback generator (benchmarks/corpus.py not usable: {exc})"

    def text(self, position: int) -> tuple[str, str]:
        doc = self._doc(position)
        return doc.lang, doc.text

    def _fallback(self) -> None:
        """Japanese paragraphs of samples/*.txt recombined, English from a fixed vocabulary; ~10% re-posts."""
        paragraphs = sorted({line.strip() for p in SAMPLES.glob("*.txt")
                             for line in p.read_text(encoding="utf-8").splitlines() if len(line.strip()) >= 60})
        vocabulary = ("the city council said new data centre power grid prices rose percent year analysts expect "
                      "company shares fell after forecast water supply storm hospital school rail airport budget "
                      "engineers research team reported quarter market demand workers plan review officials").split()

        class Doc:
            def __init__(self, lang: str, text: str):
                self.lang, self.text = lang, text

        def base(position: int) -> Doc:
            rng = random.Random(f"ray-scale:{position}")
            target = rng.randint(1_000, 7_500)
            lang = "ja" if rng.random() < 0.5 else "en"
            parts, size = [], 0
            while size < target:
                if lang == "ja":
                    part = rng.choice(paragraphs)
                else:
                    part = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(40, 120))) + "."
                parts.append(part)
                size += len(part.encode()) + 2
            return Doc(lang, "\n\n".join(parts) + "\n")

        rng = random.Random(f"ray-scale:plan:{self.n}")
        dups = rng.sample(range(self.n), self.n // 10)
        bases = sorted(set(range(self.n)) - set(dups))
        self.duplicates = {p: (rng.choice(bases), "edited") for p in sorted(dups)}

        def doc(position: int) -> Doc:
            if position not in self.duplicates:
                return base(position)
            original = base(self.duplicates[position][0])
            return Doc(original.lang, original.text.replace("。", "、", 1).replace(" the ", " a ", 1))

        self._doc = doc


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


def read_texts(folder: Path) -> Iterator[str]:
    for path in corpus_files(folder):
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)["text"]


# --- measuring helpers --------------------------------------------------------------------------------------------


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.thread_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = clock()
    return wall - start[0], cpu - start[1]


def is_japanese(text: str) -> bool:
    head = text[:200]
    return sum("\u3040" <= c <= "\u9fff" for c in head) > len(head) // 4


def read_status(pid: int) -> tuple[int, int, float]:
    """RSS and PSS (KiB) and user+system CPU seconds of one process; zeros if it is gone."""
    try:
        rss = int(next(l for l in Path(f"/proc/{pid}/status").read_text().splitlines() if l.startswith("VmRSS:")).split()[1])
        pss = int(next(l for l in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines() if l.startswith("Pss:")).split()[1])
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return rss, pss, cpu
    except (OSError, StopIteration, IndexError, ValueError):
        return 0, 0, 0.0


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(c) for c in children.read_text().split())
            except OSError:
                pass
    return found


def run_case(args: Sequence[str], timeout: float = CASE_TIMEOUT_S) -> dict[str, Any]:
    """This script on one case in a fresh interpreter (its own session), watched as a process tree.

    Returns the case's JSON plus: ``rusage`` of the subprocess from wait4 (the subprocess and the
    descendants it reaped: ru_maxrss is the largest single process), and from sampling /proc every
    SAMPLE_S: the peak summed RSS and PSS of the whole tree (Ray's workers are children of the raylet,
    which the driver started) and its CPU seconds (the last value seen of each process, summed).
    """
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", PYTHONHASHSEED="0")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), *args], stdout=out, stderr=err,
                                   env=env, start_new_session=True)
        stop = threading.Event()
        peak = {"rss": 0, "pss": 0, "procs": 0, "other": 0}
        cpu_seen: dict[int, float] = {}
        names: set[str] = set()

        def watch() -> None:
            while not stop.wait(SAMPLE_S):
                rss = pss = 0
                pids = descendants(process.pid)
                for pid in pids:
                    r, p, c = read_status(pid)
                    rss, pss = rss + r, pss + p
                    if pid != process.pid:
                        peak["other"] = max(peak["other"], r)
                    if c:
                        cpu_seen[pid] = max(cpu_seen.get(pid, 0.0), c)
                    if pid not in cpu_seen or len(names) < 40:
                        try:
                            names.add(Path(f"/proc/{pid}/comm").read_text().strip())
                        except OSError:
                            pass
                peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)
                peak["procs"] = max(peak["procs"], len(pids))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        timer = threading.Timer(timeout, lambda: os.killpg(process.pid, 9))
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
            stop.set()
            watcher.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        leftovers = [pid for pid in cpu_seen if pid != process.pid and Path(f"/proc/{pid}").exists()]
        for pid in leftovers:  # a Ray process of this case that outlived it: ours, ended by its id
            try:
                os.kill(pid, 15)
            except OSError:
                pass
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if process.returncode != 0:
        sys.stderr.write(stderr[-5000:])
        raise RuntimeError(f"case {' '.join(args)} failed with exit code {process.returncode}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["rusage"] = {"maxrss_kb": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime}
    result["tree"] = {"peak_rss_kb": peak["rss"], "peak_pss_kb": peak["pss"], "cpu": sum(cpu_seen.values()),
                      "processes": peak["procs"], "names": sorted(names), "leftovers": len(leftovers),
                      "largest_other_rss_kb": peak["other"]}
    return result


# --- 2. per-core rates (one process, one core, no Ray) ---------------------------------------------------------


def percore_case(folder: Path, clean_bytes: int, prefixes: Sequence[int], edges_out: Path) -> dict[str, Any]:
    from dedup.index.bands import IndexParams, band_keys
    from dedup.match.documents import CorpusOptions, exact_matches, lsh_candidates, near_matches
    from dedup.signatures.minhash import sketch
    from dedup.within import clean_document

    options = CorpusOptions()
    params = IndexParams.from_options(options)
    clean_document("ウォームアップの文です。ウォームアップの文です。\n\nwarm up. warm up.\n")
    sketch(["warm-up text for the compiled kernels", "コンパイル済みカーネルのウォームアップ"])
    result: dict[str, Any] = {"params": params.as_dict()}

    # within-document cleaning, on the first clean_bytes of the corpus (documents in random language order)
    clean = {"ja": [0, 0, 0.0, 0.0], "en": [0, 0, 0.0, 0.0]}  # docs, bytes, wall, cpu
    done = 0
    for text in read_texts(folder):
        start = clock()
        clean_document(text)
        wall, cpu = since(start)
        row = clean["ja" if is_japanese(text) else "en"]
        size = len(text.encode("utf-8"))
        row[0], row[1], row[2], row[3] = row[0] + 1, row[1] + size, row[2] + wall, row[3] + cpu
        done += size
        if done >= clean_bytes:
            break
    result["clean"] = clean

    # signatures of every document, in the engine's batches of 64 (mixed languages, as they come)
    texts: list[str] = []
    parts, nbytes, wall, cpu, langs = [], 0, 0.0, 0.0, []
    for text in read_texts(folder):
        texts.append(text)
        if len(texts) == 64:
            start = clock()
            parts.append(sketch(texts))
            w, c = since(start)
            wall, cpu = wall + w, cpu + c
            nbytes += sum(len(t.encode("utf-8")) for t in texts)
            langs.extend(is_japanese(t) for t in texts)
            texts = []
    if texts:
        start = clock()
        parts.append(sketch(texts))
        w, c = since(start)
        wall, cpu = wall + w, cpu + c
        nbytes += sum(len(t.encode("utf-8")) for t in texts)
        langs.extend(is_japanese(t) for t in texts)
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
        start = clock()
        for i in range(0, len(chosen), 64):
            sketch(chosen[i:i + 64])
        w, c = since(start)
        by_lang[lang] = {"docs": len(chosen), "bytes": sum(len(t.encode("utf-8")) for t in chosen), "wall": w, "cpu": c}
    result["sketch_by_lang"] = by_lang

    # band keys of every signature (best of 3)
    best = None
    for _ in range(3):
        start = clock()
        bkeys = band_keys(signatures, params)
        timing = since(start)
        best = timing if best is None or timing[1] < best[1] else best
    result["band_keys"] = {"docs": n, "wall": best[0], "cpu": best[1]}

    # exact and near matches exactly as the local engine calls them
    key_list, size_list = keys.tolist(), sizes.tolist()
    start = clock()
    exact = exact_matches(key_list, size_list)
    result["exact"] = {"pairs": len(exact), "wall": since(start)[0], "cpu": since(start)[1]}
    start = clock()
    near = near_matches(signatures, size_list, key_list, options)
    w, c = since(start)
    result["near"] = {"pairs": len(near), "wall": w, "cpu": c}
    first_of_key: dict[int, int] = {}
    for p, k in enumerate(key_list):
        first_of_key.setdefault(k, p)
    representative = np.array([first_of_key[k] == p for p, k in enumerate(key_list)])
    masked = np.where(representative, sizes, 0)
    start = clock()
    candidates = sum(1 for _ in lsh_candidates(signatures, masked, options))
    w, c = since(start)
    result["candidates"] = {"pairs": candidates, "wall": w, "cpu": c}

    # how candidates grow with the corpus: band-key buckets of prefixes (what the distributed group-by sees)
    growth = []
    for m in sorted({min(p, n) for p in prefixes}):
        growth.append(bucket_stats(bkeys[:m], signatures[:m], sizes[:m], masked[:m], options))
    result["growth"] = growth

    edges = np.array([(m.first, m.second) for m in exact + near], dtype=np.int64).reshape(-1, 2)
    np.save(edges_out, edges)
    result["edges"] = len(edges)
    result["hwm_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result


def bucket_stats(bkeys: np.ndarray, signatures: np.ndarray, sizes: np.ndarray, masked: np.ndarray, options: Any) -> dict[str, Any]:
    """Pairs sharing a band key among the first m documents: (pair, band) instances, distinct pairs, verified."""
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
                continue  # a hot bucket: counted above, not enumerated
            group = positions[s:s + c]
            i, j = np.triu_indices(c, 1)
            pairs.append(np.stack([group[i], group[j]], axis=1))
    distinct = np.unique(np.concatenate(pairs), axis=0) if pairs else np.empty((0, 2), dtype=np.int64)
    verified, verify_cpu = 0, 0.0
    if len(distinct):
        begin = time.thread_time()
        a, b = distinct[:, 0], distinct[:, 1]
        jaccard = (signatures[a] == signatures[b]).mean(axis=1)
        sa, sb = sizes[a].astype(float), sizes[b].astype(float)
        shared = jaccard * (sa + sb) / (1.0 + jaccard)
        containment = np.minimum(1.0, shared / np.maximum(np.minimum(sa, sb), 1))
        verified = int(((jaccard >= options.threshold) | (containment >= options.containment_threshold)).sum())
        verify_cpu = time.thread_time() - begin
    return {"docs": m, "instances": instances, "distinct": len(distinct), "verified": verified, "largest": largest,
            "verify_cpu": verify_cpu}


# --- 3. Ray runs, with per-stage timers -------------------------------------------------------------------------

STAGES = {  # engine function -> stage name
    "read_file_rows": "read",
    "process_rows": "clean + sketch",
    "exact_group": "exact group-by",
    "band_rows": "band rows",
    "verify_group": "verify groups",
    "canonical_group": "canonical choice",
    "write_part": "write parts",
}


PER_GROUP = ("exact group-by", "verify groups", "canonical choice")


def frame_bytes(frame: Any) -> int:
    """Bytes of a pandas frame's values as Ray Data moves them (bytes/str by length, numbers by width)."""
    if isinstance(frame, list):
        return sum(len(r.get("text", "")) + len(r.get("record", "")) + 16 for r in frame)
    total = 0
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object or str(column.dtype).startswith(("string", "str")):
            total += sum(len(v) if isinstance(v, (bytes, str)) else 8 for v in column)
        else:
            total += column.dtype.itemsize * len(column)
    return total


def stage_timer(name: str, fn: Callable[..., Any], folder: str, run: str) -> Callable[..., Any]:
    """``fn`` with its calls, wall and thread CPU time and output size added up per process.

    The totals are written to ``folder/run-pid.json`` after every call of the functions called per
    batch, and at most every 0.05 s for those called per group (so the last < 0.05 s of a worker's
    group calls can be missing: well under 1% of their calls). The wrapper is pickled by value into Ray's workers with the lambdas of
    ``clean_with_ray`` that call it; the engine's code is not changed.
    """
    def timed(*args: Any, **kwargs: Any) -> Any:
        import sys as _sys
        import time as _time

        holder = _sys.modules.get("dedup") or _sys
        state = vars(holder).setdefault("_ray_scale_stages", {"last": 0.0, "totals": {}})
        wall, cpu = _time.perf_counter(), _time.thread_time()
        out = fn(*args, **kwargs)
        wall, cpu = _time.perf_counter() - wall, _time.thread_time() - cpu
        key = f"{run}|{name}"
        calls, w, c, rows, nbytes = state["totals"].get(key, (0, 0.0, 0.0, 0, 0))
        state["totals"][key] = (calls + 1, w + wall, c + cpu, rows + len(out), nbytes + frame_bytes(out))
        now = _time.monotonic()
        if name not in PER_GROUP or now - state["last"] >= 0.05 or calls == 0:
            state["last"] = now
            path = f"{folder}/{run}-{os.getpid()}.json"
            with open(path + ".tmp", "w") as handle:
                json.dump({k: v for k, v in state["totals"].items() if k.startswith(run + "|")}, handle)
            os.replace(path + ".tmp", path)
        return out

    return timed


def install_timers(engine: Any, folder: Path, run: str, originals: dict[str, Callable[..., Any]]) -> None:
    for name, stage in STAGES.items():
        setattr(engine, name, stage_timer(stage, originals[name], str(folder), run))


def collect_stages(folder: Path, run: str) -> dict[str, dict[str, float]]:
    stages: dict[str, dict[str, float]] = {}
    for path in folder.glob(f"{run}-*.json"):
        for key, (calls, wall, cpu, rows, nbytes) in json.loads(path.read_text()).items():
            row = stages.setdefault(key.split("|", 1)[1], {"calls": 0, "wall": 0.0, "cpu": 0.0, "rows": 0, "bytes": 0,
                                                           "processes": 0})
            for field, value in zip(("calls", "wall", "cpu", "rows", "bytes"), (calls, wall, cpu, rows, nbytes)):
                row[field] += value
            row["processes"] += 1
    return stages


class TreeCpu:
    """CPU seconds of this process and its descendants, sampled in the background (the last value seen per process)."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(SAMPLE_S):
            self.sample()

    def sample(self) -> float:
        for pid in descendants(os.getpid()):
            cpu = read_status(pid)[2]
            if cpu:
                self.seen[pid] = max(self.seen.get(pid, 0.0), cpu)
        return sum(self.seen.values())

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


def schema_keeping_to_pandas(ray: Any) -> None:
    """Work around a crash of ``clean_with_ray``: ``Dataset.to_pandas()`` of an empty dataset has no columns.

    The engine calls ``everything.filter(<errors>).to_pandas().sort_values("pos")``, which raises
    KeyError('pos') on any input without a malformed line (and ``edges.to_pandas()["a"]`` raises
    KeyError('a') on one without duplicates). Giving the empty frame its dataset's column names changes
    nothing else: the driver-side result of an empty dataset only. (Adding a malformed line instead is
    no way out: a batch holding one turns the block's integer columns to float64 and the run dies in Arrow.)
    """
    import pandas as pd

    original = ray.data.Dataset.to_pandas

    def to_pandas(self: Any, *args: Any, **kwargs: Any) -> Any:
        frame = original(self, *args, **kwargs)
        if len(frame.columns) == 0:
            schema = self.schema()
            if schema is not None:
                frame = pd.DataFrame({name: pd.Series(dtype=object) for name in schema.names})
        return frame

    ray.data.Dataset.to_pandas = to_pandas


def driver_memory() -> dict[str, int]:
    """VmRSS and VmHWM (KiB) of this process."""
    lines = Path("/proc/self/status").read_text().splitlines()
    return {k: int(v.split()[0]) for k, v in (l.split(":", 1) for l in lines) if k in ("VmRSS", "VmHWM")}


def ray_case(cpus: int, folder: Path, tiny: Path, out: Path, stage_dir: Path, edges: Path | None,
             probe_groups: int) -> dict[str, Any]:
    import ray

    schema_keeping_to_pandas(ray)

    from dedup.engine import ray_engine
    from dedup.engine.local import RunOptions

    options = RunOptions(id_key="id", show_progress=False, html=False)
    originals = {name: getattr(ray_engine, name) for name in STAGES}
    stage_dir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"cpus": cpus}
    tree = TreeCpu()

    start = time.perf_counter()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, object_store_memory=OBJECT_STORE)
    result["init"] = time.perf_counter() - start
    result["init_cpu"] = tree.sample()

    install_timers(ray_engine, stage_dir, "tiny", originals)
    before = tree.sample()
    start = time.perf_counter()
    tiny_summary = ray_engine.clean_with_ray([tiny], out.parent / f"{out.name}-tiny", options)
    result["tiny"] = {"wall": time.perf_counter() - start, "documents": tiny_summary.documents,
                      "cpu": tree.sample() - before, "driver": driver_memory()}

    install_timers(ray_engine, stage_dir, "main", originals)
    report: dict[str, Any] = {}
    write_report = ray_engine._write_ray_report

    def timed_report(*args: Any) -> Any:
        report["rss_before_kb"] = driver_memory()["VmRSS"]
        begin = clock()
        try:
            return write_report(*args)
        finally:
            report["wall"], report["cpu"] = since(begin)
            report["hwm_after_kb"] = driver_memory()["VmHWM"]

    ray_engine._write_ray_report = timed_report
    before = tree.sample()
    cpu0 = time.process_time()
    start = time.perf_counter()
    summary = ray_engine.clean_with_ray(corpus_files(folder), out, options)
    result["wall"] = time.perf_counter() - start
    result["driver_cpu"] = time.process_time() - cpu0
    result["cpu"] = tree.sample() - before
    result["driver"] = driver_memory()
    result["report"] = report
    result["summary"] = {"documents": summary.documents, "duplicates": summary.duplicates, "clusters": summary.clusters,
                         "errors": len(summary.errors), "parts": len(summary.parts)}
    time.sleep(0.5)  # let the workers' last timer files land
    result["stages"] = collect_stages(stage_dir, "main")

    if probe_groups:
        result["probe"] = map_groups_probe(ray, tree, probe_groups)
    if edges is not None:
        result["star"] = star_check(ray, ray_engine, edges)
    tree.close()
    ray.shutdown()
    result["driver_maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result


def map_groups_probe(ray: Any, tree: TreeCpu, groups: int) -> dict[str, Any]:
    """CPU per group of Ray Data's ``groupby().map_groups()`` with a function that does nothing.

    The engine's band-key group-by has one group per distinct band key: almost one per (document,
    band), most of a single row. Two sizes, so the fixed cost of the shuffle cancels out.
    """
    import pandas as pd

    found = []
    for n in (groups // 10, groups):
        frame = pd.DataFrame({"k": (np.arange(n, dtype=np.int64) * 0x9E3779B1) % (1 << 40), "v": np.arange(n)})
        before = tree.sample()
        start = time.perf_counter()
        count = ray.data.from_pandas(frame).groupby("k").map_groups(lambda g: g, batch_format="pandas").count()
        found.append({"groups": n, "rows": count, "wall": time.perf_counter() - start, "cpu": tree.sample() - before})
    small, large = found
    return {"runs": found, "ms_per_group": (large["cpu"] - small["cpu"]) / (large["groups"] - small["groups"]) * 1000}


def star_check(ray: Any, engine: Any, edges_path: Path) -> dict[str, Any]:
    """The distributed components (what runs past 2M edges) on the corpus's verified edges, against scipy."""
    import pandas as pd

    from dedup.decide.clusters import components
    from dedup.match.documents import DocumentMatch
    from dedup.model import RemovalKind

    edges = np.load(edges_path)
    if not len(edges):
        return {"edges": 0}
    materialize = ray.data.Dataset.materialize
    calls = {"n": 0}

    def counted(self: Any) -> Any:
        calls["n"] += 1
        return materialize(self)

    ray.data.Dataset.materialize = counted
    try:
        start = time.perf_counter()
        labels = engine.star_components(ray.data.from_pandas(pd.DataFrame({"a": edges[:, 0], "b": edges[:, 1]}))).to_pandas()
        wall = time.perf_counter() - start
    finally:
        ray.data.Dataset.materialize = materialize
    nodes, inverse = np.unique(edges.ravel(), return_inverse=True)
    inverse = inverse.reshape(-1, 2)
    local = components(len(nodes), [DocumentMatch(int(a), int(b), RemovalKind.NEAR, 1.0) for a, b in inverse])
    smallest = pd.Series(nodes).groupby(local).transform("min").to_numpy()
    expected = dict(zip(nodes.tolist(), smallest.tolist()))
    got = dict(zip(labels["pos"].tolist(), labels["comp"].tolist()))
    return {"edges": int(len(edges)), "nodes": int(len(nodes)), "components": int(len(set(expected.values()))),
            "rounds": calls["n"], "wall": wall, "equal": got == expected}


# --- 4. the single-machine engine ---------------------------------------------------------------------------------


def local_case(jobs: int, folder: Path, out: Path) -> dict[str, Any]:
    from dedup.engine.local import RunOptions, clean_paths

    cpu0 = time.process_time()
    start = time.perf_counter()
    summary = clean_paths(corpus_files(folder), out, RunOptions(id_key="id", jobs=jobs, show_progress=False, html=False))
    wall = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"jobs": jobs, "wall": wall, "driver_cpu": time.process_time() - cpu0,
            "cpu": time.process_time() - cpu0 + children.ru_utime + children.ru_stime,
            "summary": {"documents": summary.documents, "duplicates": summary.duplicate, "clusters": summary.clusters,
                        "errors": len(summary.errors)},
            "driver_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


# --- 5. Ray output = local output ---------------------------------------------------------------------------------


def kept_of(kind: str, path: Path) -> Iterator[dict[str, Any]]:
    if kind == "ray":
        from dedup.engine.ray_engine import kept_lines

        yield from kept_lines(path)
    else:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)


def report_of(kind: str, path: Path) -> dict[str, Any]:
    return json.loads((path / "report.json" if kind == "ray" else Path(f"{path}.report.json")).read_text(encoding="utf-8"))


def compare_case(kind_a: str, path_a: Path, kind_b: str, path_b: Path) -> dict[str, Any]:
    """Kept documents (whole records; ids and texts), statuses and clusters of two runs."""
    kept = same_records = same_id_text = 0
    differing: list[str] = []
    a_iter, b_iter = kept_of(kind_a, path_a), kept_of(kind_b, path_b)
    sentinel = object()
    while True:
        a, b = next(a_iter, sentinel), next(b_iter, sentinel)
        if a is sentinel and b is sentinel:
            break
        kept += 1
        if a is sentinel or b is sentinel:
            differing.append("(different numbers of kept documents)")
            break
        same_records += a == b
        same_id_text += (a.get("id"), a.get("text")) == (b.get("id"), b.get("text"))
        if a != b and len(differing) < 5:
            differing.append(f"{a.get('id')} vs {b.get('id')}: " + ", ".join(
                sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))))
    ra, rb = report_of(kind_a, path_a), report_of(kind_b, path_b)

    def statuses(report: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(d["id"], d["status"], d["duplicate_of"], d["duplicate_kind"], d["similarity"], d["chars_removed"])
                for d in report["documents"]]

    def clusters(report: dict[str, Any]) -> list[tuple[Any, ...]]:
        return sorted((c["canonical"], tuple(sorted((m["id"], m["kind"], m["similarity"]) for m in c["members"])))
                      for c in report["clusters"])

    return {"kept": kept, "same_records": same_records, "same_id_text": same_id_text, "differing": differing,
            "same_statuses": statuses(ra) == statuses(rb), "same_clusters": clusters(ra) == clusters(rb),
            "documents": len(ra["documents"]), "clusters": len(ra["clusters"])}


# --- driver -------------------------------------------------------------------------------------------------------


def versions() -> str:
    found = []
    for package in ("ray", "pandas", "pyarrow", "polars", "numpy", "datasketch"):
        try:
            found.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{package} not installed")
    return ", ".join(found)


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True).stdout.strip()

    commit = (git("rev-parse", "--short", "HEAD") or "unknown commit") + (
        " + uncommitted changes in dedup/" if git("status", "--porcelain", "dedup") else "")
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{datetime.date.today().isoformat()}, {model}, nproc {os.cpu_count()}, {ram:.0f} GiB RAM, no swap, "
            f"Python {platform.python_version()}, {versions()}, dedup at {commit}")


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def predicted_ray_one_cpu(percore: dict[str, Any], docs: int) -> float:
    """Wall seconds of the 1-worker-CPU Ray run on ``docs`` documents, predicted before running it.

    RAY_CPU_S_PER_DOC is the CPU a Ray run spent per document in the --quick runs on this machine
    (2026-11-24: 28 ms at 10k documents, ten times the cleaning and sketching); with one worker CPU
    the run gets about one core, slowed by the machine's load as the per-core case saw it (wall/CPU).
    """
    stretch = max(1.0, percore["sketch"]["wall"] / max(percore["sketch"]["cpu"], 1e-9))
    return docs * RAY_CPU_S_PER_DOC * stretch + 45


def run(args: argparse.Namespace, log: Callable[[str], None]) -> dict[str, Any]:
    quick = args.quick
    docs = args.docs or (QUICK_DOCS if quick else FULL_DOCS)
    results: dict[str, Any] = {"machine": machine(), "load_start": load_average(), "quick": quick, "started": time.time()}
    with tempfile.TemporaryDirectory(prefix="dedup-ray-scale-") as tmp:
        work = Path(tmp)
        corpus = write_corpus(docs, work / f"corpus-{docs}")
        results["percore_corpus"] = corpus
        log(f"corpus: {docs:,} documents, {corpus['bytes'] / MB:.1f} MB in {corpus['seconds']:.0f} s")
        prefixes = (docs // 10, docs * 3 // 10, docs)
        percore = run_case(["--percore-case", corpus["folder"], str((5 if quick else 20) * MB),
                            ",".join(map(str, prefixes)), str(work / "edges.npy")])
        results["percore"] = percore
        log(f"per-core rates done ({percore['tree']['cpu']:.0f} CPU s)")

        e2e = corpus
        predicted = predicted_ray_one_cpu(percore, docs)
        results["predicted_one_core"] = predicted
        if not quick and not args.docs and predicted > CONFIG_LIMIT_S:
            e2e = write_corpus(FALLBACK_DOCS, work / f"corpus-{FALLBACK_DOCS}")
            results["predicted_fallback"] = predicted_ray_one_cpu(percore, FALLBACK_DOCS)
            log(f"Ray 1-CPU run predicted at {predicted / 60:.0f} min: end to end on {FALLBACK_DOCS:,} documents "
                f"(predicted {results['predicted_fallback'] / 60:.0f} min)")
        results["e2e_corpus"] = e2e
        results["fallback"] = e2e is not corpus
        folder = Path(e2e["folder"])
        tiny = work / "tiny" / "tiny.jsonl"
        write_tiny(folder, tiny, TINY_DOCS)

        runs: dict[str, Any] = {}
        for cpus in (2, 1):
            log(f"ray, {cpus} CPU(s) ... (load {load_average()})")
            edges = ["--edges", str(work / "edges.npy"), "--probe", str(5_000 if quick else 20_000)] if cpus == 2 else []
            runs[f"ray{cpus}"] = run_case(["--ray-case", str(cpus), str(folder), str(tiny), str(work / f"ray{cpus}"),
                                           str(work / f"stages{cpus}"), *edges])
            runs[f"ray{cpus}"]["load"] = load_average()
            log(f"ray, {cpus} CPU(s): {runs[f'ray{cpus}']['wall']:.0f} s")
        for jobs in (2, 1):
            log(f"local, jobs={jobs} ... (load {load_average()})")
            runs[f"local{jobs}"] = run_case(["--local-case", str(jobs), str(folder), str(work / f"local{jobs}.jsonl")])
            runs[f"local{jobs}"]["load"] = load_average()
            log(f"local, jobs={jobs}: {runs[f'local{jobs}']['wall']:.0f} s")
        results["runs"] = runs

        comparisons = {}
        for a, b in (("ray2", "local2"), ("ray1", "local2"), ("local1", "local2")):
            kind = lambda name: "ray" if name.startswith("ray") else "local"  # noqa: E731
            path = lambda name: work / (name if name.startswith("ray") else f"{name}.jsonl")  # noqa: E731
            comparisons[f"{a} vs {b}"] = run_case(["--compare-case", kind(a), str(path(a)), kind(b), str(path(b))])
        results["comparisons"] = comparisons
        log("comparisons done")
    results["load_end"] = load_average()
    results["minutes"] = (time.time() - results["started"]) / 60
    return results


# --- 6. rendering and the plan ------------------------------------------------------------------------------------


def rate(nbytes: float, seconds: float) -> float:
    return nbytes / MB / seconds if seconds else float("nan")


def mib(kb: float) -> str:
    return f"{kb / 1024:,.0f} MiB"


def si(value: float, unit: str = "B") -> str:
    for factor, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.1f} {prefix}{unit}"
    return f"{value:.0f} {unit}"


def rates(results: dict[str, Any]) -> dict[str, float]:
    """The per-core rates the plan uses (MB/s on thread CPU time; µs per document or pair)."""
    p = results["percore"]
    clean_bytes = sum(p["clean"][k][1] for k in ("ja", "en"))
    clean_cpu = sum(p["clean"][k][3] for k in ("ja", "en"))
    n = p["sketch"]["docs"]
    last = p["growth"][-1]
    return {
        "clean": rate(clean_bytes, clean_cpu),
        "clean_ja": rate(p["clean"]["ja"][1], p["clean"]["ja"][3]),
        "clean_en": rate(p["clean"]["en"][1], p["clean"]["en"][3]),
        "sketch": rate(p["sketch"]["bytes"], p["sketch"]["cpu"]),
        "sketch_ja": rate(p["sketch_by_lang"]["ja"]["bytes"], p["sketch_by_lang"]["ja"]["cpu"]),
        "sketch_en": rate(p["sketch_by_lang"]["en"]["bytes"], p["sketch_by_lang"]["en"]["cpu"]),
        "bands_us": p["band_keys"]["cpu"] / n * 1e6,
        "near_us": p["near"]["cpu"] / n * 1e6,
        "candidates_us": p["candidates"]["cpu"] / n * 1e6,
        "verify_us_pair": max(p["near"]["cpu"] - p["candidates"]["cpu"], 0.0) / max(p["candidates"]["pairs"], 1) * 1e6,
        "verify_np_us_pair": last["verify_cpu"] / max(last["distinct"], 1) * 1e6,
    }


def marginal(run: dict[str, Any], docs: int) -> float:
    """CPU seconds per document of a Ray run beyond its fixed cost (the small run's CPU taken off)."""
    return (run["cpu"] - run["tiny"]["cpu"]) / (docs - run["tiny"]["documents"])


def e2e_rows(results: dict[str, Any]) -> list[str]:
    corpus = results["e2e_corpus"]
    docs, nbytes = corpus["docs"], corpus["bytes"]
    rows = ["| run | wall | docs/s | MB/s | CPU s of the run | CPU ms per document (beyond fixed cost) | "
            "peak RSS, largest process (wait4) | largest Ray process | peak RSS / PSS summed over the tree | processes | "
            "load avg (1 min) after |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    names = {"ray1": "Ray, 1 worker CPU", "ray2": "Ray, 2 worker CPUs", "local1": "local, jobs=1", "local2": "local, jobs=2"}
    for key in ("ray1", "ray2", "local1", "local2"):
        r = results["runs"][key]
        per_doc = marginal(r, docs) if key.startswith("ray") else r["cpu"] / docs
        other = mib(r["tree"]["largest_other_rss_kb"]) if key.startswith("ray") else "—"
        rows.append(
            f"| {names[key]} | {r['wall']:.0f} s | {docs / r['wall']:,.0f} | {rate(nbytes, r['wall']):.2f} | {r['cpu']:,.0f} | "
            f"{per_doc * 1000:.1f} | {mib(r['rusage']['maxrss_kb'])} | {other} | {mib(r['tree']['peak_rss_kb'])} / "
            f"{mib(r['tree']['peak_pss_kb'])} | {r['tree']['processes']} | {r['load'].split(',')[0]} |")
    return rows


def stage_rows(results: dict[str, Any]) -> list[str]:
    rows = ["| stage (engine function) | calls | CPU s, 2 CPUs | CPU s, 1 CPU | rows out | MB out | bytes out per document |",
            "|---|--:|--:|--:|--:|--:|--:|"]
    docs = results["e2e_corpus"]["docs"]
    two, one = results["runs"]["ray2"], results["runs"]["ray1"]
    names = {v: k for k, v in STAGES.items()}
    totals = {"ray2": 0.0, "ray1": 0.0}
    for stage in STAGES.values():
        a, b = two["stages"].get(stage), one["stages"].get(stage)
        if not a:
            continue
        totals["ray2"] += a["cpu"]
        totals["ray1"] += b["cpu"] if b else 0.0
        rows.append(f"| {stage} (`{names[stage]}`) | {a['calls']:,} | {a['cpu']:.1f} | {b['cpu'] if b else float('nan'):.1f} | "
                    f"{a['rows']:,} | {a['bytes'] / MB:,.1f} | {a['bytes'] / docs:,.0f} |")
    report = {k: results["runs"][k].get("report", {}).get("cpu", 0.0) for k in ("ray2", "ray1")}
    rows.append(f"| report.json on the driver (`_write_ray_report`) | 1 | {report['ray2']:.1f} | {report['ray1']:.1f} | | | |")
    rest = {k: results["runs"][k]["cpu"] - totals[k] - report[k] for k in ("ray2", "ray1")}
    rows.append(f"| everything else: Ray Data around the functions (per-group slicing and pandas conversion, shuffles, "
                f"joins, sort, scheduling), the driver, Ray's own processes | | {rest['ray2']:.1f} | {rest['ray1']:.1f} | | | |")
    rows.append(f"| **whole run** (CPU of every process during `clean_with_ray`) | | **{two['cpu']:.1f}** | **{one['cpu']:.1f}** | | | |")
    return rows


def plan(results: dict[str, Any]) -> dict[str, Any]:
    """The 1-billion-document plan's numbers; the README states each formula."""
    r = rates(results)
    p, e2e, ray2 = results["percore"], results["e2e_corpus"], results["runs"]["ray2"]
    params = p["params"]
    bands = params["bands"]
    sig_bytes = params["num_perm"] * (4 if params["scheme"] == "affine32" else 8)
    N, S = TARGET_DOCS, TARGET_DOC_BYTES
    d_mb = N * S / MB
    docs, avg = e2e["docs"], e2e["bytes"] / e2e["docs"]
    n100 = p["sketch"]["docs"]
    last = p["growth"][-1]
    x: dict[str, Any] = {"rates": r, "bands": bands, "rows": params["rows"], "sig_bytes": sig_bytes, "d_mb": d_mb,
                         "avg": avg, "n_percore": n100}
    # the embarrassingly parallel part, and a lower bound for any engine
    x["clean_h"] = d_mb / r["clean"] / 3600
    x["sketch_h"] = d_mb / r["sketch"] / 3600
    x["core_h"] = x["clean_h"] + x["sketch_h"]
    x["bands_h"] = N * r["bands_us"] / 1e6 / 3600
    x["candidates_per_doc"] = last["distinct"] / last["docs"]
    x["instances_per_doc"] = last["instances"] / last["docs"]
    x["verify_h"] = N * x["candidates_per_doc"] * r["verify_np_us_pair"] / 1e6 / 3600
    x["lower_h"] = x["core_h"] + x["bands_h"] + x["verify_h"]
    # the Ray engine as written, from the 2-CPU run
    stages = ray2["stages"]
    cs = stages.get("clean + sketch", {"cpu": 0.0, "bytes": 0, "rows": 0})
    x["ray_cs_per_mb"] = cs["cpu"] / (e2e["bytes"] / MB)
    x["ray_marginal"] = marginal(ray2, docs)
    x["ray_rest_per_doc"] = x["ray_marginal"] - cs["cpu"] / docs
    x["ray_h"] = N * (x["ray_cs_per_mb"] * S / MB + x["ray_rest_per_doc"]) / 3600
    grouped = [stages.get(k, {"calls": 0, "cpu": 0.0}) for k in ("verify groups", "exact group-by", "canonical choice")]
    x["groups_per_doc"] = sum(g["calls"] for g in grouped) / docs
    x["probe_ms"] = ray2.get("probe", {}).get("ms_per_group", float("nan"))
    x["group_per_doc"] = x["groups_per_doc"] * x["probe_ms"] / 1000 + sum(g["cpu"] for g in grouped) / docs
    x["group_share"] = x["group_per_doc"] / x["ray_rest_per_doc"] if x["ray_rest_per_doc"] > 0 else float("nan")
    # shuffles
    band = stages.get("band rows", {"rows": 0, "bytes": 0})
    x["band_row"] = band["bytes"] / max(band["rows"], 1)
    x["band_rows_per_doc"] = band["rows"] / docs
    x["shuffle_band"] = N * x["band_rows_per_doc"] * (x["band_row"] + 4)
    x["shuffle_band_slim"] = N * x["band_rows_per_doc"] * 16
    x["shuffle_exact"] = N * 16
    fixed = sig_bytes + 8 * 8  # the signature and the integer columns do not grow with the text
    x["processed_per_doc"] = (cs["bytes"] / docs - fixed) * S / avg + fixed
    x["shuffle_rows"] = 2 * N * x["processed_per_doc"]
    x["shuffle_total"] = x["shuffle_band"] + x["shuffle_exact"] + x["shuffle_rows"]
    # edges and components
    x["verified_per_doc"] = (p["exact"]["pairs"] + p["near"]["pairs"]) / n100
    x["edge_rows_per_doc"] = (stages.get("verify groups", {}).get("rows", 0) + stages.get("exact group-by", {}).get("rows", 0)) / docs
    x["edge_rows"] = N * x["edge_rows_per_doc"]
    x["false_ratio"] = (last["distinct"] - last["verified"]) / max(last["verified"], 1)
    star = ray2.get("star") or {}
    x["rounds_measured"] = star.get("rounds")
    x["rounds_bound"] = math.ceil(math.log2(N))
    x["round_bytes"] = 4 * 2 * x["edge_rows"] * 16
    # the example cluster
    x["cores"] = NODES * NODE_CORES
    x["wall_lower"] = x["lower_h"] / x["cores"]
    x["wall_ray"] = x["ray_h"] / x["cores"]
    x["cost_lower"] = x["lower_h"] * PRICE_PER_CORE_HOUR
    x["cost_ray"] = x["ray_h"] * PRICE_PER_CORE_HOUR
    # memory
    report = ray2.get("report", {})
    growth_kb = max(report.get("hwm_after_kb", 0) - report.get("rss_before_kb", 0), 0)
    x["driver_report_kb"] = growth_kb
    x["driver_per_doc"] = growth_kb * 1024 / docs
    x["worker_rss_kb"] = ray2["tree"]["largest_other_rss_kb"]
    return x


def render(results: dict[str, Any]) -> str:
    corpus, e2e = results["percore_corpus"], results["e2e_corpus"]
    p, runs = results["percore"], results["runs"]
    r = rates(results)
    x = plan(results)
    ray1, ray2, local1, local2 = runs["ray1"], runs["ray2"], runs["local1"], runs["local2"]
    docs = e2e["docs"]
    lines = [SECTION, ""]
    lines += [
        f"Run from the repository root (about {results['minutes']:.0f} minutes on 2 shared cores; `--quick`: 10k documents, "
        f"about 10 minutes):",
        "",
        "```",
        ".venv/bin/python benchmarks/ray_scale.py                 # print the section",
        ".venv/bin/python benchmarks/ray_scale.py --write-readme  # and refresh it here",
        ".venv/bin/python benchmarks/ray_scale.py --save r.json   # keep the raw figures; --from-saved r.json renders them again",
        "```",
        "",
        f"Machine: {results['machine']}; load average {results['load_start']} at start, {results['load_end']} at the end. "
        f"The machine is shared with other jobs: wall times are inflated by them, CPU times much less, so the plan uses CPU times.",
        "",
    ]
    dup = ", ".join(f"{k} {v:,}" for k, v in corpus["duplicates"].items())
    lines.append(
        f"Corpus: {corpus['docs']:,} documents from {corpus['source']}, {corpus['bytes'] / MB:.1f} MB of text "
        f"({corpus['bytes'] / corpus['docs'] / 1000:.2f} KB average, 1-8 KB; Japanese {corpus['by_lang']['ja']:,} documents / "
        f"{corpus['bytes_by_lang']['ja'] / MB:.0f} MB, English {corpus['by_lang']['en']:,} / {corpus['bytes_by_lang']['en'] / MB:.0f} MB), "
        f"planned duplicates: {dup}; written as {FILES} JSONL files of contiguous documents.")
    if results["fallback"]:
        lines.append("")
        lines.append(
            f"**End to end on {docs:,} documents, not {corpus['docs']:,.0f}.** The Ray engine spends ~{RAY_CPU_S_PER_DOC * 1000:.0f} ms "
            f"of CPU per document (§1-2), so the 1-worker-CPU run on {corpus['docs']:,} documents was predicted at "
            f"{results['predicted_one_core'] / 60:.0f} minutes (limit: ~{CONFIG_LIMIT_S // 60} minutes per configuration); on "
            f"{docs:,} it was predicted at {results.get('predicted_fallback', 0) / 60:.0f} and took {ray1['wall'] / 60:.0f}. The per-core "
            f"rates (§3) are on all {corpus['docs']:,} documents. End-to-end corpus: {docs:,} documents, {e2e['bytes'] / MB:.1f} MB, "
            f"same generator and mix.")
    lines += [
        "",
        "Workaround in this benchmark: at this commit `clean_with_ray` crashes on any input without a malformed line "
        "(`KeyError: 'pos'`: `Dataset.to_pandas()` of the empty error set has no columns) and on any input without duplicates "
        "(`KeyError: 'a'`, same cause); an input *with* a malformed line crashes too as soon as that line shares a block with "
        "more than one batch of good documents (its batch's integer columns become float64 and Arrow refuses to concatenate "
        "the 64-bit keys, `ArrowInvalid`). So the Ray runs here replace `ray.data.Dataset.to_pandas` in the benchmark's own "
        "process by one that gives an empty result its dataset's column names; nothing else of Ray or the engine is changed, "
        "and the corpus has no malformed lines.",
        "",
    ]

    lines += ["### 1. End to end", ""]
    lines.append(
        f"`clean_with_ray(files, out, RunOptions(id_key=\"id\", show_progress=False, html=False))` after "
        f"`ray.init(num_cpus=N, include_dashboard=False, log_to_driver=False, object_store_memory={OBJECT_STORE // 2**30} GiB)`, "
        f"and `clean_paths(files, out.jsonl, RunOptions(id_key=\"id\", jobs=N, show_progress=False, html=False))`, each in a "
        f"fresh interpreter, on {docs:,} documents / {e2e['bytes'] / MB:.1f} MB. Wall: the `clean_with_ray` / `clean_paths` call "
        f"alone (Ray: after `ray.init` and a small run, below). CPU: user+system time of every process of the run (driver, Ray's "
        f"GCS, raylet and workers; the local engine's pool), sampled from /proc every {SAMPLE_S} s, during the call only. CPU per "
        f"document for Ray leaves out the fixed cost (the small run's CPU). Peak RSS, largest process: `ru_maxrss` of the "
        f"subprocess from wait4 (it and the descendants it reaped; for Ray that is the driver); largest Ray process: peak RSS of any "
        f"other process of the tree (a worker, the raylet or the GCS). Summed over the tree: peak of the sampled sums; RSS counts "
        f"Ray's shared-memory object store once per process that maps it, PSS shares it out, so PSS is the real footprint.")
    lines += [""] + e2e_rows(results) + [""]
    ray_ms, local_ms = marginal(ray2, docs) * 1000, local1["cpu"] / docs * 1000
    lines.append(
        f"Ray with 2 worker CPUs vs 1: **{ray1['wall'] / ray2['wall']:.2f}×** in wall time (local engine, jobs=2 vs 1: "
        f"{local1['wall'] / local2['wall']:.2f}×). On this 2-core machine the driver, raylet and GCS share the two cores with "
        f"the workers and with the other jobs on the machine, so neither can reach 2×, and the '1 worker CPU' run uses more than "
        f"one core in total (the driver works between Ray Data executions). The Ray engine spends **{ray_ms:.0f} ms of CPU per "
        f"document** against {local_ms:.1f} ms for the local engine on one core: **{ray_ms / local_ms:.0f}× the work** for the "
        f"same output; §2 shows where it goes.")
    lines.append("")
    lines.append(
        f"Fixed costs of Ray, measured: `ray.init` {ray2['init']:.1f} s (2 CPUs) / {ray1['init']:.1f} s (1 CPU); a whole "
        f"`clean_with_ray` run of {ray2['tiny']['documents']} documents (one file, with one exact copy) after that: "
        f"{ray2['tiny']['wall']:.0f} s / {ray1['tiny']['wall']:.0f} s wall, {ray2['tiny']['cpu']:.0f} / {ray1['tiny']['cpu']:.0f} CPU s. "
        f"That is the floor of any run: about fifteen Ray Data executions (the map, group-bys with hash shuffles of 2 × CPUs "
        f"partitions, two joins, a sort, materialisations), each with scheduling and start-up latency. It is "
        f"{ray2['tiny']['wall'] / ray2['wall'] * 100:.0f}% of the 2-CPU run at {docs:,} documents and negligible on a cluster "
        f"run of hours.")
    lines.append("")

    lines += ["### 2. Where a Ray run's CPU goes", ""]
    lines.append(
        "CPU time (thread time) inside each of the engine's functions, summed over the worker processes: timers wrapped "
        "around `dedup.engine.ray_engine`'s functions in the benchmark's process only (the wrappers travel to the workers "
        "inside `clean_with_ray`'s lambdas; the engine is unchanged). Rows and MB out: what each function returns, i.e. what "
        "Ray Data carries to the next stage (bytes and strings by length, numbers by width); the band rows are the input of "
        "the band-key group-by's shuffle. Calls are from the 2-CPU run.")
    lines += [""] + stage_rows(results) + [""]
    cs = ray2["stages"].get("clean + sketch")
    probe = ray2.get("probe")
    if cs:
        lines.append(
            f"Cleaning and sketching inside Ray: {rate(e2e['bytes'], cs['cpu']):.2f} MB/s per core (the two measured alone on "
            f"one core, §3: {1 / (1 / r['clean'] + 1 / r['sketch']):.2f} MB/s). Everything else costs "
            f"{x['ray_rest_per_doc'] * 1000:.0f} ms per document. Most of it is per *group*: the band-key group-by makes one "
            f"group per distinct band key, nearly one per (document, band) and almost all of a single row, and the exact-key "
            f"group-by one per document: {x['groups_per_doc']:.1f} groups per document in all.")
        if probe:
            lines.append(
                f"Measured separately in the same Ray instance, `groupby().map_groups()` with a function that does nothing "
                f"costs **{probe['ms_per_group']:.2f} ms of CPU per group** (the slope between {probe['runs'][0]['groups']:,} "
                f"and {probe['runs'][1]['groups']:,} single-row groups); with the work inside `verify_group` (it sorts and "
                f"de-duplicates a pandas frame per group) and the other group functions, that is {x['group_per_doc'] * 1000:.0f} ms "
                f"per document, {x['group_share'] * 100:.0f}% of the 'everything else'. The rest is the shuffles, joins and sort.")
    lines.append("")
    star = ray2.get("star")
    if star and star.get("edges"):
        lines.append(
            f"Distributed connected components, checked separately: the engine takes scipy on the driver up to 2M edges "
            f"(every run here), and `star_components` (large-star/small-star group-bys) past that. On the {star['edges']:,} "
            f"verified edges of the {x['n_percore']:,}-document corpus ({star['nodes']:,} documents in "
            f"{star['components']:,} components), `star_components` took {star['rounds']} rounds and {star['wall']:.0f} s on 2 "
            f"CPUs; its labels are {'**equal** to' if star['equal'] else '**different from**'} scipy's.")
        lines.append("")

    lines += ["### 3. Per-core rates (one process, one core, no Ray)", ""]
    cl = p["clean"]
    cb = cl["ja"][1] + cl["en"][1]
    n = p["sketch"]["docs"]
    lines += [
        f"On the {n:,}-document corpus, thread CPU time.",
        "",
        "| measure | input | CPU s | rate |",
        "|---|--:|--:|--:|",
        f"| within-document cleaning, `clean_document` (the first {cb / MB:.0f} MB of the corpus) | {cl['ja'][0] + cl['en'][0]:,} docs, "
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
        f"| LSH candidates + verification, `near_matches` (datasketch MinHashLSH, as the local engine) | {n:,} sketches | "
        f"{p['near']['cpu']:.1f} | **{r['near_us']:.0f} µs per document**; {p['near']['pairs']:,} verified pairs |",
        f"| — of which candidates, `lsh_candidates` alone | | {p['candidates']['cpu']:.1f} | {p['candidates']['pairs']:,} candidate "
        f"pairs ({p['candidates']['pairs'] / n:.3f} per document) |",
        f"| — of which verification (the difference of two timings: noisy) | | "
        f"{max(p['near']['cpu'] - p['candidates']['cpu'], 0):.1f} | {r['verify_us_pair']:.1f} µs per candidate pair |",
        f"| verification vectorised (numpy, all candidate pairs at once) | {p['growth'][-1]['distinct']:,} pairs | "
        f"{p['growth'][-1]['verify_cpu']:.3f} | {r['verify_np_us_pair']:.2f} µs per pair |",
        "",
        f"Signatures are timed on the raw text (the engine sketches the cleaned text; these generated documents lose little to "
        f"cleaning). Cleaning is the expensive step, {r['sketch'] / r['clean']:.1f}× slower than signatures. Peak RSS of this "
        f"process: {mib(p['hwm_kb'])} (the {n:,} sketches plus datasketch's LSH).",
        "",
        "LSH candidates as the corpus grows, from the band keys (what `band_rows` + the group-by + `verify_group` do), "
        "counted with numpy on prefixes of the same sketches (exact copies after the first left out, as the engines do):",
        "",
        "| documents | (pair, band) instances = verifications the Ray engine does | distinct candidate pairs | verified | "
        "not verified (LSH false positives) | largest bucket |",
        "|--:|--:|--:|--:|--:|--:|",
    ]
    for g in p["growth"]:
        lines.append(f"| {g['docs']:,} | {g['instances']:,} ({g['instances'] / g['docs']:.3f} per document) | {g['distinct']:,} | "
                     f"{g['verified']:,} | {g['distinct'] - g['verified']:,} | {g['largest']:,} |")
    last = p["growth"][-1]
    same = last["verified"] == p["near"]["pairs"] and last["distinct"] == p["candidates"]["pairs"]
    lines += [
        "",
        f"At {last['docs']:,} documents the band keys give {last['distinct']:,} distinct candidates and {last['verified']:,} "
        f"verified pairs; datasketch gives {p['candidates']['pairs']:,} and `near_matches` {p['near']['pairs']:,}"
        + (" — the same." if same else " (band-key folding and datasketch's byte keys differ only by 64-bit collisions; a "
           "difference needs a look)."),
        f"Verified pairs grow linearly with the corpus (the planted ~10%); the false positives grow about quadratically "
        f"because this generator recombines a few hundred sentences, so unrelated documents share whole sentences "
        f"(Jaccard 0.3-0.7 is common between them). Real text is far less self-similar; the plan does not extrapolate that term.",
        "",
    ]

    lines += ["### 4. Ray output = local output", ""]
    for name, c in results["comparisons"].items():
        ok = c["same_records"] == c["kept"] and not c["differing"] and c["same_statuses"] and c["same_clusters"]
        lines.append(
            f"- {name.replace('ray', 'Ray ').replace('local', 'local jobs=').replace('Ray 1', 'Ray 1 CPU').replace('Ray 2', 'Ray 2 CPUs')}: "
            f"{c['kept']:,} kept documents, {c['same_id_text']:,} with the same id and text at the same place, "
            f"{c['same_records']:,} with the whole output record equal; status, duplicate_of, kind and similarity of all "
            f"{c['documents']:,} documents {'equal' if c['same_statuses'] else '**different**'}; {c['clusters']:,} clusters "
            f"{'equal' if c['same_clusters'] else '**different**'}: **{'identical' if ok else 'NOT identical'}**"
            + (f" (first differences: {'; '.join(c['differing'])})" if c["differing"] else "") + ".")
    lines.append("")

    lines += plan_lines(results, x)
    return "\n".join(lines).rstrip() + "\n"


def plan_lines(results: dict[str, Any], x: dict[str, Any]) -> list[str]:
    r = x["rates"]
    e2e, ray2 = results["e2e_corpus"], results["runs"]["ray2"]
    N = TARGET_DOCS
    cores = x["cores"]
    star_rounds = x["rounds_measured"]
    eff = 0.7
    lines = [
        "### 5. Plan: 1 billion documents on a cluster", "",
        f"Assumptions: N = 10⁹ documents of S = {TARGET_DOC_BYTES / 1000:.0f} KB on average, so D = N·S = "
        f"{x['d_mb'] / 1e6:.0f} TB of text; the Japanese/English mix and the near-duplicate share of this corpus (~10%; crawls "
        f"often have more); default parameters ({x['bands']} bands × {x['rows']} rows of a 128-permutation signature, "
        f"{x['sig_bytes']} bytes). A core is one vCPU like this machine's. **Measured**: the per-core rates (§3), the Ray "
        f"engine's CPU per document and per group, and the bytes per row (§1-2). **Extrapolated**: every figure at 10⁹, "
        f"linearly per document except where said.", "",
        "| quantity | formula (measured inputs) | at 10⁹ documents |",
        "|---|---|--:|",
        f"| cleaning | D / r_clean, r_clean = {r['clean']:.2f} MB/s per core | {x['clean_h']:,.0f} core-hours |",
        f"| signatures | D / r_sig, r_sig = {r['sketch']:.2f} MB/s per core | {x['sketch_h']:,.0f} core-hours |",
        f"| **cleaning + signatures** (embarrassingly parallel) | D × (1/r_clean + 1/r_sig) | **{x['core_h']:,.0f} core-hours** |",
        f"| band keys | N × {r['bands_us']:.2f} µs | {x['bands_h']:,.1f} core-hours |",
        f"| verification, vectorised | N × {x['candidates_per_doc']:.3f} candidate pairs per document × {r['verify_np_us_pair']:.2f} µs "
        f"| {x['verify_h']:,.2f} core-hours |",
        f"| **lower bound for any engine** | the three above | **{x['lower_h']:,.0f} core-hours** |",
        f"| **the Ray engine as written** | N × ({x['ray_cs_per_mb']:.2f} CPU s per MB × S + {x['ray_rest_per_doc'] * 1000:.0f} ms) "
        f"(cleaning + sketching inside Ray, plus the rest per document, from the 2-CPU run beyond its fixed cost) | "
        f"**{x['ray_h']:,.0f} core-hours** |",
        f"| — of which per-group overhead | N × {x['groups_per_doc']:.1f} groups × {x['probe_ms']:.2f} ms + the group functions | "
        f"{N * x['group_per_doc'] / 3600:,.0f} core-hours |",
        f"| band-row shuffle | N × {x['band_rows_per_doc']:.1f} rows × ({x['band_row']:.0f} B + 4 B Arrow offset): `band_rows` "
        f"emits bkey int64, pos int64, the {x['sig_bytes']}-byte signature and size int64 per (document, band) | {si(x['shuffle_band'])} |",
        f"| exact-key shuffle | N × 16 B (pos, exact) | {si(x['shuffle_exact'])} |",
        f"| processed-row shuffles | 2 × N × {x['processed_per_doc']:,.0f} B: every processed row (cleaned payload, report record, "
        f"signature) is hash-joined with the duplicates, then sorted by position (measured bytes per row, text part scaled "
        f"from {x['avg'] / 1000:.1f} to 4 KB) | {si(x['shuffle_rows'])} |",
        f"| **all shuffles** | | **{si(x['shuffle_total'])}** ({x['shuffle_total'] / (x['d_mb'] * MB):.1f}× the text) |",
        f"| verified pairs (edges) | N × {x['verified_per_doc']:.3f} per document (exact + near, measured) | "
        f"{N * x['verified_per_doc'] / 1e6:,.0f} M |",
        f"| edge rows out of the group-bys | N × {x['edge_rows_per_doc']:.2f}: a near pair is emitted once per band it shares "
        f"(up to {x['bands']}×) | {x['edge_rows'] / 1e9:,.1f} G rows, {si(x['edge_rows'] * 16)} |",
        f"| LSH false positives | {x['false_ratio'] * 100:.0f}% of the verified pairs at {x['n_percore']:,} documents (grows "
        f"with N in this synthetic corpus, see §3; assumed to stay of that order in real text) | ~{N * x['verified_per_doc'] * x['false_ratio'] / 1e6:,.0f} M pairs |",
        f"| connected components | large-star/small-star, each round 4 group-bys over ~2 × E edge rows of 16 B; O(log n) "
        f"rounds (bound ⌈log₂ N⌉ = {x['rounds_bound']}; {star_rounds if star_rounds else '—'} measured on the "
        f"{x['n_percore']:,}-document edges, whose components have 2-3 members; dedup graphs are mostly such small stars) | "
        f"~{si(x['round_bytes'])} shuffled per round, a handful of rounds |",
        "",
        f"**Example cluster: {NODES} nodes × {NODE_CORES} cores = {cores} cores, {NODE_MEMORY_GIB} GiB RAM and ≥ 2 TB local "
        f"NVMe per node**, priced at an **assumed ${PRICE_PER_CORE_HOUR:.2f} per core-hour** (order of magnitude of an "
        f"on-demand compute-optimised vCPU, i.e. ${PRICE_PER_CORE_HOUR * NODE_CORES:.2f} per node-hour; an assumption, not a "
        f"quote). Wall clock = core-hours / cores / efficiency, at {eff:.0%} efficiency (stragglers, shuffle stalls, spilling):",
        "",
        f"- **the Ray engine as written: {x['ray_h']:,.0f} core-hours → {x['wall_ray'] / eff:.0f} h wall, "
        f"${x['cost_ray'] / eff:,.0f}**. The shuffles add {si(x['shuffle_total'] / NODES)} of network and disk traffic per node "
        f"(~{x['shuffle_total'] / NODES / 1e9 / 3600:.1f} h at 1 GB/s if not overlapped);",
        f"- the same work with a vectorised group-by (the lower bound above, i.e. if the per-group pandas overhead and the "
        f"double shuffle of payloads were removed): {x['lower_h']:,.0f} core-hours → **{x['wall_lower'] / eff:.1f} h wall, "
        f"${x['cost_lower'] / eff:,.0f}**; cleaning is {x['clean_h'] / x['lower_h'] * 100:.0f}% of it;",
        f"- fixed costs (cluster start, `ray.init`, the ~{ray2['tiny']['wall']:.0f} s floor of a run measured here) are minutes: "
        f"negligible at this scale, dominant below ~100k documents on one machine.",
        "",
        f"Memory per node: each Ray worker process peaked at {mib(x['worker_rss_kb'])} RSS here (the largest non-driver process "
        f"of the 2-CPU run: a batch of 64 documents, pandas/Arrow blocks, the imports), so {NODE_CORES} workers need "
        f"~{NODE_CORES * x['worker_rss_kb'] / 2**20:.0f} GiB, plus the object store (Ray's default: 30% of RAM). The band-row "
        f"shuffle is the peak: {si(x['shuffle_band'])} / {NODES} nodes = {si(x['shuffle_band'] / NODES)} per node, far beyond "
        f"RAM, so it spills to local disk (map outputs plus reduce inputs: ~{si(2 * x['shuffle_band'] / NODES)} per node) — "
        f"or run the group-by on a few bands at a time. Partitions are 2 × cluster CPUs = {2 * cores:,}: "
        f"{si(x['shuffle_band'] / (2 * cores))} of band rows each. A hot band key (largest bucket here: "
        f"{results['percore']['growth'][-1]['largest']:,} documents) is O(s²) verifications in one task: templated pages "
        f"could make s huge, so big groups need a cap or a split.",
        "",
        "What does not scale as written (reading `dedup/engine/ray_engine.py`; memory measured here):",
        "",
        f"- `_write_ray_report` pulls every processed row (payload, report record, signature) to the driver with `iter_rows()`, "
        f"keeps them all in a list and builds report.json in memory: the driver grew by {mib(x['driver_report_kb'])} while "
        f"writing the report of {e2e['docs']:,} documents ({x['driver_per_doc'] / 1000:.1f} KB per document), ~"
        f"{si(x['driver_per_doc'] * N)} at 10⁹ on one machine. The local engine streams report.json; the Ray path must write it "
        f"in parts (or stream rows without keeping them) before it can run at this scale;",
        f"- the per-group pandas overhead of `map_groups` over ~{x['groups_per_doc']:.0f} groups per document is most of the Ray "
        f"engine's CPU (§2); grouping by sorting Arrow blocks and verifying runs of equal keys in vectorised code would cut it "
        f"to the lower bound;",
        f"- `band_rows` copies the {x['sig_bytes']}-byte signature into each of the {x['bands']} band rows; shuffling (bkey, pos) "
        f"only and joining signatures onto the candidate pairs would cut that shuffle from {si(x['shuffle_band'])} to "
        f"{si(x['shuffle_band_slim'])};",
        f"- a near pair sharing k bands is verified k times and emitted as k edge rows ({x['instances_per_doc']:.3f} (pair, band) "
        f"instances per document for {x['candidates_per_doc']:.3f} distinct candidates); a distinct on (a, b) before the "
        f"components would shrink the edge list by that factor;",
        "- the join of all processed rows with the duplicates and the final `sort(\"pos\")` shuffle every payload twice only "
        "to mark duplicates and write part files in input order.",
    ]
    return lines


def write_readme(section: str) -> None:
    """Replace this benchmark's section of the README (or append it at the end), leaving the others as they are."""
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        following = text.find("\n## ", start + len(SECTION))
        rest = "" if following < 0 else text[following + 1:]
        text = text[:start] + section + ("\n" + rest if rest else "")
    README.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_DOCS:,} documents (about 5 minutes)")
    parser.add_argument("--docs", type=int, help="corpus size (no fallback)")
    parser.add_argument("--write-readme", action="store_true", help=f"write the section into {README.name}")
    parser.add_argument("--save", type=Path, metavar="FILE", help="also keep the raw results (JSON) in FILE")
    parser.add_argument("--from-saved", type=Path, metavar="FILE", help="render saved results instead of running")
    parser.add_argument("--percore-case", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--ray-case", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--edges", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--probe", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--local-case", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--compare-case", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.percore_case:
        folder, clean_bytes, prefixes, edges = args.percore_case
        print(json.dumps(percore_case(Path(folder), int(clean_bytes), [int(x) for x in prefixes.split(",")], Path(edges))))
        return 0
    if args.ray_case:
        cpus, folder, tiny, out, stages = args.ray_case
        print(json.dumps(ray_case(int(cpus), Path(folder), Path(tiny), Path(out), Path(stages), args.edges, args.probe)))
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
        started = time.perf_counter()

        def log(line: str) -> None:
            print(f"[{time.perf_counter() - started:6.1f} s] {line}", file=sys.stderr, flush=True)

        results = run(args, log)
        if args.save:
            args.save.write_text(json.dumps(results, indent=1))
    section = render(results)
    print(section)
    if args.write_readme:
        write_readme(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
