"""dedup.segment: normalisation, blocks and sentences on real text."""
from __future__ import annotations

from dedup.model import Block, BlockKind
from dedup.segment.blocks import classify_line, split_blocks
from dedup.segment.normalise import content_weight, is_cjk_text, normalise
from dedup.segment.sentences import split_sentences


def block(text: str) -> Block:
    return Block(0, 0, len(text), len(text), BlockKind.PROSE, text)


def sentences(text: str) -> list[str]:
    return [s.text for s in split_sentences(block(text))]


def test_normalise_ignores_markup_width_case_and_punctuation() -> None:
    assert normalise("**Fluidstack**との提携です。") == normalise("Ｆｌｕｉｄｓｔａｃｋとの提携です")
    assert normalise("## Heading: One") == "headingone"


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
