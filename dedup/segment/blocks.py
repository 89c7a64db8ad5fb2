"""Cut a document into blocks: one per non-blank line, classified by what it is.

Lines are the unit because scraped articles put a paragraph, a heading, a list item or a
table row on each line; a repeated section is a run of repeated lines. The class of a
line decides what may happen to it: prose is matched alone, minor lines (headings, list
items, table rows, short lines) only go with a repeated section around them, markers are
dropped, and front matter and fenced code are never touched.
"""
from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dedup.model import Block, BlockKind
from dedup.segment.normalise import content_weight, normalise

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_STRUCTURAL = re.compile(
    r"^\s*(?:#{1,6}\s|[-*+•・]\s|\d{1,3}[.)]\s|\||>|<[a-zA-Z/]|!\[|\[[^\]]*\]\([^)]*\)\s*$)"
)
_ENDS_LIKE_SENTENCE = re.compile(r"[。！？!?.．…:：;；」』)）\"”']\s*$")
_TITLE_MAX_WEIGHT = 120


@dataclass(frozen=True, eq=False)
class DocumentBlocks(Sequence[Block]):
    """The blocks of one document as flat arrays; ``blocks[i]`` makes block ``i``'s :class:`Block` on demand.

    A Block object and its own copy of the line cost some 300 bytes besides the line: for
    a long document of short lines (lists, tables) more than everything else cleaning keeps.
    """

    text: str  # the whole document
    start: array  # array("q"), like end and line_end
    end: array
    line_end: array
    kinds: list[BlockKind]

    def __len__(self) -> int:
        return len(self.kinds)

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = range(len(self))[index]
        return Block(index, self.start[index], self.end[index], self.line_end[index], self.kinds[index], self.text_of(index))

    def text_of(self, index: int) -> str:
        return self.text[self.start[index] : self.end[index]]

    def length(self, index: int) -> int:
        """Characters of block ``index``'s line."""
        return self.end[index] - self.start[index]


def split_blocks(
    text: str, marker_patterns: Sequence[str] = (), min_prose_weight: int = 50, min_fragment_weight: int = 20
) -> list[Block]:
    """Blocks of ``text`` in reading order, with exact character offsets."""
    return list(document_blocks(text, marker_patterns, min_prose_weight, min_fragment_weight))


def document_blocks(
    text: str, marker_patterns: Sequence[str] = (), min_prose_weight: int = 50, min_fragment_weight: int = 20
) -> DocumentBlocks:
    """Blocks of ``text`` in reading order, with exact character offsets.

    A line right before or after a continuation marker counts as prose from
    ``min_fragment_weight`` on: LLM output cut at a chunk boundary leaves a half
    paragraph there, which must be matched against the whole paragraph repeated later.
    """
    markers = [re.compile(rf"^\s*(?:{p})\s*$", re.IGNORECASE) for p in marker_patterns]
    starts, ends, line_ends = array("q"), array("q"), array("q")  # of every line, blank ones too
    blank, fence = bytearray(), bytearray()
    for match in _LINE.finditer(text):
        raw = match.group()
        body = raw.rstrip("\r\n")
        starts.append(match.start())
        ends.append(match.start() + len(body))
        line_ends.append(match.end())
        blank.append(not body.strip())
        fence.append(_FENCE.match(body) is not None)

    protected = _protected_lines(blank, fence, lambda i: text[starts[i] : ends[i]])  # noqa: F821 - called before the del below
    start, end, line_end = array("q"), array("q"), array("q")
    kinds: list[BlockKind] = []
    for number in range(len(starts)):
        if blank[number]:
            continue
        body = text[starts[number] : ends[number]]
        if number in protected:
            kind = BlockKind.PROTECTED
        elif any(m.match(body) for m in markers):
            kind = BlockKind.MARKER
        else:
            kind = classify_line(body, min_prose_weight)
        start.append(starts[number])
        end.append(ends[number])
        line_end.append(line_ends[number])
        kinds.append(kind)
    del starts, ends, line_ends, blank, fence
    promoted = [_promoted_kind(i, kinds, text[start[i] : end[i]], min_fragment_weight) for i in range(len(kinds))]
    return DocumentBlocks(text, start, end, line_end, promoted)


def _promoted_kind(index: int, kinds: list[BlockKind], line: str, min_weight: int) -> BlockKind:
    kind = kinds[index]
    if kind is not BlockKind.MINOR or _STRUCTURAL.match(line):
        return kind
    if not any(k is BlockKind.MARKER for k in kinds[max(0, index - 1) : index + 2]):
        return kind
    if content_weight(normalise(line)) < min_weight:
        return kind
    return BlockKind.PROSE


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


def _protected_lines(blank: bytearray, fence: bytearray, line: Callable[[int], str]) -> set[int]:
    """Line numbers of YAML/TOML front matter and of fenced code blocks."""
    protected: set[int] = set()
    first = blank.find(0)
    if first >= 0 and line(first).strip() in ("---", "+++"):
        opening = line(first).strip()
        for i in range(first + 1, min(len(blank), first + 400)):
            if line(i).strip() in (opening, "..."):
                protected.update(range(first, i + 1))
                break
    inside = False
    for i, is_fence in enumerate(fence):
        if is_fence:
            protected.add(i)
            inside = not inside
        elif inside:
            protected.add(i)
    return protected


def is_structural(line: str) -> bool:
    """Whether a line is markdown structure: a heading, list item, table row, quote, HTML or image line."""
    return _STRUCTURAL.match(line) is not None
