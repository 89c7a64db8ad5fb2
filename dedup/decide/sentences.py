"""Long sentences repeated inside otherwise new paragraphs: keep the first, drop the rest.

LLM continuations often restate whole sentences of an earlier paragraph inside a new one.
Only long sentences count: short formulaic ones ("考えてみてください。", "Read more.")
recur legitimately and stay.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, replace

from dedup.match.pairs import UnitMatch
from dedup.model import RemovalKind


@dataclass(frozen=True)
class SentenceDrop:
    sentence: int
    kept: int
    kind: RemovalKind
    similarity: float


def choose_sentence_drops(
    blocks_of: Sequence[int], matches: Iterable[UnitMatch], pinned_blocks: Set[int] = frozenset()
) -> dict[int, SentenceDrop]:
    """Drop every sentence that repeats an earlier kept sentence.

    A block that is the kept copy of a dropped block (``pinned_blocks``) keeps one copy
    of each of its sentences, so that its dropped twin really has a copy in the output:
    when the later of two repeated sentences sits in such a block and the earlier one
    elsewhere, the earlier one goes instead.
    """
    earlier: dict[int, list[UnitMatch]] = defaultdict(list)
    for match in matches:
        earlier[match.second].append(match)
    drops: dict[int, SentenceDrop] = {}
    for sentence in range(len(blocks_of)):
        candidates: Sequence[UnitMatch] = [
            m for m in earlier.get(sentence, ()) if m.first not in drops and sentence not in drops
        ]
        if not candidates:
            continue
        best = max(candidates, key=lambda m: (m.kind is RemovalKind.EXACT, m.similarity, -m.first))
        if blocks_of[sentence] not in pinned_blocks or blocks_of[sentence] == blocks_of[best.first]:
            drops[sentence] = SentenceDrop(sentence, best.first, best.kind, best.similarity)
        elif blocks_of[best.first] not in pinned_blocks:
            drops[best.first] = SentenceDrop(best.first, sentence, best.kind, best.similarity)
    return {s: replace(d, kept=_surviving(d.kept, drops)) for s, d in drops.items()}


def _surviving(sentence: int, drops: dict[int, SentenceDrop]) -> int:
    """Follow kept copies that were themselves dropped later to the one that stays."""
    seen = set()
    while sentence in drops and sentence not in seen:
        seen.add(sentence)
        sentence = drops[sentence].kept
    return sentence
