"""The local engine's promises about the user's data: re-runs, stale outputs, ids, empty texts, workers, locks.

Each test reproduces a case from the issue "Nothing lost, nothing hangs" as a user would
meet it, through the real command where the process matters (kills, exit codes).
"""
from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PARAGRAPHS
from dedup.engine.local import clean_paths
from dedup.engine.workers import usable_jobs
from dedup.index.sqlite import SqliteStore
from dedup.options import RunOptions


def article(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs) + "\n"


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def dedup(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dedup.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def report(path: Path) -> dict:
    return json.loads(path.read_bytes().decode("utf-8"))


def statuses(out: Path) -> dict[str, tuple[str, str | None]]:
    return {d["id"]: (d["status"], d["duplicate_of"]) for d in report(out / "report.json")["documents"]}


BATCH = {
    "council.txt": article(PARAGRAPHS[0], PARAGRAPHS[1]),
    "harvest.txt": article(PARAGRAPHS[2], PARAGRAPHS[3], PARAGRAPHS[2]),
    "library.txt": article(PARAGRAPHS[4], PARAGRAPHS[5]),
}


@pytest.mark.parametrize("same_name", [True, False], ids=["same-batch-name", "default-batch-name"])
def test_rerunning_a_batch_that_is_in_the_index_gives_the_same_outputs(tmp_path: Path, same_name: bool) -> None:
    """Issue case 1: a re-run used to find every document as a duplicate of itself and delete the outputs."""
    folder = write(tmp_path / "in", BATCH)
    index = tmp_path / "seen.sqlite"
    out = tmp_path / "out"
    batch = ["--batch", "day1"] if same_name else []
    first = dedup("clean", folder, "--out", out, "--index", index, *batch)
    assert first.returncode == 0, first.stderr
    outputs = {p.name: p.read_bytes() for p in out.glob("*.txt")}
    assert len(outputs) == 3
    before = SqliteStore(index).stats()

    again = dedup("clean", folder, "--out", out, "--index", index, *batch)
    assert again.returncode == 0, again.stderr
    assert "(a re-run)" in again.stderr
    assert {p.name: p.read_bytes() for p in out.glob("*.txt")} == outputs
    assert all(status != "duplicate" for status, _ in statuses(out).values())
    assert report(out / "report.json")["totals"]["added_to_index"] == 0
    after = SqliteStore(index).stats()
    assert after["documents"] == before["documents"] and after["batches"] == before["batches"]


def test_a_rerun_after_a_later_batch_matches_only_what_came_before(tmp_path: Path) -> None:
    """Day 2 re-posts a day-1 story; re-running day 1 afterwards must not call day 1 a duplicate of day 2."""
    day1 = write(tmp_path / "day1", BATCH)
    day2 = write(tmp_path / "day2", {"repost.txt": BATCH["library.txt"]})
    index = tmp_path / "seen.sqlite"
    assert dedup("clean", day1, "--out", tmp_path / "o1", "--index", index, "--batch", "d1").returncode == 0
    assert dedup("clean", day2, "--out", tmp_path / "o2", "--index", index, "--batch", "d2").returncode == 0
    assert statuses(tmp_path / "o2")["repost.txt"] == ("duplicate", "library.txt")
    assert dedup("clean", day1, "--out", tmp_path / "o1", "--index", index, "--batch", "d1").returncode == 0
    assert all(status != "duplicate" for status, _ in statuses(tmp_path / "o1").values())


def test_a_batch_name_taken_by_other_documents_is_refused(tmp_path: Path) -> None:
    index = tmp_path / "seen.sqlite"
    assert dedup("clean", write(tmp_path / "a", BATCH), "--out", tmp_path / "oa", "--index", index, "--batch", "x").returncode == 0
    other = write(tmp_path / "b", {"bakery.txt": article(PARAGRAPHS[9], PARAGRAPHS[10])})
    done = dedup("clean", other, "--out", tmp_path / "ob", "--index", index, "--batch", "x")
    assert done.returncode == 2
    assert "batch 'x' is already in the index with other documents" in done.stderr
    assert not (tmp_path / "ob" / "report.json").exists()


def test_stale_outputs_of_earlier_runs_are_removed_and_nothing_else(tmp_path: Path) -> None:
    """Outputs of inputs that are gone and old report.html go; a file the user put in OUT stays."""
    folder = write(tmp_path / "in", BATCH)
    out = tmp_path / "out"
    assert dedup("clean", folder, "--out", out).returncode == 0
    (out / "notes-of-mine.txt").write_text("mine")
    (folder / "library.txt").unlink()
    assert dedup("clean", folder, "--out", out, "--no-html").returncode == 0
    assert sorted(p.name for p in out.iterdir() if p.name != ".dedup") == [
        "council.txt", "harvest.txt", "notes-of-mine.txt", "report.json"]


def test_a_run_refused_at_start_keeps_the_previous_report(tmp_path: Path) -> None:
    folder = write(tmp_path / "in", BATCH)
    out = tmp_path / "out"
    assert dedup("clean", folder, "--out", out).returncode == 0
    before = (out / "report.json").read_bytes()
    refused = dedup("clean", folder, "--out", out, "--threshold", "nan")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert (out / "report.json").read_bytes() == before


@pytest.mark.parametrize("option", ["--threshold", "--near-threshold", "--lsh-threshold", "--containment-threshold"])
@pytest.mark.parametrize("value", ["nan", "inf", "-0.1", "1.5"])
def test_thresholds_that_are_not_shares_are_usage_errors(tmp_path: Path, option: str, value: str) -> None:
    done = dedup("clean", write(tmp_path / "in", BATCH), "--out", tmp_path / "out", option, value)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "report.json").exists()


