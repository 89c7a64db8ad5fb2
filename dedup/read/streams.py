"""Open files and standard input as byte streams, decompressing by extension (.gz, .zst).

Only regular files are opened: a FIFO would block ``open()`` forever and a device such
as ``/dev/zero`` never ends, so a path is opened non-blocking, checked with ``fstat``
and refused (:class:`NotRegularFile`) unless it is a regular file. Decompression
errors of every kind, including a stream that simply stops early (which zstd itself
does not report), come out as one :class:`CorruptStream` so readers can say "truncated
or corrupt" with how far they got.
"""
from __future__ import annotations

import errno
import gzip
import io
import os
import stat
import sys
import zlib
from pathlib import Path
from typing import BinaryIO

from dedup.extras import require

# Bytes buffered by the files dedup writes and reads: a document a write or a read, so with io's 8 KiB every other
# one was a system call. Reading takes less: a line over the record limit is skipped in bounded memory (and a
# compressed stream keeps io's default, as what is decompressed of a read that fails on corrupt data is lost).
IO_BUFFER = 1 << 20
READ_BUFFER = 1 << 18

STDIN = "-"
STDIN_NAME = "<stdin>"
_ZSTD_INPUT_CHUNK = 2048  # zstd expands at most ~32,000x, so one chunk decodes to at most ~64 MiB

_KINDS = (
    (stat.S_ISDIR, "folder"),
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISSOCK, "socket"),
)


class NotRegularFile(OSError):
    """The path exists but is not a regular file (a FIFO, device, socket or folder)."""

    def __init__(self, path: str, kind: str):
        super().__init__(errno.EINVAL, f"not a regular file ({kind})", path)
        self.kind = kind


class CorruptStream(OSError):
    """Compressed data that cannot be decoded to its end: corrupt, or cut short."""

    def __init__(self, codec: str, detail: str):
        super().__init__(errno.EIO, f"truncated or corrupt {codec} data ({detail})")
        self.codec = codec
        self.detail = detail


def kind_of(mode: int) -> str | None:
    """What a non-regular file is, in words (``None`` for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "special file")


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """A buffered binary stream on ``path``, or :class:`NotRegularFile` without blocking.

    ``O_NONBLOCK`` makes opening a FIFO return at once instead of waiting for a writer;
    it is cleared again before reading (it means nothing for a regular file).
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        status = os.fstat(fd)
        kind = kind_of(status.st_mode)
        if kind == "folder":
            raise IsADirectoryError(errno.EISDIR, "Is a directory", os.fsdecode(path))
        if kind is not None:
            raise NotRegularFile(os.fsdecode(path), kind)
        _clear_nonblocking(fd)
        # a small file needs no large buffer (a folder of articles opens one file each)
        return os.fdopen(fd, "rb", buffering=min(READ_BUFFER, max(io.DEFAULT_BUFFER_SIZE, status.st_size)))
    except BaseException:
        os.close(fd)
        raise


def _clear_nonblocking(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: there was no O_NONBLOCK to clear
        return
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)


def read_at_most(stream: BinaryIO, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``stream``, read as they come: a size from ``stat`` can lie."""
    parts: list[bytes] = []
    left = limit
    while left > 0:
        chunk = stream.read(min(left, 1 << 20))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def open_stdin() -> BinaryIO:
    """Standard input as bytes; an ``OSError`` when there is none (closed, or never opened)."""
    stdin = sys.stdin
    buffer = getattr(stdin, "buffer", None) if stdin is not None else None
    if buffer is None or buffer.closed:
        raise OSError(errno.EBADF, "standard input is closed")
    try:
        os.fstat(buffer.fileno())
    except io.UnsupportedOperation:
        pass  # an in-memory stdin (tests, embedding): nothing to check
    except OSError:
        raise OSError(errno.EBADF, "standard input is closed") from None
    return buffer


def open_bytes(path: str) -> BinaryIO:
    """A readable binary stream of the (decompressed) content of ``path``, or of stdin for ``-``.

    Closing the stream closes the file under it.
    """
    if path == STDIN:
        return open_stdin()
    raw = open_regular(path)
    name = path.lower()
    if name.endswith(".gz"):
        return io.BufferedReader(_GzipReader(raw))
    if name.endswith((".zst", ".zstd")):
        return io.BufferedReader(_ZstdReader(raw))
    return raw


class _GzipReader(io.RawIOBase):
    """gzip through :class:`CorruptStream`: its errors (EOFError, zlib.error, BadGzipFile) are not OSErrors alike."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self._gzip = gzip.GzipFile(fileobj=raw)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            return self._gzip.readinto(buffer)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise CorruptStream("gzip", str(exc) or type(exc).__name__) from None

    def close(self) -> None:
        try:
            self._gzip.close()
        finally:
            self._raw.close()
            super().close()


class _ZstdReader(io.RawIOBase):
    """zstd frames one after another, with a frame cut short reported instead of read as the end.

    ``zstandard``'s own stream reader returns end-of-file in the middle of a frame and
    stops after the first frame; a decompression object says whether its frame ended.
    Input goes in small chunks so one call cannot expand into gigabytes.
    """

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self._zstd = require("zstandard", "zstd", "reading .zst")
        self._frame = self._zstd.ZstdDecompressor().decompressobj()
        self._in_frame = False
        self._out = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._out:
            chunk = self._raw.read(_ZSTD_INPUT_CHUNK)
            if not chunk:
                if self._in_frame:
                    raise CorruptStream("zstd", "the last frame is cut short")
                return 0
            self._out = memoryview(self._decompress(chunk))
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def _decompress(self, chunk: bytes) -> bytes:
        out = []
        try:
            while chunk:
                self._in_frame = True
                out.append(self._frame.decompress(chunk))
                chunk = b""
                if self._frame.eof:
                    chunk = self._frame.unused_data
                    self._frame = self._zstd.ZstdDecompressor().decompressobj()
                    self._in_frame = False
        except self._zstd.ZstdError as exc:
            raise CorruptStream("zstd", str(exc) or "ZstdError") from None
        return b"".join(out)

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


def open_output_bytes(path: Path, target: Path) -> BinaryIO:
    """A writable binary stream on ``path`` that compresses by the extension of ``target``."""
    name = target.name.lower()
    zstd = require("zstandard", "zstd", "writing .zst") if name.endswith((".zst", ".zstd")) else None
    raw = open(path, "wb", buffering=IO_BUFFER)  # noqa: SIM115
    if name.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw, mode="wb")  # type: ignore[return-value]
    if zstd is not None:
        return zstd.ZstdCompressor().stream_writer(raw, closefd=True)
    return raw
