"""Chain repeated blocks into repeated sections.

An article pasted twice shows up as many block pairs (1, 24), (2, 26), (3, 27) …: the
same order on both sides, with a few extra blocks (headings, a title) on one side. Chained
together they form one repeated section, and the decision "which copy to keep" is taken
once for the whole section, so the copy with the headings is kept whole instead of
keeping the first copy's paragraphs and orphaning the second copy's headings.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.compiled import sized_kernel
from dedup.match.pairs import UnitMatch


@dataclass(frozen=True)
class RepeatedSection:
    """Matches in reading order on both sides: firsts increase, seconds never decrease.

    A second may repeat (two pieces of a paragraph cut at a chunk boundary, both inside
    one later whole copy); a first may not, or one block repeated many times would chain
    with all its copies as if they were one section.
    """

    matches: tuple[UnitMatch, ...]

    @property
    def first_side(self) -> range:
        return range(self.matches[0].first, max(m.first for m in self.matches) + 1)

    @property
    def second_side(self) -> range:
        return range(self.matches[0].second, self.matches[-1].second + 1)


def chain_sections(
    matches: Iterable[UnitMatch], max_gap: int, substantial: Sequence[bool] | np.ndarray
) -> list[RepeatedSection]:
    """Group matches into sections; consecutive matches skip at most ``max_gap`` units on each side.

    A match that could extend several chains extends the longest (then the tightest, then
    the one opened first), so a repeated heading cannot pull the rest of a section away
    from the paragraph that anchors it.

    A link may skip headings, markers or short lines on both sides, or whole paragraphs on
    one side (a copy with a paragraph added), but not paragraphs on both sides: that is
    two different repeats that happen to line up, not one section.

    Sections are listed as their chains close (when the matches have moved more than
    ``max_gap + 1`` units past their last), chains closing together by when they opened,
    then those still open at the end.
    """
    ordered = sorted(matches, key=lambda m: (m.first, m.second))
    if not ordered:
        return []
    firsts = np.fromiter((m.first for m in ordered), dtype=np.int64, count=len(ordered))
    seconds = np.fromiter((m.second for m in ordered), dtype=np.int64, count=len(ordered))
    chain, order = section_chains(firsts, seconds, np.asarray(substantial, dtype=bool), max_gap)
    members: list[list[UnitMatch]] = [[] for _ in range(len(order))]
    for match, c in zip(ordered, chain.tolist()):
        members[c].append(match)
    return [RepeatedSection(tuple(members[c])) for c in order.tolist()]


def plain_section_chains(
    firsts: np.ndarray, seconds: np.ndarray, substantial: np.ndarray, max_gap: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`dedup.match.section_kernels.section_chains` in Python: the same results.

    Open chains are found by the position of their last match, never by scanning them
    all: a block repeated k times opens k chains at once, and trying each match against
    all of them made a document of one passage pasted over and over quadratic.
    """
    step = max_gap + 1
    flags = substantial.tolist()
    chains: list[list[tuple[int, int]]] = []  # by opening order, the tie-break between equal candidates
    chain_of: list[int] = []
    # open chains by their last match: first -> second -> chain ids (one, as no match is listed twice)
    ends: dict[int, dict[int, list[int]]] = {}
    last_firsts: deque[int] = deque()  # the firsts of ``ends``, ascending: chains close in that order
    closed: list[int] = []

    def close_before(first: int) -> None:
        """Close the chains whose last match is more than ``step`` units before ``first``."""
        closing: list[int] = []
        while last_firsts and last_firsts[0] + step < first:
            for ids in ends.pop(last_firsts.popleft(), {}).values():
                closing.extend(ids)
        closed.extend(sorted(closing))

    def add_end(chain_id: int, first: int, second: int) -> None:
        if not last_firsts or last_firsts[-1] != first:
            last_firsts.append(first)
        ends.setdefault(first, {}).setdefault(second, []).append(chain_id)

    for first, second in zip(firsts.tolist(), seconds.tolist()):
        close_before(first)
        best, best_key = None, None
        for last_first in range(max(first - step, 0), first):
            by_second = ends.get(last_first)
            if not by_second:
                continue
            if len(by_second) <= step + 1:
                candidates = [ids for s, ids in by_second.items() if second - step <= s <= second]
            else:
                candidates = [by_second[s] for s in range(second - step, second + 1) if s in by_second]
            for chain_id in (i for ids in candidates for i in ids):
                chain = chains[chain_id]
                last = chain[-1]
                if first >= chain[0][1]:
                    continue  # the first copy would run into the second: a tandem repeat, not one section
                if _skips_substance(flags, last[0], first) and _skips_substance(flags, last[1], second):
                    continue
                key = (-len(chain), (first - last[0]) + (second - last[1]), chain_id)
                if best_key is None or key < best_key:
                    best, best_key = chain_id, key
        if best is None:
            chains.append([(first, second)])
            best = len(chains) - 1
        else:
            last = chains[best][-1]
            by_second = ends[last[0]]
            by_second[last[1]].remove(best)
            if not by_second[last[1]]:
                del by_second[last[1]]
            chains[best].append((first, second))
        chain_of.append(best)
        add_end(best, first, second)
    still_open = sorted(i for by_second in ends.values() for ids in by_second.values() for i in ids)
    return np.array(chain_of, dtype=np.int64), np.array(closed + still_open, dtype=np.int64)


# Measured 2026-12-03 (AMD EPYC, 2 cores): Python chains 134,000 matches a second (one passage pasted 5,000
# times), the kernel 3.6 M; compiling it takes 4.8 s, loading it from numba's cache 0.014 s besides numba's import
section_chains = sized_kernel(
    "dedup.match.section_kernels", "section_chains", plain_section_chains,
    work=lambda firsts, *_: len(firsts), cold=650_000, warm=2_000,
)


def _skips_substance(substantial: Sequence[bool], after: int, before: int) -> bool:
    return any(substantial[u] for u in range(after + 1, before))
