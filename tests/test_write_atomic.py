"""write_atomic: readers see the old file or the whole new one, never half, never a temp file."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from dedup.write.atomic import write_atomic

OLD = "The old version of the article, which must survive a failed write.\n".encode() * 50
NEW = "東京の新しい記事です。\n".encode()


def all_files(root: Path) -> list[str]:
    """Every file under ``root``, hidden ones included."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_creates_missing_parent_folders(tmp_path) -> None:
    target = tmp_path / "out" / "2024" / "may" / "council.txt"
    write_atomic(target, NEW)
    assert target.read_bytes() == NEW
    assert all_files(tmp_path) == ["out/2024/may/council.txt"]


def test_accepts_a_str_path(tmp_path) -> None:
    write_atomic(str(tmp_path / "a.txt"), NEW)
    assert (tmp_path / "a.txt").read_bytes() == NEW


@pytest.mark.parametrize("data", [b"", NEW, OLD * 40], ids=["empty", "short", "large"])
def test_replaces_existing_content_completely(tmp_path, data) -> None:
    target = tmp_path / "a.txt"
    target.write_bytes(OLD)
    write_atomic(target, data)
    assert target.read_bytes() == data
    assert all_files(tmp_path) == ["a.txt"]


def test_leaves_no_temp_file(tmp_path) -> None:
    for i in range(3):
        write_atomic(tmp_path / f"doc{i}.txt", NEW)
    write_atomic(tmp_path / "doc0.txt", OLD)
    assert all_files(tmp_path) == ["doc0.txt", "doc1.txt", "doc2.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".dedup-tmp")]


@pytest.mark.parametrize("fail_in", ["fsync", "replace"])
@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()], ids=["oserror", "interrupt"])
def test_failure_mid_write_keeps_the_old_file(tmp_path, monkeypatch, fail_in, error) -> None:
    target = tmp_path / "a.txt"
    target.write_bytes(OLD)
    calls = []

    def fail(*args, **kwargs):
        calls.append(args)
        raise error

    monkeypatch.setattr(os, fail_in, fail)
    with pytest.raises(type(error)):
        write_atomic(target, NEW)
    monkeypatch.undo()
    assert calls
    assert target.read_bytes() == OLD
    assert all_files(tmp_path) == ["a.txt"]


@pytest.mark.parametrize("fail_in", ["fsync", "replace"])
def test_failure_on_a_new_file_leaves_nothing(tmp_path, monkeypatch, fail_in) -> None:
    def fail(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, fail_in, fail)
    with pytest.raises(OSError):
        write_atomic(tmp_path / "out" / "a.txt", NEW)
    monkeypatch.undo()
    assert all_files(tmp_path) == []


def test_new_file_gets_the_usual_permissions(tmp_path) -> None:
    umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "a.txt", NEW)
    finally:
        os.umask(umask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
