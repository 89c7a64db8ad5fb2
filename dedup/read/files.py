"""Find .txt/.md files under the given paths and decode them losslessly.

Decisions, all documented in the README:
- a BOM is remembered and written back; CRLF and a missing final newline are kept as is;
- invalid UTF-8 is kept byte for byte (surrogateescape) and reported as a warning;
- binary files (NUL bytes), files over ``max_bytes``, unreadable and missing paths are
  errors naming the file; the run goes on with the rest.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from dedup.errors import InputError
from dedup.read.document import Document

TEXT_SUFFIXES = (".txt", ".md")
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class InputFile:
    """A file to read and the id (relative path) its outputs are written under."""

    path: Path
    id: str


@dataclass(frozen=True)
class Discovery:
    files: tuple[InputFile, ...]
    errors: tuple[InputError, ...]
    warnings: tuple[str, ...]


def discover(paths: Sequence[str | os.PathLike[str]], suffixes: Sequence[str] = TEXT_SUFFIXES) -> Discovery:
    """Every text file under ``paths``, each once, with ids unique across the inputs.

    A folder contributes its files under their path relative to the folder; a file, its
    name. With several inputs the ids are prefixed by the input's name so they cannot
    collide.
    """
    files: list[InputFile] = []
    errors: list[InputError] = []
    warnings: list[str] = []
    seen: set[Path] = set()
    prefix_ids = len(paths) > 1
    for raw in paths:
        root = Path(raw)
        if not root.exists():
            errors.append(InputError(str(raw), "no such file or folder"))
            continue
        if root.is_dir():
            found = sorted(_walk(root, suffixes))
            base = root
        else:
            found = [root]
            base = root.parent
        for path in found:
            real = path.resolve()
            if real in seen:
                warnings.append(f"{path}: given more than once, read once")
                continue
            seen.add(real)
            rel = path.relative_to(base).as_posix()
            if prefix_ids and root.is_dir():
                rel = f"{root.resolve().name}/{rel}"
            files.append(InputFile(path, rel))
    ids = [f.id for f in files]
    if len(set(ids)) != len(ids):
        files = [InputFile(f.path, f"{i}/{f.id}") for i, f in enumerate(files)]
    return Discovery(tuple(files), tuple(errors), tuple(warnings))


def _walk(root: Path, suffixes: Sequence[str]) -> Iterator[Path]:
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if name.lower().endswith(tuple(suffixes)) and not name.startswith("."):
                yield Path(folder) / name


def decode_bytes(doc_id: str, data: bytes, source: str) -> Document:
    """A Document from raw bytes; refuses binary data."""
    if b"\x00" in data[:65536]:
        raise InputError(source, "binary file (contains NUL bytes), skipped")
    bom = data.startswith(_BOM)
    body = data[len(_BOM) :] if bom else data
    invalid_at = None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        invalid_at = exc.start + (len(_BOM) if bom else 0)
        text = body.decode("utf-8", "surrogateescape")
    return Document(doc_id, text, source, bom, invalid_at)


def read_file(item: InputFile, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read and decode one input file, or raise InputError saying why not."""
    try:
        size = item.path.stat().st_size
        if size > max_bytes:
            raise InputError(str(item.path), f"file too large ({size} bytes > limit {max_bytes}), skipped")
        data = item.path.read_bytes()
    except InputError:
        raise
    except IsADirectoryError:
        raise InputError(str(item.path), "is a folder, not a file") from None
    except PermissionError:
        raise InputError(str(item.path), "permission denied") from None
    except OSError as exc:
        raise InputError(str(item.path), f"cannot read ({exc.strerror or exc})") from None
    return decode_bytes(item.id, data, str(item.path))
