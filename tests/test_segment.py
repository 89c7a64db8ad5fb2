"""dedup.segment: normalisation, blocks and sentences on real text."""
from __future__ import annotations

import re
import time
import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.model import Block, BlockKind
from dedup.segment.blocks import classify_line, document_blocks, split_blocks
from dedup.segment.normalise import _MARKS, content_weight, is_cjk_text, normalise, words
import numpy as np

from dedup.segment import sentences as sentence_module
from dedup.segment.sentences import document_sentences, split_sentences


def block(text: str) -> Block:
    return Block(0, 0, len(text), len(text), BlockKind.PROSE, text)


def sentences(text: str) -> list[str]:
    return [s.text for s in split_sentences(block(text))]


def test_normalise_ignores_markup_width_case_and_punctuation() -> None:
    assert normalise("**Fluidstack**との提携です。") == normalise("Ｆｌｕｉｄｓｔａｃｋとの提携です")
    assert normalise("## Heading: One") == "headingone"


_REFERENCE_NOT_WORD = re.compile(rf"(?:[^\w{_MARKS}]|_)+")
_REFERENCE_WORD = re.compile(rf"(?:[^\W_]|[{_MARKS}])+")


def reference_normalise(text: str) -> str:
    """The matching form by its definition, one regex pass before NFKC and one after (no fast path)."""
    letters = _REFERENCE_NOT_WORD.sub("", text)
    return _REFERENCE_NOT_WORD.sub("", unicodedata.normalize("NFKC", letters)).casefold()


def reference_words(text: str) -> list[str]:
    return [w.casefold() for w in _REFERENCE_WORD.findall(unicodedata.normalize("NFKC", " ".join(_REFERENCE_WORD.findall(text))))]


# ASCII (the fast path), and the characters where the general path can go wrong: underscores (a \w that is not a
# letter), full-width forms and the full-width low line (NFKC makes ASCII and "_" of them), combining marks next to
# punctuation, curly quotes and dashes (the typographic fast path), kana and kanji, the long s (case folding
# differs from lowering).
_TRICKY = st.sampled_from(list("_＿Ａｚ０９\u0301\u3099.,!'‘’“”«»·•…-–—\u00a0 \t\nあがカ゛漢字ßſİﬁ"))
_TEXTS = st.one_of(
    st.text(st.characters(max_codepoint=127), max_size=80),
    st.lists(st.one_of(st.characters(max_codepoint=127), _TRICKY), max_size=80).map("".join),
    st.text(max_size=80),
)


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_normalise_and_words_fast_paths_match_the_definition(text: str) -> None:
    assert normalise(text) == reference_normalise(text)
    assert words(text) == reference_words(text)


def test_normalise_ascii_keeps_letters_and_digits_only() -> None:
    assert normalise("Q3_2024 results: +12.5% (see *notes*)") == "q32024results125seenotes"
    assert words("Q3_2024 results: +12.5% (see *notes*)") == ["q3", "2024", "results", "12", "5", "see", "notes"]
    assert words("It’s “final”—really…") == ["it", "s", "final", "really"]
    assert normalise("It’s “final”—really…") == "itsfinalreally"


def test_content_weight_counts_cjk_double() -> None:
    assert content_weight(normalise("考えてみてください。")) == 18
    assert content_weight(normalise("Read more.")) == 8
    assert is_cjk_text("AnthropicのCEOダリオ・アモディは声明の中で")
    assert not is_cjk_text("The city council approved the budget.")


def test_blocks_keep_exact_offsets_and_line_endings() -> None:
    text = "first line here\r\n\r\nsecond\nthird"
    blocks = split_blocks(text)
    assert [text[b.start:b.end] for b in blocks] == ["first line here", "second", "third"]
    assert text[blocks[0].end:blocks[0].line_end] == "\r\n"
    assert blocks[-1].line_end == len(text)


