"""The forms a batch of documents is shingled in, made for the whole batch at once.

A document's form (:func:`shingle_text`) is its normalised text when it is mostly CJK and
its words joined by single spaces otherwise. Made one document at a time, with
``normalise`` for the script test and ``words`` for the form, that costs more than hashing
and MinHash together. Here every document of a batch is mapped to its characters' keys at
once: an ASCII one (once its typographic punctuation is a space) by a 128-entry table, any
other by the code-point table of ``dedup.segment.normalise``. When all of a document's
characters are *simple* there, its key is its characters' keys in order and its words are
their runs, so the script test and the forms are one pass over the batch (``script_counts``,
``joined_keys``). A document with a character that is not simple (a combining mark, one
that composes) takes :func:`shingle_text` itself.
"""
from __future__ import annotations

import codecs
from collections.abc import Sequence

import numpy as np

from dedup.compiled import sized_kernel
from dedup.segment.normalise import NOT_SIMPLE, UNKNOWN, as_ascii, char_table, cjk_points, cjk_share, normalise, words

Form = tuple[str, bool]  # the text shingled, and whether it is shingled by characters (CJK)

SCRIPT_SAMPLE = 4000  # cjk_share judges a normalised text on its first this many characters
# A key character is a mapped value above 0 other than the line break (10): 0 and below are no key
_ASCII_KEYS = np.array([ord(chr(c).lower()) if chr(c).isalnum() else 0 for c in range(128)], dtype=np.uint8)

__all__ = ["NOT_SIMPLE", "UNKNOWN", "Form", "shingle_forms", "shingle_text"]


def shingle_text(text: str, cjk_threshold: float = 0.3) -> Form:
    """The form one document is shingled in, and whether it is CJK (character n-grams)."""
    letters = normalise(text)
    if cjk_share(letters) >= cjk_threshold:
        return letters, True
    return " ".join(words(text)), False


def shingle_forms(texts: Sequence[str], cjk_threshold: float = 0.3) -> list[Form]:
    """``[shingle_text(t, cjk_threshold) for t in texts]``: the same forms, made for the batch at once."""
    forms: list[Form | None] = [None] * len(texts)
    plain: list[int] = []
    ascii_texts: list[str] = []
    other: list[int] = []
    for i, text in enumerate(texts):
        ascii_text = as_ascii(text) if cjk_threshold > 0 else None  # an ASCII text's CJK share is 0: below
        if ascii_text is None:
            other.append(i)
        else:
            plain.append(i)
            ascii_texts.append(ascii_text)
    if plain:
        mapped = _ASCII_KEYS[np.frombuffer("".join(ascii_texts).encode("ascii"), dtype=np.uint8)]
        lengths = np.fromiter(map(len, ascii_texts), dtype=np.int64, count=len(ascii_texts))
        out, offsets = joined_keys(mapped, lengths, np.ones(len(plain), dtype=np.bool_))
        joined = codecs.ascii_decode(out)[0]
        for k, i in enumerate(plain):
            forms[i] = (joined[offsets[k] : offsets[k + 1]], False)
    if other:
        for i, form in zip(other, _table_forms([texts[i] for i in other], cjk_threshold)):
            forms[i] = form
    return forms  # type: ignore[return-value]  # every slot is filled above


def _table_forms(texts: Sequence[str], cjk_threshold: float) -> list[Form]:
    """The forms of ``texts`` by the code-point table; of those with a character that is not simple, by shingle_text."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    points = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    table = char_table()
    mapped, keys, cjk, odd, unknown = script_counts(points, table.table, lengths, SCRIPT_SAMPLE)
    if unknown:  # characters met for the first time: filled in, then counted again
        table.keys_of(points)
        mapped, keys, cjk, odd, _ = script_counts(points, table.table, lengths, SCRIPT_SAMPLE)
    # the share in Python floats, as cjk_share divides: the same to the last bit
    cjk_texts = [(c / s if s else 0.0) >= cjk_threshold for c, s in zip(cjk.tolist(), np.minimum(keys, SCRIPT_SAMPLE).tolist())]
    out, offsets = joined_keys(mapped, lengths, ~np.array(cjk_texts, dtype=np.bool_))
    joined = codecs.utf_32_le_decode(out.view(np.uint32), "surrogatepass")[0]  # keys are code points: none below 0
    return [
        (joined[offsets[k] : offsets[k + 1]], cjk_texts[k]) if not odd[k] else shingle_text(texts[k], cjk_threshold)
        for k in range(len(texts))
    ]


def plain_script_counts(
    points: np.ndarray, table: np.ndarray, lengths: np.ndarray, sample: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """:func:`dedup.signatures.form_kernels.script_counts` in numpy: the same keys and counts."""
    mapped = table[points]
    n_texts = len(lengths)
    text_of = np.repeat(np.arange(n_texts, dtype=np.int64), lengths)
    at = np.flatnonzero(_is_key(mapped))
    owner = text_of[at]
    keys = np.bincount(owner, minlength=n_texts)
    first = np.concatenate([[0], np.cumsum(keys)[:-1]]).astype(np.int64)
    sampled = np.arange(len(at)) - first[owner] < sample
    cjk = cjk_points(mapped[at[sampled]])
    odd = np.bincount(text_of[mapped == NOT_SIMPLE], minlength=n_texts)
    found = np.bincount(owner[sampled][cjk], minlength=n_texts)
    return mapped, keys.astype(np.int64), found.astype(np.int64), odd.astype(np.int64), bool((mapped == UNKNOWN).any())


def plain_joined_keys(mapped: np.ndarray, lengths: np.ndarray, by_words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`dedup.signatures.form_kernels.joined_keys` in numpy: the same characters and offsets."""
    n_texts = len(lengths)
    key = _is_key(mapped)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    text_of = np.repeat(np.arange(n_texts, dtype=np.int64), lengths)
    after_key = np.zeros(len(key), dtype=bool)
    after_key[1:] = key[:-1]
    after_key[starts[lengths > 0]] = False
    at = np.flatnonzero(key)
    owner = text_of[at]
    counts = np.bincount(owner, minlength=n_texts)
    first = np.zeros(len(at), dtype=bool)
    first[np.concatenate([[0], np.cumsum(counts)[:-1]])[counts > 0]] = True
    spaced = ~after_key[at] & ~first & by_words[owner]
    place = np.arange(len(at), dtype=np.int64) + np.cumsum(spaced)
    out = np.empty(len(at) + int(spaced.sum()), dtype=mapped.dtype)
    out[place] = mapped[at]
    out[place[spaced] - 1] = 32
    sizes = counts + np.bincount(owner[spaced], minlength=n_texts)
    return out, np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


def _is_key(mapped: np.ndarray) -> np.ndarray:
    return (mapped > 0) & (mapped != 10)


# Measured 2026-12-02 (AMD EPYC, 2 cores; real pages with accented names): numpy's passes take 11.6 M
# characters a second, the kernels 135 M; compiling both takes 1.4 s, loading them from numba's cache 0.36 s
script_counts = sized_kernel("dedup.signatures.form_kernels", "script_counts", plain_script_counts,
                             work=lambda points, *_: len(points), cold=16_000_000, warm=4_000_000)
joined_keys = sized_kernel("dedup.signatures.form_kernels", "joined_keys", plain_joined_keys,
                           work=lambda mapped, *_: len(mapped), cold=16_000_000, warm=4_000_000)
