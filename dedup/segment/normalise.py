"""The matching form of a piece of text, and how much content it carries.

Matching ignores case, width (NFKC folds full-width ASCII), white space, punctuation and
markdown markup, so ``**Fluidstack**`` and ``Fluidstack`` or ``## Heading`` and ``Heading``
compare equal. Only letters and digits remain, which works the same for space-separated
scripts and for CJK text that has no spaces at all.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np

_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u3099\u309a"
_NOT_WORD = re.compile(rf"[^\w{_MARKS}]+")  # and "_", removed by str.replace: one class, no alternation
_WORD = re.compile(rf"(?:[^\W_]|[{_MARKS}])+")
# ASCII text (most English sentences) needs no regex and no NFKC: its letters and digits are [A-Za-z0-9].
_ASCII_DROP = {c: None for c in range(128) if not chr(c).isalnum()}
_ASCII_SPACE = {c: " " for c in range(128) if not chr(c).isalnum()}
# Typographic punctuation and spaces of English web text (curly quotes, dashes, ellipsis, no-break space):
# neither letters nor marks, so as spaces they leave the same letters; a text with no other non-ASCII
# character takes the ASCII path.
_TYPOGRAPHIC = "\u00a0\u00ab\u00b7\u00bb\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026"
_SCRIPT_SAMPLE = 4000
# From this length on, a text that is not ASCII goes through the character table (numpy) when it is simple:
# accented names, currency signs and CJK would otherwise take the regex and NFKC passes.
_LONG = 256
# The CJK characters of content weights and the script test (kana, CJK ideographs, Hangul, half-width kana), inclusive
CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xAC00, 0xD7AF), (0xFF66, 0xFF9F))
_CJK = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in CJK_RANGES) + "]")


def cjk_points(points: np.ndarray) -> np.ndarray:
    """Which of the code points ``points`` are CJK characters (``CJK_RANGES``): ``_CJK`` over an array."""
    cjk = np.zeros(len(points), dtype=bool)
    for low, high in CJK_RANGES:
        cjk |= (points >= low) & (points <= high)
    return cjk


def normalise(text: str) -> str:
    """Letters and digits of ``text``, NFKC-folded and case-folded.

    Punctuation and white space go first: in Japanese text they are usually all that
    makes a text non-NFKC (full-width brackets and colons), so the costly NFKC pass is
    mostly skipped. Combining marks are kept until NFKC has composed them.
    """
    plain = as_ascii(text)
    if plain is not None:
        return plain.translate(_ASCII_DROP).lower()
    if len(text) >= _LONG:
        mapped = _simple_keys(text)
        if mapped is not None:
            return _decode(mapped[(mapped >= 0) & (mapped != 10)])
    letters = _NOT_WORD.sub("", text.replace("_", ""))
    if not unicodedata.is_normalized("NFKC", letters):
        letters = _NOT_WORD.sub("", unicodedata.normalize("NFKC", letters))  # no letter or mark NFKC-folds to "_"
    return letters.casefold()


def words(text: str) -> list[str]:
    """Words of ``text`` (runs of letters and digits), NFKC-folded and case-folded."""
    plain = as_ascii(text)
    if plain is not None:
        return plain.translate(_ASCII_SPACE).lower().split()
    if len(text) >= _LONG:
        mapped = _simple_keys(text)
        if mapped is not None:
            return _decode(np.where((mapped >= 0) & (mapped != 10), mapped, 32)).split()
    found = _WORD.findall(text)
    joined = " ".join(found)
    if not unicodedata.is_normalized("NFKC", joined):
        found = _WORD.findall(unicodedata.normalize("NFKC", joined))
    return [w.casefold() for w in found]


def _simple_keys(text: str) -> np.ndarray | None:
    """Each character's key as a code point (-1: none), if every character of ``text`` is simple; else None.

    Then the key of the text is the keys of its characters in order, and its words are
    the runs of characters with a key (see :class:`_CharTable`).
    """
    mapped = char_table().keys_of(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32))
    return None if (mapped == NOT_SIMPLE).any() else mapped


def _decode(points: np.ndarray) -> str:
    return points.astype(np.uint32).tobytes().decode("utf-32-le")


def as_ascii(text: str) -> str | None:
    """``text`` with its typographic punctuation as spaces, if that leaves it ASCII; else None."""
    if text.isascii():
        return text
    for mark in _TYPOGRAPHIC:
        if mark in text:
            text = text.replace(mark, " ")
    return text if text.isascii() else None


def cjk_share(normalised: str) -> float:
    """Share of CJK characters among the letters of a normalised text (judged on its start)."""
    sample = normalised[:_SCRIPT_SAMPLE]
    if not sample:
        return 0.0
    return (len(sample) - len(_CJK.sub("", sample))) / len(sample)


def content_weight(normalised: str) -> int:
    """Size of a normalised text in Latin-letter equivalents.

    A CJK character carries about as much as two Latin letters, so thresholds such as
    "a long sentence" mean the same in Japanese and in English: 50 is about 25 Japanese
    characters or 10 English words.
    """
    if normalised.isascii():
        return len(normalised)
    return 2 * len(normalised) - len(_CJK.sub("", normalised))


def is_cjk_text(text: str, share: float = 0.3) -> bool:
    """Whether at least ``share`` of the letters of ``text`` are CJK characters."""
    return cjk_share(normalise(text[: 2 * _SCRIPT_SAMPLE])) >= share


# Characters that compose with the starter before them although they are starters themselves
# (canonical decompositions "x y" with combining class of y = 0; Unicode 14), and the conjoining
# Hangul vowels and trailing consonants. tests/test_lines.py recomputes this from unicodedata.
_STARTER_SECONDS = frozenset(
    [0x9BE, 0x9D7, 0xB3E, 0xB56, 0xB57, 0xBBE, 0xBD7, 0xCC2, 0xCD5, 0xCD6, 0xD3E, 0xD57, 0xDCF, 0xDDF, 0xFB5,
     0xFB7, 0x102E, 0x1B35, 0x11127, 0x1133E, 0x11357, 0x114B0, 0x114BA, 0x114BD, 0x115AF, 0x11930]
    + list(range(0x1161, 0x1176)) + list(range(0x11A8, 0x11C3))
)
# str.isspace: what str.strip removes, so a line of only these is blank (tests/test_lines.py checks the list)
_SPACES = (list(range(0x09, 0x0E)) + list(range(0x1C, 0x21)) + [0x85, 0xA0, 0x1680] + list(range(0x2000, 0x200B))
           + [0x2028, 0x2029, 0x202F, 0x205F, 0x3000])
UNKNOWN, _DROPPED, NOT_SIMPLE = -2, -1, -3


class _CharTable:
    """Each code point's key as a code point (or dropped, or not simple), filled as characters are met.

    A character's key is ``normalise`` of it alone; it is *simple* when that is at most one
    character with combining class 0 that composes with no starter before it. In a text
    of simple characters nothing composes or reorders across characters, so NFKC and case
    folding work character by character: the text's key is its characters' keys in order,
    and its words (``words``) are the runs of characters that have a key. "\\n" keeps
    its place (10), so that lines normalised together stay apart.

    A character whose key is several such characters, and whose NFKC form is too (ß → ss,
    ½ → 12, ﬁ → fi), is not simple in ``table`` (one code point each), but it *expands*:
    it composes with nothing either, so a text of simple and expanding characters still
    has its characters' keys in order as its key (``expansions``: for the lines).
    """

    def __init__(self) -> None:
        self.table = np.full(0x110000, UNKNOWN, dtype=np.int32)
        self.space = np.zeros(0x110000, dtype=bool)
        self.expanding: dict[int, str] = {}
        self._expansions: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.space[_SPACES] = True
        for point in range(128):
            self._fill(point)
        self.table[10] = 10  # the line break stays, so the lines stay apart

    def _fill(self, point: int) -> None:
        key = normalise(chr(point))
        if not key:
            self.table[point] = _DROPPED
        elif len(key) == 1 and _composes_with_nothing(key):
            self.table[point] = ord(key)
        else:
            self.table[point] = NOT_SIMPLE
            if _composes_with_nothing(key) and _composes_with_nothing(unicodedata.normalize("NFKC", chr(point))):
                self.expanding[point] = key
                self._expansions = None

    @property
    def expansions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The expanding characters met so far: their code points ascending (uint32), and the offsets of
        each one's key in the keys' code points, concatenated (int64, uint32)."""
        if self._expansions is None:
            points = sorted(self.expanding)
            keys = [self.expanding[p] for p in points]
            offsets = np.concatenate([[0], np.cumsum([len(k) for k in keys], dtype=np.int64)]).astype(np.int64)
            joined = np.frombuffer("".join(keys).encode("utf-32-le"), dtype=np.uint32)
            self._expansions = (np.array(points, dtype=np.uint32), offsets, joined.copy())
        return self._expansions

    def keys_of(self, points: np.ndarray) -> np.ndarray:
        mapped = self.table[points]
        unknown = mapped == UNKNOWN
        if unknown.any():
            for point in np.unique(points[unknown]).tolist():
                self._fill(point)
            mapped = self.table[points]
        return mapped


def _composes_with_nothing(text: str) -> bool:
    """Whether every character of ``text`` has combining class 0 and composes with no starter before it."""
    return all(unicodedata.combining(c) == 0 and ord(c) not in _STARTER_SECONDS for c in text)


_TABLE: list[_CharTable] = []


def char_table() -> _CharTable:
    """The process's character table (made on first use: some 10 ms)."""
    if not _TABLE:
        _TABLE.append(_CharTable())
    return _TABLE[0]