def test_front_matter_and_code_are_protected_and_markers_found() -> None:
    text = "---\ntitle: x\n---\n\nBody.\n\n```\ncode\n```\n---END---\n"
    kinds = [b.kind for b in split_blocks(text, [r"-{3,}\s*END\s*-{3,}"])]
    assert kinds == [BlockKind.PROTECTED] * 3 + [BlockKind.MINOR] + [BlockKind.PROTECTED] * 3 + [BlockKind.MARKER]


def test_structure_and_titles_are_minor_prose_is_prose() -> None:
    assert classify_line("- **投資総額**: 500億ドル（約7.7兆円）") is BlockKind.MINOR
    assert classify_line("| 項目 | 内容 |") is BlockKind.MINOR
    assert classify_line("Anthropicの戦略的配置とインフラストラクチャーアーキテクチャ") is BlockKind.MINOR
    assert classify_line("立地戦略は、エネルギーと政策の二重の考慮を反映しています。テキサス州は規制の緩和で選ばれた。") is BlockKind.PROSE


def test_fragment_next_to_marker_counts_as_prose() -> None:
    text = "Officials said the plan would add forty electric buses b\n---END---\n"
    assert split_blocks(text, [r"-{3,}\s*END\s*-{3,}"])[0].kind is BlockKind.PROSE


def test_japanese_sentences_split_without_spaces_and_keep_quotes_whole() -> None:
    text = "AnthropicのCEOは「雇用を創出します。」と強調しました。この表現は政策と呼応しています。本当？はい！"
    assert sentences(text) == [
        "AnthropicのCEOは「雇用を創出します。」と強調しました。",
        "この表現は政策と呼応しています。",
        "本当？",
        "はい！",
    ]


def test_english_sentences_respect_abbreviations_and_decimals() -> None:
    text = "Mr. Smith paid 3.5 dollars to Fluidstack Ltd. in London. Was it worth it? Yes."
    assert sentences(text) == ["Mr. Smith paid 3.5 dollars to Fluidstack Ltd. in London.", "Was it worth it?", "Yes."]


def test_period_inside_japanese_text_is_not_a_boundary() -> None:
    text = "英国のFluidstack Ltd.と提携し、TeraWulf Inc.およびCipher Mining Inc.と協力します。"
    assert sentences(text) == [text]


def test_sentence_offsets_point_into_the_document() -> None:
    text = "Intro line.\n\nFirst one. Second one."
    para = split_blocks(text)[1]
    found = split_sentences(para)
    assert [text[s.start:s.end] for s in found] == ["First one.", "Second one."]


SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def test_document_blocks_and_sentences_are_the_blocks_and_sentences_of_the_samples() -> None:
    """The flat arrays cleaning works on say what the Block and Sentence objects say."""
    for path in sorted(SAMPLES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        blocks = document_blocks(text, [r"-{3,}\s*END\s*-{3,}"])
        objects = split_blocks(text, [r"-{3,}\s*END\s*-{3,}"])
        assert list(blocks) == objects and blocks[-1] == objects[-1]
        found = document_sentences(blocks)
        expected = [s for b in objects if b.kind is BlockKind.PROSE for s in split_sentences(b)]
        got = [(b, text[s:e]) for b, s, e in zip(found.block, found.start, found.end)]
        assert got == [(s.block, s.text) for s in expected]
        for b in objects:
            assert [expected[i].block for i in found.of_block[b.index]] == [b.index] * len(found.of_block[b.index])


def test_long_runs_of_abbreviations_and_quotes_split_in_linear_time() -> None:
    """Terminators that do not end a sentence (initials, quoted speech) are read once, not once per terminator."""
    initials = "Present were " + "Dr. A. B. Smith of Acme Inc., " * 20000 + "and others. Then it ended."
    quoted = "彼は" + "「はい。」と" * 20000 + "言った。それだけです。"
    started = time.process_time()
    assert sentences(initials)[1:] == ["Then it ended."]
    assert sentences(quoted)[1:] == ["それだけです。"]
    assert time.process_time() - started < 5  # well under 1 s; reading each run again per terminator took minutes


# pieces of text the sentence rules look at, and some they must leave alone
_SENTENCE_PIECES = (
    *"。！？!?．….,\"'”’“‘)）]」』】》〉「『（(【《〈とっ、，",  # terminators, quotes, brackets, quotatives
    "Mr", "Mrs", "Sept", "e.g", "i.e", "U.S", "approx", "Inc", "A", "Z", "xMr", "_Dr", "éSt", "word", "日本語", "カナ", "한",
    " ", " ", " ", "\t", "\u00a0", "\u3000", "\u2003", "\u2028", "\x1c", "\x0b", "\x85",  # white space, odd kinds too
    "#", "-", "|", "\u0301", "\ud800", "0", "9",  # markup, a combining mark, a lone surrogate, digits
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_SENTENCE_PIECES), min_size=1, max_size=300).map("".join), min_size=1, max_size=4))
def test_compiled_sentence_splitting_gives_the_regex_spans(lines: list[str]) -> None:
    """The compiled splitter and sentence_spans (the regexes) cut every block at the same places."""
    text = "\n".join(lines)
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    bounds = np.array([0, *np.cumsum([len(line) + 1 for line in lines])], dtype=np.int64)
    starts, ends = bounds[:-1], bounds[1:] - 1
    words, word_starts = sentence_module.abbreviation_points()
    args = (points, sentence_module.sentence_classes(points), starts, ends, words, word_starts,
            sentence_module.ABBREVIATION_REACH, sentence_module.MAX_QUOTED)
    compiled = sentence_module.sentence_bounds.compiled()(*args)
    plain = sentence_module.plain_sentence_bounds(*args)
    assert [a.tolist() for a in compiled] == [a.tolist() for a in plain]
    expected = [(i, starts[i] + a, starts[i] + z) for i, line in enumerate(lines) for a, z in sentence_module.sentence_spans(line)]
    assert list(zip(*[a.tolist() for a in compiled])) == expected


def test_compiled_sentence_splitting_of_every_short_text() -> None:
    """Every text of up to 5 characters from the ones the rules look at splits the same both ways.

    And quotes left open for about as long as a quote may run (``MAX_QUOTED``) before its sentence ends.
    """
    import itertools

    alphabet = "xAMr. 。「」と”"
    lines = ["".join(t) for size in range(1, 6) for t in itertools.product(alphabet, repeat=size)]
    reach = sentence_module.MAX_QUOTED
    lines += ["「" + "あ" * k + "。" + "い。" for k in range(reach - 4, reach + 1)]
    text = "\n".join(lines)
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    bounds = np.array([0, *np.cumsum([len(line) + 1 for line in lines])], dtype=np.int64)
    words, word_starts = sentence_module.abbreviation_points()
    args = (points, sentence_module.sentence_classes(points), bounds[:-1], bounds[1:] - 1, words, word_starts,
            sentence_module.ABBREVIATION_REACH, sentence_module.MAX_QUOTED)
    compiled = sentence_module.sentence_bounds.compiled()(*args)
    plain = sentence_module.plain_sentence_bounds(*args)
    assert [a.tolist() for a in compiled] == [a.tolist() for a in plain]


def test_compiled_sentence_splitting_of_real_pages_and_samples() -> None:
    """Real news pages (tests/data/real_pages) and the samples split the same by the kernel and the regexes."""
    import gzip
    import json

    with gzip.open(Path(__file__).parent / "data" / "real_pages" / "pages.jsonl.gz", "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    texts += [path.read_text(encoding="utf-8") for path in sorted(SAMPLES.glob("*.txt"))]
    words, word_starts = sentence_module.abbreviation_points()
    for text in texts:
        blocks = document_blocks(text, [r"-{3,}\s*END\s*-{3,}"])
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        args = (points, sentence_module.sentence_classes(points), np.frombuffer(blocks.start, dtype=np.int64),
                np.frombuffer(blocks.end, dtype=np.int64), words, word_starts,
                sentence_module.ABBREVIATION_REACH, sentence_module.MAX_QUOTED)
        compiled = sentence_module.sentence_bounds.compiled()(*args)
        plain = sentence_module.plain_sentence_bounds(*args)
        assert [a.tolist() for a in compiled] == [a.tolist() for a in plain]
