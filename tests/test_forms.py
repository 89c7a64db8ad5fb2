"""dedup.signatures.forms: a batch's forms are those shingle_text gives one document at a time."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dedup.segment import normalise
from dedup.signatures import forms
from dedup.signatures.forms import shingle_forms, shingle_text

DATA = Path(__file__).resolve().parent / "data"
# what the forms must get right: ASCII and typographic punctuation, accented and full-width letters,
# combining marks and characters that compose (not simple), CJK and Hangul, ligatures, new lines
ALPHABET = st.sampled_from(list("aZ9 _-'\n\t.") + list("。、「」日本語カタカナひらがなéüÅ€£\u00a0\u2019\u201c—…\u0301\u3099ｱＡ한①ﬁ\u1100\u1161"))


def real_texts() -> list[str]:
    with gzip.open(DATA / "real_pages" / "pages.jsonl.gz", "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


@pytest.mark.parametrize("kernels", ["plain", "compiled"])
@pytest.mark.parametrize("threshold", [0.3, 0.0, 1.0])
def test_the_forms_of_real_pages_and_samples_are_shingle_texts(kernels: str, threshold: float, samples_dir, monkeypatch) -> None:
    monkeypatch.setenv("DEDUP_KERNELS", kernels)
    monkeypatch.setattr(normalise, "_TABLE", [])  # a new table: every character but ASCII met for the first time
    texts = real_texts() + [p.read_text(encoding="utf-8") for p in sorted(samples_dir.glob("*.txt"))]
    accented = [t.replace("said", "told Señor Núñez").replace(" percent", " €") for t in texts[:50]]
    batch = texts + accented + ["", "\n", "Ａｂｃ １２３", "e\u0301clair", "ｶﾀｶﾅ", "한국어", "\ud800 lone"]
    assert shingle_forms(batch, threshold) == [shingle_text(t, threshold) for t in batch]
    assert any(cjk for _, cjk in shingle_forms(batch, threshold)) and (threshold == 0.0 or not all(cjk for _, cjk in shingle_forms(batch, threshold)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(ALPHABET, max_size=40), max_size=6), st.sampled_from([0.3, 0.0, 0.5, 1.0]))
@example(["カタカナ" * 1001 + "ab" * 10000], 0.3)  # the script is judged on the first 4,000 key characters only
@example(["日本 ab"], 0.5)  # a share of exactly 0.5
def test_batches_of_any_text_get_the_forms_of_one_at_a_time(texts: list[str], threshold: float) -> None:
    assert shingle_forms(texts, threshold) == [shingle_text(t, threshold) for t in texts]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.one_of(st.integers(-3, 0x3100), st.sampled_from([0x4DBF, 0x4DC0, 0x9FFF, 0xA000, 0xFF9F, 0xFFA0])), max_size=30), max_size=6), st.lists(st.booleans(), min_size=6, max_size=6))
@example([[0x3040, 0x30FF, 0x3100, 0x303F, 0x9FFF, 0xA000]], [False] * 6)  # the edges of a CJK range
def test_compiled_counts_and_joins_give_what_numpy_gives(texts: list[list[int]], by_words: list[bool]) -> None:
    from dedup.signatures import form_kernels

    mapped = np.array([m for text in texts for m in text], dtype=np.int32)
    lengths = np.array([len(text) for text in texts], dtype=np.int64)
    spaced = np.array(by_words[: len(texts)], dtype=np.bool_)
    table, points = np.unique(mapped, return_inverse=True)  # each value its own code point's key
    for sample in (2, 4000):
        got = form_kernels.script_counts(points.astype(np.uint32), table, lengths, sample)
        want = forms.plain_script_counts(points.astype(np.uint32), table, lengths, sample)
        assert [np.asarray(a).tolist() for a in got] == [np.asarray(a).tolist() for a in want]
        assert got[0].tolist() == mapped.tolist()
    got_out, got_offsets = form_kernels.joined_keys(mapped, lengths, spaced)
    want_out, want_offsets = forms.plain_joined_keys(mapped, lengths, spaced)
    assert (got_out.tolist(), got_offsets.tolist()) == (want_out.tolist(), want_offsets.tolist())
