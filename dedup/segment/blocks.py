"""Cut a document into blocks: one per non-blank line, classified by what it is.

Lines are the unit because scraped articles put a paragraph, a heading, a list item or a
table row on each line; a repeated section is a run of repeated lines. The class of a
line decides what may happen to it: prose is matched alone, minor lines (headings, list
items, table rows, short lines) only go with a repeated section around them, markers are
dropped, and front matter and fenced code are never touched.
"""
from __future__ import annotations

import itertools
import re
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from re import _constants, _parser  # type: ignore[attr-defined]

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
    kinds: list[BlockKind]  # a PROSE block's line is never markdown structure (is_structural): classifying checked
    keys: list[str]  # normalise of each block's line
    weights: list[int]  # content weight of each key
    prose: list[int]  # the PROSE blocks, ascending: listed as they are classified, since every stage asks for them
    unmatchable: list[int]  # the MARKER and PROTECTED blocks, ascending (most documents have none)
    lines: DocumentLines | None = None  # the document's lines, block i being line line_numbers[i]
    line_numbers: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.kinds)

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = range(len(self))[index]
        return Block(index, self.start[index], self.end[index], self.line_end[index], self.kinds[index], self.text_of(index))

    @property
    def markers(self) -> list[int]:
        """The MARKER blocks, ascending."""
        return [b for b in self.unmatchable if self.kinds[b] is BlockKind.MARKER]

    def text_of(self, index: int) -> str:
        return self.text[self.start[index] : self.end[index]]

    def length(self, index: int) -> int:
        """Characters of block ``index``'s line."""
        return self.end[index] - self.start[index]

    def stretch_keys_and_weights(
        self, blocks: np.ndarray, starts: np.ndarray, ends: np.ndarray
    ) -> tuple[list[str], list[int]] | None:
        """``normalise(text[starts[i]:ends[i]])`` for stretches inside blocks ``blocks[i]``, cut from the line keys,
        and the ``content_weight`` of each from the lines' CJK counts.

        Only for a simple text (``dedup.segment.lines``), where a stretch's key is a stretch
        of its line's key; None otherwise.
        """
        bounds = self.stretch_bounds(blocks, starts, ends)
        if bounds is None:
            return None
        _, low, high = bounds
        keys = self.keys
        return [keys[b][a:z] for b, a, z in zip(blocks.tolist(), low.tolist(), high.tolist())], self.bounded_weights(*bounds)

    def bounded_weights(self, numbers: np.ndarray, low: np.ndarray, high: np.ndarray) -> list[int]:
        """The ``content_weight`` of the key of each stretch of :meth:`stretch_bounds`."""
        assert self.lines is not None
        weights = high - low
        cjk = self.lines.cjk_before
        if cjk is not None:
            first = self.lines.key_start[numbers]
            weights = weights + cjk[first + high] - cjk[first + low]
        return weights.tolist()  # type: ignore[no-any-return]

    def stretch_bounds(
        self, blocks: np.ndarray, starts: np.ndarray, ends: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The line of each stretch and where its key starts and ends in that line's key (simple texts only)."""
        lines = self.lines
        if lines is None or self.line_numbers is None or not lines.simple:
            return None
        numbers = self.line_numbers[blocks]
        low = lines.key_positions(numbers, starts - lines.start[numbers])
        high = lines.key_positions(numbers, ends - lines.start[numbers])
        return numbers, low, high


PROSE_WEIGHT = 50  # the weight from which a line is prose, unless told otherwise (CleanOptions.min_block_weight)


def split_blocks(
    text: str, marker_patterns: Sequence[str] = (), min_prose_weight: int = PROSE_WEIGHT, min_fragment_weight: int = 20
) -> list[Block]:
    """Blocks of ``text`` in reading order, with exact character offsets."""
    return list(document_blocks(text, marker_patterns, min_prose_weight, min_fragment_weight))


def document_blocks(
    text: str,
    marker_patterns: Sequence[str] = (),
    min_prose_weight: int = PROSE_WEIGHT,
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
    numbers = np.flatnonzero(~lines.blank)
    at_line = numbers.tolist()
    weighed = lines.weights[numbers]
    weights = weighed.tolist()
    bodies = _bodies(text, lines)
    kinds = [BlockKind.MINOR] * len(at_line)
    prose = []
    for at in np.flatnonzero(weighed >= min_prose_weight).tolist():
        kind = kinds[at] = _heavy_line_kind(bodies[at_line[at]], weights[at])
        if kind is BlockKind.PROSE:
            prose.append(at)
    special = False  # some kind set below besides PROSE and MINOR
    markers = [re.compile(rf"^\s*(?:{p})\s*$", re.IGNORECASE) for p in marker_patterns if _may_occur(p, text)]
    if markers:
        for at, number in enumerate(at_line):
            if any(m.match(bodies[number]) for m in markers):
                kinds[at] = BlockKind.MARKER
                special = True
    first = bodies[at_line[0]].strip() if at_line else ""
    if "```" in text or "~~~" in text or first in ("---", "+++"):
        blank = bytearray(lines.blank.astype(np.uint8).tobytes())
        fence = bytearray(_FENCE.match(body) is not None for body in bodies)
        protected = _protected_lines(blank, fence, bodies.__getitem__)
        kinds = [BlockKind.PROTECTED if number in protected else kind for kind, number in zip(kinds, at_line)]
        special = special or bool(protected)
    if markers and BlockKind.MARKER in kinds:
        kinds = [_promoted_kind(i, kinds, bodies[n], weights[i], min_fragment_weight) for i, n in enumerate(at_line)]
    unmatchable = []
    if special:
        prose = [i for i, kind in enumerate(kinds) if kind is BlockKind.PROSE]
        unmatchable = [i for i, kind in enumerate(kinds) if kind is BlockKind.MARKER or kind is BlockKind.PROTECTED]
    keys = lines.keys
    return DocumentBlocks(
        text, _offsets(lines.start[numbers]), _offsets(lines.end[numbers]), _offsets(lines.line_end[numbers]), kinds,
        [keys[n] for n in at_line], weights, prose, unmatchable, lines, numbers,
    )


# what can make a pattern match differently inside a line than inside the whole text
_CONTEXT = ("^", "$", "\\A", "\\Z", "\\b", "\\B", "(?=", "(?!", "(?<")


def _may_occur(pattern: str, text: str) -> bool:
    """False only if no line of ``text`` can be a marker of ``pattern``.

    A line is a marker when the pattern matches all of it (but white space); a pattern
    that looks at no context (anchors, word boundaries, lookarounds) matches a line's
    characters the same inside the whole text, so one search over the text rules it out.
    """
    if _looks_at_context(pattern):
        return True
    start = _leading_literal(pattern)
    if start and start not in text:
        return False
    return re.search(pattern, text, re.IGNORECASE) is not None


@lru_cache(maxsize=64)
def _looks_at_context(pattern: str) -> bool:
    return any(mark in pattern for mark in _CONTEXT)


@lru_cache(maxsize=64)
def _leading_literal(pattern: str) -> str:
    """ASCII non-letters every match of ``pattern`` starts with ("---" for ``-{3,}...``), which ``in`` finds fast.

    A regex with no literal prefix is tried at every position of the text. Only ASCII
    characters that are not letters are taken: they match nothing else, ignoring case.
    """
    try:
        items = list(_parser.parse(pattern))
    except re.error:
        return ""
    literal = ""
    for op, value in items:
        if op is _constants.LITERAL:
            literal += chr(value)
            continue
        if op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT):
            low, high, inner = value
            inner = list(inner)
            if len(inner) == 1 and inner[0][0] is _constants.LITERAL:
                literal += chr(inner[0][1]) * low
                if high == low:
                    continue
        break
    return "".join(itertools.takewhile(lambda c: c.isascii() and not c.isalpha(), literal))


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


def delimits_protected(line: str) -> bool:
    """Whether a line could open or close front matter or fenced code (see :func:`_protected_lines`)."""
    return line.strip() in ("---", "+++", "...") or _FENCE.match(line) is not None


def is_structural(line: str) -> bool:
    """Whether a line is markdown structure: a heading, list item, table row, quote, HTML or image line."""
    return _STRUCTURAL.match(line) is not None
