"""Chain repeated blocks into repeated sections.

An article pasted twice shows up as many block pairs (1, 24), (2, 26), (3, 27) …: the
same order on both sides, with a few extra blocks (headings, a title) on one side. Chained
together they form one repeated section, and the decision "which copy to keep" is taken
once for the whole section, so the copy with the headings is kept whole instead of
keeping the first copy's paragraphs and orphaning the second copy's headings.
"""
from __future__ import annotations

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

    A match that could extend several chains extends the longest (then the tightest), so
    a repeated heading cannot pull the rest of a section away from the paragraph that
    anchors it.

    A link may skip headings, markers or short lines on both sides, or whole paragraphs on
    one side (a copy with a paragraph added), but not paragraphs on both sides: that is
    two different repeats that happen to line up, not one section.
    """
    step = max_gap + 1
    open_chains: list[list[UnitMatch]] = []
    closed: list[list[UnitMatch]] = []
    for match in sorted(matches, key=lambda m: (m.first, m.second)):
        still_open = []
        for chain in open_chains:
            (closed if chain[-1].first + step < match.first else still_open).append(chain)
        open_chains = still_open
        best, best_gap = None, 0
        for chain in open_chains:
            last = chain[-1]
            if not (last.first < match.first <= last.first + step):
                continue
            if not (last.second <= match.second <= last.second + step):
                continue
            if match.first >= chain[0].second:
                continue  # the first copy would run into the second: a tandem repeat, not one section
            if _skips_substance(substantial, last.first, match.first) and _skips_substance(
                substantial, last.second, match.second
            ):
                continue
            gap = (match.first - last.first) + (match.second - last.second)
            if best is None or (-len(chain), gap) < (-len(best), best_gap):
                best, best_gap = chain, gap
        if best is None:
            open_chains.append([match])
        else:
            best.append(match)
    return [RepeatedSection(tuple(chain)) for chain in closed + open_chains]


def _skips_substance(substantial: Sequence[bool], after: int, before: int) -> bool:
    return any(substantial[u] for u in range(after + 1, before))
