"""Cut a document into blocks: one per non-blank line, classified by what it is.

Lines are the unit because scraped articles put a paragraph, a heading, a list item or a
table row on each line; a repeated section is a run of repeated lines. The class of a
line decides what may happen to it: prose is matched alone, minor lines (headings, list
items, table rows, short lines) only go with a repeated section around them, markers are
dropped, and front matter and fenced code are never touched.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from dedup.model import Block, BlockKind
from dedup.segment.normalise import content_weight, normalise

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_STRUCTURAL = re.compile(
    r"^\s*(?:#{1,6}\s|[-*+•・]\s|\d{1,3}[.)]\s|\||>|<[a-zA-Z/]|!\[|\[[^\]]*\]\([^)]*\)\s*$)"
)
_ENDS_LIKE_SENTENCE = re.compile(r"[。！？!?.．…:：;；」』)）\"”']\s*$")
_TITLE_MAX_WEIGHT = 120


def split_blocks(
    text: str, marker_patterns: Sequence[str] = (), min_prose_weight: int = 50, min_fragment_weight: int = 20
) -> list[Block]:
    """Blocks of ``text`` in reading order, with exact character offsets.

    A line right before or after a continuation marker counts as prose from
    ``min_fragment_weight`` on: LLM output cut at a chunk boundary leaves a half
    paragraph there, which must be matched against the whole paragraph repeated later.
    """
    markers = [re.compile(rf"^\s*(?:{p})\s*$", re.IGNORECASE) for p in marker_patterns]
    lines = []
    for match in _LINE.finditer(text):
        raw = match.group()
        body = raw.rstrip("\r\n")
        lines.append((match.start(), match.start() + len(body), match.end(), body))

    protected = _protected_lines([body for _, _, _, body in lines])
    blocks: list[Block] = []
    for number, (start, end, line_end, body) in enumerate(lines):
        if not body.strip():
            continue
        if number in protected:
            kind = BlockKind.PROTECTED
        elif any(m.match(body) for m in markers):
            kind = BlockKind.MARKER
        else:
            kind = classify_line(body, min_prose_weight)
        blocks.append(Block(len(blocks), start, end, line_end, kind, body))
    return [_promote_fragment(b, blocks, min_fragment_weight) for b in blocks]


def _promote_fragment(block: Block, blocks: list[Block], min_weight: int) -> Block:
    if block.kind is not BlockKind.MINOR or _STRUCTURAL.match(block.text):
        return block
    neighbours = blocks[max(0, block.index - 1) : block.index + 2]
    if not any(b.kind is BlockKind.MARKER for b in neighbours):
        return block
    if content_weight(normalise(block.text)) < min_weight:
        return block
    return replace(block, kind=BlockKind.PROSE)


def classify_line(line: str, min_prose_weight: int = 50) -> BlockKind:
    """PROSE for a paragraph line, MINOR for structure (headings, lists, tables) and short or title-like lines."""
    if _STRUCTURAL.match(line):
        return BlockKind.MINOR
    weight = content_weight(normalise(line))
    if weight < min_prose_weight:
        return BlockKind.MINOR
    if weight < _TITLE_MAX_WEIGHT and not _ENDS_LIKE_SENTENCE.search(line):
        return BlockKind.MINOR
    return BlockKind.PROSE


def _protected_lines(lines: list[str]) -> set[int]:
    """Line numbers of YAML/TOML front matter and of fenced code blocks."""
    protected: set[int] = set()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].strip() in ("---", "+++"):
        fence = lines[first].strip()
        for i in range(first + 1, min(len(lines), first + 400)):
            if lines[i].strip() in (fence, "..."):
                protected.update(range(first, i + 1))
                break
    inside = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            protected.add(i)
            inside = not inside
        elif inside:
            protected.add(i)
    return protected