def test_report_json_is_strict_json(tmp_path: Path) -> None:
    folder = write(tmp_path / "in", {**BATCH, "copy.txt": BATCH["council.txt"]})
    clean_paths([folder], tmp_path / "out", RunOptions(show_progress=False))
    json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"),
               parse_constant=lambda name: pytest.fail(f"report.json holds {name}"))


def test_options_from_python_are_checked_too(tmp_path: Path) -> None:
    from dedup.errors import UsageError
    from dedup.match.documents import CorpusOptions

    with pytest.raises(UsageError, match="threshold"):
        clean_paths([write(tmp_path / "in", BATCH)], tmp_path / "out", RunOptions(corpus=CorpusOptions(threshold=math.nan)))
    with pytest.raises(UsageError, match="jobs"):
        clean_paths([tmp_path / "in"], tmp_path / "out", RunOptions(jobs=0))


def test_empty_and_white_space_documents_are_written_not_clustered(tmp_path: Path) -> None:
    folder = write(tmp_path / "in", {"empty.txt": "", "blank.txt": "  \n\n \t\n", "other-empty.md": "", **BATCH})
    out = tmp_path / "out"
    summary = clean_paths([folder], out, RunOptions(show_progress=False))
    assert summary.duplicate == 0 and summary.clusters == 0
    assert (out / "empty.txt").read_bytes() == b"" and (out / "other-empty.md").read_bytes() == b""
    assert (out / "blank.txt").read_bytes() == b"  \n\n \t\n"


def test_duplicate_record_ids_are_made_unique_with_a_warning(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    rows = [{"id": "a", "text": BATCH["council.txt"]}, {"id": "a", "text": BATCH["library.txt"]},
            {"id": "a#2", "text": BATCH["harvest.txt"]}]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    done = dedup("clean", source, "--id-key", "id", "--out", tmp_path / "out.jsonl")
    assert done.returncode == 0, done.stderr
    assert "id 'a' is taken by an earlier document; this one is 'a#2'" in done.stderr
    ids = [d["id"] for d in report(tmp_path / "out.jsonl.report.json")["documents"]]
    assert len(set(ids)) == 3 and ids[:2] == ["a", "a#2"]


def test_output_jsonl_is_valid_utf8_even_for_lone_surrogates(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"id": "s", "text": "Lone \\udc80 and \\ud800 surrogates stay as escapes."}\n')
    assert dedup("clean", source, "--id-key", "id", "--out", tmp_path / "out.jsonl").returncode == 0
    line = (tmp_path / "out.jsonl").read_bytes().decode("utf-8")  # strict
    assert json.loads(line)["text"] == "Lone \udc80 and \ud800 surrogates stay as escapes."


def test_jobs_are_capped_at_cores_and_documents() -> None:
    cores = len(os.sched_getaffinity(0))
    assert usable_jobs(1000) == cores
    assert usable_jobs(None, documents=1) == 1
    assert usable_jobs(2, documents=0) == 1


@pytest.mark.parametrize("where", ["file", "proc", "report"])
def test_unwritable_outputs_are_refused_before_any_work(tmp_path: Path, where: str) -> None:
    folder = write(tmp_path / "in", BATCH)
    (tmp_path / "a-file").write_text("x")
    args = {"file": ["--out", tmp_path / "a-file"], "proc": ["--out", "/proc/dedup-out"],
            "report": ["--out", tmp_path / "out", "--report", "/proc/r.json"]}[where]
    index = tmp_path / "seen.sqlite"
    done = dedup("clean", folder, *args, "--index", index)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) <= 2
    assert not index.exists() or SqliteStore(index).stats()["documents"] == 0


