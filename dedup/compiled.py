"""Compiled kernels that are compiled only once the work repays it.

A numba kernel costs seconds to compile the first time a process of a new install calls it
(then ``cache=True`` keeps it on disk: loading it later costs a few tens of milliseconds,
plus numba's own import). A run on a few articles is over before that pays back, so each
kernel is paired with a plain version (numpy, or Python around a C library) that gives the
same result bit for bit, and :func:`sized_kernel` picks one per call:

- the plain version while the work done by this kernel in this process stays under its
  threshold, so a small run never imports numba;
- the compiled one once the work passes it, and from then on in this process. The
  threshold is the work the plain version does in about the time compiling takes, so a run
  is never more than about twice as slow as with a warm cache (the ski-rental rule);
  when numba's cache already holds the kernel (found next to the kernel's module, or under
  ``NUMBA_CACHE_DIR``) the much lower ``warm`` threshold applies, as loading is cheap: the
  plain work of numba's own set-up (some 0.45 s: its import, its compiler's first start)
  and of loading the kernel. Once numba is set up in this process (by any kernel), one
  more cached kernel loads in 3-15 ms (measured 2026-12-03), so a kernel that gives
  ``loaded`` (the plain work of about 10 ms) switches from that much work on.

``DEDUP_KERNELS=compiled`` or ``=plain`` forces one side (benchmarks, comparisons).

A new kernel: write it in its own module with ``@njit(cache=True)`` as usual, write the
plain twin with the same arguments and results, and bind the pair where callers import it::

    ngram_hashes = sized_kernel("dedup.signatures.kernels", "ngram_hashes", plain.ngram_hashes,
                                work=lambda data, *_: data.shape[0], cold=..., warm=...)
"""
from __future__ import annotations

import glob
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from typing import Any


class SizedKernel:
    """Calls ``plain`` or the compiled ``module.name`` by the work done so far (see the module doc)."""

    def __init__(
        self, module: str, name: str, plain: Callable[..., Any], work: Callable[..., int], cold: int, warm: int,
        loaded: int | None = None,
    ):
        self.module = module
        self.name = name
        self.plain = plain
        self.work = work
        self.cold = cold
        self.warm = warm
        self.loaded = warm if loaded is None else loaded
        self.done = 0  # work units done by this kernel in this process
        self._compiled: Callable[..., Any] | None = None
        self._cached: bool | None = None

    def __call__(self, *args: Any) -> Any:
        mode = os.environ.get("DEDUP_KERNELS", "auto")
        if mode == "plain":
            return self.plain(*args)
        if self._compiled is None and mode != "compiled":
            self.done += self.work(*args)
            if self.done < self.threshold():
                return self.plain(*args)
        return self.compiled()(*args)

    def compiled(self) -> Callable[..., Any]:
        """The numba dispatcher (importing numba and compiling or loading the kernel on its first call)."""
        if self._compiled is None:
            self._compiled = getattr(importlib.import_module(self.module), self.name)
        return self._compiled

    def threshold(self) -> int:
        if self._cached is None:
            self._cached = self.cached()
        if not self._cached:
            return self.cold
        return self.loaded if "numba" in sys.modules else self.warm

    def cached(self) -> bool:
        """Whether numba's on-disk cache seems to hold this kernel: an index file of it, written after its source.

        An index older than the source is of an earlier version (an upgrade, an edit): numba
        compiles again, so loading is not cheap.
        """
        spec = importlib.util.find_spec(self.module)
        if spec is None or spec.origin is None:
            return False
        folder, file = os.path.split(spec.origin)
        pattern = f"{os.path.splitext(file)[0]}.{self.name}-*.nbi"
        places = [os.path.join(folder, "__pycache__", pattern)]
        if os.environ.get("NUMBA_CACHE_DIR"):
            places.append(os.path.join(os.environ["NUMBA_CACHE_DIR"], "**", pattern))
        written = os.path.getmtime(spec.origin)
        return any(os.path.getmtime(index) >= written for place in places for index in glob.glob(place, recursive=True))


def sized_kernel(
    module: str, name: str, plain: Callable[..., Any], *, work: Callable[..., int], cold: int, warm: int,
    loaded: int | None = None,
) -> SizedKernel:
    """The kernel ``module.name`` (compiled with numba), or ``plain`` while the work is too small to repay it.

    ``work(*args)`` measures a call's work in any unit; ``cold`` and ``warm`` are the thresholds in
    that unit without and with numba's cache holding the kernel, ``loaded`` (``warm`` if not
    given) with the cache holding it and numba already set up in this process.
    """
    return SizedKernel(module, name, plain, work, cold, warm, loaded)
