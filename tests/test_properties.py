"""Property tests of within-document cleaning on generated documents.

Documents are built from realistic material: Japanese sentences taken from the seed
articles in ``samples/`` (each unique across all samples), English sentences written for
the purpose, headings, list items and short formulaic sentences. Paragraphs are 1-6
sentences, documents 1-12 paragraphs, then repeats are injected the way scraped LLM
articles repeat themselves: a paragraph again, a paragraph again with a sentence added, a
section pasted again with a heading, ``---END---`` continuation markers (also at a chunk
boundary that cut a paragraph in half), a sentence restated inside another paragraph.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from dedup import RemovalKind, clean_text
from dedup.decide.cuts import apply_removals
from dedup.segment.normalise import content_weight, normalise

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

# Split from samples/*.txt on 。; each occurs exactly once across all samples, and no two
# share more than a fifth of their character 5-grams.
JA_SENTENCES = [
    "彼らは誰が最も多くのエネルギー、最も多くの計算能力、そして最も多くの物理的インフラを確保できるかで競争しているのです。",
    "Amazon、Google、Microsoftなどのクラウドプロバイダーに依存しすぎると、戦略的な柔軟性が失われます。",
    "しかし、AIの世界では、モデルの性能がハードウェアの性能に直結する。",
    "MetaのCFO、Susan Leeはこの資金調達を大胆な前進の一歩と呼びました。",
    "Metaは直ちに30億ドルを回収しながら、20%の所有権を維持します。",
    "xAIのメンフィス拠点は必要な300メガワットを確保できません。",
    "これに対応するには、自社で大規模なインフラを持つことが不可欠です。",
    "Fluidstackは、Anthropicのワークロードに特化したカスタム設計の施設を構築します。",
    "今年のAIインフラに関する大規模な発表はどれも、奇妙なほど愛国的に聞こえます。",
    "なぜなら未来はあまりにも速く動いているため、直接得た情報以外では追いつけないからです。",
    "新しい技術の導入や予期せぬトラブルシューティングといった技術リスクも常に存在します。",
    "OpenAIは26ギガワットの計算能力を確保するため、1兆ドル以上の価値のある取引を獲得したばかりです。",
    "これは2000万世帯の米国の家庭に電力を供給するのに十分なエネルギーです。",
    "AI最大の信奉者の一つであるMetaでさえ、賭けをヘッジしているのです。",
    "AIによって支援されたカスタマイズされた経路を歩むことで、あなたの旅を始めましょう。",
    "AI業界が物理インフラ競争に突入した背景には、以下の要因があります。",
    "制約はお金ではなく、スピードと利用可能性なのです。",
    "NVIDIAも、単なるチップベンダーから、より包括的なソリューションプロバイダーとしての側面を強化していくでしょう。",
    "しかし彼らが確信していることが一つあります。",
    "AIインフラ競争はあまりにも速く進行しているため、企業は可能な限り迅速に電力をオンラインにするために何でもしているのです。",
    "Metaは、電力接続が準備できる前に建設を加速させるためだけに、一時的なテントを設営していると報じられています。",
    "正直なところ、私もこの件について、様々な角度から考えを巡らせています。",
    "ラボは、地域の雇用とアメリカへの投資を約束することが、許可を迅速化し、煩雑な手続きを削減し、規制当局を満足させることを学んだのです。",
    "インサイダーでさえ、これがどう展開するか100%確信しているわけではありません。",
    "この傾向は、AI開発が新たな段階に入ったことを意味します。",
    "個人的には、この動きはAI業界全体のサプライチェーンにも大きな影響を与えると考えています。",
    "このレベルのコーチングやライブトレーニングが本来持つべき価格のほんの一部で、私はそのすべてをあなたに提供しています。",
    "彼らはこれまで、Anthropicのような大口顧客からの収益に大きく依存してきました。",
    "そしてほとんどの人はそれが起きていることに気づいていません。",
    "現時点での私の見解をもう少し深く掘り下げてみましょうか。",
    "AI業界の物理インフラ競争は、今後数年間でさらに激化すると予想されます。",
    "今まさに、未来はルイジアナ州リッチランド教区やテキサス州ストーンウォール郡のような場所で構築されています。",
    "かつては、ソフトウェア企業がハードウェアを自社開発するなんて、よほどのことがない限り考えられませんでした。",
    "各社がどのように戦略を進化させるか、注目が集まっています。",
    "今日のChatGPTを原始的に見せるようなモデルです。",
    "ラボの中で、私のチームと私が今まさに実装している正確なシステムを学んでください。",
    "かつてのAI企業は、AmazonやMicrosoftのクラウドサービスを借りてモデルを開発していました。",
    "インフラは今や、コードと同じくらいAIの進歩を推進しているのです。",
    "Fluidstackは、Dell、Intel、Meta、Nvidiaなどの主要プレイヤーにGPUクラスターを提供してきた実績があります。",
    "自社専用の施設を持つことで、研究開発のスピードと効率を最大化できます。",
]

EN_SENTENCES = [
    "The council approved a new budget for road repairs after a long debate on Tuesday evening.",
    "Researchers found that the coastal wetlands absorb far more carbon than previously estimated.",
    "Our team spent three weeks testing the prototype in freezing mountain conditions.",
    "Ticket prices for the summer festival have nearly doubled since last year.",
    "Many small bakeries now open before dawn to catch commuters heading into the city.",
    "The library will extend its weekend hours starting in the first week of March.",
    "A sudden storm forced the sailing race to be postponed until the following afternoon.",
    "Engineers replaced the aging water pipes beneath the old market square without closing it.",
    "She learned to play the cello at the age of forty and now performs with a local orchestra.",
    "The museum quietly returned dozens of artifacts to the villages where they were made.",
    "Farmers in the valley are experimenting with drought-resistant varieties of millet and sorghum.",
    "Electric buses have cut noise levels on the busiest downtown routes by almost half.",
    "Critics praised the novel for its sharp dialogue but found the ending rushed.",
    "The startup raised twelve million dollars to build cheaper batteries for rural clinics.",
    "Volunteers planted more than two thousand oak saplings along the riverbank this spring.",
    "A software update caused thousands of smart thermostats to reset overnight.",
    "Hospital administrators warned that staffing shortages could delay routine surgeries well into next year.",
    "The chess prodigy won her first international tournament without losing a single game.",
    "Local fishermen report that mackerel arrived two weeks earlier than usual this season.",
    "Our survey of five hundred households showed strong support for protected bicycle lanes.",
    "The bridge will remain closed to heavy trucks while inspectors assess the damaged supports.",
    "Archaeologists uncovered a Roman mosaic beneath a parking lot in the town center.",
    "Students built a weather station on the school roof and publish its readings online every hour.",
    "The airline plans to retire its oldest jets and replace them with quieter, more efficient models.",
    "Heavy snowfall in the northern provinces has cut power to roughly forty thousand homes.",
    "A retired teacher has spent a decade restoring a steam locomotive in his backyard workshop.",
    "The new vaccine requires only a single dose and can be stored without refrigeration.",
    "Shoppers are increasingly choosing secondhand furniture over cheap flat-pack alternatives.",
    "Wildlife cameras captured a rare lynx crossing the highway just after midnight.",
    "The orchestra commissioned a symphony inspired by the sounds of the industrial harbor.",
    "Regulators fined the company for failing to disclose a security breach for seven months.",
    "Tomato growers blame the unusually cool summer for a disappointing harvest.",
    "Why do so many people abandon their language apps after only a few weeks?",
    "Every morning the ferry carries hundreds of workers across the bay to the shipyards.",
    "The mayor promised that rents in the renovated tower would stay affordable for twenty years.",
    "Scientists are training drones to count seabird colonies on remote cliffs.",
    "A viral video of a dancing parrot has raised money for an animal shelter in Ohio.",
    "The factory switched to recycled aluminum and cut its energy use by a third.",
    "Nobody expected the underdog team to reach the final, yet here they are!",
    "Commuters waited over an hour when a signal failure halted trains across the northern line.",
]

# Short sentences that recur legitimately (far below the 50 weight of a "long" sentence).
FORMULAIC = ["Read more.", "Stay tuned.", "Thanks for reading.", "考えてみてください。", "以上です。", "詳しく見ていきましょう。"]
HEADINGS = ["## Results", "## Background", "## Key Takeaways", "## まとめ", "### 背景と課題", "# 概要"]
LIST_ITEMS = ["- Lower costs", "- Faster permits", "- 電力の確保", "- 地域の雇用", "1. Build the site", "2. Connect the grid"]
SHORT_LINES = HEADINGS + LIST_ITEMS
MARKER = "---END---"

POOL = JA_SENTENCES + EN_SENTENCES
ALL_SENTENCES = POOL + FORMULAIC

# Under CI the examples are derandomized, so a run's verdict does not depend on luck; a developer's runs
# keep hunting with fresh examples (and replay what they found from .hypothesis/).
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                derandomize=os.environ.get("CI") == "true")
# DEDUP_PROPERTY_SCALE=10 runs ten times as many examples (a longer bug hunt).
SCALE = float(os.environ.get("DEDUP_PROPERTY_SCALE", "1"))


def examples(n: int) -> int:
    return max(1, int(n * SCALE))


def _shingles(text: str, n: int = 5) -> set[str]:
    key = normalise(text)
    return {key[i : i + n] for i in range(len(key) - n + 1)}


def test_pool_is_realistic_and_distinct() -> None:
    """The pools the strategies draw from: distinct, not inside each other, JA ones unique in the samples."""
    corpus = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt")))
    assert len(JA_SENTENCES) == len(EN_SENTENCES) == 40
    for s in JA_SENTENCES:
        assert corpus.count(s[:-1]) == 1, s
    for s in EN_SENTENCES:
        assert 8 <= len(s.split()) <= 25, s
    items = ALL_SENTENCES + SHORT_LINES
    for a in items:
        for b in items:
            if a is not b:
                assert a not in b, (a, b)
    for i, a in enumerate(POOL):
        for b in POOL[i + 1 :]:
            sa, sb = _shingles(a), _shingles(b)
            assert len(sa & sb) / min(len(sa), len(sb)) < 0.2, (a, b)


# --------------------------------------------------------------------------- documents
# A document is a list of units: ("p", [sentence, ...]) is a paragraph on one line,
# ("line", text) a heading, list item, marker or cut-off fragment.


def render_paragraph(sentences: list[str]) -> str:
    out = ""
    for s in sentences:
        if out and not out.endswith(("。", "！", "？")):
            out += " "  # a period ends a sentence only before white space
        out += s
    return out


def render_unit(unit: tuple) -> str:
    return render_paragraph(unit[1]) if unit[0] == "p" else unit[1]


def render(units: list[tuple], seps: list[str], final_newline: bool, newline: str = "\n") -> str:
    text = ""
    for i, unit in enumerate(units):
        if i:
            text += seps[(i - 1) % len(seps)]
        text += render_unit(unit)
    if final_newline:
        text += "\n"
    return text.replace("\n", newline)


class Fresh:
    """Hands out pool sentences never used before in this document."""

    def __init__(self, order: list[int]) -> None:
        self.order = order
        self.at = 0

    def take(self) -> str | None:
        if self.at >= len(self.order):
            return None
        self.at += 1
        return POOL[self.order[self.at - 1]]


LANGUAGE_ORDER = {
    "ja": st.permutations(range(len(JA_SENTENCES))),
    "en": st.permutations(range(len(JA_SENTENCES), len(POOL))),
    "mixed": st.permutations(range(len(POOL))),
}


@st.composite
def base_units(draw, min_paragraphs: int = 1, max_paragraphs: int = 12, short_lines: bool = True):
    """Paragraphs of fresh sentences (plus headings, list items, formulaic lines), each used once."""
    language = draw(st.sampled_from(sorted(LANGUAGE_ORDER)))
    fresh = Fresh(list(draw(LANGUAGE_ORDER[language])))
    spare_formulas = list(draw(st.permutations(FORMULAIC)))
    spare_lines = list(draw(st.permutations(SHORT_LINES)))
    units: list[tuple] = []
    for _ in range(draw(st.integers(min_paragraphs, max_paragraphs))):
        kind = draw(st.sampled_from(["p", "p", "p", "p", "short", "formula"])) if short_lines else "p"
        if kind == "short" and spare_lines:
            units.append(("line", spare_lines.pop()))
            continue
        if kind == "formula" and spare_formulas:
            units.append(("p", [spare_formulas.pop()]))
            continue
        sentences = []
        for _ in range(draw(st.integers(1, 6))):
            s = fresh.take()
            if s is not None:
                sentences.append(s)
        if short_lines and spare_formulas and draw(st.integers(0, 5)) == 0:
            sentences.insert(draw(st.integers(0, len(sentences))), spare_formulas.pop())
        if sentences:
            units.append(("p", sentences))
    assume(units)
    return units, fresh


def _paragraphs(units: list[tuple]) -> list[int]:
    return [i for i, u in enumerate(units) if u[0] == "p"]


@st.composite
def documents(draw):
    """A document with 0-4 injected repeats; returns the text."""
    units, fresh = draw(base_units())
    ops = draw(st.lists(st.sampled_from(["dup", "dup_plus", "section", "marker", "chunk", "sentence", "formula"]), max_size=4))
    for op in ops:
        paragraphs = _paragraphs(units)
        if op == "dup" and paragraphs:
            i = draw(st.sampled_from(paragraphs))
            units.insert(draw(st.integers(i + 1, len(units))), ("p", list(units[i][1])))
        elif op == "dup_plus" and paragraphs:
            i = draw(st.sampled_from(paragraphs))
            extra = fresh.take()
            if extra is None:
                continue
            copy = list(units[i][1])
            copy.insert(draw(st.integers(0, len(copy))), extra)
            units.insert(draw(st.integers(i + 1, len(units))), ("p", copy))
        elif op == "section":
            i = draw(st.integers(0, len(units) - 1))
            length = draw(st.integers(1, len(units) - i))
            copy = [u if u[0] == "line" else ("p", list(u[1])) for u in units[i : i + length]]
            if draw(st.booleans()):
                copy.insert(draw(st.integers(0, len(copy))), ("line", draw(st.sampled_from(HEADINGS))))
            at = draw(st.integers(i + length, len(units)))
            units[at:at] = copy
        elif op == "marker":
            units.insert(draw(st.integers(0, len(units))), ("line", MARKER))
        elif op == "chunk" and paragraphs:
            # LLM output cut at a chunk boundary: half the paragraph, the marker, the whole paragraph
            i = draw(st.sampled_from(paragraphs))
            full = render_paragraph(units[i][1])
            cut = draw(st.integers(1, len(full)))
            units[i:i] = [("line", full[:cut].rstrip() or full[:cut]), ("line", MARKER)]
        elif op == "sentence" and len(paragraphs) >= 2:
            src, dst = sorted(draw(st.lists(st.sampled_from(paragraphs), min_size=2, max_size=2, unique=True)))
            if draw(st.booleans()):
                src, dst = dst, src
            sentence = draw(st.sampled_from(units[src][1]))
            units[dst] = ("p", list(units[dst][1]))
            units[dst][1].insert(draw(st.integers(0, len(units[dst][1]))), sentence)
        elif op == "formula" and paragraphs:
            dst = draw(st.sampled_from(paragraphs))
            units[dst] = ("p", list(units[dst][1]))
            units[dst][1].insert(draw(st.integers(0, len(units[dst][1]))), draw(st.sampled_from(FORMULAIC)))
    seps = draw(st.lists(st.sampled_from(["\n\n", "\n"]), min_size=1, max_size=max(1, len(units) - 1)))
    return render(units, seps, draw(st.booleans()), draw(st.sampled_from(["\n", "\n", "\r\n"])))


# --------------------------------------------------------------------------- checks
# One function per property, shared by the hypothesis tests and the pinned examples below.


def check_idempotent(text: str) -> None:
    once = clean_text(text).text
    assert clean_text(once).text == once


def check_no_unique_sentence_lost(text: str) -> None:
    out = clean_text(text).text
    lost = [s for s in ALL_SENTENCES if text.count(s) == 1 and s not in out]
    assert not lost


def check_output_is_input_with_removals_cut(text: str) -> None:
    result = clean_text(text)
    assert apply_removals(text, result.removals) == result.text
    at = 0
    pieces = []
    for removal in result.removals:
        assert 0 <= removal.start < removal.end <= len(text), removal
        assert removal.start >= at, "removals unsorted or overlapping"
        pieces.append(text[at : removal.start])
        at = removal.end
    pieces.append(text[at:])
    assert "".join(pieces) == result.text
    it = iter(text)  # and therefore a subsequence of the input
    assert all(ch in it for ch in result.text)


def check_untouched(text: str) -> None:
    result = clean_text(text)
    assert result.removals == ()
    assert result.text == text


def check_kept_copy_not_removed(text: str) -> None:
    """The copy kept instead of a removed span is still in the output.

    It may have lost a repeat of its own ("S S" keeps one S), so the check is that no
    removal swallows it whole and that at least one of its sentences survives.
    """
    result = clean_text(text)
    for removal in result.removals:
        if removal.kind not in (RemovalKind.EXACT, RemovalKind.NEAR, RemovalKind.CONTAINED):
            continue
        kept = removal.kept
        assert kept is not None, removal
        assert 0 <= kept.start < kept.end <= len(text), removal
        cut = sum(max(0, min(o.end, kept.end) - max(o.start, kept.start)) for o in result.removals)
        assert cut < kept.end - kept.start, (removal, "kept copy entirely removed")
        survivors = [s for s in ALL_SENTENCES if s in text[kept.start:kept.end]]
        if survivors:
            assert any(s in result.text for s in survivors), removal


def check_each_sentence_once(text: str) -> None:
    out = clean_text(text).text
    wrong = {s: out.count(s) for s in ALL_SENTENCES if s in text and out.count(s) != 1}
    assert not wrong


# --------------------------------------------------------------------------- regressions
# Minimal failing inputs the properties below once found (shrunk by hypothesis, then by
# hand), all fixed since. They stay pinned with @example on their property and are
# checked one by one in test_regression, so they can never come back unnoticed.

_CUT = (
    "Researchers found that the coastal wetlands absorb far more carbon than previously estimated. "
    "Electric buses have cut noise levels on the busiest d"
)
# A paragraph cut mid-sentence at two chunk boundaries, then the whole paragraph: the cut
# copy is pinned as the kept copy of its exact twin, so the whole paragraph is dropped as a
# near copy of it ("covered": over half of each sentence's shingles are there) and
# "downtown routes by almost half." is lost.
BUG_TRUNCATED_COPY_KEPT = (
    f"{_CUT}\n{_CUT}\n"
    "Researchers found that the coastal wetlands absorb far more carbon than previously estimated. "
    "Electric buses have cut noise levels on the busiest downtown routes by almost half."
)
# A line cut just before its final punctuation at a chunk boundary, then the whole line:
# both normalise to the same key, the first (unterminated) copy is kept and the whole one
# dropped, so the sentence loses its "?" / "。".
BUG_UNTERMINATED_COPY_KEPT_EN = (
    "Why do so many people abandon their language apps after only a few weeks\n"
    "---END---\n"
    "Why do so many people abandon their language apps after only a few weeks?"
)
BUG_UNTERMINATED_COPY_KEPT_JA = (
    "彼らは誰が最も多くのエネルギー、最も多くの計算能力、そして最も多くの物理的インフラを確保できるかで競争しているのです\n"
    "---END---\n"
    "彼らは誰が最も多くのエネルギー、最も多くの計算能力、そして最も多くの物理的インフラを確保できるかで競争しているのです。"
)
_S = "Many small bakeries now open before dawn to catch commuters heading into the city."
_T = "Researchers found that the coastal wetlands absorb far more carbon than previously estimated."
# S, S, "T S", S: the first pass keeps block 0 (kept copy of the last S) and "T S" (kept
# copy of the second S); both are pinned, so the sentence stage keeps S in both and the
# output still said S twice. Now block 0 gives way to "T S", which contains it.
BUG_SENTENCE_KEPT_TWICE = f"{_S}\n\n{_S}\n\n{_T} {_S}\n\n{_S}"
# S, then "S S": block 0 is dropped as a near copy of block 1 (kept span [84, 249)), then
# the sentence stage cuts the second S of block 1, [166, 249), out of that kept span. The
# output ("S") is right; the removal's kept copy is no longer all there.
BUG_KEPT_COPY_TRIMMED = f"{_S}\n\n{_S} {_S}"

# A section [P, "## H", "Read more."] pasted again with its heading doubled: the later
# copy's second "## H" pairs with the first copy's heading in a chain of its own, which
# takes ("Read more.", "Read more.") too and, having no prose anchor, is never removed:
# the output says "## H" and "Read more." twice.
BUG_SECTION_TAIL_ORPHANED = (
    "Ticket prices for the summer festival have nearly doubled since last year.\n\n## H\n\nRead more.\n\n"
    "Ticket prices for the summer festival have nearly doubled since last year.\n\n## H\n\n## H\n\nRead more."
)

REGRESSIONS = {
    "truncated_copy_kept": (check_no_unique_sentence_lost, BUG_TRUNCATED_COPY_KEPT),
    "unterminated_copy_kept_en": (check_no_unique_sentence_lost, BUG_UNTERMINATED_COPY_KEPT_EN),
    "unterminated_copy_kept_ja": (check_no_unique_sentence_lost, BUG_UNTERMINATED_COPY_KEPT_JA),
    "sentence_kept_twice": (check_idempotent, BUG_SENTENCE_KEPT_TWICE),
    "kept_copy_trimmed": (check_kept_copy_not_removed, BUG_KEPT_COPY_TRIMMED),
    "section_tail_orphaned": (check_each_sentence_once, BUG_SECTION_TAIL_ORPHANED),
}


@pytest.mark.parametrize("name", list(REGRESSIONS))
def test_regression(name: str) -> None:
    check, text = REGRESSIONS[name]
    check(text)


# --------------------------------------------------------------------------- properties


@settings(max_examples=examples(300), **SETTINGS)
@example(BUG_SENTENCE_KEPT_TWICE)
@given(documents())
def test_idempotent(text: str) -> None:
    check_idempotent(text)


@settings(max_examples=examples(300), **SETTINGS)
@example(BUG_UNTERMINATED_COPY_KEPT_JA)
@example(BUG_UNTERMINATED_COPY_KEPT_EN)
@example(BUG_TRUNCATED_COPY_KEPT)
@given(documents())
def test_no_unique_sentence_is_lost(text: str) -> None:
    check_no_unique_sentence_lost(text)


@settings(max_examples=examples(800), **SETTINGS)
@given(documents())
def test_output_is_the_input_with_the_removals_cut(text: str) -> None:
    check_output_is_input_with_removals_cut(text)


@st.composite
def unrepeated_documents(draw):
    units, _ = draw(base_units())
    seps = draw(st.lists(st.sampled_from(["\n\n", "\n", "\n\n\n"]), min_size=1, max_size=max(1, len(units) - 1)))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return render(units, seps, draw(st.booleans()), newline)


@settings(max_examples=examples(800), **SETTINGS)
@given(unrepeated_documents())
def test_text_without_repeats_is_untouched(text: str) -> None:
    check_untouched(text)


@settings(max_examples=examples(300), **SETTINGS)
@example(BUG_KEPT_COPY_TRIMMED)
@given(documents())
def test_kept_copy_is_not_removed(text: str) -> None:
    check_kept_copy_not_removed(text)


@st.composite
def section_pasted_twice(draw):
    """unique prefix, section, unique middle, the section again (maybe with a heading), unique suffix."""
    units, _ = draw(base_units(min_paragraphs=2, max_paragraphs=12))
    i = draw(st.integers(0, len(units) - 1))
    length = draw(st.integers(1, min(5, len(units) - i)))
    section = units[i : i + length]
    # a section is removable only if a prose paragraph anchors it
    assume(any(u[0] == "p" and content_weight(normalise(render_unit(u))) >= 50 for u in section))
    middle_end = draw(st.integers(i + length, len(units)))
    copy = list(section)
    if draw(st.booleans()):
        copy.insert(draw(st.integers(0, len(copy))), ("line", draw(st.sampled_from(HEADINGS))))
    doc = units[:middle_end] + copy + units[middle_end:]
    seps = draw(st.lists(st.sampled_from(["\n\n", "\n"]), min_size=1, max_size=max(1, len(doc) - 1)))
    return render(doc, seps, draw(st.booleans()), draw(st.sampled_from(["\n", "\r\n"])))


@settings(max_examples=examples(800), **SETTINGS)
@example(BUG_SECTION_TAIL_ORPHANED)
@given(section_pasted_twice())
def test_section_pasted_twice_leaves_each_sentence_once(text: str) -> None:
    check_each_sentence_once(text)



# Two inputs hypothesis found on 2026-12-01 that fail with the cleaning of that day as with the one before
# it (the bugs are older than the speed-up that found them): recorded here so they stay visible until fixed.
KNOWN_KEPT_COPY_CUT = '詳しく見ていきましょう。\n\n制約はお金ではなく、スピードと利用可能性なのです。今日のChatGPTを原始的に見せるようなモデルです。しかし、AIの世界では、モデルの性能がハードウェアの性能に直結する。The council approved a new budget for road repairs after a long debate on Tuesday evening. Researchers found that the coastal wetlands absorb far more carbon than previously estimated. 各社がどのように戦略を進化させ\n\n詳しく見ていきましょう。\n\n制約はお金ではなく、スピードと利用可能性なのです。今日のChatGPTを原始的に見せるようなモデルです。しかし、AIの世界では、モデルの性能がハードウェアの性能に直結する。The council approved a new budget for road repairs after a long debate on Tuesday evening. Researchers found that the coastal wetlands absorb far more carbon than previously estimated. 各社がどのように戦略を進化させ\n\n詳しく見ていきましょう。\n\n---END---\n\n制約はお金ではなく、スピードと利用可能性なのです。今日のChatGPTを原始的に見せるようなモデルです。しかし、AIの世界では、モデルの性能がハードウェアの性能に直結する。The council approved a new budget for road repairs after a long debate on Tuesday evening. Researchers found that the coastal wetlands absorb far more carbon than previously estimated. 各社がどのように戦略を進化させるか、注目が集まっています。\n\n詳しく見ていきましょう。\n\n制約はお金ではなく、スピードと利用可能性なのです。今日のChatGPTを原始的に見せるようなモデルです。しかし、AIの世界では、モデルの性能がハードウェアの性能に直結する。The council approved a new budget for road repairs after a long debate on Tuesday evening. Researchers found that the coastal wetlands absorb far more carbon than previously estimated. 各社がどのように戦略を進化させ\n\nこれに対応するには、自社で大規模なインフラを持つことが不可欠です。\n\nFluidstackは、Anthropicのワークロードに特化したカスタム設計の施設を構築します。\n\n今年のAIインフラに関する大規模な発表はどれも、奇妙なほど愛国的に聞こえます。'
KNOWN_SENTENCE_TWICE = 'The council approved a new budget for road repairs after a long debate on Tuesday evening.\n\nResearchers found that the coastal wetlands absorb far more carbon than previously estimated.\n\nOur team spent three weeks testing the prototype in freezing mountain conditions.\n\n2. Connect the grid\n\n## Background\n\n詳しく見ていきましょう。\n\n以上です。Ticket prices for the summer festival have nearly doubled since last year.\n\n詳しく見ていきましょう。\n\n## Background\n\n以上です。Ticket prices for the summer festival have nearly doubled since last year.\n\n考えてみてください。Many small bakeries now open before dawn to catch commuters heading into the city.\n\nThe library will extend its weekend hours starting in the first week of March.\n\nA sudden storm forced the sailing race to be postponed until the following afternoon.\n\n1. Build the site'


@pytest.mark.xfail(strict=True, reason="known bug: a removal's kept copy can itself be cut whole")
def test_known_bug_kept_copy_cut() -> None:
    check_kept_copy_not_removed(KNOWN_KEPT_COPY_CUT)


@pytest.mark.xfail(strict=True, reason="known bug: a short repeated sentence between repeated sections stays twice")
def test_known_bug_sentence_left_twice() -> None:
    check_each_sentence_once(KNOWN_SENTENCE_TWICE)
