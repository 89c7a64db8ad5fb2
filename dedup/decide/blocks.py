"""Which copy of a repeated block or section is kept.

Rules, in order of importance:
1. Never cut unique content: a block is dropped only if every sentence of it is mostly
   found in the copy that is kept (``covered``). A near pair where both sides have
   sentences of their own is left to the sentence stage.
2. Keep the most complete copy: for a repeated section, the side with more content
   (its extra headings, title, added sentences) is kept whole; a contained block gives
   way to the block containing it.
3. Otherwise keep the first copy, so reading order is that of the first telling.
Minor blocks (headings, list items) only go with a section anchored by a prose repeat.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np


from dedup.match.pairs import UnitMatch
from dedup.match.sections import RepeatedSection
from dedup.model import BlockKind, RemovalKind
from dedup.segment.blocks import DocumentBlocks
from dedup.signatures.shingles import ShingleSets, found_in


@dataclass(frozen=True)
class BlockDrop:
    """Block ``block`` goes; ``kept`` is the block that holds its content."""

    block: int
    kept: int
    kind: RemovalKind
    similarity: float


@dataclass(frozen=True)
class CoverageIndex:
    """Shingle sets that tell whether a block's sentences are all present in another block."""

    block_sets: ShingleSets
    sentence_sets: ShingleSets
    block_keys: Sequence[str]
    sentences_of_block: Sequence[Sequence[int]]  # sentence indices of each block
    sentence_keys: Sequence[str]
    sentence_weights: Sequence[int]
    min_weight: int
    threshold: float

    def covered(self, block: int, by: int) -> bool:
        """Every sentence of ``block`` is in block ``by``: most of its shingles, or verbatim if it is tiny.

        Tiny sentences have too few shingles to judge by share, and a short unique
        remark ("Read more.", a date) is still content that must not vanish.
        """
        host = np.sort(self.block_sets.of(by))  # sets keep their hashes in text order
        for sentence in self.sentences_of_block[block]:
            if self.sentence_weights[sentence] < self.min_weight:
                if self.sentence_keys[sentence] not in self.block_keys[by]:
                    return False
                continue
            own = self.sentence_sets.of(sentence)
            if len(own) and found_in(own, host).mean() < self.threshold:
                return False
        return True


def choose_block_drops(
    blocks: DocumentBlocks,
    weights: Sequence[int],
    sections: Sequence[RepeatedSection],
    coverage: CoverageIndex,
) -> dict[int, BlockDrop]:
    """The blocks to drop, strongest sections first, each tied to a kept block.

    Each pair is tried the way its section prefers, then the other way round. A block that
    already serves as the kept copy of another (pinned) is only dropped for a copy that
    holds all of it (identical, or containing it), which then becomes the kept copy of
    its twins, so every removal's kept copy survives.
    """
    drops: dict[int, BlockDrop] = {}
    pinned: set[int] = set()
    twins_of: dict[int, list[int]] = {}  # kept block -> the dropped blocks it is the kept copy of

    kinds = blocks.kinds

    def prose(match: UnitMatch) -> bool:
        return kinds[match.first] is BlockKind.PROSE and kinds[match.second] is BlockKind.PROSE

    def anchor_weight(section: RepeatedSection) -> int:
        return sum(min(weights[m.first], weights[m.second]) for m in section.matches if prose(m))

    def side_weight(side: range) -> int:
        return sum(weights[b] for b in side if kinds[b] in (BlockKind.PROSE, BlockKind.MINOR))

    anchored = [s for s in sections if anchor_weight(s) > 0]
    for section in sorted(anchored, key=lambda s: (-anchor_weight(s), s.matches[0].first)):
        keep_second = side_weight(section.second_side) > side_weight(section.first_side)
        for match in section.matches:
            preferred = (match.first, match.second) if keep_second else (match.second, match.first)
            first_len, second_len = blocks.length(match.first), blocks.length(match.second)
            if match.kind is RemovalKind.EXACT and first_len != second_len:
                # equal once normalised: keep the copy with more of the original (its final "?", its markup)
                preferred = (match.first, match.second) if first_len < second_len else (match.second, match.first)
            for drop, keep in (preferred, preferred[::-1]):
                if match.contained is not None and drop != match.contained:
                    continue  # never drop the container for the part it contains
                if drop in drops or keep in drops:
                    continue
                holds_twins = match.kind is not RemovalKind.NEAR  # keep has all of drop: it can stand in for drop's twins
                if drop in pinned and not holds_twins:
                    continue
                if match.kind is not RemovalKind.EXACT and not coverage.covered(drop, keep):
                    continue
                if drop in pinned:
                    twins = twins_of.pop(drop, [])
                    for twin in twins:
                        drops[twin] = replace(drops[twin], kept=keep)
                    twins_of.setdefault(keep, []).extend(twins)
                    pinned.discard(drop)
                drops[drop] = BlockDrop(drop, keep, match.kind, match.similarity)
                twins_of.setdefault(keep, []).append(drop)
                pinned.add(keep)
                break
    return drops