def test_jsonl_out_that_is_a_folder_is_refused_before_the_index_changes(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"text": BATCH["council.txt"]}) + "\n")
    (tmp_path / "out.jsonl").mkdir()
    index = tmp_path / "seen.sqlite"
    done = dedup("clean", source, "--out", tmp_path / "out.jsonl", "--index", index)
    assert done.returncode == 2 and "is a folder" in done.stderr
    assert not (tmp_path / "out.jsonl.report.json").exists()
    assert not index.exists() or SqliteStore(index).stats()["documents"] == 0


def test_index_commands_do_not_create_a_missing_index(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.sqlite"
    for command in (["stats"], ["export"], ["compact"], ["remove"]):
        done = dedup("index", *command, missing, *(["x"] if command == ["remove"] else []))
        assert done.returncode == 1 and "no index there" in done.stderr
    assert not missing.exists()


def test_a_killed_run_leaves_no_workers_and_no_lock(tmp_path: Path) -> None:
    """Issue case 4: after kill -9 of the run, its workers held the inherited index lock and the next run hung."""
    many = {f"doc{i:03}.txt": article(PARAGRAPHS[i % 16], PARAGRAPHS[(i * 7 + 3) % 16], f"Number {i} of many.")
            for i in range(400)}
    folder = write(tmp_path / "in", many)
    index = tmp_path / "seen.sqlite"
    run = subprocess.Popen([sys.executable, "-m", "dedup.cli", "clean", str(folder), "--out", str(tmp_path / "out"),
                            "--index", str(index), "--jobs", "2", "-q"], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not _children(run.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = _children(run.pid)
    assert workers, "the run started no workers"
    run.send_signal(signal.SIGKILL)
    run.wait(10)
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers), "workers outlived the run"
    with SqliteStore(index, lock_wait=2).lock():
        pass


def test_waiting_for_the_index_names_the_holder(tmp_path: Path) -> None:
    index = tmp_path / "seen.sqlite"
    told: list[str] = []
    with SqliteStore(index).lock():
        waiting = SqliteStore(index, lock_wait=0.5)
        with pytest.raises(Exception, match=f"pid {os.getpid()}"):
            with waiting.lock(on_wait=told.append):
                pass
    assert told and f"locked by pid {os.getpid()}" in told[0]


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        return state != "Z"
    except OSError:
        return False


def test_a_truncated_gzip_with_the_html_report_ends_with_a_summary(tmp_path: Path) -> None:
    """Issue case: a truncated .jsonl.gz with report.html on ended in 'Aborted!' with no summary."""
    import gzip

    lines = b"".join(json.dumps({"text": f"{PARAGRAPHS[i % 16]} Item {i}."}).encode() + b"\n" for i in range(3000))
    packed = gzip.compress(lines)
    source = tmp_path / "cut.jsonl.gz"
    source.write_bytes(packed[: len(packed) // 2])
    done = dedup("clean", source, "--out", tmp_path / "out.jsonl", "--html")
    assert done.returncode == 1, done.stderr
    assert "truncated or corrupt gzip data after" in done.stderr and "Aborted" not in done.stderr
    assert "read " in done.stdout and (tmp_path / "report.html").exists()
    records = report(tmp_path / "out.jsonl.report.json")
    assert records["totals"]["documents"] > 0 and len(records["errors"]) == 1
