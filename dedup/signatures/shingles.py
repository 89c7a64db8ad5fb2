"""Character and word n-gram shingles of many texts, hashed in one compiled pass.

Each text (a block, a sentence or a whole document) becomes the set of XXH32 hashes of the
UTF-8 bytes of its character n-grams. Character n-grams work for CJK text, which has no
spaces; a text shorter than n characters is one shingle of its own. The sets come back as
flat arrays sorted by (unit, hash) so that set operations across thousands of units are a
few numpy calls, never a Python loop per shingle.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dedup.signatures.kernels import ngram_hashes


@dataclass(frozen=True)
class ShingleSets:
    """The shingle hash set of each unit, flattened.

    ``hashes[offsets[u]:offsets[u + 1]]`` is the sorted, de-duplicated set of unit ``u``.
    """

    hashes: np.ndarray  # uint32
    units: np.ndarray  # int64, the unit of each hash
    offsets: np.ndarray  # int64, len = number of units + 1

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)

    def of(self, unit: int) -> np.ndarray:
        return self.hashes[self.offsets[unit] : self.offsets[unit + 1]]


def _units_bytes(texts: Sequence[str]) -> np.ndarray:
    joined = "\n".join(t.replace("\n", " ") for t in texts)
    return np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8)


def hash_ngrams(texts: Sequence[str], n: int, by_words: bool = False, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """XXH32 of every n-gram of each text (characters, or words separated by single spaces).

    Returns the hashes, not de-duplicated, and the offsets of each text's run. A text
    shorter than n is one shingle of its own; an empty text has none.
    """
    if not texts:
        return np.empty(0, dtype=np.uint32), np.zeros(1, dtype=np.int64)
    return ngram_hashes(_units_bytes(texts), n, by_words, seed)


def shingle_sets(texts: Sequence[str], n: int, seed: int = 0) -> ShingleSets:
    """The de-duplicated character n-gram hash set of every text."""
    hashes, offsets = hash_ngrams(texts, n, False, seed)
    units = np.repeat(np.arange(len(texts), dtype=np.uint64), np.diff(offsets))
    keys = np.sort((units << np.uint64(32)) | hashes.astype(np.uint64))
    if len(keys):
        keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]  # np.unique's hash path is slower
    units = (keys >> np.uint64(32)).astype(np.int64)
    hashes = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    offsets = np.searchsorted(units, np.arange(len(texts) + 1, dtype=np.int64))
    return ShingleSets(hashes, units, offsets.astype(np.int64))
