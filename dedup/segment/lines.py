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

from dedup.segment.normalise import _MARKS, NOT_SIMPLE, char_table

_KEEP_LINES = re.compile(rf"[^\w{_MARKS}\n]+")
_CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xAC00, 0xD7AF), (0xFF66, 0xFF9F))


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
    content weight (``content_weight``: a CJK character weighs two) is two lookups.
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
    start, end, line_end, points = _split(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32))
    if not len(start):
        empty = np.zeros(0, np.int64)
        none = np.zeros(0, dtype=bool)
        return DocumentLines(text, start, end, line_end, none, np.zeros(0, np.uint32), np.zeros(1, np.int64), empty, True, None)
    table = char_table()
    visible = np.concatenate([[0], np.cumsum(~table.space[points], dtype=np.int64)])
    breaks_in_text = np.flatnonzero(points == 10)
    blank = np.diff(np.concatenate([[0], visible[breaks_in_text]])) == 0
    mapped = table.keys_of(points)
    simple = not (mapped == NOT_SIMPLE).any()
    key_before = None
    if simple:
        kept = mapped >= 0
        key_points = mapped[kept].astype(np.uint32)
        key_before = np.concatenate([[0], np.cumsum(kept, dtype=np.int64)])
    else:
        joined = points[:-1].tobytes().decode("utf-32-le", "surrogatepass")
        key_points = np.frombuffer((_whole_normalise(joined) + "\n").encode("utf-32-le"), dtype=np.uint32)
    breaks = np.flatnonzero(key_points == 10)
    key_start = np.concatenate([[0], breaks + 1]).astype(np.int64)
    weights = np.diff(key_start) - 1
    cjk_before = None
    if key_points.max(initial=0) >= _CJK_RANGES[0][0]:
        cjk = np.zeros(len(key_points), dtype=bool)
        for low, high in _CJK_RANGES:
            cjk |= (key_points >= low) & (key_points <= high)
        cjk_before = np.concatenate([[0], np.cumsum(cjk, dtype=np.int64)])
        weights = weights + np.diff(np.concatenate([[0], cjk_before[breaks + 1]]))
    return DocumentLines(
        text, start, end, line_end, blank, key_points, key_start, weights.astype(np.int64), simple, key_before, cjk_before
    )


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
