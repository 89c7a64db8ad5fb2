"""Long sentences repeated inside otherwise new paragraphs: keep the first, drop the rest.

LLM continuations often restate whole sentences of an earlier paragraph inside a new one.
Only long sentences count: short formulaic ones ("考えてみてください。", "Read more.")
recur legitimately and stay.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence, Set
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
    blocks_of: Sequence[int], matches: Iterable[UnitMatch], protected: Set[int] = frozenset()
) -> dict[int, SentenceDrop]:
    """Drop every sentence that repeats an earlier kept sentence.

    A ``protected`` sentence is the kept copy of part of a dropped block: when the later
    of two repeated sentences is protected and the earlier one is not, the earlier one
    goes instead, so the dropped block's kept copy stays whole. A sentence contained in a
    longer one (cut at a chunk boundary, or repeated with words added) always gives way to
    it. Either way exactly one copy of every repeated sentence remains.
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
        if best.contained is not None:
            earlier_goes = best.contained == best.first  # the copy inside the other goes, wherever it is
        else:
            earlier_goes = (
                sentence in protected and best.first not in protected and blocks_of[sentence] != blocks_of[best.first]
            )
        if earlier_goes:
            drops[best.first] = SentenceDrop(best.first, sentence, best.kind, best.similarity)
        else:
            drops[sentence] = SentenceDrop(sentence, best.first, best.kind, best.similarity)
    return {s: replace(d, kept=_surviving(d.kept, drops)) for s, d in drops.items()}


def protected_sentences(
    sentence_keys: Sequence[str], sentences_of_block: Sequence[Sequence[int]], block_keys: Sequence[str],
    kept_for: Mapping[int, Sequence[int]],
) -> set[int]:
    """Sentences of kept copies whose text a block dropped in their favour contains."""
    protected = set()
    for kept, dropped in kept_for.items():
        for sentence in sentences_of_block[kept]:
            key = sentence_keys[sentence]
            if key and any(key in block_keys[d] for d in dropped):
                protected.add(sentence)
    return protected


def _surviving(sentence: int, drops: dict[int, SentenceDrop]) -> int:
    """Follow kept copies that were themselves dropped later to the one that stays."""
    seen = set()
    while sentence in drops and sentence not in seen:
        seen.add(sentence)
        sentence = drops[sentence].kept
    return sentence
