"""Every line of a document with its matching key and weight, for the whole text at once.

Cleaning looks at each line's normalised text (:func:`dedup.segment.normalise.normalise`)
and its content weight. Made one line at a time that is a regex, an NFKC check and a
translate per line: on scraped pages with many short navigation lines, most of the cost of
cleaning. Here the whole text is normalised in one go and cut at the line breaks, which
gives exactly the per-line keys:

- normalisation is a per-character filter (letters, digits, marks stay), then NFKC, then
  case folding; "\\n" is kept by the filter, and NFKC never composes or reorders across a
  "\\n" (a starter that takes part in no composition), so each line's piece of the result
  is that line's key;
- most texts are *simple*: every character on its own normalises to at most one character
  that cannot combine with its neighbours (no combining marks, no conjoining jamo). Then a
  text's key is the concatenation of its characters' keys, which a lookup table over the
  code points computes in numpy, and the key of any stretch of a line (a sentence) is the
  matching stretch of the line's key.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from dedup.compiled import sized_kernel
from dedup.segment.normalise import _MARKS, CJK_RANGES, NOT_SIMPLE, UNKNOWN, char_table, cjk_points

_KEEP_LINES = re.compile(rf"[^\w{_MARKS}\n]+")


@dataclass(frozen=True, eq=False)
class DocumentLines:
    """The lines of ``text`` (blank ones too): each ends at "\\r\\n", "\\n" or "\\r", or at the end of the text.

    Line ``i`` is ``text[start[i]:end[i]]`` without its terminator, which ends at
    ``line_end[i]``; ``keys[i]`` is ``normalise`` of it and ``weights[i]`` its content
    weight; ``blank[i]`` says it is white space only. ``key_points`` holds every line's key
    as code points, each followed by "\n" (10), and ``key_start[i]`` is where line ``i``'s
    key starts in it. ``simple`` says the text's key is per character (see the module
    docstring); then ``key_before`` tells where in ``key_points`` each character's key would go. ``cjk_before``
    counts the CJK characters of ``key_points`` before each place, so that any stretch's
    content weight (``content_weight``: a CJK character weighs two) is two lookups. ``points``
    is the text as code points (read-only), kept so that splitting sentences need not encode it again.
    """

    text: str
    start: np.ndarray  # int64
    end: np.ndarray
    line_end: np.ndarray
    blank: np.ndarray  # bool
    key_points: np.ndarray  # uint32
    key_start: np.ndarray  # int64, len = lines + 1
    weights: np.ndarray  # int64
    simple: bool
    key_before: np.ndarray | None  # int64 per character of the lines joined by "\n", and one past the end
    cjk_before: np.ndarray | None = None  # int64: CJK characters in key_points[:i]; None if there are none
    points: np.ndarray | None = None  # uint32: the text's code points, as cut into lines (sentence splitting reads them)

    def __len__(self) -> int:
        return len(self.start)

    def body(self, index: int) -> str:
        return self.text[self.start[index] : self.end[index]]

    @cached_property
    def keys(self) -> list[str]:
        if not len(self):
            return []
        return self.key_points[:-1].tobytes().decode("utf-32-le").split("\n")

    def key_positions(self, index: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Where characters ``offsets`` of lines ``index`` (offsets into each line) start in its key; simple texts only.

        The key of ``body[a:b]`` of line i is then ``keys[i][pos(i, a):pos(i, b)]``.
        """
        assert self.key_before is not None
        return self.key_before[self._joined_start[index] + offsets] - self.key_start[index]

    @cached_property
    def _joined_start(self) -> np.ndarray:
        """Where each line starts in the lines joined by "\\n" (the CR of a CR LF left out)."""
        return np.concatenate([[0], np.cumsum(self.end - self.start + 1)])[:-1]


