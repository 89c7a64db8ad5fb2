"""The matching form of a piece of text, and how much content it carries.

Matching ignores case, width (NFKC folds full-width ASCII), white space, punctuation and
markdown markup, so ``**Fluidstack**`` and ``Fluidstack`` or ``## Heading`` and ``Heading``
compare equal. Only letters and digits remain, which works the same for space-separated
scripts and for CJK text that has no spaces at all.
"""
from __future__ import annotations

import re
import unicodedata

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
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\uff66-\uff9f]")


def normalise(text: str) -> str:
    """Letters and digits of ``text``, NFKC-folded and case-folded.

    Punctuation and white space go first: in Japanese text they are usually all that
    makes a text non-NFKC (full-width brackets and colons), so the costly NFKC pass is
    mostly skipped. Combining marks are kept until NFKC has composed them.
    """
    plain = _as_ascii(text)
    if plain is not None:
        return plain.translate(_ASCII_DROP).lower()
    letters = _NOT_WORD.sub("", text.replace("_", ""))
    if not unicodedata.is_normalized("NFKC", letters):
        letters = _NOT_WORD.sub("", unicodedata.normalize("NFKC", letters))  # no letter or mark NFKC-folds to "_"
    return letters.casefold()


def words(text: str) -> list[str]:
    """Words of ``text`` (runs of letters and digits), NFKC-folded and case-folded."""
    plain = _as_ascii(text)
    if plain is not None:
        return plain.translate(_ASCII_SPACE).lower().split()
    found = _WORD.findall(text)
    joined = " ".join(found)
    if not unicodedata.is_normalized("NFKC", joined):
        found = _WORD.findall(unicodedata.normalize("NFKC", joined))
    return [w.casefold() for w in found]


def _as_ascii(text: str) -> str | None:
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
