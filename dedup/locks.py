"""An exclusive lock on a file that names its holder, for runs that must take turns.

A run holds one on its output (``.dedup-lock`` beside it) and, for a SQLite index, on
``<index>.lock``. The kernel frees a ``flock`` when its holder dies, so a killed run
never leaves a lock behind; worker processes, which inherit the open file, die with the
run (:mod:`dedup.engine.workers`). The holder (pid, host, since when) is written into the
file, so a run that has to wait says whom it waits for.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator


class LockTimeout(Exception):
    """The lock was still held by another run when the wait ran out."""


def holder_line() -> str:
    """Who holds a lock: this process, its host and since when (JSON)."""
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                       "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})


def describe_holder(raw: bytes | str | None) -> str:
    """``pid 123 on host, since T`` from what :func:`holder_line` wrote, or a plain 'another run'."""
    try:
        holder = json.loads(raw or "")
        return f"pid {holder['pid']} on {holder['host']}, since {holder['since']}"
    except (ValueError, TypeError, KeyError):
        return "another run"


@contextlib.contextmanager
def file_lock(path: str, wait: float, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold ``path`` exclusively; tell ``on_wait`` once whom we wait for; LockTimeout after ``wait`` seconds.

    OSError (the lock file cannot be opened) is left to the caller to word.
    """
    with open(path, "a+") as handle:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                holder = describe_holder(handle.read())
                if time.monotonic() > deadline:
                    raise LockTimeout(f"still locked after {wait:.0f} s, by {holder}") from None
                if not told and on_wait is not None:
                    on_wait(f"waiting: locked by {holder}")
                    told = True
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(holder_line())
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
