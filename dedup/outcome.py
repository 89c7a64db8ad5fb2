"""What a run did: the totals behind the printed summary, the report header and the exit code."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunSummary:
    documents: int
    unique: int
    cleaned: int
    duplicate: int
    chars_in: int
    chars_removed: int
    removals: int
    clusters: int
    duplicates_of_index: int
    indexed: int  # kept documents added to the index
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    elapsed: float
    output: str
    report: str | None
    parameters: dict[str, Any] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return {"unique": self.unique, "cleaned": self.cleaned, "duplicate": self.duplicate}[status]

    @property
    def exit_code(self) -> int:
        """0 when every input was processed, 1 when some failed."""
        return 1 if self.errors else 0

    def totals(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "unique": self.unique,
            "cleaned": self.cleaned,
            "duplicate": self.duplicate,
            "errors": len(self.errors),
            "chars_in": self.chars_in,
            "chars_removed": self.chars_removed,
            "removals": self.removals,
            "clusters": self.clusters,
            "duplicates_of_index": self.duplicates_of_index,
            "added_to_index": self.indexed,
            "elapsed_seconds": round(self.elapsed, 3),
        }
