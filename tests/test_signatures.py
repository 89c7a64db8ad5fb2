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


def test_shingle_sets_are_unique_per_unit_in_order_of_first_occurrence() -> None:
    texts = ["ああああああああ", "abcdefabcdef", "", "ab"]
    sets = shingle_sets(texts, 3)
    assert sets.sizes.tolist() == [1, 6, 0, 1]
    for unit, text in enumerate(texts):
        grams = [text[i : i + 3] for i in range(len(text) - 2)] or ([text] if text else [])
        expected = list(dict.fromkeys(xxhash.xxh32_intdigest(g.encode()) for g in grams))
        assert sets.of(unit).tolist() == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), max_size=60), max_size=30), st.integers(0, 2**32 - 1))
def test_compiled_distinct_runs_are_the_numpy_ones(runs, seed) -> None:
    """Runs with repeats and empty runs, in tables of 16 to 128 slots where hashes often probe past each other."""
    from dedup.signatures import count_kernels, plain

    values = np.random.default_rng(seed).integers(0, 2**32, size=41, dtype=np.uint64).astype(np.uint32)
    hashes = np.array([values[v] for run in runs for v in run], dtype=np.uint32)
    offsets = np.concatenate([[0], np.cumsum([len(run) for run in runs])]).astype(np.int64)
    got, want = count_kernels.distinct_runs(hashes, offsets), plain.distinct_runs(hashes, offsets)
    assert (got[0].tolist(), got[1].tolist()) == (want[0].tolist(), want[1].tolist())
    assert got[0].tolist() == [int(values[v]) for run in runs for v in dict.fromkeys(run)]
