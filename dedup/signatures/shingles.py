"""Character n-gram shingles of many texts, hashed in one vectorised pass.

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

from dedup.signatures.xxh32 import xxh32_slices


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


def char_ngram_positions(texts: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Start, character length and unit of every n-gram of ``texts`` in their concatenation."""
    joined = "".join(texts)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    ends = np.cumsum(lengths)
    begins = ends - lengths
    unit_of_char = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    positions = np.arange(len(joined), dtype=np.int64)
    full = positions + n <= np.repeat(ends, lengths)
    starts = positions[full]
    units = unit_of_char[full]
    span = np.full(len(starts), n, dtype=np.int64)
    short = np.flatnonzero((lengths > 0) & (lengths < n))
    if len(short):
        starts = np.concatenate([starts, begins[short]])
        units = np.concatenate([units, short])
        span = np.concatenate([span, lengths[short]])
    return starts, span, units, joined


def hash_char_ngrams(texts: Sequence[str], n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """XXH32 of the UTF-8 bytes of every character n-gram, with the unit of each (not de-duplicated)."""
    starts, span, units, joined = char_ngram_positions(texts, n)
    encoded = joined.encode("utf-8", "surrogatepass")
    if len(encoded) == len(joined):
        byte_offsets = np.arange(len(joined) + 1, dtype=np.int64)
    else:
        codepoints = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        widths = 1 + (codepoints >= 0x80) + (codepoints >= 0x800) + (codepoints >= 0x10000)
        byte_offsets = np.concatenate([[0], np.cumsum(widths, dtype=np.int64)])
    data = np.frombuffer(encoded, dtype=np.uint8)
    byte_starts = byte_offsets[starts]
    byte_lengths = byte_offsets[starts + span] - byte_starts
    return xxh32_slices(data, byte_starts, byte_lengths, seed), units


def shingle_sets(texts: Sequence[str], n: int, seed: int = 0) -> ShingleSets:
    """The de-duplicated shingle hash set of every text."""
    hashes, units = hash_char_ngrams(texts, n, seed)
    keys = np.unique((units.astype(np.uint64) << np.uint64(32)) | hashes.astype(np.uint64))
    units = (keys >> np.uint64(32)).astype(np.int64)
    hashes = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    offsets = np.searchsorted(units, np.arange(len(texts) + 1, dtype=np.int64))
    return ShingleSets(hashes, units, offsets.astype(np.int64))
