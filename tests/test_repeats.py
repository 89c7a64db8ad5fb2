"""The fast path of within-document cleaning only ever skips documents from which nothing is removed."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dedup.match import repeats
from dedup.match.kernels import prose_ngram_hashes, prose_repeated_share, repeated_share_units
from dedup.match.repeats import repeats_nothing
from dedup.model import CleanOptions
from dedup.segment.blocks import document_blocks
from dedup.segment.lines import document_lines
from dedup.signatures.shingles import hash_ngrams
from dedup.within import clean_once

DATA = Path(__file__).resolve().parent / "data"


def _skipped(text: str, options: CleanOptions) -> bool:
    lines = document_lines(text)
    return repeats_nothing(document_blocks(text, options.marker_patterns, lines=lines), options)


def test_real_pages_that_repeat_nothing_are_skipped_and_nothing_skipped_repeats() -> None:
    with gzip.open(DATA / "real_pages" / "pages.jsonl.gz", "rt", encoding="utf-8") as f:
        pages = [json.loads(line)["text"] for line in f]
    least = {CleanOptions(): len(pages) // 2, CleanOptions(near_threshold=0.5, min_sentence_weight=20): 1, CleanOptions(shingle_size=3): 1}
    for options, enough in least.items():
        skipped = 0
        for text in pages:
            if _skipped(text, options):
                skipped += 1
                assert not clean_once(text, options)[0].removals
        assert skipped >= enough


def test_a_repeated_paragraph_or_sentence_is_never_skipped() -> None:
    paragraph = "The council met on Tuesday to review the budget, and most members agreed that road repairs should come first."
    other = "Farmers reported a strong harvest this autumn, with yields well above the average of the last ten years."
    assert _skipped(f"{paragraph}\n\n{other}\n", CleanOptions())
    assert not _skipped(f"{paragraph}\n\n{other}\n\n{paragraph}\n", CleanOptions())
    assert not _skipped(f"{paragraph} {other}\n\nAnd then: {other}\n", CleanOptions())
    assert not _skipped(f"{paragraph}\n---END---\n{other}\n", CleanOptions())
    choppy = "Rain at dawn. Fog by nine. Sun at noon. Wind in the evening. Frost at night, they say."  # no long sentence
    assert not _skipped(f"{choppy}\n\n{other}\n\n{choppy}\n", CleanOptions())
    assert clean_once(f"{choppy}\n\n{other}\n\n{choppy}\n", CleanOptions())[0].removals
    assert _skipped(f"{paragraph}\n---END---\n{other}\n", CleanOptions(keep_markers=True))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 300), max_size=60), min_size=1, max_size=8),
    st.lists(st.integers(1, 30), min_size=8, max_size=8),
    st.one_of(st.sampled_from([256, 512, 768, 1024]), st.integers(1, 1024)),
    st.booleans(),
)
@example([[7, 1, 2, 3], [7, 4, 5, 6]], [2] * 8, 512, True)  # a stretch at exactly the share
def test_compiled_share_test_gives_what_numpy_gives(units: list[list[int]], least: list[int], scaled: int, stretches: bool) -> None:
    """The fast path's test in one compiled loop says what its numpy passes say: units with shares, dense stretches."""
    hashes = np.array([h for unit in units for h in unit], dtype=np.uint32)
    offsets = np.concatenate([[0], np.cumsum([len(unit) for unit in units])]).astype(np.int64)
    needed = np.array(least[: len(units)], dtype=np.int64)
    compiled = repeated_share_units(hashes, offsets, needed, scaled, 1024, stretches)
    plain = repeats.plain_repeated_share_units(hashes, offsets, needed, scaled, 1024, stretches)
    assert (bool(compiled[0]), compiled[1].tolist()) == (plain[0], plain[1].tolist())


_LETTERS = list("abcab Z9é\u0301ß漢字カナ가\U0001F600\U0002000B\ud800 .\n")  # few letters: n-grams repeat


def _prose_share_both(text: str, n: int, min_weight: int, scaled: int, stretches: bool) -> tuple[tuple, tuple]:
    """``prose_repeated_share`` compiled and its twin on every non-blank line of ``text``; and, on the way, that the
    kernel's hashes are hash_ngrams' of the keys as strings (the slow path's, collisions included)."""
    lines = document_lines(text)
    numbers = np.flatnonzero(~lines.blank).astype(np.int64)
    keys = [lines.keys[i] for i in numbers.tolist()]
    hashes, offsets, ascii = prose_ngram_hashes(lines.key_points, lines.key_start, numbers, n)
    expected = hash_ngrams(keys, n)
    assert (hashes.tolist(), offsets.tolist(), ascii.tolist()) == (expected[0].tolist(), expected[1].tolist(), [k.isascii() for k in keys])
    args = (lines.key_points, lines.key_start, numbers, n, min_weight, scaled, 1024, stretches)
    return prose_repeated_share(*args), repeats.plain_prose_repeated_share(*args)


