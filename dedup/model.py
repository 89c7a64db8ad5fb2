"""Plain data passed between the pipeline stages.

Every stage takes and returns these frozen dataclasses, so a stage can be read, tested and
swapped alone. Offsets are character offsets into the document text as decoded by
``dedup.read`` (undecodable bytes count as one character each).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class BlockKind(str, Enum):
    """What a non-blank line is, which decides how it may be removed."""

    PROSE = "prose"  # a paragraph line long enough to be removed on its own
    MINOR = "minor"  # heading, list item, table row, short line: removed only inside a repeated section
    MARKER = "marker"  # continuation marker such as ---END---
    PROTECTED = "protected"  # front matter or fenced code: never matched, never removed


class RemovalKind(str, Enum):
    EXACT = "exact"  # same text once normalised
    NEAR = "near"  # a few characters or words differ
    CONTAINED = "contained"  # all of it is inside a longer copy
    MARKER = "marker"  # continuation marker
    BOILERPLATE = "boilerplate"  # a line many unrelated documents have: site chrome (dedup.decide.boilerplate)


@dataclass(frozen=True)
class Block:
    """One non-blank line: ``start``/``end`` bound its text, ``line_end`` its line terminator."""

    index: int
    start: int
    end: int
    line_end: int
    kind: BlockKind
    text: str


@dataclass(frozen=True)
class Sentence:
    """A sentence inside a block; ``start``/``end`` exclude surrounding white space."""

    index: int
    block: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class KeptCopy:
    """Where the copy that was kept instead of a removed span lives."""

    start: int
    end: int
    doc: str | None = None


@dataclass(frozen=True)
class Removal:
    """A span cut from the original text, and why.

    ``start``/``end`` are exactly what was cut (including the separator white space that
    went with it), so the cleaned text is the original with every removal cut out.
    """

    start: int
    end: int
    kind: RemovalKind
    unit: str  # "block", "sentence" or "marker"
    similarity: float
    kept: KeptCopy | None = None

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class CleanOptions:
    """Parameters of within-document cleaning; every field is a CLI option too."""

    shingle_size: int = 5
    near_threshold: float = 0.7
    containment_threshold: float = 0.9
    cover_threshold: float = 0.8
    min_block_weight: int = 50
    min_sentence_weight: int = 50
    min_fragment_weight: int = 20
    guard_sentence_weight: int = 16
    max_gap: int = 3
    max_posting: int = 32
    keep_markers: bool = False
    marker_patterns: tuple[str, ...] = (r"-{3,}\s*END\s*-{3,}",)


@dataclass(frozen=True)
class CleanResult:
    """The cleaned text and every removal that made it."""

    text: str
    removals: tuple[Removal, ...] = field(default_factory=tuple)

    @property
    def chars_removed(self) -> int:
        return sum(r.length for r in self.removals)
