"""Long sentences repeated inside otherwise new paragraphs: keep the first, drop the rest.

LLM continuations often restate whole sentences of an earlier paragraph inside a new one.
Only long sentences count: short formulaic ones ("考えてみてください。", "Read more.")
recur legitimately and stay.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dedup.match.pairs import UnitMatch
from dedup.model import RemovalKind


@dataclass(frozen=True)
class SentenceDrop:
    sentence: int
    kept: int
    kind: RemovalKind
    similarity: float


def choose_sentence_drops(n_sentences: int, matches: Iterable[UnitMatch]) -> dict[int, SentenceDrop]:
    """Drop every sentence that repeats an earlier sentence which is itself kept."""
    earlier: dict[int, list[UnitMatch]] = defaultdict(list)
    for match in matches:
        earlier[match.second].append(match)
    drops: dict[int, SentenceDrop] = {}
    for sentence in range(n_sentences):
        candidates: Sequence[UnitMatch] = [m for m in earlier.get(sentence, ()) if m.first not in drops]
        if not candidates:
            continue
        best = max(candidates, key=lambda m: (m.kind is RemovalKind.EXACT, m.similarity, -m.first))
        drops[sentence] = SentenceDrop(sentence, best.first, best.kind, best.similarity)
    return drops
