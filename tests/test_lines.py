"""Lines normalised over the whole text at once are the lines normalised one by one."""
from __future__ import annotations

import gzip
import json
import random
import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dedup.segment import normalise as normalise_module
from dedup.segment.lines import LINES_MADE, document_lines, plain_simple_lines
from dedup.segment.normalise import _STARTER_SECONDS, content_weight, normalise

DATA = Path(__file__).resolve().parent / "data"
SAMPLES = Path(__file__).resolve().parent.parent / "samples"
LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$")  # what a line is, one regex match each
ALPHABET = list("ab Z9 \n\r\r\n\t.,_-é\u0301e가\u1161ㄱㅏß½ºｶﾞ\ufb01ゟ\u00a0”’…\u3000漢字カナ１２Ａ\ud800\U0001F600µ")


def texts() -> list[str]:
    with gzip.open(DATA / "real_pages" / "pages.jsonl.gz", "rt", encoding="utf-8") as f:
        pages = [json.loads(line)["text"] for line in f][:60]
    rng = random.Random(16)
    made = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40))) for _ in range(1500)]
    return pages + [p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt"))] + made + ["", "\n", "\r", "x\r\n"]


@pytest.mark.parametrize("kernels", ["plain", "compiled"])
def test_offsets_keys_and_weights_are_those_of_each_line(kernels: str, monkeypatch) -> None:
    monkeypatch.setenv("DEDUP_KERNELS", kernels)
    monkeypatch.setattr(normalise_module, "_TABLE", [])  # a new table: every character but ASCII met for the first time
    for text in texts():
        lines = document_lines(text)
        matches = list(LINE.finditer(text))
        assert list(zip(lines.start.tolist(), lines.end.tolist(), lines.line_end.tolist())) == [
            (m.start(), m.start() + len(m.group().rstrip("\r\n")), m.end()) for m in matches
        ]
        keys = [normalise(text[m.start() : m.start() + len(m.group().rstrip("\r\n"))]) for m in matches]
        assert lines.keys == keys
        assert lines.weights.tolist() == [content_weight(k) for k in keys]


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(ALPHABET + ["\u4e00", "\u9fff", "\ua000", "\u3040"]), max_size=50))
@example("a\r\n\r\rb\n")
def test_compiled_lines_are_the_numpy_lines(text: str) -> None:
    """The one-loop kernel gives every array numpy's passes give: offsets, blanks, keys, counts, the status."""
    from dedup.segment import line_kernels

    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if not len(points):
        return
    table = normalise_module.char_table()
    for fill in (False, True):
        if fill:
            table.keys_of(points)
        got = line_kernels.simple_lines(points, table.table, table.space, *table.expansions)
        want = plain_simple_lines(points, table.table, table.space, *table.expansions)
        assert got[0] == want[0]
        if got[0] == LINES_MADE:
            assert [np.asarray(g).tolist() for g in got] == [np.asarray(w).tolist() for w in want]
            assert [np.asarray(g).dtype for g in got[1:-1]] == [np.asarray(w).dtype for w in want[1:-1]]


def test_in_a_simple_text_every_stretch_of_a_line_has_its_key_inside_the_line_key() -> None:
    rng = random.Random(7)
    simple = 0
    for text in texts():
        lines = document_lines(text)
        if not lines.simple:
            continue
        simple += 1
        for i in range(len(lines)):
            body, key = lines.body(i), lines.keys[i]
            for _ in range(3):
                a = rng.randint(0, len(body))
                b = rng.randint(a, len(body))
                start = len(normalise(body[:a]))
                assert key[start : start + len(normalise(body[a:b]))] == normalise(body[a:b])
    assert simple > 200


def test_starter_seconds_are_those_of_this_unicode_version() -> None:
    seconds = set()
    for point in range(0x110000):
        decomposition = unicodedata.decomposition(chr(point))
        if decomposition and not decomposition.startswith("<") and len(decomposition.split()) == 2:
            second = int(decomposition.split()[1], 16)
            if unicodedata.combining(chr(second)) == 0:
                seconds.add(second)
    hangul = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    assert seconds | hangul == set(_STARTER_SECONDS)


def test_long_texts_through_the_character_table_normalise_and_split_into_words_as_the_regex_does(monkeypatch) -> None:
    import dedup.segment.normalise as module

    rng = random.Random(3)
    long_texts = [t for t in texts() if len(t) >= 256]
    long_texts += ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(256, 600))) for _ in range(300)]
    long_texts += [("Müller paid £30 and €12 for the café’s crème brûlée — naïve? " * 8), "ｶﾞ" * 200, "İstanbul ΣΑΣ " * 30]
    fast = [(module.normalise(t), module.words(t)) for t in long_texts]
    monkeypatch.setattr(module, "_LONG", 10**9)
    assert fast == [(module.normalise(t), module.words(t)) for t in long_texts]


def test_characters_that_expand_keep_texts_simple_and_normalise_in_any_company() -> None:
    """ß, ½, ﬁ … have keys of several characters that compose with nothing: in a text among simple and other
    expanding characters (each expansion's own characters, Hangul leading jamo, letters that take accents)
    the text's key is still its characters' keys in order, so such a page takes the per-character path."""
    table = normalise_module.char_table()
    points = np.array([p for p in range(0x30000) if not 0xD800 <= p < 0xE000], dtype=np.uint32)
    mapped = table.keys_of(points)
    expanding = sorted(table.expanding)
    assert {0xDF, 0xBD, 0xFB01} <= set(expanding) and len(expanding) > 500
    simple = points[mapped >= 0].tolist()
    rng = random.Random(5)
    company = [chr(p) for p in rng.sample(simple, 300)] + ["e", "a", "\u1100", "\u3131", "A", "1"]
    company += [key[-1] for key in table.expanding.values()] + [chr(p) for p in rng.sample(expanding, 300)]
    for point in expanding:
        c = chr(point)
        for _ in range(3):
            before, after = rng.choice(company), rng.choice(company)
            assert normalise(before + c + after) == normalise(before) + table.expanding[point] + normalise(after)
    text = "Die Straße ist ½ Meile lang.\nA ﬁne day, ¼ of it rain.\nゟ上手くいった"  # ゟ: より, two CJK characters
    lines = document_lines(text)
    assert lines.simple and lines.keys == [normalise(line) for line in text.split("\n")]
    assert lines.weights.tolist() == [content_weight(normalise(line)) for line in text.split("\n")]
    assert lines.key_positions(np.array([0, 1]), np.array([9, 3])).tolist() == [len("diestrass"), len("afi")]  # after ß, after ﬁ
    assert not document_lines("cafe\u0301 au lait").simple  # a combining mark composes with the letter before it
