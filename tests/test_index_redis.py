"""Persistent index on a real Redis server: batches, restarts, failures, atomic adds, commands.

Each test starts a private ``redis-server`` on a free loopback port, with its data in
``tmp_path`` and the append-only file on, so a restart keeps what was written. Without
``redis-server`` the tests are skipped, except under ``CI=true``, where they fail.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
ID_000, ID_001, ID_002, ID_003, ID_004 = (
    "000_59e544b5d46df972.txt", "001_49c849b59a745fdc.txt", "002_b99ba1c9dcc93368.txt",
    "003_1900c49a4f37e301.txt", "004_1d1672a0ffb4af1d.txt",
)
REDIS_SERVER = shutil.which("redis-server")

ENGLISH = {
    "harbour.txt": (
        "The harbour authority confirmed on Monday that the old fish market on the eastern quay will be "
        "turned into a covered hall for small traders, after two years of argument about whether the "
        "building was worth saving at all.",
        "Engineers found that the iron roof is sound, although the brick walls need new foundations where "
        "the tide has washed out the soil beneath them. The work is expected to take eighteen months and "
        "to cost a little under four million pounds.",
        "Stallholders from the Saturday market, who now set up their tables in the car park, welcomed the "
        "decision but asked for rents that a baker or a cheesemonger can afford, not only the chain cafes "
        "that have taken over the promenade.",
        "The council will publish the plans in the library and online next week, and residents have until "
        "the end of March to send their comments before the final design is approved.",
    ),
    "orchard.txt": (
        "Volunteers planted more than two hundred fruit trees on the slope above the railway cutting this "
        "weekend, restoring an orchard that was grubbed up in the nineteen sixties to make room for a depot "
        "that was never built.",
        "The varieties were chosen from old nursery catalogues found in the county archive, and several of "
        "them, including a small russet apple and a late cooking pear, had not been grown in the valley for "
        "half a century.",
        "Children from the village school labelled each tree with a painted slate, and the parish has "
        "promised to mow the paths twice a year so that walkers can pick the fruit in autumn without "
        "trampling the wild flowers.",
        "Organisers hope that the orchard will become a place for the whole community, with a blossom day "
        "in spring and a pressing day in October when anyone can bring apples and take home fresh juice.",
    ),
    "observatory.txt": (
        "The hilltop observatory reopened its doors to the public after a long restoration of the brass "
        "telescope that was installed there in eighteen ninety and had not moved since the dome jammed "
        "during a storm fifteen years ago.",
        "A team of retired engineers rebuilt the clockwork drive by hand, copying worn gears from drawings "
        "kept by the family of the instrument maker, and the lens was cleaned by specialists from the "
        "national museum.",
        "On clear Friday evenings visitors can now look at the moon and the brighter planets, and the "
        "astronomy society runs short talks for beginners in the library below the dome.",
        "Tickets are free but must be booked in advance, because the narrow stair to the telescope can only "
        "take twelve people at a time and the viewing sessions often sell out within hours.",
    ),
}


def english(name: str) -> str:
    return "\n\n".join(ENGLISH[name]) + "\n"


def english_repost(name: str) -> str:
    """A re-post with a few edits: a credit line, two words changed."""
    text = english(name).replace("Monday", "Tuesday").replace("two hundred", "three hundred").replace("brass", "bronze")
    return "Reposted from the Valley Gazette\n\n" + text.replace("residents", "locals", 1)


def japanese_repost(name: str) -> str:
    text = (SAMPLES / name).read_text(encoding="utf-8")
    return "転載：テックニュース編集部\n" + text.replace("Anthropic", "アンソロピック", 2)


# -- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A private redis-server with its data in ``directory``; start/stop/kill keep port and data."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = open(self.directory / "redis.log", "ab")
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--save", "", "--appendonly", "yes", "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        import redis

        deadline = time.monotonic() + 20
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {(self.directory / 'redis.log').read_text()[-2000:]}")
            try:
                if client.ping():  # also fails while the append-only file is being loaded
                    client.close()
                    return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM: Redis flushes the append-only file and exits."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)

    def kill(self) -> None:
        """SIGKILL: no chance to clean up."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)

    def client(self):
        import redis

        return redis.Redis(port=self.port)


