"""Character and word n-gram shingles of many texts, hashed by one compiled loop.

Each text (a block, a sentence or a whole document) becomes the set of XXH32 hashes of the
UTF-8 bytes of its character n-grams. Character n-grams work for CJK text, which has no
spaces; a text shorter than n characters is one shingle of its own. The sets come back as
flat arrays, unit after unit, so that set operations across thousands of units are a few
numpy calls, never a Python loop per shingle.

Texts are hashed about a million characters at a time (a longer text in overlapping
pieces), because the compiled pass needs some twenty bytes of scratch space per byte it
is given: one call over a whole 64 MiB document would need more than a gigabyte.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.signatures.sized import distinct_runs, ngram_hashes

CHUNK_CHARS = 1 << 20


@dataclass(frozen=True)
class ShingleSets:
    """The shingle hash set of each unit, flattened.

    ``hashes[offsets[u]:offsets[u + 1]]`` is the de-duplicated set of unit ``u``, each hash
    where it first occurs in the unit (not sorted: a hash table per unit finds them in one
    pass, where sorting every unit's hashes took twice as long).
    """

    hashes: np.ndarray  # uint32
    offsets: np.ndarray  # int64, len = number of units + 1

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def units(self) -> np.ndarray:
        """The unit of each hash (int64; made on demand, as it would take twice the space of the hashes)."""
        return np.repeat(np.arange(len(self.offsets) - 1, dtype=np.int64), self.sizes)

    def of(self, unit: int) -> np.ndarray:
        return self.hashes[self.offsets[unit] : self.offsets[unit + 1]]


def _units_bytes(texts: Sequence[str]) -> np.ndarray:
    """The texts' UTF-8, joined by newlines (a newline inside a text becomes a space)."""
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1:  # some text has a newline of its own (keys never do)
        joined = "\n".join(t.replace("\n", " ") for t in texts)
    return np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8)


def hash_ngrams(
    texts: Sequence[str], n: int, by_words: bool = False, seed: int = 0, chunk: int = CHUNK_CHARS
) -> tuple[np.ndarray, np.ndarray]:
    """XXH32 of every n-gram of each text (characters, or words separated by single spaces).

    Returns the hashes, not de-duplicated, and the offsets of each text's run. A text
    shorter than n is one shingle of its own; an empty text has none. ``chunk`` (characters
    per compiled call) changes memory use only, never the result.
    """
    if not texts:
        return np.empty(0, dtype=np.uint32), np.zeros(1, dtype=np.int64)
    if _one_run(texts, chunk):  # its offsets are the texts'
        hashes, offsets = ngram_hashes(_units_bytes(texts), n, by_words, seed)
        return hashes, offsets.astype(np.int64, copy=False)
    counts = np.zeros(len(texts), dtype=np.int64)
    runs = []
    for start, stop, hashes, offsets in _hashed_batches(texts, n, by_words, seed, chunk):
        counts[start:stop] = np.diff(offsets)
        runs.append(hashes)
    hashes = runs[0] if len(runs) == 1 else np.concatenate(runs)
    return hashes, np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


def shingle_sets(texts: Sequence[str], n: int, seed: int = 0, chunk: int = CHUNK_CHARS) -> ShingleSets:
    """The de-duplicated character n-gram hash set of every text."""
    sizes = np.zeros(len(texts), dtype=np.int64)
    # filled in place, as a list of runs joined at the end would briefly need twice the space
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    hashes = np.empty(int(np.where(lengths > 0, np.maximum(lengths - n + 1, 1), 0).sum()), dtype=np.uint32)
    filled = 0
    for start, stop, raw, offsets in _hashed_batches(texts, n, False, seed, chunk):
        distinct, sizes[start:stop] = distinct_runs(raw, offsets)
        hashes[filled : filled + len(distinct)] = distinct
        filled += len(distinct)
    hashes.resize(filled, refcheck=False)
    return ShingleSets(hashes, np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64))


def found_in(values: np.ndarray, ordered: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is in the sorted array ``ordered`` (``np.isin``, without its set-up cost)."""
    if not len(ordered):
        return np.zeros(len(values), dtype=bool)
    at = np.searchsorted(ordered, values)
    return ordered[np.minimum(at, len(ordered) - 1)] == values


def _hashed_batches(
    texts: Sequence[str], n: int, by_words: bool, seed: int, chunk: int
) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """``(start, stop, hashes, offsets)`` for runs of whole texts of about ``chunk`` characters.

    A text longer than ``chunk`` is a run of its own, hashed in pieces that overlap by
    n - 1 characters or words, so every n-gram is hashed once and in order.
    """
    if texts and _one_run(texts, chunk):  # as the loop below would make it
        yield 0, len(texts), *ngram_hashes(_units_bytes(texts), n, by_words, seed)
        return
    start = 0
    while start < len(texts):
        if len(texts[start]) > chunk:
            pieces = [ngram_hashes(_units_bytes([p]), n, by_words, seed)[0] for p in _pieces(texts[start], n, by_words, chunk)]
            hashes = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
            yield start, start + 1, hashes, np.array([0, len(hashes)], dtype=np.int64)
            start += 1
            continue
        stop, size = start, 0
        while stop < len(texts) and len(texts[stop]) <= chunk and (stop == start or size + len(texts[stop]) <= chunk):
            size += len(texts[stop]) + 1
            stop += 1
        yield start, stop, *ngram_hashes(_units_bytes(texts[start:stop]), n, by_words, seed)
        start = stop


def _one_run(texts: Sequence[str], chunk: int) -> bool:
    """Whether the texts, joined by newlines, fit in one compiled call of ``chunk`` characters."""
    return sum(map(len, texts)) + len(texts) - 1 <= chunk


def _pieces(text: str, n: int, by_words: bool, chunk: int) -> Iterator[str]:
    """``text`` cut into pieces of about ``chunk`` characters holding each of its n-grams once, in order.

    Each piece holds at least n characters (or words), so none counts as a short text of its own.
    """
    text = text.replace("\n", " ")
    if not by_words:
        step = max(chunk - n + 1, 1)
        for at in range(0, max(len(text) - n + 1, 1), step):
            yield text[at : at + step + n - 1]
        return
    start = 0  # where the piece's first word starts
    while True:
        end = _piece_end(text, start, n, chunk)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        if n == 1:
            start = end + 1
            continue
        start = text.rfind(" ", 0, end) + 1  # the piece's last word; the next piece starts n - 2 words before it
        for _ in range(n - 2):
            start = text.rfind(" ", 0, start - 1) + 1


def _piece_end(text: str, start: int, n: int, chunk: int) -> int:
    """Where the piece starting at ``start`` ends (a space), or -1 if it runs to the end of ``text``.

    Words are what lies between single spaces. A piece holds at least n words, then as many
    as fit in ``chunk`` characters, and never ends on an empty word: the compiled pass drops
    the empty word after a final space.
    """
    end = start - 1
    for _ in range(n):  # the end of the n-th word
        end = text.find(" ", end + 1)
        if end < 0:
            return -1
    while end + 1 < len(text):  # the words that still fit
        following = text.find(" ", end + 1)
        if (len(text) if following < 0 else following) - start > chunk:
            break
        if following < 0:
            return -1
        end = following
    while end + 1 < len(text) and (end == 0 or text[end - 1] == " "):  # an empty last word
        end = text.find(" ", end + 1)
        if end < 0:
            return -1
    return end if end + 1 < len(text) else -1
