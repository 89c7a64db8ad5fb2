"""Write a file so that readers see either the old file or the whole new one, never half.

The bytes go to a temporary file in the same folder, are flushed to disk, and replace the
target with one ``os.replace``; if the writer is interrupted the temporary file is removed,
so an interrupted run leaves no half files.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from dedup.read.streams import IO_BUFFER


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike[str], opener: Callable[[Path, Path], BinaryIO] | None = None
) -> Iterator[BinaryIO]:
    """A binary stream whose content replaces ``path`` only when the block ends without error.

    ``opener(temporary, target)`` may wrap the file (to compress it by the target's name).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".dedup-tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual mode
    try:
        handle = opener(tmp, target) if opener else open(tmp, "wb", buffering=IO_BUFFER)
        with handle:
            yield handle
            handle.flush()
        with open(tmp, "rb+") as synced:
            os.fsync(synced.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    with atomic_output(path) as handle:
        handle.write(data)
