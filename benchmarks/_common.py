"""What the benchmarks share: the machine line, timers, the memory of a process tree, a case in a
subprocess, and their sections of benchmarks/README.md.

Figures mean nothing without the machine they came from, the load on it and the code that
ran, so every benchmark writes the same ``machine(...)`` line above its tables. Timers read
wall time, CPU time of this process (or thread) and CPU time of the children it waited for
together, so a figure never mixes clocks taken at different moments. Peak memory of a run
with worker processes is the largest *sum* over its process tree, sampled from ``/proc``
(Linux): ``ru_maxrss`` only knows the largest single process.

The scripts run as ``python benchmarks/<name>.py``, which puts this folder first on
``sys.path``: they import this module as ``_common``. Code that Ray pickles into its workers
must not use it (the workers cannot import it).
"""
from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLES = ROOT / "samples"
README = HERE / "README.md"
MB = 1_000_000  # benchmarks count text in MB of UTF-8

T = TypeVar("T")


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def mib(kib: float) -> str:
    """KiB (as /proc and ``ru_maxrss`` give them) in MiB."""
    return f"{kib / 1024:,.0f} MiB"


# -- the machine ------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = []
    model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), None)
    return model or platform.processor() or "unknown CPU"


def memory() -> str:
    """Physical memory and swap, e.g. ``24 GiB RAM, no swap``."""
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        swap_kib = int(fields["SwapTotal"].split()[0])
    except (OSError, KeyError, ValueError):
        return f"{ram:.0f} GiB RAM"
    return f"{ram:.0f} GiB RAM, " + (f"{swap_kib / 2**20:.0f} GiB swap" if swap_kib else "no swap")


def load_average(values: Sequence[float] | None = None) -> str:
    """The 1-, 5- and 15-minute load averages (now, or ``values`` taken earlier), e.g. ``0.52, 0.61, 0.70``."""
    return ", ".join(f"{x:.2f}" for x in (os.getloadavg() if values is None else values))


def versions(packages: Iterable[str]) -> list[str]:
    """``numpy 2.4.6``, or ``rensa not installed``, per package."""
    found = []
    for package in packages:
        try:
            found.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{package} not installed")
    return found


def code_version() -> str:
    """Commit of the checkout, flagged when ``dedup/`` has uncommitted changes (they are what ran)."""
    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown commit"
    return commit + (" + uncommitted changes in dedup/" if git("status", "--porcelain", "dedup") else "")


def machine(software: Iterable[str] = (), *, load: str | None = None, when: str | None = None) -> str:
    """Date, CPU, cores, memory, load, Python, ``software`` and the code version, as one line.

    ``load`` says when it was read, e.g. ``f"{load_average(start)} at start"``; ``when`` replaces today's date.
    """
    parts = [when or datetime.date.today().isoformat(), cpu_model(), f"nproc {os.cpu_count()}", memory()]
    if load is not None:
        parts.append(f"load average {load}")
    parts += [f"Python {platform.python_version()}", *software, f"dedup at {code_version()}"]
    return ", ".join(parts)


# -- timers -----------------------------------------------------------------------------------


def children_cpu() -> float:
    """User + system seconds of the child processes this process has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Elapsed:
    """What a stretch of work took: wall seconds, CPU seconds of this process (every thread) or of this thread,
    and CPU seconds of the children that ended and were waited for meanwhile (worker pools)."""

    wall: float
    cpu: float
    children_cpu: float = 0.0

    @property
    def total_cpu(self) -> float:
        return self.cpu + self.children_cpu


class Stopwatch:
    """Started when made (or ``restart``-ed); ``read()`` gives the time since then.

    CPU time is the process's (``time.process_time``: every thread, so MB/s on it stays per
    core), or with ``thread=True`` this thread's alone.
    """

    def __init__(self, thread: bool = False) -> None:
        self._cpu_clock = time.thread_time if thread else time.process_time
        self.restart()

    def restart(self) -> None:
        self._children = children_cpu()
        self._cpu = self._cpu_clock()
        self._wall = time.perf_counter()

    def read(self) -> Elapsed:
        wall = time.perf_counter() - self._wall
        cpu = self._cpu_clock() - self._cpu
        return Elapsed(wall, cpu, children_cpu() - self._children)


def timed(action: Callable[[], T], thread: bool = False) -> tuple[T, Elapsed]:
    """The result of ``action()`` and what it took."""
    watch = Stopwatch(thread)
    result = action()
    return result, watch.read()


def best_of(times: int, action: Callable[[], T]) -> tuple[float, T]:
    """(shortest wall time, last result) of ``times`` calls: on a shared machine the shortest is the least disturbed."""
    best, result = float("inf"), None
    for _ in range(times):
        result, took = timed(action)
        best = min(best, took.wall)
    return best, result  # type: ignore[return-value]


class Log:
    """Progress lines on stderr, each with the time of day and the seconds since this log was made."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self, line: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')} {time.perf_counter() - self.started:7.1f} s] {line}", file=sys.stderr, flush=True)