def document_lines(text: str) -> DocumentLines:
    """Lines of ``text`` with their keys and weights, computed over the whole text."""
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if not len(points):
        empty = np.zeros(0, np.int64)
        none = np.zeros(0, dtype=bool)
        return DocumentLines(text, empty, empty, empty, none, np.zeros(0, np.uint32), np.zeros(1, np.int64), empty, True, None,
                             points=points)
    table = char_table()
    made = simple_lines(points, table.table, table.space, *table.expansions)
    if made[0] == UNKNOWN_MET:  # characters met for the first time: filled in, then cut again
        table.keys_of(points)
        made = simple_lines(points, table.table, table.space, *table.expansions)
    if made[0] == NOT_SIMPLE_MET:
        return _composing_lines(text, points)
    _, start, end, line_end, blank, key_points, key_start, weights, key_before, cjk_before, high = made
    return DocumentLines(text, start, end, line_end, blank, key_points, key_start, weights, True, key_before,
                         cjk_before if high else None, points)


# What plain_simple_lines (and its kernel) made of a text: its lines, or that it met a character the table does
# not hold yet, or one that is not simple
LINES_MADE, UNKNOWN_MET, NOT_SIMPLE_MET = 0, 1, 2

SimpleLines = tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]


def plain_simple_lines(
    points: np.ndarray, table: np.ndarray, space: np.ndarray, expanding: np.ndarray, expansion_offsets: np.ndarray,
    expansion_keys: np.ndarray,
) -> SimpleLines:
    """The lines of a text's code points (not empty), their keys by the code-point ``table``, and their counts.

    A point that is not simple in ``table`` but in ``expanding`` (ascending) has the key
    ``expansion_keys[expansion_offsets[i]:expansion_offsets[i + 1]]`` for its index i there
    (``_CharTable.expansions``).

    Returns (status, start, end, line_end, blank, key_points, key_start, weights, key_before,
    cjk_before, high) as :class:`DocumentLines` holds them, with ``cjk_before`` always made
    and ``high`` telling whether some key is at least the first CJK code point (only then
    does ``DocumentLines`` keep it). The status is ``LINES_MADE``, or ``UNKNOWN_MET`` if a
    point's key is not in the table yet, else ``NOT_SIMPLE_MET`` if one is not simple and
    does not expand; then the arrays are empty.
    """
    start, end, line_end, bodies = _split(points)
    mapped = table[bodies]
    odd = mapped == NOT_SIMPLE
    index = np.searchsorted(expanding, bodies[odd])
    expands = index < len(expanding)
    expands[expands] = expanding[index[expands]] == bodies[odd][expands]
    unknown = (mapped == UNKNOWN).any()
    status = UNKNOWN_MET if unknown else NOT_SIMPLE_MET if not expands.all() else LINES_MADE
    if status != LINES_MADE:
        empty = np.zeros(0, np.int64)
        return status, empty, empty, empty, np.zeros(0, bool), np.zeros(0, np.uint32), empty, empty, empty, empty, False
    blank = _blank(bodies, space)
    sizes = (mapped >= 0).astype(np.int64)
    first = expansion_offsets[index]
    sizes[odd] = expansion_offsets[index + 1] - first
    key_before = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
    key_points = np.empty(int(key_before[-1]), dtype=np.uint32)
    kept = mapped >= 0
    key_points[key_before[:-1][kept]] = mapped[kept]
    if odd.any():  # each expanding point's key, laid out from where its key starts
        lengths = sizes[odd]
        ranks = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        key_points[np.repeat(key_before[:-1][odd], lengths) + ranks] = expansion_keys[np.repeat(first, lengths) + ranks]
    key_start, weights, cjk_before = _key_counts(key_points)
    high = bool(key_points.max(initial=0) >= CJK_RANGES[0][0])
    return status, start, end, line_end, blank, key_points, key_start, weights, key_before, cjk_before, high


