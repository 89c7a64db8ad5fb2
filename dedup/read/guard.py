"""The one net under every reader: any failure reading an input becomes an InputError naming it.

Readers catch the failures they know (missing file, bad JSON, truncated stream) and word
them well; this catches the ones nobody has met yet, so a new kind of corruption is one
error line for one input and never a traceback that stops the run. Only what is not
about the input passes through: KeyboardInterrupt and SystemExit (not ``Exception``)
MemoryError (the machine, not the file) and MissingExtra (an optional dependency not
installed: a usage error for the whole run).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from dedup.errors import InputError
from dedup.extras import MissingExtra

T = TypeVar("T")
# Control characters (C0, DEL, C1) and the Unicode line separators, shown as escapes so
# a file name or JSON key holding a newline cannot split an error over two lines.
_ESCAPES = {c: repr(chr(c))[1:-1] for c in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)}


def shown(text: str) -> str:
    """``text`` with control characters escaped, everything else (lone surrogates too) as is."""
    return text.translate(_ESCAPES)


def input_error(path: str, reason: str) -> InputError:
    """An InputError that is one line whatever the path or reason hold."""
    return InputError(shown(path), shown(reason))


def describe(exc: BaseException) -> str:
    """The exception's type and the first line of its message, for a one-line reason."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def guarded(name: str, items: Iterator[T | InputError]) -> Iterator[T | InputError]:
    """``items`` until they fail; an unexpected failure ends them with one InputError for ``name``."""
    count = 0
    try:
        for item in items:
            count += 1
            yield item
    except InputError as exc:
        yield exc
    except (MemoryError, MissingExtra):  # the machine or the installation, not the input
        raise
    except Exception as exc:  # noqa: BLE001 - the point of this function
        yield input_error(name, f"cannot read further after {count} records ({describe(exc)}); stopped there")
