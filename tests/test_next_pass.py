"""Skipping the pass that would find nothing (dedup.match.next_pass): cleaning comes out as with every pass made."""
from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

import dedup.within as within
from dedup.match.next_pass import (
    MatchedUnits, _every_pair_lost_a_copy, _no_pair_appears, next_pass_cuts_nothing, plain_holdings,
)
from dedup.match.pairs import UnitMatch
from dedup.model import RemovalKind
from dedup.segment.blocks import document_blocks
from dedup.segment.normalise import content_weight, normalise
from dedup.segment.sentences import sentence_spans
from dedup.signatures.shingles import shingle_sets

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "data" / "real_pages" / "pages.jsonl.gz"


def real_sentences() -> list[str]:
    """Distinct sentences of the seed articles' prose lines and of a few real English pages."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "samples").glob("*.txt"))]
    with gzip.open(PAGES, "rt", encoding="utf-8") as f:
        texts += [json.loads(line)["text"] for line in list(f)[:12]]
    seen: dict[str, None] = {}
    for text in texts:
        blocks = document_blocks(text)
        for b in blocks.prose:
            body = blocks.text_of(b)
            for low, high in sentence_spans(body):
                seen.setdefault(body[low:high], None)
    return list(seen)


SENTENCES = real_sentences()
# long sentences (content weight 60-120: two copies are a pair, and no two of them make a paragraph pair alone)
LONG = [s for s in SENTENCES if 60 <= content_weight(normalise(s)) <= 120]


def cascading_document(seed: int) -> str:
    """Paragraphs of a few real sentences, where cuts often leave something for a later pass.

    Sentences recur inside other paragraphs, whole or cut short, paragraphs come back with a
    sentence added, and sometimes one sentence opens dozens of paragraphs (its shingles held
    by more units than are counted).
    """
    rng = random.Random(seed)
    pool = rng.sample(SENTENCES, 12)

    def sentence() -> str:
        s = rng.choice(pool)
        r = rng.random()
        if r < 0.15:
            return s[: len(s) * 2 // 3]
        if r < 0.25:
            return "「" + s
        return s

    paragraphs: list[str] = []
    for _ in range(rng.randint(3, 14)):
        r = rng.random()
        if r < 0.2 and paragraphs:
            p = rng.choice(paragraphs)
            paragraphs.append(p if rng.random() < 0.5 else p + sentence())
        elif r < 0.3:
            paragraphs.append("## " + rng.choice(["概要", "Background", "まとめ"]))
        else:
            paragraphs.append(" ".join(sentence() for _ in range(rng.randint(1, 4))))
    if rng.random() < 0.2:
        opening = rng.choice(pool)
        paragraphs += [f"{opening} {rng.choice(SENTENCES)}" for _ in range(rng.randint(30, 40))]
    return "\n\n".join(paragraphs) + "\n"


def passes_of(text: str, vouch: Callable[..., bool], vouched_from: int = 0) -> tuple[object, list[tuple[int, bool]]]:
    """The cleaning of ``text`` with ``vouch`` as the certificate, and per pass: its cuts, whether it was asked.

    The certificate is asked from ``vouched_from`` characters on (cleaning asks it only of
    long texts, where it costs less than a pass; these texts are short).
    """
    log: list[tuple[int, bool]] = []
    asked = [False]
    clean_once = within.clean_once

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        asked[0] = False
        result = clean_once(*args, **kwargs)
        log.append((len(result[0].removals), asked[0]))
        return result

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        asked[0] = True
        return vouch(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(within, "clean_once", counted)
        patch.setattr(within, "next_pass_cuts_nothing", spy)
        patch.setattr(within, "_VOUCHED_FROM", vouched_from)
        result = within.clean_document(text)
    return result, log


def answered_into(answers: list[bool]) -> Callable[..., bool]:
    """The certificate itself, each of its answers appended to ``answers``."""

    def vouch(*args, **kwargs):  # type: ignore[no-untyped-def]
        answers.append(next_pass_cuts_nothing(*args, **kwargs))
        return answers[-1]

    return vouch


def texts() -> Iterator[str]:
    yield from (p.read_text(encoding="utf-8") for p in sorted((ROOT / "samples").glob("*.txt")))
    with gzip.open(PAGES, "rt", encoding="utf-8") as f:
        yield from (json.loads(line)["text"] for line in f)
    yield from (cascading_document(seed) for seed in range(1200))


def test_cleaning_is_what_every_pass_made_gives() -> None:
    """Where the certificate is asked, the run with it equals the run that makes the next pass anyway.

    The generated documents must reach both sides: passes it spares, and sentence-only
    passes after which the next pass did cut (where it must have said no).
    """
    spared = needed = 0
    for text in texts():
        made, every_pass = passes_of(text, lambda *a, **k: False)
        vouched, fewer = passes_of(text, next_pass_cuts_nothing)
        assert vouched == made
        spared += len(every_pass) - len(fewer)
        needed += sum(1 for i, (_, asked) in enumerate(every_pass[:-1]) if asked and every_pass[i + 1][0] > 0)
    assert spared >= 500
    assert needed >= 100


def test_a_pass_that_only_cut_sentences_settles_the_article() -> None:
    """Sentences repeated inside new paragraphs (an LLM continuation): one pass, not two."""
    a, b, c, d = LONG[10:14]
    text = f"{a}{b}\n\n{c}{a}\n\n{d}{b}{c}\n"
    result, log = passes_of(text, next_pass_cuts_nothing)
    assert log == [(len(result.removals), True)]
    assert result.removals and all(r.unit == "sentence" for r in result.removals)
    assert result == passes_of(text, lambda *a, **k: False)[0]


def test_a_short_text_makes_the_next_pass_instead() -> None:
    a, b, c, d = LONG[10:14]
    text = f"{a}{b}\n\n{c}{a}\n\n{d}{b}{c}\n"
    result, log = passes_of(text, next_pass_cuts_nothing, within._VOUCHED_FROM)
    assert [asked for _, asked in log] == [False, False]
    assert result == passes_of(text, next_pass_cuts_nothing)[0]


def test_a_line_that_would_open_a_fence_once_cut_is_not_vouched_for() -> None:
    """Cutting the first sentence leaves a line starting with ```: all after it would be code next pass."""
    a, b, c = LONG[20:23]
    text = f"{a}{b}\n\n{a}```{c}\n"
    answers: list[bool] = []
    result, _ = passes_of(text, answered_into(answers))
    assert result.removals and answers == [False]