def _composing_lines(text: str, points: np.ndarray) -> DocumentLines:
    """The lines of a text with a character that is not simple: its key made by the regex and NFKC for the whole text."""
    start, end, line_end, bodies = _split(points)
    blank = _blank(bodies, char_table().space)
    joined = bodies[:-1].tobytes().decode("utf-32-le", "surrogatepass")
    # a writable copy, like the simple path's: a kernel handed a read-only array is compiled again for it
    key_points = np.frombuffer((_whole_normalise(joined) + "\n").encode("utf-32-le"), dtype=np.uint32).copy()
    key_start, weights, cjk_before = _key_counts(key_points)
    high = key_points.max(initial=0) >= CJK_RANGES[0][0]
    return DocumentLines(text, start, end, line_end, blank, key_points, key_start, weights, False, None,
                         cjk_before if high else None, points)


def _blank(bodies: np.ndarray, space: np.ndarray) -> np.ndarray:
    """Whether each line (each body of ``bodies`` ends with "\n") is white space only."""
    visible = np.concatenate([[0], np.cumsum(~space[bodies], dtype=np.int64)])
    breaks = np.flatnonzero(bodies == 10)
    return np.diff(np.concatenate([[0], visible[breaks]])) == 0


def _key_counts(key_points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each line's key starts in ``key_points`` (each key followed by "\n"), each line's content weight,
    and the CJK characters before each place of ``key_points``."""
    breaks = np.flatnonzero(key_points == 10)
    key_start = np.concatenate([[0], breaks + 1]).astype(np.int64)
    cjk_before = np.concatenate([[0], np.cumsum(cjk_points(key_points), dtype=np.int64)])
    weights = np.diff(key_start) - 1 + np.diff(np.concatenate([[0], cjk_before[breaks + 1]]))
    return key_start, weights.astype(np.int64), cjk_before


# Measured 2026-12-02 (AMD EPYC, 2 cores; the real pages): numpy's passes take 28 M characters a second, the
# kernel 135 M; compiling it takes 1.55 s, loading it from numba's cache 0.4 s (a few ms once numba is set up)
simple_lines = sized_kernel("dedup.segment.line_kernels", "simple_lines", plain_simple_lines,
                            work=lambda points, *_: len(points), cold=40_000_000, warm=11_000_000, loaded=280_000)


def _split(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Line offsets (body start, body end, line end) and the bodies' code points, each body followed by "\n".

    A line ends at CR LF, LF or CR; text after the last terminator is a line if it is not empty.
    """
    size = len(points)
    if not size:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0, dtype=np.uint32)
    newline, carriage = points == 10, points == 13
    if not carriage.any():
        ends = np.flatnonzero(newline)
        line_ends = ends + 1
        bodies = points
        if not newline[-1]:
            ends = np.append(ends, size)
            line_ends = np.append(line_ends, size)
            bodies = np.append(points, np.uint32(10))
    else:
        crlf = np.zeros(size, dtype=bool)
        crlf[:-1] = carriage[:-1] & newline[1:]
        after_carriage = np.concatenate([[False], carriage[:-1]])
        ends = np.flatnonzero((newline & ~after_carriage) | carriage)
        line_ends = ends + np.where(crlf[ends], 2, 1)
        bodies = np.where(carriage, np.uint32(10), points)[~np.concatenate([[False], crlf[:-1]])]
        if line_ends[-1] < size:  # there is a terminator: the text has a carriage return
            ends = np.append(ends, size)
            line_ends = np.append(line_ends, size)
            bodies = np.append(bodies, np.uint32(10))
    starts = np.concatenate([[0], line_ends[:-1]]).astype(np.int64)
    return starts, ends.astype(np.int64), line_ends.astype(np.int64), bodies.astype(np.uint32, copy=False)


def _whole_normalise(joined: str) -> str:
    """``normalise`` of every line of ``joined`` at once, the lines' "\\n" kept (see the module docstring)."""
    letters = _KEEP_LINES.sub("", joined.replace("_", ""))
    if not unicodedata.is_normalized("NFKC", letters):
        letters = _KEEP_LINES.sub("", unicodedata.normalize("NFKC", letters))
    return letters.casefold()