def _same_share(compiled: tuple, plain: tuple) -> bool:
    return (bool(compiled[0]), compiled[1].tolist(), compiled[2].tolist(), compiled[3].tolist()) == (
        plain[0], plain[1].tolist(), plain[2].tolist(), plain[3].tolist())


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.sampled_from(_LETTERS), max_size=300),
    st.integers(1, 6),
    st.integers(1, 60),
    st.integers(1, 1024),
    st.booleans(),
)
@example("ab\n\nabcabcab\n", 5, 50, 716, True)  # a key shorter than n: one shingle of its own
@example("é\u0301é\u0301é\u0301é\u0301\n漢字漢字漢字\n", 2, 3, 512, True)  # a composing text, keys not per character
@example("\U0002003F" * 8 + "\U0002000B\n", 3, 10, 716, True)  # letters of four UTF-8 bytes
# 21 repeated positions, then distinct ones: a dense stretch of 30 positions but none of 31, the least stretch of a
# sentence of weight 69 in CJK (35 characters, less n - 1)
@example("あ" * 25 + "".join(chr(0x4E00 + i) for i in range(100)) + "\n", 5, 69, 716, True)
def test_prose_keys_hashed_in_the_kernel_give_what_the_keys_as_strings_give(
    text: str, n: int, min_weight: int, scaled: int, stretches: bool
) -> None:
    """The hashes, offsets, shares and dense stretches are those of hashing the keys as strings (hash_ngrams),
    for ASCII, CJK, astral and composing keys, keys shorter than n and empty ones."""
    assert _same_share(*_prose_share_both(text, n, min_weight, scaled, stretches))


def test_prose_keys_hashed_in_the_kernel_give_what_the_keys_as_strings_give_on_real_pages() -> None:
    with gzip.open(DATA / "real_pages" / "pages.jsonl.gz", "rt", encoding="utf-8") as f:
        pages = [json.loads(line)["text"] for line in f]
    samples = [p.read_text(encoding="utf-8") for p in sorted((DATA.parent.parent / "samples").glob("*.txt"))]
    dense = 0
    for text in pages + samples:
        for n, min_weight, stretches in ((5, 50, True), (3, 20, False)):
            compiled, plain = _prose_share_both(text, n, min_weight, 716, stretches)
            assert _same_share(compiled, plain)
            dense += len(compiled[1])
    assert dense > 100  # the stretch test was reached, and found lines


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**32 - 1), max_size=12), min_size=1, max_size=8), st.booleans())
def test_two_units_alike_compiled_and_plain_agree_and_find_copies(units: list[list[int]], copy: bool) -> None:
    """Copies of a unit (the same hashes, in any order) are always found; kernel and twin say the same."""
    from dedup.match import kernels

    if copy and units[0]:
        units = units + [units[0][::-1]]
    hashes = np.array([h for unit in units for h in unit], dtype=np.uint32)
    offsets = np.concatenate([[0], np.cumsum([len(unit) for unit in units])]).astype(np.int64)
    compiled, plain = kernels._two_units_alike(hashes, offsets), repeats._two_units_alike(hashes, offsets)
    assert compiled == plain
    if copy and units[0]:
        assert compiled


@pytest.mark.parametrize("copy", [False, True])
def test_share_test_of_a_long_text_looks_for_lines_alike_first(copy: bool) -> None:
    """From ALIKE_FROM positions on: a copied line answers at once, the same in the kernel and its twin."""
    rng = np.random.default_rng(16)
    units = [rng.integers(0, 2**32, 200, dtype=np.uint32) for _ in range(repeats.ALIKE_FROM // 200 + 1)]
    if copy:
        units.append(units[3][::-1].copy())
    hashes = np.concatenate(units)
    offsets = np.concatenate([[0], np.cumsum([len(u) for u in units])]).astype(np.int64)
    needed = np.full(len(units), 20, dtype=np.int64)
    compiled = repeated_share_units(hashes, offsets, needed, 700, 1024, True)
    plain = repeats.plain_repeated_share_units(hashes, offsets, needed, 700, 1024, True)
    assert (bool(compiled[0]), compiled[1].tolist()) == (plain[0], plain[1].tolist()) == (copy, [])
    assert len(compiled[2]) == len(plain[2]) == (0 if copy else len(hashes))
