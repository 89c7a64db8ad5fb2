"""Split a block into sentences, for CJK and space-separated scripts alike.

A sentence ends at 。！？!? (with any closing quotes or brackets after them) or at a
period followed by white space. Japanese and Chinese put no space after 。, so a period
needs the space but the CJK terminators do not. A terminator inside 「…」 or (…) does not
end the sentence around the quote, and a period after a common abbreviation or an
initial does not end a sentence either.
"""
from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from dedup.model import Block, BlockKind, Sentence
from dedup.segment.blocks import DocumentBlocks

_TERMINATOR = re.compile(
    r"(?:[。！？!?．]+|…+|(?<=[^\s.])\.(?=[\s\"'”’)\]」』]|$))[\"'”’)）\]」』】》〉]*"
)
_OPENERS = "「『（(【《〈“"
_CLOSERS = "」』）)】》〉”"
_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Inc|Ltd|Co|Corp|vs|etc|e\.g|i\.e|No|Fig|U\.S|approx|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z])\.$"
)
# the abbreviation is what ends just before the period: at most "approx" and the letter before it
_ABBREVIATION_REACH = 12
_ANY_QUOTE = re.compile(f"[{re.escape(_OPENERS + _CLOSERS)}]")
_MAX_QUOTED = 400
_QUOTATIVE = "とっ、，,"


class BlockRanges(Sequence[range]):
    """``ranges[b]``: the range of sentence indices of block ``b``, from one array of first indices."""

    def __init__(self, firsts: array) -> None:
        self._firsts = firsts  # len = blocks + 1

    def __len__(self) -> int:
        return len(self._firsts) - 1

    def __getitem__(self, block: int) -> range:  # type: ignore[override]
        if not 0 <= block < len(self):
            raise IndexError(block)
        return range(self._firsts[block], self._firsts[block + 1])


@dataclass(frozen=True)
class DocumentSentences:
    """Every sentence of a document's prose blocks, as flat arrays rather than one object each.

    Sentence ``i`` is ``text[start[i]:end[i]]`` of the document, inside block ``block[i]``;
    ``of_block[b]`` is the range of block ``b``'s sentences. A :class:`Sentence` object
    costs some 250 bytes besides its text, more than the sentence itself in English.
    """

    block: array  # array("q") of block indices
    start: array
    end: array
    of_block: BlockRanges

    def __len__(self) -> int:
        return len(self.block)


def document_sentences(blocks: DocumentBlocks) -> DocumentSentences:
    """The sentences of the prose blocks, numbered in document order."""
    block, start, end, firsts = array("q"), array("q"), array("q"), array("q", [0])
    for index, kind in enumerate(blocks.kinds):
        if kind is BlockKind.PROSE:
            offset = blocks.start[index]
            for low, high in sentence_spans(blocks.text_of(index)):
                block.append(index)
                start.append(offset + low)
                end.append(offset + high)
        firsts.append(len(block))
    return DocumentSentences(block, start, end, BlockRanges(firsts))


def split_sentences(block: Block, first_index: int = 0) -> list[Sentence]:
    """Sentences of ``block`` with offsets into the document."""
    return [
        Sentence(first_index + i, block.index, block.start + low, block.start + high, block.text[low:high])
        for i, (low, high) in enumerate(sentence_spans(block.text))
    ]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text``, without the white space around it.

    Linear in the length of ``text``, also when many terminators in a row do not end a
    sentence (initials, quotes): only the new stretch since the last terminator is read.
    """
    spans: list[tuple[int, int]] = []
    begin = 0
    balance = 0  # openers minus closers in text[begin:scanned]
    scanned = 0
    for match in _TERMINATOR.finditer(text):
        end = match.end()
        balance += _quote_balance(text[scanned:end])
        scanned = end
        if match.group().startswith(".") and _ABBREVIATION.search(
            text[max(begin, match.start() - _ABBREVIATION_REACH) : match.start() + 1]
        ):
            continue
        if balance > 0 and end - begin < _MAX_QUOTED:
            continue
        if _quote_runs_on(text, match):
            continue
        spans.append((begin, end))
        begin = end
        balance = 0
    if begin < len(text):
        spans.append((begin, len(text)))

    stripped = []
    for start, end in spans:
        piece = text[start:end]
        low = start + len(piece) - len(piece.lstrip())
        high = start + len(piece.rstrip())
        if high > low:
            stripped.append((low, high))
    return stripped


def _quote_runs_on(text: str, match: re.Match[str]) -> bool:
    """True for 「…。」と言った: a quote closed after its terminator, with the sentence going on."""
    if match.group()[-1] not in _CLOSERS or match.end() >= len(text):
        return False
    return text[match.end()] in _QUOTATIVE


def _quote_balance(piece: str) -> int:
    """Opening quotes and brackets in ``piece`` minus closing ones."""
    if not _ANY_QUOTE.search(piece):
        return 0
    return sum(piece.count(c) for c in _OPENERS) - sum(piece.count(c) for c in _CLOSERS)
