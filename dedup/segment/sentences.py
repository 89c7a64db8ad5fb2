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

import numpy as np

from dedup.compiled import sized_kernel
from dedup.model import Block, Sentence
from dedup.segment.blocks import DocumentBlocks
from dedup.segment.normalise import content_weight, normalise

# flags of a character for the compiled splitter (dedup.segment.kernels)
SPACE = 1  # str.isspace: re's \s, what str.strip removes
WORD = 2  # re's \w
OPENER = 4  # _OPENERS
CLOSER = 8  # _CLOSERS
TAIL = 16  # _TAIL
AFTER_PERIOD = 32  # _AFTER_PERIOD
QUOTATIVE = 64  # _QUOTATIVE
RUN = 128  # _RUN

_RUN = "。！？!?．"  # terminators that need no space after them
_AFTER_PERIOD = "\"'”’)]」』"  # what may follow a sentence-ending period, besides white space
_TAIL = "\"'”’)）]」』】》〉"  # closing quotes and brackets that go with the terminator
_TERMINATOR = re.compile(
    rf"(?:[{re.escape(_RUN)}]+|…+|(?<=[^\s.])\.(?=[\s{re.escape(_AFTER_PERIOD)}]|$))[{re.escape(_TAIL)}]*"
)
_OPENERS = "「『（(【《〈“"
_CLOSERS = "」』）)】》〉”"
_ABBREVIATIONS = (
    "Mr", "Mrs", "Ms", "Dr", "Prof", "Sr", "Jr", "St", "Inc", "Ltd", "Co", "Corp", "vs", "etc", "e.g", "i.e", "No",
    "Fig", "U.S", "approx", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
)
_ABBREVIATION = re.compile(rf"(?:\b(?:{'|'.join(re.escape(w) for w in _ABBREVIATIONS)})|\b[A-Z])\.$")
# the abbreviation is what ends just before the period: at most "approx" and the letter before it
ABBREVIATION_REACH = 12
_ANY_QUOTE = re.compile(f"[{re.escape(_OPENERS + _CLOSERS)}]")
MAX_QUOTED = 400
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
    """The sentences of the prose blocks, numbered in document order (all blocks split in one call)."""
    prose = np.array(blocks.prose, dtype=np.int64)
    at, start, end = blocks_sentence_bounds(blocks, prose)
    block = prose[at]
    firsts = np.searchsorted(block, np.arange(len(blocks) + 1), side="left").astype(np.int64)
    return DocumentSentences(
        array("q", block.tobytes()), array("q", start.tobytes()), array("q", end.tobytes()),
        BlockRanges(array("q", firsts.tobytes())),
    )


def sentence_keys_and_weights(blocks: DocumentBlocks, sentences: DocumentSentences) -> tuple[list[str], list[int]]:
    """The matching key (``normalise``) of every sentence and its ``content_weight``.

    Cut from the line keys in a simple text (``dedup.segment.lines``), else normalised one by one.
    """
    cut = blocks.stretch_keys_and_weights(
        np.frombuffer(sentences.block, dtype=np.int64), np.frombuffer(sentences.start, dtype=np.int64),
        np.frombuffer(sentences.end, dtype=np.int64),
    )
    if cut is not None:
        return cut
    text = blocks.text
    keys = [normalise(text[start:end]) for start, end in zip(sentences.start, sentences.end)]
    return keys, [content_weight(k) for k in keys]