@pytest.fixture()
def server(tmp_path: Path):
    if REDIS_SERVER is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed (the CI machine must install the redis-server package)")
        pytest.skip("redis-server is not installed")
    directory = tmp_path / "redis"
    directory.mkdir()
    instance = RedisServer(directory)
    instance.start()
    yield instance
    instance.kill()


# -- helpers -------------------------------------------------------------------------------


def write_batch(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def samples(*names: str) -> dict[str, str]:
    return {n: (SAMPLES / n).read_text(encoding="utf-8") for n in names}


@pytest.fixture()
def day_batches(tmp_path: Path) -> tuple[Path, Path, Path]:
    """day1: three articles; day2: re-posts of two of them plus new ones; day3: re-posts of day1 and day2 articles."""
    day1 = write_batch(tmp_path / "day1", {**samples(ID_000, ID_001), "harbour.txt": english("harbour.txt")})
    day2 = write_batch(tmp_path / "day2", {
        "repost_of_000.txt": japanese_repost(ID_000),
        "harbour_repost.txt": english_repost("harbour.txt"),
        **samples(ID_003),
        "orchard.txt": english("orchard.txt"),
    })
    day3 = write_batch(tmp_path / "day3", {
        "again_001.txt": japanese_repost(ID_001),
        "again_003.txt": japanese_repost(ID_003),
        "orchard_repost.txt": english_repost("orchard.txt"),
        **samples(ID_004),
        "observatory.txt": english("observatory.txt"),
    })
    return day1, day2, day3


def cli(dedup_exe: Path, *args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """The real ``dedup`` command in its own process."""
    return subprocess.run([str(dedup_exe), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def clean(dedup_exe: Path, folder: Path, location: str, batch: str, *extra: str) -> subprocess.CompletedProcess:
    return cli(dedup_exe, "clean", folder, "--index", location, "--batch", batch, "--out", out_of(folder), "-q", *extra)


def out_of(folder: Path) -> Path:
    return folder.parent / f"{folder.name}-out"


def report(folder: Path) -> dict[str, dict]:
    loaded = json.loads((out_of(folder) / "report.json").read_text(encoding="utf-8"))
    return {d["id"]: d for d in loaded["documents"]} | {"_totals": loaded["totals"]}


def index_command(*args: str) -> subprocess.CompletedProcess:
    """``dedup index ARGS`` in this process (click's runner; stderr kept apart), to spare a start-up per call."""
    import inspect

    from click.testing import CliRunner

    from dedup.cli import main

    runner = CliRunner(mix_stderr=False) if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters else CliRunner()
    result = runner.invoke(main, ["index", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def stats(location: str) -> dict:
    result = index_command("stats", location)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def assert_one_clear_line(stderr: str, location: str, *phrases: str) -> None:
    assert "Traceback" not in stderr and "redis.exceptions" not in stderr, stderr
    naming = [line for line in stderr.splitlines() if location in line]
    assert len(naming) == 1, stderr
    for phrase in phrases:
        assert phrase in naming[0], stderr


def snapshot(server: RedisServer, prefix: bytes = b"dedup:", skip: tuple[bytes, ...] = (b"lock", b"holder")) -> dict[bytes, object]:
    """Every key under the prefix with its whole value (sets as frozensets, hashes as dicts)."""
    client = server.client()
    found: dict[bytes, object] = {}
    for key in client.scan_iter(match=prefix + b"*", count=1000):
        if key[len(prefix):] in skip:
            continue
        kind = client.type(key)
        if kind == b"set":
            found[key] = frozenset(client.smembers(key))
        elif kind == b"hash":
            found[key] = client.hgetall(key)
        else:
            found[key] = client.get(key)
    return found


def duplicate_of(record: dict) -> tuple[str, str | None, str | None]:
    return record["status"], record["duplicate_of"], record["duplicate_of_batch"]


# -- (a) batches through the CLI -----------------------------------------------------------


def test_two_batches_through_the_cli(server, day_batches, dedup_exe: Path) -> None:
    day1, day2, _ = day_batches
    first = clean(dedup_exe, day1, server.url, "day1")
    assert first.returncode == 0, first.stderr
    assert report(day1)["_totals"]["added_to_index"] == 3

    second = clean(dedup_exe, day2, server.url, "day2")
    assert second.returncode == 0, second.stderr
    records = report(day2)
    assert duplicate_of(records["repost_of_000.txt"]) == ("duplicate", ID_000, "day1")
    assert duplicate_of(records["harbour_repost.txt"]) == ("duplicate", "harbour.txt", "day1")
    assert records["repost_of_000.txt"]["duplicate_kind"] in ("near", "contained")
    for new in (ID_003, "orchard.txt"):
        assert records[new]["status"] in ("unique", "cleaned") and records[new]["duplicate_of"] is None
        assert (out_of(day2) / new).exists()
    assert not (out_of(day2) / "repost_of_000.txt").exists()
    assert records["_totals"]["duplicates_of_index"] == 2 and records["_totals"]["added_to_index"] == 2

    info = stats(server.url)
    assert info["backend"] == "redis" and info["location"] == server.url
    assert info["documents"] == 5
    assert info["batches"] == {"day1": 3, "day2": 2}
    assert info["params"]["num_perm"] == 128
    bands = info["params"]["bands"]
    assert info["band_entries"] == 5 * bands and info["band_sets"] == 5 * bands  # unrelated articles share no band
    assert info["bytes_in_memory"] > 0 and info["persistence"]["aof_enabled"] is True


# -- (b) a restart keeps the index -----------------------------------------------------------


def test_the_index_survives_a_server_restart(server, day_batches, dedup_exe: Path) -> None:
    day1, day2, day3 = day_batches
    assert clean(dedup_exe, day1, server.url, "day1").returncode == 0
    assert clean(dedup_exe, day2, server.url, "day2").returncode == 0
    before = snapshot(server)
    server.stop()
    server.start()  # same port, same directory: the append-only file is read back
    assert snapshot(server) == before

    third = clean(dedup_exe, day3, server.url, "day3")
    assert third.returncode == 0, third.stderr
    records = report(day3)
    assert duplicate_of(records["again_001.txt"]) == ("duplicate", ID_001, "day1")
    assert duplicate_of(records["again_003.txt"]) == ("duplicate", ID_003, "day2")
    assert duplicate_of(records["orchard_repost.txt"]) == ("duplicate", "orchard.txt", "day2")
    assert records[ID_004]["status"] in ("unique", "cleaned") and records[ID_004]["duplicate_of"] is None
    assert stats(server.url)["batches"] == {"day1": 3, "day2": 2, "day3": 2}


def test_a_server_restarted_empty_is_noticed(server, day_batches, dedup_exe: Path) -> None:
    """Without persistence a restarted server comes back empty: the run says so instead of calling every re-post new."""
    day1, day2, _ = day_batches
    assert clean(dedup_exe, day1, server.url, "day1").returncode == 0
    server.kill()
    for path in server.directory.iterdir():  # the append-only file and any dump: a server with no persistence
        if path.name != "redis.log":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    server.start()
    second = clean(dedup_exe, day2, server.url, "day2")
    assert second.returncode == 0, second.stderr
    assert "the index is empty, but it held 3 documents" in second.stderr
    assert any("the index is empty" in w for w in json.loads((out_of(day2) / "report.json").read_text())["warnings"])


# -- (c) the server is not there ---------------------------------------------------------------


def test_nothing_listening_is_one_clear_line(day_batches, dedup_exe: Path, tmp_path: Path) -> None:
    location = f"redis://127.0.0.1:{free_port()}/0"
    day1 = day_batches[0]
    result = clean(dedup_exe, day1, location, "day1")
    assert result.returncode != 0
    assert_one_clear_line(result.stderr, location, "cannot reach", "connection refused")
    assert not (out_of(day1) / "report.json").exists()
    assert not out_of(day1).exists() or not any(out_of(day1).iterdir())  # nothing written at all

    result = cli(dedup_exe, "index", "stats", location)  # a real process: no traceback on its stderr
    assert result.returncode == 1 and result.stdout == ""
    assert_one_clear_line(result.stderr, location, "cannot reach", "connection refused")
    for command in (("stats",), ("export",), ("remove", "x.txt"), ("compact",)):
        result = index_command(command[0], location, *command[1:])
        assert result.returncode == 1, (command, result.stderr)
        assert_one_clear_line(result.stderr, location, "cannot reach", "connection refused")
        assert result.stdout == ""


def test_a_password_is_never_shown(server, day_batches, dedup_exe: Path) -> None:
    server.client().config_set("requirepass", "right-password")
    wrong = f"redis://:hunter2secret@127.0.0.1:{server.port}/0"
    result = clean(dedup_exe, day_batches[0], wrong, "day1")
    assert result.returncode != 0 and "hunter2secret" not in result.stderr
    assert_one_clear_line(result.stderr, f"redis://:***@127.0.0.1:{server.port}/0", "authentication failed")
    assert not (out_of(day_batches[0]) / "report.json").exists()
    right = f"redis://:right-password@127.0.0.1:{server.port}/0"
    assert clean(dedup_exe, day_batches[0], right, "day1").returncode == 0
    info = stats(right)
    assert info["location"] == f"redis://:***@127.0.0.1:{server.port}/0" and info["documents"] == 3
    unreachable = f"redis://:hunter2secret@127.0.0.1:{free_port()}/0"
    result = index_command("stats", unreachable)
    assert result.returncode == 1 and "hunter2secret" not in result.stderr
    assert_one_clear_line(result.stderr, unreachable.replace("hunter2secret", "***"), "cannot reach")


def test_a_server_killed_between_two_runs(server, day_batches, dedup_exe: Path) -> None:
    day1, day2, _ = day_batches
    assert clean(dedup_exe, day1, server.url, "day1").returncode == 0
    before = snapshot(server)
    server.kill()

    result = clean(dedup_exe, day2, server.url, "day2")
    assert result.returncode != 0
    assert_one_clear_line(result.stderr, server.url, "cannot reach", "connection refused")
    assert not (out_of(day2) / "report.json").exists()

    server.start()  # what reached the append-only file before the kill is all there
    assert snapshot(server) == before
    again = clean(dedup_exe, day2, server.url, "day2")
    assert again.returncode == 0, again.stderr
    assert duplicate_of(report(day2)["repost_of_000.txt"]) == ("duplicate", ID_000, "day1")


# -- (d) incompatible parameters --------------------------------------------------------------


def test_incompatible_parameters_are_refused(server, day_batches, dedup_exe: Path) -> None:
    day1, day2, _ = day_batches
    assert clean(dedup_exe, day1, server.url, "day1").returncode == 0
    before = snapshot(server)
    result = clean(dedup_exe, day2, server.url, "day2", "--num-perm", "64")
    assert result.returncode == 2
    assert_one_clear_line(result.stderr, server.url, "num_perm: index has 128, this run 64")
    assert not (out_of(day2) / "report.json").exists()
    assert snapshot(server) == before


# -- (e) add is all or nothing ---------------------------------------------------------------


def new_documents(batch: str, names: tuple[str, ...] = ("orchard.txt", "observatory.txt")):
    """IndexedDocuments and band keys for some English articles, as a run would add them."""
    from dedup.index.bands import IndexParams
    from dedup.index.store import IndexedDocument
    from dedup.match.documents import CorpusOptions
    from dedup.match.lsh import band_keys
    from dedup.signatures.minhash import sketch

    texts = [english(n) for n in names]
    sketches = sketch(texts)
    params = IndexParams.from_options(CorpusOptions())
    docs = [
        IndexedDocument(name, batch, len(text), int(sketches.sizes[i]), int(sketches.exact_keys[i : i + 1].view("int64")[0]), sketches.signatures[i])
        for i, (name, text) in enumerate(zip(names, texts))
    ]
    return docs, band_keys(sketches.signatures, params), params.as_dict()


def failing_send(monkeypatch, at_call: int, action: Callable[[object], None]) -> dict[str, int]:
    """Make the transaction's ``at_call``-th chunk of queued commands fail, after ``action``."""
    from dedup.index import redis_store

    monkeypatch.setattr(redis_store, "_SEND_CHUNK", 2)
    real = redis_store._Transaction.send
    seen = {"calls": 0, "queued": 0}

    def send(self, commands):
        seen["calls"] += 1
        if seen["calls"] == at_call:
            action(self)
        real(self, commands)
        seen["queued"] = self.sent

    monkeypatch.setattr(redis_store._Transaction, "send", send)
    return seen


def test_a_server_killed_during_add_leaves_the_index_unchanged(server, day_batches, dedup_exe: Path, monkeypatch) -> None:
    from dedup.index.redis_store import RedisStore
    from dedup.index.store import IndexAccessError

    assert clean(dedup_exe, day_batches[0], server.url, "day1").returncode == 0
    before = snapshot(server)
    seen = failing_send(monkeypatch, 3, lambda tx: server.kill())
    store = RedisStore(server.url)
    with pytest.raises(IndexAccessError) as failure:
        store.add(*new_documents("day2"))
    store.close()
    message = str(failure.value)
    assert message.startswith(f"cannot reach {server.url}: ") and message.endswith("the index is unchanged"), message
    assert seen["queued"] >= 4  # commands had been queued in the transaction when the server died
    server.start()
    assert snapshot(server) == before


def test_a_connection_lost_during_add_leaves_the_index_unchanged(server, day_batches, dedup_exe: Path, monkeypatch) -> None:
    from dedup.index.redis_store import RedisStore
    from dedup.index.store import IndexAccessError

    assert clean(dedup_exe, day_batches[0], server.url, "day1").returncode == 0
    before = snapshot(server)
    seen = failing_send(monkeypatch, 4, lambda tx: tx._conn.disconnect())  # the client side goes away
    store = RedisStore(server.url)
    with pytest.raises(IndexAccessError, match="the index is unchanged"):
        store.add(*new_documents("day2"))
    assert seen["queued"] >= 6
    assert snapshot(server) == before  # the server dropped the queued commands with the connection
    monkeypatch.undo()
    store.add(*new_documents("day2"))  # and the same batch goes in whole afterwards
    assert store.stats()["batches"] == {"day1": 3, "day2": 2}
    store.close()


def test_a_run_whose_add_fails_writes_no_report(server, day_batches, run_cli, monkeypatch) -> None:
    day1, day2, _ = day_batches
    assert run_cli(["clean", day1, "--index", server.url, "--batch", "day1", "--out", out_of(day1), "-q"]).exit_code == 0
    before = snapshot(server)
    failing_send(monkeypatch, 2, lambda tx: server.kill())
    result = run_cli(["clean", day2, "--index", server.url, "--batch", "day2", "--out", out_of(day2), "-q"])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert_one_clear_line(result.stderr, server.url, "cannot reach", "the index is unchanged")
    assert not (out_of(day2) / "report.json").exists()
    server.start()
    assert snapshot(server) == before


def test_another_writer_during_add_is_detected(server, day_batches, dedup_exe: Path, monkeypatch) -> None:
    """A change between our reads and EXEC (here: a bumped generation) voids the transaction."""
    from dedup.index.redis_store import RedisStore
    from dedup.index.store import IndexAccessError

    assert clean(dedup_exe, day_batches[0], server.url, "day1").returncode == 0
    before = snapshot(server, skip=(b"lock", b"gen"))
    real = RedisStore._batch_counts

    def meddle(self, tx):
        server.client().incr(b"dedup:gen")
        return real(self, tx)

    monkeypatch.setattr(RedisStore, "_batch_counts", meddle)
    store = RedisStore(server.url)
    with store.lock(), pytest.raises(IndexAccessError, match="changed by another client.*the index is unchanged"):
        store.add(*new_documents("day2"))
    assert snapshot(server, skip=(b"lock", b"gen")) == before


def test_a_run_that_lost_its_lock_does_not_write(server, day_batches, dedup_exe: Path) -> None:
    from dedup.index.redis_store import RedisStore
    from dedup.index.store import IndexAccessError

    assert clean(dedup_exe, day_batches[0], server.url, "day1").returncode == 0
    before = snapshot(server)
    store = RedisStore(server.url)
    with store.lock():
        server.client().set(b"dedup:lock", b"someone-else")  # our lock expired and another run took it
        with pytest.raises(IndexAccessError, match="lost its lock"):
            store.add(*new_documents("day2"))
    assert snapshot(server) == before


# -- the lock ----------------------------------------------------------------------------------


def test_the_lock_is_renewed_waited_for_and_freed(server) -> None:
    from dedup.index.redis_store import RedisStore
    from dedup.index.store import IndexAccessError

    holder = RedisStore(server.url, lock_ttl=1.0)
    waiter = RedisStore(server.url, lock_wait=0.3)
    with holder.lock():
        time.sleep(2.5)  # longer than the lock's time to live: renewed meanwhile
        assert server.client().pttl(b"dedup:lock") > 0
        with pytest.raises(IndexAccessError, match="still locked after"):
            with waiter.lock():
                pass
    assert not server.client().exists(b"dedup:lock")

    server.client().set(b"dedup:lock", b"a-run-that-was-killed", px=700)  # never released
    patient = RedisStore(server.url, lock_wait=5)
    started = time.monotonic()
    with patient.lock():
        assert 0.4 < time.monotonic() - started < 4


def test_two_runs_at_once_are_serialised(server, tmp_path: Path, dedup_exe: Path) -> None:
    """The same re-posted article arrives in two batches run at the same time: exactly one copy is kept."""
    folders = [write_batch(tmp_path / name, {f"{name}.txt": japanese_repost(ID_003)}) for name in ("a", "b")]
    runs = [
        subprocess.Popen([str(dedup_exe), "clean", str(f), "--index", server.url, "--batch", f.name, "--out", str(out_of(f)), "-q"],
                         stderr=subprocess.PIPE, text=True)
        for f in folders
    ]
    for run in runs:
        assert run.wait(300) == 0, run.stderr.read()
    statuses = sorted(report(f)[f"{f.name}.txt"]["status"] for f in folders)
    assert statuses[0] == "duplicate" and statuses[1] in ("unique", "cleaned")
    assert stats(server.url)["documents"] == 1


# -- (f) index commands -------------------------------------------------------------------------


def test_index_commands(server, day_batches, dedup_exe: Path) -> None:
    day1, day2, _ = day_batches
    assert clean(dedup_exe, day1, server.url, "day1").returncode == 0
    info = stats(server.url)
    bands = info["params"]["bands"]

    exported = [json.loads(line) for line in index_command("export", server.url).stdout.splitlines()]
    assert [(e["id"], e["batch"]) for e in exported] == [(ID_000, "day1"), (ID_001, "day1"), ("harbour.txt", "day1")]
    assert all(len(bytes.fromhex(e["signature"])) == 128 * 4 for e in exported)
    assert exported[0]["chars"] > 0 and exported[0]["size"] > 0

    removed = index_command("remove", server.url, ID_000)
    assert removed.returncode == 0 and "removed 1 entry" in removed.stdout
    missing = index_command("remove", server.url, ID_000)
    assert missing.returncode == 1 and "no document" in missing.stderr and "Traceback" not in missing.stderr
    after = stats(server.url)
    assert after["documents"] == 2 and after["batches"] == {"day1": 2}
    assert after["band_sets"] == 2 * bands and after["band_entries"] == 2 * bands
    sets = [k for k in server.client().scan_iter(match=b"dedup:b:*", count=1000)]
    assert len(sets) == 2 * bands  # the removed document's band sets are gone

    # compact: drops references left to missing documents and recounts
    client = server.client()
    client.sadd(sets[0], 999)
    client.sadd(b"dedup:b:dangling", 998)
    compacted = index_command("compact", server.url)
    assert compacted.returncode == 0 and server.url in compacted.stdout
    assert not client.sismember(sets[0], 999) and not client.exists(b"dedup:b:dangling")
    compacted_stats = stats(server.url)
    assert (compacted_stats["band_sets"], compacted_stats["band_entries"]) == (2 * bands, 2 * bands)

    second = clean(dedup_exe, day2, server.url, "day2")
    assert second.returncode == 0, second.stderr
    records = report(day2)
    assert records["repost_of_000.txt"]["status"] in ("unique", "cleaned")  # forgotten, so kept again
    assert duplicate_of(records["harbour_repost.txt"]) == ("duplicate", "harbour.txt", "day1")


def test_an_id_seen_in_two_batches_is_removed_everywhere(server, tmp_path: Path, dedup_exe: Path) -> None:
    one = write_batch(tmp_path / "one", {"news.txt": english("harbour.txt")})
    two = write_batch(tmp_path / "two", {"news.txt": english("observatory.txt")})  # same name, another article
    assert clean(dedup_exe, one, server.url, "one").returncode == 0
    assert clean(dedup_exe, two, server.url, "two").returncode == 0
    assert stats(server.url)["batches"] == {"one": 1, "two": 1}
    removed = index_command("remove", server.url, "news.txt")
    assert removed.returncode == 0 and "removed 2 entries" in removed.stdout
    after = stats(server.url)
    assert after["documents"] == 0 and after["batches"] == {} and after["band_sets"] == 0
    left = {k for k in snapshot(server) if not k.startswith(b"dedup:v:")}  # boilerplate votes are the batches', kept
    assert left <= {b"dedup:" + k for k in (b"meta", b"next", b"sets", b"entries", b"gen", b"runs", b"identity")}


def test_named_indexes_share_a_database_but_nothing_else(server, day_batches, dedup_exe: Path) -> None:
    day1, day2, _ = day_batches
    assert clean(dedup_exe, day1, f"{server.url}?name=news", "day1").returncode == 0
    assert clean(dedup_exe, day2, f"{server.url}?name=blogs", "day2").returncode == 0
    assert report(day2)["repost_of_000.txt"]["status"] != "duplicate"  # another index
    news = stats(f"{server.url}?name=news")
    assert news["prefix"] == "dedup:news:" and news["batches"] == {"day1": 3}
    assert stats(f"{server.url}?name=blogs")["batches"] == {"day2": 4}
    assert stats(server.url)["documents"] == 0


def test_store_round_trip(server) -> None:
    """What goes in comes out: records, exact keys, candidates; odd ids and batch names too."""
    from dedup.index.redis_store import RedisStore

    docs, keys, meta = new_documents("バッチ\udcff", ("orchard.txt", "observatory.txt"))
    docs = [dataclasses.replace(docs[0], id="記事/\udcfe.txt"), docs[1]]
    store = RedisStore(server.url)
    assert store.read_meta() is None and store.candidates(keys[:0]) == [] and store.exact([]) == []
    with store.lock():
        store.add(docs, keys, meta)
        store.add([], keys[:0], meta)
    assert store.read_meta() == meta
    assert store.exact([d.exact_key for d in docs] + [12345]) == [1, 2, None]
    assert store.candidates(keys) == [{1}, {2}]
    fetched = store.fetch([2, 1, 7])
    assert sorted(fetched) == [1, 2]
    for number, doc in zip((1, 2), docs):
        got = fetched[number]
        assert (got.id, got.batch, got.chars, got.size, got.exact_key) == (doc.id, doc.batch, doc.chars, doc.size, doc.exact_key)
        assert np.array_equal(got.signature, doc.signature.astype(np.uint32))
    assert [d.id for d in store.export()] == [docs[0].id, docs[1].id]
    assert store.stats()["batches"] == {"バッチ\udcff": 2}
    assert store.remove("記事/\udcfe.txt") == 1 and store.candidates(keys) == [set(), {2}]
    store.close()


def test_a_server_still_loading_its_data_is_waited_for(server, monkeypatch) -> None:
    import redis

    from dedup.index import redis_store
    from dedup.index.redis_store import RedisStore
    from dedup.index.store import IndexAccessError

    store = RedisStore(server.url)
    real_get = redis.Redis.get
    replies = iter([redis.BusyLoadingError("Redis is loading the dataset in memory")] * 2)

    def get(self, name):
        failure = next(replies, None)
        if failure is not None:
            raise failure
        return real_get(self, name)

    monkeypatch.setattr(redis.Redis, "get", get)
    assert store.read_meta() is None  # after two "loading" replies
    monkeypatch.setattr(redis_store, "_LOADING_WAIT", 0.0)
    replies = iter([redis.BusyLoadingError("Redis is loading the dataset in memory")] * 5)
    with pytest.raises(IndexAccessError, match=f"^cannot reach {server.url}: the server is still loading its data$"):
        store.read_meta()
    store.close()