def test_a_line_that_would_close_front_matter_once_cut_is_not_vouched_for() -> None:
    """The first line is "---" and nothing closes it, until a line's two sentences go and leave "---"."""
    a, b, c, d = LONG[60:64]
    text = f"---\ntitle: x\n\n{a}{c}\n\n{b}{d}\n\n{a}{b}---\n"
    answers: list[bool] = []
    result, _ = passes_of(text, answered_into(answers))
    assert [r.unit for r in result.removals] == ["sentence", "sentence"]
    assert result.text.endswith("\n---\n") and answers == [False]


def test_a_first_line_of_dashes_left_first_is_not_vouched_for() -> None:
    """The paragraph before a "---" line is dropped: front matter could start at it in the next pass."""
    a, b, c, d, e, g = LONG[90:96]
    text = f"{a}{b}\n\n---\n\n{c}{d}\n\n{a}{b}{e}\n\n{g}{c}\n"
    answers: list[bool] = []
    result, _ = passes_of(text, answered_into(answers))
    assert sorted(r.unit for r in result.removals) == ["block", "sentence"]
    assert result.text.startswith("---\n") and answers[0] is False


def test_copies_dropped_can_bring_shared_shingles_under_max_posting() -> None:
    """Two paragraphs of short sentences, a word apart, are hidden from each other by 34 copies of one of them.

    Their shingles are held by more than 32 paragraphs, so they are not counted, until the
    pass drops the copies; then the two are a near pair, and the next pass must be made.
    """
    short = [s for s in SENTENCES if 30 <= content_weight(normalise(s)) <= 45 and s.endswith("。")]
    same = "".join(short[:4])
    near = same.replace("です。", "だ。", 1)
    a, b, c = LONG[100:103]
    text = "\n\n".join([same, near] + [same + "雪。"] * 34 + [a + b, c + a]) + "\n"
    result, log = passes_of(text, next_pass_cuts_nothing)
    assert [asked for _, asked in log] == [True, False] and log[1][0] > 0
    assert result == passes_of(text, lambda *a, **k: False)[0]


def test_a_block_emptied_by_its_sentences_counts_its_pairs_as_lost() -> None:
    """The third paragraph is two sentences of the first two: dropped whole; its pairs need no other pass."""
    a, b, c, x, y, z, w = LONG[110:117]
    text = f"{a}{x}\n\n{b}{y}\n\n{a}{b}\n\n{c}{z}\n\n{w}{c}\n"
    result, log = passes_of(text, next_pass_cuts_nothing)
    assert sorted(r.unit for r in result.removals) == ["block", "sentence"]
    assert log == [(2, True)]


