"""Persistent index (SQLite): batches are checked against every earlier kept document."""
from __future__ import annotations

import json
import multiprocessing
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import main
from dedup.engine.local import RunOptions, clean_paths
from dedup.index.bands import IndexParams
from dedup.index.sqlite import SqliteStore
from dedup.index.store import IndexAccessError, IndexedDocument
from dedup.match.documents import CorpusOptions
from dedup.match.lsh import band_keys
from dedup.signatures.minhash import signatures

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
ID_000, ID_003 = "000_59e544b5d46df972.txt", "003_1900c49a4f37e301.txt"


def repost(name: str) -> str:
    text = (SAMPLES / name).read_text(encoding="utf-8")
    return "転載：テックニュース編集部\n" + text.replace("Anthropic", "アンソロピック", 2)


@pytest.fixture()
def batches(tmp_path: Path) -> tuple[Path, Path, Path]:
    one, two, three = tmp_path / "day1", tmp_path / "day2", tmp_path / "day3"
    for folder in (one, two, three):
        folder.mkdir()
    for name in (ID_000, "001_49c849b59a745fdc.txt"):
        shutil.copy(SAMPLES / name, one / name)
    for name in ("002_b99ba1c9dcc93368.txt", ID_003):
        shutil.copy(SAMPLES / name, two / name)
    (two / "repost_of_000.txt").write_text(repost(ID_000), encoding="utf-8")
    (three / "repost_of_003.txt").write_text(repost(ID_003), encoding="utf-8")
    shutil.copy(SAMPLES / "004_1d1672a0ffb4af1d.txt", three)
    return one, two, three


def run(folder: Path, index: Path, batch: str, **options) -> dict:
    out = folder.parent / f"{folder.name}-out"
    clean_paths([folder], out, RunOptions(index=str(index), batch=batch, show_progress=False, **options))
    return json.loads((out / "report.json").read_text())


def by_id(report: dict) -> dict[str, dict]:
    return {d["id"]: d for d in report["documents"]}


def test_each_batch_is_checked_against_all_earlier_ones(batches, tmp_path: Path) -> None:
    index = tmp_path / "seen.sqlite"
    one, two, three = batches
    first = run(one, index, "day1")
    assert first["totals"]["added_to_index"] == 2
    second = by_id(run(two, index, "day2"))
    assert second["repost_of_000.txt"]["status"] == "duplicate"
    assert (second["repost_of_000.txt"]["duplicate_of"], second["repost_of_000.txt"]["duplicate_of_batch"]) == (ID_000, "day1")
    assert not (tmp_path / "day2-out" / "repost_of_000.txt").exists()
    third = by_id(run(three, index, "day3"))
    assert third["repost_of_003.txt"]["duplicate_of_batch"] == "day2"
    assert third["004_1d1672a0ffb4af1d.txt"]["status"] == "unique"
    stats = SqliteStore(index).stats()
    assert stats["documents"] == 2 + 2 + 1
    assert stats["batches"] == {"day1": 2, "day2": 2, "day3": 1}


def test_incompatible_parameters_are_refused(batches, tmp_path: Path) -> None:
    index = tmp_path / "seen.sqlite"
    run(batches[0], index, "day1")
    result = CliRunner().invoke(main, ["clean", str(batches[1]), "--index", str(index), "--num-perm", "64"])
    assert result.exit_code == 2
    assert "num_perm: index has 128, this run 64" in result.output
    assert SqliteStore(index).stats()["documents"] == 2


def test_a_batch_that_fails_half_way_leaves_the_index_as_it_was(batches, tmp_path: Path, monkeypatch) -> None:
    index = tmp_path / "seen.sqlite"
    run(batches[0], index, "day1")
    before = SqliteStore(index).stats()
    store = SqliteStore(index)
    params = IndexParams.from_options(CorpusOptions())
    sigs = signatures(["A new document about something else entirely, with words of its own."])
    doc = IndexedDocument("new.txt", "day2", 70, 10, 7, sigs[0])
    monkeypatch.setattr(store, "_db", _FailingConnection(store._db))
    with pytest.raises(IndexAccessError, match="the index is unchanged"):
        store.add([doc], band_keys(sigs, params), params.as_dict())
    store.close()
    assert SqliteStore(index).stats() == before


