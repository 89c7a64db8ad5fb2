"""The fast path of within-document cleaning only ever skips documents from which nothing is removed."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dedup.match import repeats
from dedup.match.repeats import repeats_nothing
from dedup.model import CleanOptions
from dedup.segment.blocks import document_blocks
from dedup.segment.lines import document_lines
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
    compiled = repeats.repeated_share_units.compiled()(hashes, offsets, needed, scaled, 1024, stretches)
    plain = repeats.plain_repeated_share_units(hashes, offsets, needed, scaled, 1024, stretches)
    assert (bool(compiled[0]), compiled[1].tolist()) == (plain[0], plain[1].tolist())