def test_a_cut_that_makes_a_copy_is_found() -> None:
    """A touched unit whose key becomes a clean unit's is an exact pair, however common its shingles."""
    n = 5
    a, b, c = LONG[30:33]
    before = MatchedUnits(shingle_sets([a, b, a + c], n), np.ones(3, dtype=bool))
    after = MatchedUnits(shingle_sets([a], n), np.ones(1, dtype=bool))
    # max_posting 0: no shingle is counted, so only the copy check can find the pair
    assert not _no_pair_appears(before, np.array([2]), after, 0.7, 0)
    assert _no_pair_appears(before, np.array([2]), MatchedUnits(shingle_sets([c], n), np.ones(1, dtype=bool)), 0.7, 0)


def test_a_shingle_crossing_max_posting_is_not_vouched_for() -> None:
    """Two clean units share shingles that the touched unit's cut brings down to max_posting holders."""
    n = 5
    a, b, c, d = LONG[40:44]
    units = [a + b, b + a, a, c]
    before = MatchedUnits(shingle_sets(units, n), np.ones(4, dtype=bool))
    after = MatchedUnits(shingle_sets([d], n), np.ones(1, dtype=bool))
    assert not _no_pair_appears(before, np.array([2]), after, 0.7, 2)  # a's shingles: 3 holders, then 2
    assert _no_pair_appears(before, np.array([2]), after, 0.7, 3)


def test_two_touched_units_that_now_pair_are_found() -> None:
    """After the cut, one touched sentence is the start of another: a contained pair of new units."""
    a, b, c, d = LONG[70:74]
    before = MatchedUnits(shingle_sets([a + b, a + c, d], 5), np.ones(3, dtype=bool))
    after = MatchedUnits(shingle_sets([a, a[:-4]], 5), np.ones(2, dtype=bool))
    assert not _no_pair_appears(before, np.array([0, 1]), after, 0.7, 32)
    apart = MatchedUnits(shingle_sets([b, c], 5), np.ones(2, dtype=bool))
    assert _no_pair_appears(before, np.array([0, 1]), apart, 0.7, 32)


def test_shingles_held_by_more_than_max_posting_units_are_not_counted() -> None:
    """As the next pass counts: a new unit sharing only such shingles with clean units pairs with none."""
    a, b, c, d, e = LONG[80:85]
    before = MatchedUnits(shingle_sets([a, a + b, e + a, c], 5), np.ones(4, dtype=bool))
    after = MatchedUnits(shingle_sets([a + d], 5), np.ones(1, dtype=bool))
    assert _no_pair_appears(before, np.array([3]), after, 0.7, 2)  # a's shingles: 3 clean holders, then 4
    assert not _no_pair_appears(before, np.array([3]), after, 0.7, 4)


def test_a_large_group_of_copies_that_lost_its_first_is_not_vouched_for() -> None:
    """Past 16 copies only the pairs with the first are listed: two later copies may both stay."""
    star = [UnitMatch(0, k, RemovalKind.EXACT, 1.0) for k in range(1, 18)]
    assert not _every_pair_lost_a_copy(star, {0})
    assert _every_pair_lost_a_copy(star, set(range(1, 18)))
    assert not _every_pair_lost_a_copy(star[:3], {1})


def test_holdings_compiled_and_plain_find_every_holder_also_where_low_bits_collide() -> None:
    from dedup.match import next_pass_kernels

    sets = shingle_sets(SENTENCES[:400], 5)
    rng = np.random.default_rng(7)
    gone = rng.choice(sets.hashes, 200)
    twins = (gone[:20] & np.uint32(0xFFFF)) | np.uint32(0xABCD0000)  # low bits of looked-up hashes
    new = np.concatenate([rng.choice(sets.hashes, 150), twins, gone[:30]])
    hashes = np.concatenate([sets.hashes, twins])
    offsets = np.append(sets.offsets, len(hashes))
    clean = rng.random(len(offsets) - 1) < 0.8
    clean[-1] = True
    first_met = list(dict.fromkeys(np.concatenate([gone, new]).tolist()))
    place = {h: i for i, h in enumerate(first_met)}
    held = np.isin(hashes, first_met) & np.repeat(clean, np.diff(offsets))
    expected = (
        first_met, [gone.tolist().count(h) for h in first_met], [new.tolist().count(h) for h in first_met],
        [place[h] for h in new.tolist()], (np.searchsorted(offsets, np.flatnonzero(held), side="right") - 1).tolist(),
        [place[h] for h in hashes[held].tolist()],
    )
    for find in (plain_holdings, next_pass_kernels.holdings):
        assert tuple(a.tolist() for a in find(hashes, offsets, clean, gone, new)) == expected