# -- memory and CPU of a process tree, from /proc ---------------------------------------------


def proc_memory(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process in KiB; empty if it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in lines) if k in ("VmRSS", "VmHWM")}


@dataclass(frozen=True)
class ProcessSample:
    """One look at a process: RSS and PSS (KiB; PSS 0 unless asked), user + system CPU seconds, start time (ticks
    after boot: with the pid, it tells this process from a later one given the same pid)."""

    rss_kb: int
    pss_kb: int
    cpu: float
    started: int


def process_sample(pid: int, pss: bool = False) -> ProcessSample | None:
    """None if the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        rss = proc_memory(pid)["VmRSS"]
        pss_kb = 0
        if pss:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
            pss_kb = int(next(line for line in rollup if line.startswith("Pss:")).split()[1])
    except (OSError, KeyError, StopIteration, IndexError, ValueError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return ProcessSample(rss, pss_kb, (int(stat[11]) + int(stat[12])) / ticks, int(stat[19]))


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
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


class TreeWatch:
    """A process and its descendants, sampled in the background every ``interval`` seconds and on each ``sample()``.

    ``peaks``: the largest summed RSS (and PSS, with ``pss=True``) of the tree, the largest RSS of
    a process other than the root and the most processes at once, since the last
    ``reset_peaks()``. Summed RSS counts shared pages once per process: an upper bound; PSS
    shares them out. ``cpu()``: CPU seconds of the tree, the last value seen of each process
    (a process that ends between two samples loses its last stretch). ``names``: the
    processes' command names.
    """

    def __init__(self, pid: int, interval: float, pss: bool = False) -> None:
        self.pid, self.interval, self.pss = pid, interval, pss
        self.seen: dict[int, tuple[int, float]] = {}  # pid -> (start time, CPU seconds)
        self.names: set[str] = set()
        self.peaks = {"rss_kb": 0, "pss_kb": 0, "largest_other_rss_kb": 0, "processes": 0}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> float:
        """Look at the tree now; its CPU seconds so far."""
        with self._lock:
            rss = pss = 0
            pids = descendants(self.pid)
            for pid in pids:
                found = process_sample(pid, self.pss)
                if found is None:
                    continue
                rss, pss = rss + found.rss_kb, pss + found.pss_kb
                if pid != self.pid:
                    self.peaks["largest_other_rss_kb"] = max(self.peaks["largest_other_rss_kb"], found.rss_kb)
                if pid not in self.seen and len(self.names) < 40:
                    try:
                        self.names.add(Path(f"/proc/{pid}/comm").read_text().strip())
                    except OSError:
                        pass
                previous = self.seen.get(pid)
                cpu = found.cpu if previous is None or previous[0] != found.started else max(previous[1], found.cpu)
                self.seen[pid] = (found.started, cpu)
            self.peaks["rss_kb"] = max(self.peaks["rss_kb"], rss)
            self.peaks["pss_kb"] = max(self.peaks["pss_kb"], pss)
            self.peaks["processes"] = max(self.peaks["processes"], len(pids))
            return self.cpu()

    def cpu(self) -> float:
        return sum(cpu for _, cpu in self.seen.values())

    def reset_peaks(self) -> None:
        with self._lock:
            self.peaks = dict.fromkeys(self.peaks, 0)

    def survivors(self) -> list[int]:
        """Processes of the tree seen while watching that still run (the same processes, not reused pids)."""
        alive = []
        for pid, (started, _) in self.seen.items():
            found = process_sample(pid) if pid != self.pid else None
            if found is not None and found.started == started:
                alive.append(pid)
        return alive

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


# -- a case in a fresh interpreter ------------------------------------------------------------


class CaseTimeout(RuntimeError):
    """A case ran past its time limit (and was killed)."""


def run_in_subprocess(script: str | os.PathLike[str], args: Sequence[str], *, timeout: float | None = None,
             interval: float | None = 1.0, pss: bool = False, env: dict[str, str] | None = None,
             own_session: bool = False, show_stderr: bool = False) -> dict[str, Any]:
    """Run ``python script args…`` in a fresh interpreter (so its peak memory is its own) and return the JSON object
    it prints last on stdout, plus:

    - ``rusage``: from wait4, ``maxrss_kb`` (the largest single process: the case or a child it
      waited for) and ``cpu`` (user + system of the case and the children it waited for);
    - ``tree`` (unless ``interval`` is None): the case's process tree sampled every ``interval``
      seconds (see TreeWatch): ``peak_rss_kb``, ``peak_pss_kb``, ``cpu``, ``processes``,
      ``names``, ``largest_other_rss_kb``, and ``leftovers``, the processes of the tree still
      running after the case ended; those are ended (SIGTERM, by their pid).

    ``own_session`` starts the case in a session of its own (Ray's processes are not its
    children, so on a timeout the whole group is killed). On a timeout CaseTimeout; on a failure
    RuntimeError, with the end of the case's stderr written to ours. ``show_stderr`` passes the
    case's stderr (its progress lines) straight through instead.
    """
    command = [sys.executable, str(Path(script).resolve()), *args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=None if show_stderr else err, env=env,
                                   start_new_session=own_session)
        watch = TreeWatch(process.pid, interval, pss) if interval is not None else None
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            try:
                if own_session:
                    os.killpg(process.pid, signal.SIGKILL)
                else:
                    process.kill()
            except OSError:
                pass

        timer = threading.Timer(timeout, kill) if timeout is not None else None
        if timer is not None:
            timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # Ctrl-C or an error here: the case must not outlive us
            kill()
            process.wait()
            raise
        finally:
            if timer is not None:
                timer.cancel()
            if watch is not None:
                watch.close()
        process.returncode = os.waitstatus_to_exitcode(status)
        leftovers = watch.survivors() if watch is not None else []
        for pid in leftovers:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if expired.is_set():
        raise CaseTimeout(f"case {' '.join(args)} ran past {timeout:g} s")
    if process.returncode != 0:
        sys.stderr.write(stderr[-5000:])
        raise RuntimeError(f"case {' '.join(args)} failed with exit code {process.returncode}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["rusage"] = {"maxrss_kb": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime}
    if watch is not None:
        result["tree"] = {"peak_rss_kb": watch.peaks["rss_kb"], "peak_pss_kb": watch.peaks["pss_kb"], "cpu": watch.cpu(),
                          "processes": watch.peaks["processes"], "names": sorted(watch.names), "leftovers": len(leftovers),
                          "largest_other_rss_kb": watch.peaks["largest_other_rss_kb"]}
    return result


# -- the README -------------------------------------------------------------------------------


def show_section(section: str, write: bool, readme: Path = README) -> None:
    """Print a benchmark's README section; with ``write`` (its ``--write-readme``), also put it into the README."""
    print(section)
    if write:
        write_section(section, readme)
        print(f"wrote {readme}", file=sys.stderr)


def write_section(section: str, readme: Path = README) -> None:
    """Put ``section`` into the README in place of the section with the same ``## `` heading (its first line),
    which runs up to the next ``## `` heading; or append it. The other sections stay as they are."""
    heading = section.split("\n", 1)[0]
    assert heading.startswith("## "), "a section starts with its '## ' heading"
    old = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
    body = section.strip("\n") + "\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(old):
        new = pattern.sub(lambda _: body + "\n", old, count=1)
    else:
        new = old.rstrip("\n") + "\n\n" + body
    readme.write_text(new.rstrip("\n") + "\n", encoding="utf-8")
