"""Optional dependencies: imported where they are used, and a one-line usage error when missing.

Cleaning text files needs only the hard dependencies. Parquet (pyarrow), zstd (zstandard),
a Redis index (redis), Ray (ray, pandas, pyarrow) and datatrove are extras of the
distribution, installed with ``pip install 'dedup-articles[parquet]'`` and so on. A missing
one is not a bug and not a broken input: :func:`require` raises :class:`MissingExtra`, a
:class:`~dedup.errors.UsageError` (exit 2, one line, no traceback) that names what needed it
and what to install. :func:`check_run` says so for a whole run before anything is read.
"""
from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from types import ModuleType

from dedup.errors import UsageError

DISTRIBUTION = "dedup-articles"
_ZSTD_SUFFIXES = (".zst", ".zstd")


class MissingExtra(UsageError, ImportError):
    """An optional dependency is not installed (an ImportError too, for library callers)."""

    def __init__(self, what: str, extra: str):
        super().__init__(f"{what} needs the '{extra}' extra: pip install '{DISTRIBUTION}[{extra}]'")
        self.what = what
        self.extra = extra

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return MissingExtra, (self.what, self.extra)


def require(module: str, extra: str, what: str) -> ModuleType:
    """``import module``, or :class:`MissingExtra` saying that ``what`` needs ``extra``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.partition(".")[0]
        if exc.name is not None and exc.name.partition(".")[0] != top:
            raise  # the module is there but broken (a dependency of its own): not a missing extra
        raise MissingExtra(what, extra) from None


def require_ray() -> ModuleType:
    """Ray and what the Ray engine uses beside it (pandas and pyarrow for its blocks, which ray.data imports too)."""
    for module in ("pandas", "pyarrow", "ray", "ray.data"):
        require(module, "ray", "--engine ray")
    return require("ray", "ray", "--engine ray")


def _suffix_need(name: str, verb: str) -> tuple[str, str, str] | None:
    lower = name.lower()
    if lower.endswith(".parquet"):
        return "pyarrow.parquet", "parquet", f"{verb} .parquet"
    if lower.endswith(_ZSTD_SUFFIXES):
        return "zstandard", "zstd", f"{verb} .zst"
    return None


def check_run(
    paths: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str] | None, fmt: str = "auto",
    index: str | None = None, engine: str = "local",
) -> None:
    """Raise :class:`MissingExtra` now if the inputs, output, index or engine named need an extra that is missing.

    Files found inside input folders are checked when they are opened (same error).
    """
    needs = [_suffix_need(os.fspath(p), "reading") for p in paths]
    if fmt == "parquet":
        needs.append(("pyarrow.parquet", "parquet", "--format parquet"))
    if out is not None:
        needs.append(_suffix_need(os.fspath(out), "writing"))
    if index is not None and index.startswith(("redis://", "rediss://", "unix://")):
        needs.append(("redis", "redis", "--index redis://"))
    for need in needs:
        if need is not None:
            require(*need)
    if engine == "ray":
        require_ray()
