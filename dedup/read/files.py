"""Find .txt/.md files under the given paths and decode them losslessly.

Decisions, all documented in the README:
- a BOM is remembered and written back; CRLF and a missing final newline are kept as is;
- invalid UTF-8 is kept byte for byte (surrogateescape) and reported as a warning;
- binary files (NUL bytes), UTF-16/UTF-32 text, files over ``max_bytes``, unreadable and
  missing paths are errors naming the file; the run goes on with the rest;
- only regular files are read. Discovery looks at each candidate with ``stat`` (never
  ``open``, which blocks on a FIFO) and turns a FIFO, device or socket, a symlink loop
  or a broken symlink into an error line naming it rather than skipping it quietly:
  someone put it there under a text-file name, so they should hear it was not read.
  Files with other names are ignored whatever they are, as before;
- a file name that is not valid UTF-8 keeps its undecodable bytes as lone surrogates
  (``os.fsdecode``), so its id gives back the same name through ``os.fsencode``.
"""
from __future__ import annotations

import errno
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from dedup.errors import InputError
from dedup.read.document import Document
from dedup.read.guard import describe, input_error, shown
from dedup.read.streams import NotRegularFile, kind_of, open_regular, read_at_most

TEXT_SUFFIXES = (".txt", ".md")
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SNIFF = 65536


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
    collide. Nothing here raises for a bad path: it becomes an error in the result.
    """
    files: list[InputFile] = []
    errors: list[InputError] = []
    warnings: list[str] = []
    seen: set[str] = set()
    prefix_ids = len(paths) > 1
    for raw in paths:
        try:
            _discover_one(Path(raw), suffixes, prefix_ids, files, errors, warnings, seen)
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - a path we cannot search is an error line, not a crash
            errors.append(input_error(str(raw), f"cannot search ({describe(exc)}), skipped"))
    ids = [f.id for f in files]
    if len(set(ids)) != len(ids):
        files = [InputFile(f.path, f"{i}/{f.id}") for i, f in enumerate(files)]
    return Discovery(tuple(files), tuple(errors), tuple(warnings))


def _discover_one(
    root: Path, suffixes: Sequence[str], prefix_ids: bool,
    files: list[InputFile], errors: list[InputError], warnings: list[str], seen: set[str],
) -> None:
    problem, is_dir = _check_path(root, given=True)
    if problem is not None:
        errors.append(problem)
        return
    if is_dir:
        found = sorted(_walk(root, suffixes, errors))
        base = root
    else:
        found = [root]
        base = root.parent
    for path in found:
        real = os.path.realpath(path)
        if real in seen:
            warnings.append(shown(f"{path}: given more than once, read once"))
            continue
        seen.add(real)
        rel = path.relative_to(base).as_posix()
        if prefix_ids and is_dir:
            rel = f"{Path(os.path.realpath(root)).name}/{rel}"
        files.append(InputFile(path, rel))


def _check_path(path: Path, given: bool) -> tuple[InputError | None, bool]:
    """Why ``path`` cannot be read, if it cannot, and whether it is a folder; ``stat`` only."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return input_error(str(path), _stat_reason(exc, path)), False
    kind = kind_of(mode)
    if kind == "folder":
        return (None, True) if given else (input_error(str(path), "is a folder, not a file"), False)
    if kind is not None:
        return input_error(str(path), f"not a regular file ({kind}), skipped"), False
    return None, False


def _stat_reason(exc: OSError, path: Path) -> str:
    if exc.errno == errno.ELOOP:
        return "cannot read (symlink loop)"
    if exc.errno == errno.ENOENT:
        return "cannot read (broken symlink)" if path.is_symlink() else "no such file or folder"
    if exc.errno == errno.EACCES:
        return "permission denied"
    return f"cannot read ({exc.strerror or exc})"


