"""The matching form of a piece of text, and how much content it carries.

Matching ignores case, width (NFKC folds full-width ASCII), white space, punctuation and
markdown markup, so ``**Fluidstack**`` and ``Fluidstack`` or ``## Heading`` and ``Heading``
compare equal. Only letters and digits remain, which works the same for space-separated
scripts and for CJK text that has no spaces at all.
"""
from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[\W_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\uff66-\uff9f]")


def normalise(text: str) -> str:
    """Letters and digits of ``text``, NFKC-folded and case-folded."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


def content_weight(normalised: str) -> int:
    """Size of a normalised text in Latin-letter equivalents.

    A CJK character carries about as much as two Latin letters, so thresholds such as
    "a long sentence" mean the same in Japanese and in English: 50 is about 25 Japanese
    characters or 10 English words.
    """
    return 2 * len(normalised) - len(_CJK.sub("", normalised))


def is_cjk_text(text: str, share: float = 0.3) -> bool:
    """Whether at least ``share`` of the letters of ``text`` are CJK characters."""
    letters = normalise(text)
    if not letters:
        return False
    return len(letters) - len(_CJK.sub("", letters)) >= share * len(letters)
