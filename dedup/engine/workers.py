"""Worker processes that never outlive the run and never answer Ctrl-C themselves.

Each worker asks the kernel (Linux ``PR_SET_PDEATHSIG``) to be killed when the run's
process dies, so a ``kill -9`` of the run leaves no workers behind holding the index lock
they inherited. Workers ignore SIGINT: Ctrl-C reaches the whole process group, and only
the run itself should answer it (one line, exit 130), not every worker with a traceback.
"""
from __future__ import annotations

import ctypes
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

_PR_SET_PDEATHSIG = 1


def usable_jobs(requested: int | None, documents: int | None = None) -> int:
    """Worker count: as asked, but never more than the cores, nor than the documents when known."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = min(requested or cores, cores)
    if documents is not None:
        jobs = min(jobs, max(documents, 1))
    return max(jobs, 1)


def _start_worker(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: workers end when their pipe closes
        pass
    if os.getppid() != parent:  # the run died before we asked
        os._exit(1)


def ordered_map(fn: Callable[..., Any], items: Iterable[Any], jobs: int, *args: Any) -> Iterator[Any]:
    """``fn(item, *args)`` for each item, in order, on ``jobs`` processes with a bounded queue.

    If the consumer stops early (an error, Ctrl-C) the pending work is cancelled and the
    workers are stopped at once instead of finishing the queue.
    """
    if jobs <= 1:
        for item in items:
            yield fn(item, *args)
        return
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker, initargs=(os.getpid(),))
    pending: deque[Future[Any]] = deque()
    finished = False
    try:
        for item in items:
            pending.append(pool.submit(fn, item, *args))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
        finished = True
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:
            for future in pending:
                future.cancel()
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
            pool.shutdown(wait=False, cancel_futures=True)