def _walk(root: Path, suffixes: Sequence[str], errors: list[InputError]) -> Iterator[Path]:
    def unreadable(exc: OSError) -> None:
        errors.append(input_error(str(exc.filename or root), f"cannot read folder ({exc.strerror or exc}), skipped"))

    wanted = tuple(s.lower() for s in suffixes)
    for folder, dirs, names in os.walk(root, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.lower().endswith(wanted) and not name.startswith("."):
                path = Path(folder) / name
                problem, _ = _check_path(path, given=False)
                if problem is None:
                    yield path
                else:
                    errors.append(problem)


def decode_bytes(doc_id: str, data: bytes, source: str) -> Document:
    """A Document from raw bytes; refuses binary data and UTF-16/UTF-32 text."""
    wide = _wide_encoding(data)
    if wide is not None:
        raise input_error(source, f"{wide} text is not supported (convert to UTF-8), skipped")
    if b"\x00" in data[:_SNIFF]:
        raise input_error(source, "binary file (contains NUL bytes), skipped")
    bom = data.startswith(_BOM)
    body = data[len(_BOM) :] if bom else data
    invalid_at = None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        invalid_at = exc.start + (len(_BOM) if bom else 0)
        text = body.decode("utf-8", "surrogateescape")
    return Document(doc_id, text, source, bom, invalid_at)


def _wide_encoding(data: bytes) -> str | None:
    """"UTF-16" or "UTF-32" for text in those encodings, which would otherwise look binary.

    A BOM decides (FF FE and FE FF are never valid UTF-8), if the length fits the
    encoding. Without one, UTF-16 of mostly Latin text has a NUL in every other byte
    on one side only; the sample must also decode to mostly printable characters.
    """
    if data.startswith(_UTF32_BOMS) and len(data) % 4 == 0:
        return "UTF-32"
    if data.startswith(_UTF16_BOMS) and len(data) % 2 == 0:
        return "UTF-16"
    sample = data[: _SNIFF & ~1] if len(data) >= _SNIFF else data[: len(data) & ~1]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    pairs = len(sample) // 2
    for nul_side, codec in ((1, "utf-16-le"), (0, "utf-16-be")):
        here, other = sample[nul_side::2].count(0), sample[1 - nul_side :: 2].count(0)
        if here >= max(8, 0.3 * pairs) and other <= 0.05 * here:
            chars = sample.decode(codec, "replace")
            printable = sum(c.isprintable() or c in "\t\n\r" for c in chars)
            if printable >= 0.9 * len(chars):
                return "UTF-16"
    return None


def read_file(item: InputFile, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read and decode one input file, or raise InputError saying why not.

    At most ``max_bytes + 1`` bytes are ever read, whatever ``stat`` says the size is
    (files in /proc say 0), so an endless or huge input cannot fill memory.
    """
    source = str(item.path)
    try:
        with open_regular(item.path) as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > max_bytes:
                raise input_error(source, f"file too large ({size} bytes > limit {max_bytes}), skipped")
            data = read_at_most(stream, max_bytes + 1)
    except InputError:
        raise
    except NotRegularFile as exc:
        raise input_error(source, f"not a regular file ({exc.kind}), skipped") from None
    except IsADirectoryError:
        raise input_error(source, "is a folder, not a file") from None
    except PermissionError:
        raise input_error(source, "permission denied") from None
    except OSError as exc:
        reason = "symlink loop" if exc.errno == errno.ELOOP else exc.strerror or str(exc)
        raise input_error(source, f"cannot read ({reason})") from None
    if len(data) > max_bytes:
        raise input_error(source, f"file too large (more than the limit of {max_bytes} bytes), skipped")
    return decode_bytes(item.id, data, source)


def read_text_input(item: InputFile, max_bytes: int = DEFAULT_MAX_BYTES) -> Document | InputError:
    """The one guarded read of a text input: its Document, or an InputError for any failure at all."""
    try:
        return read_file(item, max_bytes)
    except InputError as exc:
        return exc
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a new kind of failure is still one error line
        return input_error(str(item.path), f"cannot read ({describe(exc)}), skipped")
