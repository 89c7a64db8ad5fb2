"""Open files and standard input as byte streams, decompressing by extension (.gz, .zst)."""
from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path
from typing import BinaryIO

import zstandard

STDIN = "-"


def open_bytes(path: str) -> BinaryIO:
    """A readable binary stream of the (decompressed) content of ``path``, or of stdin for ``-``."""
    if path == STDIN:
        return sys.stdin.buffer
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller through the wrapper
    name = path.lower()
    if name.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    if name.endswith((".zst", ".zstd")):
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw, closefd=True))
    return raw


def open_output_bytes(path: Path, target: Path) -> BinaryIO:
    """A writable binary stream on ``path`` that compresses by the extension of ``target``."""
    raw = open(path, "wb")  # noqa: SIM115
    name = target.name.lower()
    if name.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw, mode="wb")  # type: ignore[return-value]
    if name.endswith((".zst", ".zstd")):
        return zstandard.ZstdCompressor().stream_writer(raw, closefd=True)  # type: ignore[return-value]
    return raw
