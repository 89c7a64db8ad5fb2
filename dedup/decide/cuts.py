"""Turn decisions into exact character spans, and cut them out.

A dropped block takes the blank lines after it with it, so paragraphs stay separated by
what separated them before; dropped blocks at the end of a document take the separator
before them instead, keeping the original's final-newline convention. A dropped
sentence takes the white space after it (or before it, when it ends its line).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from dedup.decide.blocks import BlockDrop
from dedup.decide.sentences import SentenceDrop
from dedup.model import KeptCopy, Removal, RemovalKind
from dedup.segment.blocks import DocumentBlocks
from dedup.segment.sentences import DocumentSentences


def block_removals(
    text: str,
    blocks: DocumentBlocks,
    drops: Mapping[int, BlockDrop],
    markers: Iterable[int],
) -> list[Removal]:
    """Removals of whole blocks (repeats and markers), with their separators."""
    marker_set = set(markers)
    gone = set(drops) | marker_set
    if not gone:
        return []
    last_kept = next((b for b in reversed(range(len(blocks))) if b not in gone), None)
    removals = []
    for block in sorted(gone):
        following = blocks.start[block + 1] if block + 1 < len(blocks) else len(text)
        start = blocks.start[block]
        if last_kept is not None and block == last_kept + 1:
            start = blocks.line_end[last_kept] if text.endswith(("\n", "\r")) else blocks.end[last_kept]
        elif last_kept is None and block == 0:
            start = 0
        if block in marker_set:
            removals.append(Removal(start, following, RemovalKind.MARKER, "marker", 1.0))
        else:
            drop = drops[block]
            kept = KeptCopy(blocks.start[drop.kept], blocks.end[drop.kept])
            removals.append(Removal(start, following, drop.kind, "block", drop.similarity, kept))
    return removals


def sentence_removals(sentences: DocumentSentences, drops: Mapping[int, SentenceDrop]) -> list[Removal]:
    """Removals of single sentences inside blocks that stay."""
    last_kept: dict[int, int] = {}  # block -> its last sentence that stays (-1: none)
    removals = []
    for drop in drops.values():
        sentence = drop.sentence
        block = sentences.block[sentence]
        siblings = sentences.of_block[block]
        if block not in last_kept:
            last_kept[block] = next((s for s in reversed(siblings) if s not in drops), -1)
        if last_kept[block] > sentence:
            start, end = sentences.start[sentence], sentences.start[sentence + 1]
        else:
            start = sentences.end[sentence - 1] if sentence > siblings.start else sentences.start[sentence]
            end = sentences.end[sentence]
        kept = KeptCopy(sentences.start[drop.kept], sentences.end[drop.kept])
        removals.append(Removal(start, end, drop.kind, "sentence", drop.similarity, kept))
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
