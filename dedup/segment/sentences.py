"""Split a block into sentences, for CJK and space-separated scripts alike.

A sentence ends at 。！？!? (with any closing quotes or brackets after them) or at a
period followed by white space. Japanese and Chinese put no space after 。, so a period
needs the space but the CJK terminators do not. A terminator inside 「…」 or (…) does not
end the sentence around the quote, and a period after a common abbreviation or an
initial does not end a sentence either.
"""
from __future__ import annotations

import re

from dedup.model import Block, Sentence

_TERMINATOR = re.compile(
    r"(?:[。！？!?．]+|…+|(?<=[^\s.])\.(?=[\s\"'”’)\]」』]|$))[\"'”’)）\]」』】》〉]*"
)
_OPENERS = "「『（(【《〈“"
_CLOSERS = "」』）)】》〉”"
_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Inc|Ltd|Co|Corp|vs|etc|e\.g|i\.e|No|Fig|U\.S|approx|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z])\.$"
)
_ANY_QUOTE = re.compile(f"[{re.escape(_OPENERS + _CLOSERS)}]")
_MAX_QUOTED = 400
_QUOTATIVE = "とっ、，,"


def split_sentences(block: Block, first_index: int = 0) -> list[Sentence]:
    """Sentences of ``block`` with offsets into the document."""
    text = block.text
    spans: list[tuple[int, int]] = []
    begin = 0
    for match in _TERMINATOR.finditer(text):
        end = match.end()
        piece = text[begin:end]
        if match.group().startswith(".") and _ABBREVIATION.search(text[max(0, begin):match.start() + 1]):
            continue
        if _open_quotes(piece) > 0 and len(piece) < _MAX_QUOTED:
            continue
        if _quote_runs_on(text, match):
            continue
        spans.append((begin, end))
        begin = end
    if begin < len(text):
        spans.append((begin, len(text)))

    sentences: list[Sentence] = []
    for start, end in spans:
        piece = text[start:end]
        stripped_start = start + len(piece) - len(piece.lstrip())
        stripped_end = start + len(piece.rstrip())
        if stripped_end > stripped_start:
            sentences.append(
                Sentence(
                    first_index + len(sentences),
                    block.index,
                    block.start + stripped_start,
                    block.start + stripped_end,
                    text[stripped_start:stripped_end],
                )
            )
    return sentences


def _quote_runs_on(text: str, match: re.Match[str]) -> bool:
    """True for 「…。」と言った: a quote closed after its terminator, with the sentence going on."""
    if match.group()[-1] not in _CLOSERS or match.end() >= len(text):
        return False
    return text[match.end()] in _QUOTATIVE


def _open_quotes(piece: str) -> int:
    if not _ANY_QUOTE.search(piece):
        return 0
    return sum(piece.count(c) for c in _OPENERS) - sum(piece.count(c) for c in _CLOSERS)
