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
    matches: Iterable[UnitMatch], max_gap: int, substantial: Sequence[bool]
) -> list[RepeatedSection]:
    """Group matches into sections; consecutive matches skip at most ``max_gap`` units on each side.

    A match that could extend several chains extends the longest (then the tightest, then
    the one opened first), so a repeated heading cannot pull the rest of a section away
    from the paragraph that anchors it.

    A link may skip headings, markers or short lines on both sides, or whole paragraphs on
    one side (a copy with a paragraph added), but not paragraphs on both sides: that is
    two different repeats that happen to line up, not one section.

    Open chains are found by the position of their last match, never by scanning them
    all: a block repeated k times opens k chains at once, and trying each match against
    all of them made a document of one passage pasted over and over quadratic.
    """
    step = max_gap + 1
    chains: list[list[UnitMatch]] = []  # by opening order, the tie-break between equal candidates
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

    def add_end(chain_id: int, match: UnitMatch) -> None:
        if not last_firsts or last_firsts[-1] != match.first:
            last_firsts.append(match.first)
        ends.setdefault(match.first, {}).setdefault(match.second, []).append(chain_id)

    for match in sorted(matches, key=lambda m: (m.first, m.second)):
        close_before(match.first)
        best, best_key = None, None
        for last_first in range(max(match.first - step, 0), match.first):
            by_second = ends.get(last_first)
            if not by_second:
                continue
            if len(by_second) <= step + 1:
                candidates = [ids for second, ids in by_second.items() if match.second - step <= second <= match.second]
            else:
                candidates = [by_second[s] for s in range(match.second - step, match.second + 1) if s in by_second]
            for chain_id in (i for ids in candidates for i in ids):
                chain = chains[chain_id]
                last = chain[-1]
                if match.first >= chain[0].second:
                    continue  # the first copy would run into the second: a tandem repeat, not one section
                if _skips_substance(substantial, last.first, match.first) and _skips_substance(
                    substantial, last.second, match.second
                ):
                    continue
                key = (-len(chain), (match.first - last.first) + (match.second - last.second), chain_id)
                if best_key is None or key < best_key:
                    best, best_key = chain_id, key
        if best is None:
            chains.append([match])
            add_end(len(chains) - 1, match)
        else:
            last = chains[best][-1]
            by_second = ends[last.first]
            by_second[last.second].remove(best)
            if not by_second[last.second]:
                del by_second[last.second]
            chains[best].append(match)
            add_end(best, match)
    still_open = sorted(i for by_second in ends.values() for ids in by_second.values() for i in ids)
    return [RepeatedSection(tuple(chains[i])) for i in closed + still_open]


def _skips_substance(substantial: Sequence[bool], after: int, before: int) -> bool:
    return any(substantial[u] for u in range(after + 1, before))