class _FailingConnection:
    """A connection whose band insert fails after the documents were inserted in the same transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def execute(self, *args):
        return self._db.execute(*args)

    def close(self) -> None:
        self._db.close()

    def executemany(self, sql, rows):
        if sql.startswith("INSERT OR IGNORE INTO bands"):
            raise sqlite3.OperationalError("disk I/O error (simulated)")
        return self._db.executemany(sql, rows)


def test_no_report_and_no_index_change_when_adding_the_batch_fails(batches, tmp_path: Path, monkeypatch) -> None:
    index = tmp_path / "seen.sqlite"
    run(batches[0], index, "day1")

    def broken_add(self, documents, keys, meta):
        raise IndexAccessError(f"{self.location}: the batch could not be added (simulated); the index is unchanged")

    monkeypatch.setattr(SqliteStore, "add", broken_add)
    result = CliRunner().invoke(main, ["clean", str(batches[1]), "--index", str(index), "--out", str(tmp_path / "o")])
    assert result.exit_code != 0
    assert not (tmp_path / "o" / "report.json").exists()
    assert SqliteStore(index).stats()["documents"] == 2


def _clean_in_process(folder: str, index: str, batch: str, out: str) -> None:
    clean_paths([folder], out, RunOptions(index=index, batch=batch, show_progress=False, jobs=1))


def test_two_runs_at_once_are_serialised(tmp_path: Path) -> None:
    """The same re-posted article arrives in two batches run at the same time: exactly one copy is kept."""
    index = tmp_path / "seen.sqlite"
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}.txt").write_text(repost(ID_003), encoding="utf-8")
    context = multiprocessing.get_context("spawn")
    runs = [
        context.Process(target=_clean_in_process, args=(str(tmp_path / n), str(index), n, str(tmp_path / f"{n}-out")))
        for n in ("a", "b")
    ]
    for process in runs:
        process.start()
    for process in runs:
        process.join(120)
        assert process.exitcode == 0
    statuses = sorted(
        json.loads((tmp_path / f"{n}-out" / "report.json").read_text())["documents"][0]["status"] for n in ("a", "b")
    )
    assert statuses == ["duplicate", "unique"]
    assert SqliteStore(index).stats()["documents"] == 1


def test_lock_wait_has_a_limit(tmp_path: Path) -> None:
    holder = SqliteStore(tmp_path / "seen.sqlite")
    waiter = SqliteStore(tmp_path / "seen.sqlite", lock_wait=0.3)
    with holder.lock():
        with pytest.raises(IndexAccessError, match="still locked"):
            with waiter.lock():
                pass


def test_index_commands(batches, tmp_path: Path) -> None:
    index = tmp_path / "seen.sqlite"
    run(batches[0], index, "day1")
    runner = CliRunner()
    stats = json.loads(runner.invoke(main, ["index", "stats", str(index)]).output)
    assert stats["documents"] == 2 and stats["params"]["num_perm"] == 128
    exported = [json.loads(line) for line in runner.invoke(main, ["index", "export", str(index)]).output.splitlines()]
    assert [e["id"] for e in exported] == [ID_000, "001_49c849b59a745fdc.txt"]
    assert len(bytes.fromhex(exported[0]["signature"])) == 128 * 4
    assert runner.invoke(main, ["index", "remove", str(index), ID_000]).exit_code == 0
    missing = runner.invoke(main, ["index", "remove", str(index), ID_000])
    assert missing.exit_code == 1 and "no document" in missing.output
    assert runner.invoke(main, ["index", "compact", str(index)]).exit_code == 0
    second = by_id(run(batches[1], index, "day2"))
    assert second["repost_of_000.txt"]["status"] == "unique"  # forgotten, so kept again
