"""Where a run may write, checked before anything is read.

A run that would fail to write its outputs must fail at once, with one line, and before
it has done the work or touched the index: an output folder inside an input folder, an
output over an input, a folder that is a file, a place that cannot be created or written.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from dedup.errors import OutputError
from dedup.read.files import InputFile


def real(path: str | os.PathLike[str]) -> Path:
    """The resolved path; never raises (a symlink loop stays unresolved)."""
    return Path(os.path.realpath(path))


def default_out_dir(paths: Sequence[str | os.PathLike[str]]) -> Path:
    """``<first existing input>-dedup`` beside it: never inside an input folder."""
    first = real(next((p for p in paths if os.path.exists(p)), paths[0]))
    stem = first.stem if first.is_file() else first.name
    return first.parent / f"{stem or 'input'}-dedup"


def check_out_dir(out_dir: Path, paths: Sequence[str | os.PathLike[str]], files: Sequence[InputFile]) -> None:
    """Refuse an output folder inside an input folder, one that would overwrite an input, or one we cannot write."""
    out = real(out_dir)
    for raw in paths:
        root = real(raw)
        if root.is_dir() and (out == root or root in out.parents):
            raise OutputError(f"output folder {out_dir} is inside input folder {raw}: choose another --out")
    inputs = {real(f.path) for f in files}
    for f in files:
        if real(out / f.id) in inputs:
            raise OutputError(f"writing {out / f.id} would overwrite an input file: choose another --out")
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"--out {out_dir} is a file, not a folder: text inputs are written to a folder")
    writable_folder(out_dir, f"the output folder {out_dir}")


def check_out_file(out: str, files: Sequence[InputFile], what: str = "output") -> None:
    """Refuse an output file that is an input, a folder, or in a place we cannot write."""
    if out == "-":
        return
    if real(out) in {real(f.path) for f in files if str(f.path) != "-"}:
        raise OutputError(f"{what} {out} is an input file: choose another --out")
    if os.path.isdir(out):
        raise OutputError(f"{what} {out} is a folder: name a file")
    writable_folder(Path(out).absolute().parent, f"the {what} {out}")


def writable_folder(folder: Path, what: str) -> None:
    """Create ``folder`` if needed and prove a file can be made in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".dedup-probe-"):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write {what}: no file can be made in {folder} ({exc.strerror or exc})") from None
