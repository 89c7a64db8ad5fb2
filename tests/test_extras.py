"""A missing optional dependency is one line naming what needed it and the extra to install, exit 2.

Each test hides a module (``sys.modules[name] = None`` makes ``import name`` fail as if it
were not installed) and runs what needs it.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from dedup.extras import DISTRIBUTION, MissingExtra


@pytest.fixture
def hide(monkeypatch):
    """``hide(name, ...)``: those modules cannot be imported during the test. Modules of dedup first imported
    meanwhile are forgotten afterwards, as they may hold the missing module (``redis_store.redis = None``)."""
    before = set(sys.modules)

    def hide_(*names: str) -> None:
        for name in names:
            monkeypatch.setitem(sys.modules, name, None)

    yield hide_
    for name in sorted(set(sys.modules) - before, reverse=True):
        if name.startswith("dedup."):
            module = sys.modules.pop(name)
            parent, _, child = name.rpartition(".")
            if getattr(sys.modules.get(parent), child, None) is module:
                delattr(sys.modules[parent], child)


def line(what: str, extra: str) -> str:
    return f"dedup: {what} needs the '{extra}' extra: pip install '{DISTRIBUTION}[{extra}]'\n"


@pytest.fixture
def records(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"text": "A short story about the harbour market and its traders."}) + "\n")
    return path


def assert_one_line(result, what: str, extra: str) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert (result.exit_code, result.stderr, result.stdout) == (2, line(what, extra), "")


@pytest.mark.parametrize("hidden", [["pyarrow", "pyarrow.parquet"], ["pyarrow.parquet"]])
def test_reading_parquet_without_pyarrow(run_cli, hide, tmp_path: Path, hidden: list[str]) -> None:
    (tmp_path / "in.parquet").write_bytes(b"PAR1")
    hide(*hidden)
    assert_one_line(run_cli(["clean", tmp_path / "in.parquet"]), "reading .parquet", "parquet")
    assert_one_line(run_cli(["clean", tmp_path, "--format", "parquet"]), "--format parquet", "parquet")
    from dedup.read.records import read_parquet

    with pytest.raises(MissingExtra):  # inside a folder: met when the file is opened, and not an input error
        list(read_parquet(str(tmp_path / "in.parquet")))


def test_writing_parquet_without_pyarrow(run_cli, hide, records: Path, tmp_path: Path) -> None:
    hide("pyarrow.parquet")
    assert_one_line(run_cli(["clean", records, "--out", tmp_path / "out.parquet"]), "writing .parquet", "parquet")
    assert not (tmp_path / "out.parquet").exists()


def test_zstd_without_zstandard(run_cli, hide, records: Path, tmp_path: Path) -> None:
    (tmp_path / "in.jsonl.zst").write_bytes(b"\x28\xb5\x2f\xfd")
    hide("zstandard")
    assert_one_line(run_cli(["clean", tmp_path / "in.jsonl.zst"]), "reading .zst", "zstd")
    assert_one_line(run_cli(["clean", records, "--out", tmp_path / "out.jsonl.zst"]), "writing .zst", "zstd")
    from dedup.read.streams import open_bytes

    with pytest.raises(MissingExtra):
        open_bytes(str(tmp_path / "in.jsonl.zst"))


def test_redis_index_without_redis(run_cli, hide, records: Path, tmp_path: Path) -> None:
    hide("redis")
    location = "redis://127.0.0.1:9/0"
    assert_one_line(run_cli(["clean", records, "--out", tmp_path / "out.jsonl", "--index", location]), "--index redis://", "redis")
    assert_one_line(run_cli(["index", "stats", location]), "--index redis://", "redis")


@pytest.mark.parametrize("missing", ["ray", "ray.data", "pandas", "pyarrow"])
def test_ray_engine_without_its_extra(run_cli, hide, records: Path, tmp_path: Path, missing: str) -> None:
    hide(missing)
    assert_one_line(run_cli(["clean", records, "--engine", "ray", "--out", tmp_path / "out"]), "--engine ray", "ray")


def test_datatrove_step_without_datatrove(hide, monkeypatch) -> None:
    hide("datatrove", "datatrove.data", "datatrove.pipeline.base")
    monkeypatch.delitem(sys.modules, "dedup.integrations.datatrove", raising=False)
    with pytest.raises(ImportError, match=r"dedup.integrations.datatrove needs the 'datatrove' extra"):
        import dedup.integrations.datatrove  # noqa: F401


def test_text_files_need_no_extra(run_cli, hide, samples_copy: Path, tmp_path: Path) -> None:
    hide("pyarrow", "pyarrow.parquet", "zstandard", "redis", "ray", "pandas", "datatrove")
    result = run_cli(["clean", samples_copy, "--out", tmp_path / "out", "--quiet"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert len(list((tmp_path / "out").glob("*.txt"))) == 5

