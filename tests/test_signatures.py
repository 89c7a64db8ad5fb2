"""dedup.signatures: vectorised XXH32 and shingle sets agree with the xxhash package."""
from __future__ import annotations

import numpy as np
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.signatures.shingles import hash_ngrams, shingle_sets
from dedup.signatures.kernels import xxh32_slices


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=70), min_size=1, max_size=20), st.integers(0, 2**32 - 1))
def test_xxh32_slices_equals_xxhash(chunks: list[bytes], seed: int) -> None:
    data = np.frombuffer(b"".join(chunks), dtype=np.uint8)
    lengths = np.array([len(c) for c in chunks], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    expected = [xxhash.xxh32_intdigest(c, seed) for c in chunks]
    assert xxh32_slices(data, starts.astype(np.int64), lengths.astype(np.int64), seed).tolist() == expected


def reference_ngrams(text: str, n: int) -> list[int]:
    if 0 < len(text) < n:
        return [xxhash.xxh32_intdigest(text.encode())]
    return [xxhash.xxh32_intdigest(text[i:i + n].encode()) for i in range(len(text) - n + 1)]


def test_char_ngrams_of_mixed_scripts_hash_their_utf8_bytes() -> None:
    texts = ["anthropicのceoダリオ", "𠮷野家の牛丼", "ab", "", "x" * 30 + "日本語"]
    hashes, offsets = hash_ngrams(texts, 5)
    for unit, text in enumerate(texts):
        assert hashes[offsets[unit]:offsets[unit + 1]].tolist() == reference_ngrams(text, 5)


def test_word_ngrams_hash_words_joined_by_one_space() -> None:
    texts = ["the city council approved the budget", "two words", "", "naïve café owners"]
    hashes, offsets = hash_ngrams(texts, 3, by_words=True)
    for unit, text in enumerate(texts):
        words = text.split()
        grams = [" ".join(words[i:i + 3]) for i in range(len(words) - 2)] or ([" ".join(words)] if words else [])
        expected = [xxhash.xxh32_intdigest(g.encode()) for g in grams]
        assert hashes[offsets[unit]:offsets[unit + 1]].tolist() == expected


def test_shingle_sets_are_sorted_unique_per_unit() -> None:
    sets = shingle_sets(["ああああああああ", "abcdefabcdef", ""], 3)
    assert sets.sizes.tolist() == [1, 6, 0]
    for unit in range(3):
        own = sets.of(unit)
        assert (np.diff(own.astype(np.int64)) > 0).all()
