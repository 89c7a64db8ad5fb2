"""Outputs, report and index change together or not at all: SIGKILL at every step of a run.

A run of batch 2 (an input changed, one gone, one new, one a re-post of batch 1) over the
outputs and index of batch 1 is killed with SIGKILL at the k-th file operation or index
commit, for every k. After ``dedup recover`` the outputs, the report and the index are all
those of batch 1, or all those of batch 2; the next run then gives exactly the result of an
uninterrupted one. The kill points are put in by this test (a wrapper around the real
command), never shipped in the package.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dedup.engine.local import clean_paths
from dedup.engine.session import recover_output
from dedup.index.open import open_index
from dedup.options import RunOptions

from conftest import PARAGRAPHS
from test_index_redis import server  # noqa: F401 - the fixture: a private redis-server

# Runs the real command with a SIGKILL at the k-th kill point: every os.replace, os.unlink, os.fsync,
# and the moment after the index committed a batch. It reports how many points the run passed.
KILLER = r"""
import os, signal, sys
at = int(os.environ["DEDUP_KILL_AT"])
seen = [0]
def point():
    seen[0] += 1
    if seen[0] == at:
        os.kill(os.getpid(), signal.SIGKILL)
def before(owner, name):
    real = getattr(owner, name)
    def hooked(*args, **kwargs):
        point()
        return real(*args, **kwargs)
    setattr(owner, name, hooked)
def after(owner, name):
    real = getattr(owner, name)
    def hooked(*args, **kwargs):
        result = real(*args, **kwargs)
        point()
        return result
    setattr(owner, name, hooked)
for name in ("replace", "unlink", "fsync"):
    before(os, name)
