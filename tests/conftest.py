"""Shared fixtures for the command-line, reading and writing tests.

- ``samples_dir``: the seed articles in ``samples/`` (read only: never write into it).
- ``samples_copy``: a private copy of them under ``tmp_path``.
- ``dedup_exe``: the installed ``dedup`` command, for tests that run the real process.
- ``hash_tree``: SHA-256 of every file under a folder, to show it was not touched.
- ``run_cli``: runs ``dedup ARGS...`` in process with click's CliRunner and returns a
  result whose ``stdout`` and ``stderr`` are always separate (click < 8.2 needs
  ``mix_stderr=False`` for that; from 8.2 on they are separate by default).
- ``paragraphs``: sixteen short, unrelated English paragraphs, one line each, long enough
  (15+ words) to be removed as repeated paragraphs. Tests give each file its own
  paragraphs, so no two files are duplicates of one another.
- ``article``: joins paragraphs into a file's bytes (blank line between paragraphs, final
  newline), optionally with CRLF line endings and a UTF-8 BOM.

Markers (pyproject.toml): ``slow``, ``ray``, ``redis``, ``browser``; the last two are added
here to every test using the ``server`` or ``browser`` fixture. Every test has a timeout
(pytest-timeout, ``timeout`` in pyproject.toml).
"""
from __future__ import annotations

import hashlib
import inspect
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"
DEDUP_EXE = Path(sys.executable).parent / "dedup"
BOM = b"\xef\xbb\xbf"

PARAGRAPHS = (  # sixteen unrelated paragraphs, so files built from disjoint sets share nothing
    "The town council met on Tuesday evening to review next year's budget, and most members agreed that spending on road repairs should rise.",
    "Local farmers reported a strong harvest this autumn, with wheat yields well above the average of the last ten years across the whole valley.",
    "Residents are invited to comment on the new library plans at a public meeting in the town hall next month, before any final decision is taken.",
    "The railway company said that the evening trains to the coast would run every half hour from May, after a long campaign by commuters and shop owners.",
    "Scientists at the university have started a three-year study of the river, measuring water quality and counting fish at twelve points along its course.",
    "A new bakery opened on the market square last week, and by Saturday morning the queue for fresh bread stretched all the way to the post office.",
    "The football club has finally received permission to build a larger stadium on the old factory site, though neighbours still worry about parking on match days.",
    "Doctors welcomed the opening of the hospital's new children's wing, which adds forty beds and a playroom painted by pupils from the primary school nearby.",
    "An exhibition of hand-drawn maps from the seventeenth century opens at the museum on Friday, showing how sailors once imagined the coastline and distant islands.",
    "Heavy storms on Sunday night tore tiles from hundreds of roofs in the northern villages, and several families spent the night with relatives while builders assessed the damage.",
    "Pupils from the secondary school won second prize at the national robotics competition with a small machine that sorts plastic bottles by colour and size.",
    "Engineers will close the old stone bridge for six weeks in the summer so that its crumbling arches can be strengthened before the heavy autumn rains arrive.",
    "More than three hundred cyclists took part in the charity ride along the canal, raising money for the mountain rescue team that saved two walkers last winter.",
    "At the cafe on the corner, the choir and their families celebrated a sold-out evening of music by local composers after the concert in the cathedral.",
    "The regional airport expects to handle a million passengers for the first time this year, thanks to new flights to three cities in southern Europe and North Africa.",
    "The water company admitted that ageing pipes under the high street leak thousands of litres every day, and promised to replace the worst sections before December.",
)


# Tiers: a test that uses one of these fixtures gets its marker, so ``-m "not redis and not browser"``
# leaves out every test needing that service whatever module it is in.
FIXTURE_MARKERS = {"server": "redis", "browser": "browser"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in FIXTURE_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch) -> None:
    """Each test its own user cache folder (where runs remember the indexes they used), for its processes too."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def dedup_exe() -> Path:
    """The installed ``dedup`` command of the interpreter running the tests."""
    assert DEDUP_EXE.exists(), DEDUP_EXE
    return DEDUP_EXE


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    assert SAMPLES_DIR.is_dir(), SAMPLES_DIR
    return SAMPLES_DIR


@pytest.fixture
def samples_copy(tmp_path: Path, samples_dir: Path) -> Path:
    """A writable copy of samples/ at ``tmp_path/samples``."""
    dest = tmp_path / "samples"
    shutil.copytree(samples_dir, dest)
    for path in dest.iterdir():
        path.chmod(0o644)
    return dest


def sample_path(samples_dir: Path, prefix: str) -> Path:
    (path,) = samples_dir.glob(f"{prefix}_*.txt")
    return path


@pytest.fixture(scope="session")
def sample_file(samples_dir: Path) -> Callable[[str], Path]:
    """``sample_file("000")``: the path of the sample whose name starts with that prefix."""
    return lambda prefix: sample_path(samples_dir, prefix)


def tree_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (hidden ones too), by relative path."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def hash_tree() -> Callable[[Path], dict[str, str]]:
    """``hash_tree(folder)``: SHA-256 of every file under it, by relative path."""
    return tree_hashes


def _make_runner() -> CliRunner:
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)  # click < 8.2: stderr separate only if asked
    return CliRunner()  # click >= 8.2: result.stderr is always separate


@pytest.fixture
def run_cli() -> Callable[..., object]:
    """``run_cli(["clean", ...])`` -> click Result with ``exit_code``, ``stdout``, ``stderr``.

    Arguments may be Paths. Unexpected exceptions are left in ``result.exception`` (as a
    real run would print a traceback), so tests can assert there was none.
    """

    from dedup.cli import main  # imported here so a broken CLI does not stop the other tests

    def run(args: Sequence[str | Path]):
        return _make_runner().invoke(main, [str(a) for a in args], catch_exceptions=True)

    return run


@pytest.fixture(scope="session")
def paragraphs() -> tuple[str, ...]:
    return PARAGRAPHS


def make_article(paras: Sequence[str], crlf: bool = False, bom: bool = False) -> bytes:
    nl = "\r\n" if crlf else "\n"
    data = (nl + nl).join(paras).encode("utf-8") + nl.encode()
    return BOM + data if bom else data


@pytest.fixture(scope="session")
def article() -> Callable[..., bytes]:
    return make_article
