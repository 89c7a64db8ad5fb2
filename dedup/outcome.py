"""What happened to each document in a run: the data the report and summary are made of."""
from __future__ import annotations

from dataclasses import dataclass, field

from dedup.model import CleanResult


@dataclass(frozen=True)
class DocumentOutcome:
    """One document after cleaning; ``status`` is unique, cleaned or duplicate."""

    id: str
    source: str
    original: str
    result: CleanResult
    output: str | None
    status: str
    duplicate_of: str | None = None
    similarity: float | None = None
    warnings: tuple[str, ...] = ()

    @property
    def chars(self) -> int:
        return len(self.original)

    @property
    def chars_removed(self) -> int:
        return self.chars if self.status == "duplicate" else self.result.chars_removed


@dataclass(frozen=True)
class RunSummary:
    """Totals of a run, for the printed summary, the report and the exit code."""

    outcomes: tuple[DocumentOutcome, ...]
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    elapsed: float
    out_dir: str
    parameters: dict = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def chars_in(self) -> int:
        return sum(o.chars for o in self.outcomes)

    @property
    def chars_removed(self) -> int:
        return sum(o.chars_removed for o in self.outcomes)

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0