def blocks_sentence_bounds(blocks: DocumentBlocks, which: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(i, start, end)`` of every sentence of the blocks ``which``: block ``which[i]``, document offsets."""
    points = blocks.lines.points if blocks.lines is not None else None
    if points is None:
        points = np.frombuffer(blocks.text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    words, word_starts = abbreviation_points()
    return sentence_bounds(  # type: ignore[no-any-return]
        points, sentence_classes(points), np.frombuffer(blocks.start, dtype=np.int64)[which],
        np.frombuffer(blocks.end, dtype=np.int64)[which], words, word_starts, ABBREVIATION_REACH, MAX_QUOTED,
    )


def plain_sentence_bounds(
    points: np.ndarray, classes: np.ndarray, starts: np.ndarray, ends: np.ndarray, words: np.ndarray,
    word_starts: np.ndarray, reach: int, max_quoted: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`dedup.segment.kernels.sentence_bounds` by :func:`sentence_spans`, block by block (same results)."""
    text = points.tobytes().decode("utf-32-le", "surrogatepass")
    block, start, end = array("q"), array("q"), array("q")
    for index, (low, high) in enumerate(zip(starts.tolist(), ends.tolist())):
        for a, z in sentence_spans(text[low:high]):
            block.append(index)
            start.append(low + a)
            end.append(low + z)
    return tuple(np.frombuffer(a, dtype=np.int64) if len(a) else np.zeros(0, np.int64) for a in (block, start, end))  # type: ignore[return-value]


# Measured 2026-12-02 (AMD EPYC, 2 cores; the real pages): plain splitting runs at 5.4 M characters a
# second; compiling the kernel takes 6.2 s, loading it from numba's cache 0.55 s (numba's own set-up included)
sentence_bounds = sized_kernel(
    "dedup.segment.kernels", "sentence_bounds", plain_sentence_bounds,
    work=lambda points, classes, starts, ends, *_: int((ends - starts).sum()), cold=33_000_000, warm=3_000_000,
    loaded=54_000,  # 10 ms of plain splitting: loading it once numba is set up
)


_ABBREVIATION_POINTS: list[tuple[np.ndarray, np.ndarray]] = []


def abbreviation_points() -> tuple[np.ndarray, np.ndarray]:
    """The abbreviations as code points, one after the other, and where each starts (and the last ends)."""
    if not _ABBREVIATION_POINTS:
        words = np.array([ord(c) for w in _ABBREVIATIONS for c in w], dtype=np.uint32)
        starts = np.concatenate([[0], np.cumsum([len(w) for w in _ABBREVIATIONS])]).astype(np.int64)
        _ABBREVIATION_POINTS.append((words, starts))
    return _ABBREVIATION_POINTS[0]


class _SentenceClasses:
    """Each code point's flags for the kernel (``dedup.segment.kernels``), filled as characters are met.

    A code point not met yet holds ``_UNMET``, all eight flags: no character is both white
    space and a word character, so no real one has that value, and one read of the table
    both gives the flags and finds what is missing.
    """

    def __init__(self) -> None:
        self.flags = np.full(0x110000, _UNMET, dtype=np.uint8)
        self.fill(np.arange(128))

    def fill(self, points: np.ndarray) -> None:
        for point in points.tolist():
            char = chr(point)
            value = (SPACE if char.isspace() else 0) | (WORD if _WORD_CHAR.match(char) else 0)
            for members, flag in _FLAGGED:
                if char in members:
                    value |= flag
            assert value != _UNMET
            self.flags[point] = value

    def of(self, points: np.ndarray) -> np.ndarray:
        flags = self.flags[points]
        unmet = flags == _UNMET
        if unmet.any():
            self.fill(np.unique(points[unmet]))
            flags = self.flags[points]
        return flags


_UNMET = 0xFF
_WORD_CHAR = re.compile(r"\w")
_FLAGGED = ((_OPENERS, OPENER), (_CLOSERS, CLOSER), (_TAIL, TAIL), (_AFTER_PERIOD, AFTER_PERIOD), (_QUOTATIVE, QUOTATIVE),
            (_RUN, RUN))
_CLASSES: list[_SentenceClasses] = []


def sentence_classes(points: np.ndarray) -> np.ndarray:
    """The kernel's flags of each code point in ``points`` (the table is made on first use)."""
    if not _CLASSES:
        _CLASSES.append(_SentenceClasses())
    return _CLASSES[0].of(points)


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
            text[max(begin, match.start() - ABBREVIATION_REACH) : match.start() + 1]
        ):
            continue
        if balance > 0 and end - begin < MAX_QUOTED:
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
