"""Turn decisions into exact character spans, and cut them out.

A dropped block takes the blank lines after it with it, so paragraphs stay separated by
what separated them before; dropped blocks at the end of a document take the separator
before them instead, keeping the original's final-newline convention. A dropped
sentence takes the white space after it (or before it, when it ends its line).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from dedup.decide.blocks import BlockDrop
from dedup.decide.sentences import SentenceDrop
from dedup.model import Block, KeptCopy, Removal, RemovalKind, Sentence


def block_removals(
    text: str,
    blocks: Sequence[Block],
    drops: Mapping[int, BlockDrop],
    markers: Iterable[int],
) -> list[Removal]:
    """Removals of whole blocks (repeats and markers), with their separators."""
    marker_set = set(markers)
    gone = set(drops) | marker_set
    if not gone:
        return []
    kept_blocks = [b.index for b in blocks if b.index not in gone]
    last_kept = kept_blocks[-1] if kept_blocks else None
    removals = []
    for block in blocks:
        if block.index not in gone:
            continue
        following = blocks[block.index + 1].start if block.index + 1 < len(blocks) else len(text)
        start = block.start
        if last_kept is not None and block.index == last_kept + 1 and block.index > last_kept:
            tail = blocks[last_kept]
            start = tail.line_end if text.endswith(("\n", "\r")) else tail.end
        elif last_kept is None and block.index == 0:
            start = 0
        if block.index in marker_set:
            removals.append(Removal(start, following, RemovalKind.MARKER, "marker", 1.0))
        else:
            drop = drops[block.index]
            kept = blocks[drop.kept]
            removals.append(
                Removal(start, following, drop.kind, "block", drop.similarity, KeptCopy(kept.start, kept.end))
            )
    return removals


def sentence_removals(
    sentences: Sequence[Sentence], drops: Mapping[int, SentenceDrop]
) -> list[Removal]:
    """Removals of single sentences inside blocks that stay."""
    by_block: dict[int, list[Sentence]] = defaultdict(list)
    for sentence in sentences:
        by_block[sentence.block].append(sentence)
    removals = []
    for drop in drops.values():
        sentence = sentences[drop.sentence]
        siblings = by_block[sentence.block]
        position = siblings.index(sentence)
        later_kept = any(s.index not in drops for s in siblings[position + 1 :])
        if later_kept:
            start, end = sentence.start, siblings[position + 1].start
        else:
            start = siblings[position - 1].end if position > 0 else sentence.start
            end = sentence.end
        kept = sentences[drop.kept]
        removals.append(
            Removal(start, end, drop.kind, "sentence", drop.similarity, KeptCopy(kept.start, kept.end))
        )
    return removals


def apply_removals(text: str, removals: Iterable[Removal]) -> str:
    """``text`` with every removed span cut out."""
    pieces, at = [], 0
    for removal in sorted(removals, key=lambda r: r.start):
        if removal.start < at:
            raise ValueError(f"overlapping removals at {removal.start}")
        pieces.append(text[at : removal.start])
        at = removal.end
    pieces.append(text[at:])
    return "".join(pieces)
