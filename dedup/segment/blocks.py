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

import numpy as np

from dedup.model import Block, BlockKind
from dedup.segment.lines import DocumentLines, document_lines
from dedup.segment.normalise import content_weight, normalise

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
    keys: list[str]  # normalise of each block's line
    weights: list[int]  # content weight of each key

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
    text: str,
    marker_patterns: Sequence[str] = (),
    min_prose_weight: int = 50,
    min_fragment_weight: int = 20,
    lines: DocumentLines | None = None,
) -> DocumentBlocks:
    """Blocks of ``text`` in reading order, with exact character offsets.

    A line right before or after a continuation marker counts as prose from
    ``min_fragment_weight`` on: LLM output cut at a chunk boundary leaves a half
    paragraph there, which must be matched against the whole paragraph repeated later.

    The lines' keys and weights come from :func:`document_lines` (pass ``lines`` if made
    already); only lines heavy enough to be prose are read by a regex, one at a time.
    """
    lines = lines if lines is not None else document_lines(text)
    bodies = _bodies(text, lines)
    blank = bytearray(not body.strip() for body in bodies)
    fenced = "```" in text or "~~~" in text
    fence = bytearray(fenced and _FENCE.match(body) is not None for body in bodies)
    protected = _protected_lines(blank, fence, bodies.__getitem__)
    numbers = [i for i in range(len(bodies)) if not blank[i]]
    weights = lines.weights.tolist()
    keys = lines.keys
    markers = [re.compile(rf"^\s*(?:{p})\s*$", re.IGNORECASE) for p in marker_patterns]
    kinds: list[BlockKind] = []
    for number in numbers:
        body = bodies[number]
        if number in protected:
            kind = BlockKind.PROTECTED
        elif markers and any(m.match(body) for m in markers):
            kind = BlockKind.MARKER
        elif weights[number] < min_prose_weight:
            kind = BlockKind.MINOR
        else:
            kind = _heavy_line_kind(body, weights[number])
        kinds.append(kind)
    if BlockKind.MARKER in kinds:
        kinds = [_promoted_kind(i, kinds, bodies[n], weights[n], min_fragment_weight) for i, n in enumerate(numbers)]
    chosen = np.array(numbers, dtype=np.int64)
    return DocumentBlocks(
        text, _offsets(lines.start[chosen]), _offsets(lines.end[chosen]), _offsets(lines.line_end[chosen]), kinds,
        [keys[n] for n in numbers], [weights[n] for n in numbers],
    )


def _bodies(text: str, lines: DocumentLines) -> list[str]:
    """Every line's text without its terminator."""
    if "\r" not in text:
        bodies = text.split("\n")
        return bodies[: len(lines)]
    return [text[s:e] for s, e in zip(lines.start.tolist(), lines.end.tolist())]


def _offsets(values: np.ndarray) -> array:
    out = array("q")
    out.frombytes(values.astype(np.int64).tobytes())
    return out


def _promoted_kind(index: int, kinds: list[BlockKind], line: str, weight: int, min_weight: int) -> BlockKind:
    kind = kinds[index]
    if kind is not BlockKind.MINOR or _STRUCTURAL.match(line):
        return kind
    if not any(k is BlockKind.MARKER for k in kinds[max(0, index - 1) : index + 2]):
        return kind
    if weight < min_weight:
        return kind
    return BlockKind.PROSE


def classify_line(line: str, min_prose_weight: int = 50) -> BlockKind:
    """PROSE for a paragraph line, MINOR for structure (headings, lists, tables) and short or title-like lines."""
    weight = content_weight(normalise(line))
    if weight < min_prose_weight:
        return BlockKind.MINOR
    return _heavy_line_kind(line, weight)


def _heavy_line_kind(line: str, weight: int) -> BlockKind:
    """The kind of a line of at least the prose weight: MINOR if structure or title-like, else PROSE."""
    if _STRUCTURAL.match(line):
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
