"""The report records of a run, built in one place for every engine.

A document's record is what the worker made (id, input, chars, removals, warnings) plus
the corpus stage's outcome for it; the same five fields, without the preview texts, are
the ``dedup`` field of a JSONL output. A cluster's record lists the canonical member and
every duplicate with its relation to the canonical one. The local engine and the Ray
engine both call these functions, so their reports cannot drift apart.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dedup.outcome import RunSummary

OUTCOME_FIELDS = ("status", "duplicate_of", "duplicate_of_batch", "similarity", "duplicate_kind")
COUNTS = ("documents", "unique", "cleaned", "duplicate", "chars_in", "chars_removed", "removals")
CANONICAL = "canonical"


@dataclass(frozen=True)
class Outcome:
    """What the corpus stage decided for one document."""

    status: str  # unique | cleaned | duplicate
    duplicate_of: str | None = None  # the id of the document kept instead
    duplicate_of_batch: str | None = None  # its batch, when an earlier batch kept it
    similarity: float | None = None
    duplicate_kind: str | None = None  # exact | near | contained

    @classmethod
    def kept(cls, removals: int) -> Outcome:
        return cls("cleaned" if removals else "unique")


def document_record(base: dict[str, Any], outcome: Outcome, cleaned_chars: int) -> dict[str, Any]:
    """The full report record: the worker's ``base`` (id, input, chars, removed, warnings) with the outcome."""
    record = dict(base)
    record.update(
        status=outcome.status, duplicate_of=outcome.duplicate_of, duplicate_of_batch=outcome.duplicate_of_batch,
        similarity=outcome.similarity, duplicate_kind=outcome.duplicate_kind,
        chars_removed=record["chars"] if outcome.status == "duplicate" else record["chars"] - cleaned_chars,
    )
    return record


def dedup_field(record: Mapping[str, Any]) -> dict[str, Any]:
    """The ``dedup`` field of an output record: the outcome and the removals without their preview text."""
    field = {k: record[k] for k in OUTCOME_FIELDS}
    field["removed"] = [{k: v for k, v in r.items() if k != "text"} for r in record["removed"]]
    return field


def cluster_record(canonical_id: str, duplicates: Iterable[tuple[str, str, float]]) -> dict[str, Any]:
    """A cluster: its canonical member, then every duplicate as (id, kind, similarity), in input order."""
    members = [{"id": canonical_id, "kind": CANONICAL, "similarity": 1.0}]
    members += [{"id": doc_id, "kind": kind, "similarity": similarity} for doc_id, kind, similarity in duplicates]
    return {"canonical": canonical_id, "size": len(members), "members": members}


def document_counts(
    statuses: Sequence[str], chars: Sequence[int], cleaned_chars: Sequence[int], removals: Sequence[int]
) -> dict[str, int]:
    """The run's totals (:data:`COUNTS`) over its documents; a duplicate's characters all count as removed."""
    return {
        "documents": len(statuses),
        "unique": statuses.count("unique"),
        "cleaned": statuses.count("cleaned"),
        "duplicate": statuses.count("duplicate"),
        "chars_in": sum(chars),
        "chars_removed": sum(c if s == "duplicate" else c - k for s, c, k in zip(statuses, chars, cleaned_chars)),
        "removals": sum(removals),
    }


def run_summary(
    counts: Mapping[str, int], *, clusters: int, errors: Sequence[str], warnings: Sequence[str], started: float,
    output: str, report: str | None, parameters: dict[str, Any], duplicates_of_index: int = 0, indexed: int = 0,
) -> RunSummary:
    """The summary a run prints and report.json's header, from its totals."""
    return RunSummary(
        **{name: int(counts[name]) for name in COUNTS}, clusters=clusters, duplicates_of_index=duplicates_of_index,
        indexed=indexed, errors=tuple(errors), warnings=tuple(warnings), elapsed=time.monotonic() - started,
        output=output, report=report, parameters=parameters,
    )
