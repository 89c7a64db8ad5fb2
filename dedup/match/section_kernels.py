"""Compiled section chaining: which chain each block match extends, in one loop over the matches.

``dedup.match.sections`` chains block matches into repeated sections. In Python each match
costs a few dictionary lookups and list building, some 5 µs: a real page whose navigation
lines repeat gives thousands of matches, a sixth of the cost of cleaning it. Here the open
chains are found by the match that ends them: matches are sorted by (first, second), so the
possible last matches of a chain a match can extend are a few runs of that order, found by
binary search. Callers get this through ``sections.section_chains``, which uses the Python
twin until a process has done enough work to repay compiling.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def section_chains(firsts, seconds, substantial, max_gap):
    """``(chain, order)``: the chain of each match (sorted by first, then second) and the chains in the order listed.

    The rule is :func:`dedup.match.sections.chain_sections`'. A chain is listed when it
    closes (the first match more than ``max_gap + 1`` units after its last), chains closing
    together by when they opened, then the chains still open at the end by when they opened.
    """
    m = len(firsts)
    step = max_gap + 1
    before = np.zeros(len(substantial) + 1, dtype=np.int64)  # substantial units before each unit
    for u in range(len(substantial)):
        before[u + 1] = before[u] + (1 if substantial[u] else 0)
    chain = np.empty(m, dtype=np.int64)
    length = np.zeros(m, dtype=np.int64)
    last = np.empty(m, dtype=np.int64)  # the chain's last match
    head_second = np.empty(m, dtype=np.int64)
    ending = np.full(m, -1, dtype=np.int64)  # the chain a match is the last of
    chains = 0
    for i in range(m):
        first, second = firsts[i], seconds[i]
        best, best_length, best_gap = -1, 0, 0
        for last_first in range(max(first - step, 0), first):
            low = np.searchsorted(firsts, last_first, "left")
            high = np.searchsorted(firsts, last_first, "right")
            if low == high:
                continue
            j = low + np.searchsorted(seconds[low:high], second - step, "left")
            stop = low + np.searchsorted(seconds[low:high], second, "right")
            while j < stop:
                c = ending[j]
                j += 1
                if c < 0 or first >= head_second[c]:
                    continue  # the first copy would run into the second: a tandem repeat, not one section
                previous = last[c]
                last_second = seconds[previous]
                if _skips_substance(before, last_first, first) and _skips_substance(before, last_second, second):
                    continue
                gap = (first - last_first) + (second - last_second)
                if best < 0 or length[c] > best_length or (
                    length[c] == best_length and (gap < best_gap or (gap == best_gap and c < best))
                ):
                    best, best_length, best_gap = c, length[c], gap
        if best < 0:
            best = chains
            chains += 1
            head_second[best] = second
        else:
            ending[last[best]] = -1
        chain[i] = best
        length[best] += 1
        last[best] = i
        ending[i] = best
    closes = np.empty(chains, dtype=np.int64)  # the match at which each chain closes, m if none does
    for c in range(chains):
        closes[c] = np.searchsorted(firsts, firsts[last[c]] + step, "right")
    return chain, np.argsort(closes, kind="mergesort")


@njit(cache=True, inline="always")
def _skips_substance(before, after, until):
    """Whether a substantial unit lies strictly between ``after`` and ``until``."""
    return until > after + 1 and before[until] - before[after + 1] > 0
