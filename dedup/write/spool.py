"""A temporary file that holds what pass 1 produced until pass 2 knows what to write.

Corpus deduplication can only decide which copy of a cluster to keep after every document
has been seen, so cleaned documents wait on disk, not in memory: memory grows with the
number of documents (their sketches), not with the size of the corpus.
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterator

from dedup.read.streams import IO_BUFFER


class Spool:
    """Append byte records; read them back in the order written."""

    def __init__(self, directory: str | None = None) -> None:
        self._file = tempfile.TemporaryFile(prefix="dedup-spool-", dir=directory, buffering=IO_BUFFER)
        self._lengths: list[int] = []

    def append(self, *records: bytes) -> None:
        for record in records:
            self._file.write(record)
            self._lengths.append(len(record))

    def read_back(self, per_item: int) -> Iterator[tuple[bytes, ...]]:
        """The records again, ``per_item`` at a time, as they were appended."""
        self._file.flush()
        self._file.seek(0)
        for first in range(0, len(self._lengths), per_item):
            yield tuple(self._file.read(n) for n in self._lengths[first : first + per_item])

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