from dedup.index.sqlite import SqliteStore
from dedup.index.redis_store import RedisStore
after(SqliteStore, "add")
after(RedisStore, "add")
import atexit
atexit.register(lambda: open(os.environ["DEDUP_KILL_COUNT"], "w").write(str(seen[0])))
from dedup.cli import main
sys.argv = ["dedup", *sys.argv[1:]]
main()
"""


def article(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs) + "\n"


def write_inputs(folder: Path, files: dict[str, str], records: bool) -> Path:
    """The batch as a folder of text files, or as one JSONL file of records with ids."""
    folder.mkdir(parents=True, exist_ok=True)
    if records:
        path = folder / "batch.jsonl"
        path.write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in files.items()), encoding="utf-8")
        return path
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


DAY1 = {
    "council.txt": article(PARAGRAPHS[0], PARAGRAPHS[1], PARAGRAPHS[0]),
    "harvest.txt": article(PARAGRAPHS[2], PARAGRAPHS[3]),
    "library.txt": article(PARAGRAPHS[4], PARAGRAPHS[5]),
    "railway.txt": article(PARAGRAPHS[6], PARAGRAPHS[7]),
}
DAY2 = {
    "council.txt": article(PARAGRAPHS[0], PARAGRAPHS[1], PARAGRAPHS[8]),  # changed
    "harvest.txt": DAY1["harvest.txt"],  # the same as yesterday: a duplicate of batch 1
    "repost.txt": article("Reposted from the Gazette", PARAGRAPHS[6], PARAGRAPHS[7]),  # a re-post of railway
    "bakery.txt": article(PARAGRAPHS[9], PARAGRAPHS[10], PARAGRAPHS[9]),  # new; library.txt is gone
}


def visible(out: Path, records: bool, index: str) -> tuple[object, ...]:
    """Outputs, report (without its timings) and index content: what a user can see of a run."""
    if records:
        files = {p.name: p.read_bytes() for p in [out, Path(f"{out}.duplicates.jsonl")] if p.exists()}
        report_path = Path(f"{out}.report.json")
    else:
        files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
                 if p.is_file() and not p.relative_to(out).as_posix().startswith(".dedup/")
                 and p.name not in ("report.json", "report.html")}
        report_path = out / "report.json"
    report = None
    if report_path.exists():
        report = json.loads(report_path.read_bytes().decode("utf-8"))
        for name in ("totals", "cwd", "output"):
            report.pop(name)
        # a re-run says it is one, and recovery says what it did: the rest is the same
        report["warnings"] = [w for w in report["warnings"] if "interrupted run" not in w and "(a re-run)" not in w]
        for doc in report["documents"]:
            doc.pop("input")
    store = open_index(index, create=False) if (index.startswith("redis") or Path(index).exists()) else None
    stored = ()
    if store is not None:
        stored = tuple(sorted((d.id, d.batch) for d in store.export()))
        batches = tuple(sorted((name, r.documents) for name, r in store.batch_records().items()))
        store.close()
        stored += batches
    return files, report, stored


def sweep(tmp_path: Path, index: str, records: bool, reset_index) -> int:
    """Kill batch 2 at every point; returns how many points there were."""
    day1 = write_inputs(tmp_path / "day1", DAY1, records)
    day2 = write_inputs(tmp_path / "day2", DAY2, records)
    area = tmp_path / "area"  # everything the run writes, so it can be saved and put back whole
    area.mkdir()
    out = area / ("out.jsonl" if records else "out")
    id_key = ["--id-key", "id"] if records else []

    def run(options_out: Path, source: Path, batch: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "dedup.cli", "clean", str(source), "--out", str(options_out),
                               "--index", index, "--batch", batch, "--jobs", "1", "-q", *id_key],
                              capture_output=True, text=True, timeout=120)

    reset_index()
    assert run(out, day1, "day1").returncode == 0
    old = visible(out, records, index)
    saved_area = tmp_path / "saved-area"
    shutil.copytree(area, saved_area)
    saved_index = save_index(index, tmp_path)
    assert run(out, day2, "day2").returncode == 0
    new = visible(out, records, index)
    assert new != old and old[2] != new[2]

    count_file = tmp_path / "count"
    points = None
    k = 0
    while points is None or k < points:
        k += 1
        shutil.rmtree(area)
        shutil.copytree(saved_area, area)
        restore_index(index, saved_index)
        done = subprocess.run(
            [sys.executable, "-c", KILLER, "clean", str(day2), "--out", str(out), "--index", index, "--batch", "day2",
             "--jobs", "1", "-q", *id_key],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "DEDUP_KILL_AT": str(k), "DEDUP_KILL_COUNT": str(count_file)},
        )
        if done.returncode == 0:  # ran past the last point: the uninterrupted run
            points = int(count_file.read_text())
            assert visible(out, records, index) == new
            break
        assert done.returncode == -9, done.stderr
        recover_output(out)
        state = visible(out, records, index)
        assert state in (old, new), f"after a kill at point {k}, the outputs, report and index are a mix of two runs"
        summary = clean_paths([day2], out, RunOptions(index=index, batch="day2", jobs=1, show_progress=False,
                                                     id_key="id" if records else None))
        assert summary.exit_code == 0
        again = visible(out, records, index)
        assert again[0] == new[0] and again[2] == new[2], k
        assert {key: value for key, value in again[1].items() if value != new[1][key]} == {}, k
    assert points is not None and points >= 10
    return points


def save_index(index: str, tmp_path: Path) -> object:
    if index.startswith("redis"):
        import redis

        client = redis.Redis.from_url(index)
        dumped = {key: client.dump(key) for key in client.keys("*")}

        def put_back() -> None:
            client.flushdb()
            for key, value in dumped.items():
                client.restore(key, 0, value)

        return put_back
    saved = tmp_path / "saved-index"
    saved.mkdir()
    for suffix in ("", "-wal", "-shm"):
        if Path(index + suffix).exists():
            shutil.copy(index + suffix, saved / ("index" + suffix))
    return saved


def restore_index(index: str, saved: object) -> None:
    if isinstance(saved, Path):
        for suffix in ("", "-wal", "-shm"):
            Path(index + suffix).unlink(missing_ok=True)
            if (saved / ("index" + suffix)).exists():
                shutil.copy(saved / ("index" + suffix), index + suffix)
    elif callable(saved):
        saved()


@pytest.mark.slow
@pytest.mark.timeout(900)  # a run killed at each of its file operations: 30-90 s on a loaded machine
@pytest.mark.parametrize("records", [False, True], ids=["folder", "jsonl"])
def test_a_kill_at_any_point_leaves_one_run_whole_sqlite(tmp_path: Path, records: bool) -> None:
    index = str(tmp_path / "seen.sqlite")
    sweep(tmp_path, index, records, lambda: None)


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.timeout(900)
@pytest.mark.parametrize("records", [False, True], ids=["folder", "jsonl"])
def test_a_kill_at_any_point_leaves_one_run_whole_redis(tmp_path: Path, records: bool, server) -> None:  # noqa: F811
    sweep(tmp_path, server.url, records, lambda: server.client().flushdb())
