"""Write a block of processed documents: kept part, duplicates part, report fragment.

A part holds one run of consecutive input positions and is named by the first, so the
parts in name order are the input order whatever order the blocks finish in, and a retried
task rewrites the same names. Each file is written atomically. The report fragments hold
the documents' full report records, one JSON per line, for the driver to stream into
report.json; nothing about a document is ever gathered on one node.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from dedup.engine.distributed.rows import file_of
from dedup.write.atomic import write_atomic
from dedup.write.outputs import DUPLICATES_FOLDER, json_bytes

REPORT_PARTS = ".report-parts"
COUNTS = ("documents", "unique", "cleaned", "duplicate", "chars_in", "chars_removed", "removals")


def part_name(first_position: int) -> str:
    return f"part-{first_position:020d}.jsonl"


def consecutive_runs(positions: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index ranges of runs of consecutive positions in sorted ``positions``."""
    if len(positions) == 0:
        return []
    breaks = np.flatnonzero(np.diff(positions) != 1) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.append(breaks, len(positions))
    return list(zip(starts.tolist(), ends.tolist()))


def write_block(
    batch: Any, duplicates_of_file: Callable[[int], Any], out_dir: str, write_duplicates: bool
) -> Any:
    """Write the parts of a block; one row of counts (and the documents' warnings) per part.

    ``duplicates_of_file(file)`` gives that input file's duplicates: a frame indexed by
    position with canonical_id, kind and similarity.
    """
    import pandas as pd

    columns = ["part", *COUNTS, "warnings"]
    if len(batch) == 0:
        return pd.DataFrame([], columns=columns)
    batch = batch.sort_values("pos", kind="stable")
    positions = batch["pos"].to_numpy(dtype=np.int64)
    duplicates = pd.concat([duplicates_of_file(int(f)) for f in np.unique(file_of(positions))])
    out = Path(out_dir)
    rows = []
    for start, end in consecutive_runs(positions):
        run = batch.iloc[start:end]
        run = run[run["error"] == ""]
        if len(run):
            rows.append(_write_run(run, duplicates, out, part_name(int(positions[start])), write_duplicates))
    return pd.DataFrame(rows, columns=columns)


def _write_run(run: Any, duplicates: Any, out: Path, name: str, write_duplicates: bool) -> dict[str, Any]:
    kept_lines, duplicate_lines, report_lines = [], [], []
    counts = dict.fromkeys(COUNTS, 0)
    warnings: list[str] = []
    for row in run.itertuples():
        record = json.loads(row.record)
        duplicate = duplicates.loc[row.pos] if row.pos in duplicates.index else None
        status = "duplicate" if duplicate is not None else ("cleaned" if row.removals else "unique")
        record["status"] = status
        record["duplicate_of"] = None if duplicate is None else duplicate["canonical_id"]
        record["duplicate_of_batch"] = None
        record["similarity"] = None if duplicate is None else float(duplicate["similarity"])
        record["duplicate_kind"] = None if duplicate is None else duplicate["kind"]
        record["chars_removed"] = record["chars"] if duplicate is not None else record["chars"] - int(row.cleaned_chars)
        dedup = {k: record[k] for k in ("status", "duplicate_of", "duplicate_of_batch", "similarity", "duplicate_kind")}
        dedup["removed"] = [{k: v for k, v in r.items() if k != "text"} for r in record["removed"]]
        line = row.payload[:-1] + b', "dedup": ' + json_bytes(dedup) + b"}\n"
        if duplicate is None:
            kept_lines.append(line)
            record["output"] = f"{out / name}:{len(kept_lines)}"
        elif write_duplicates:
            duplicate_lines.append(line)
            record["output"] = str(out / DUPLICATES_FOLDER / name)
        else:
            record["output"] = None
        report_lines.append(json.dumps(record, ensure_ascii=False).encode("utf-8", "replace") + b"\n")
        warnings.extend(record["warnings"])
        counts["documents"] += 1
        counts[status] += 1
        counts["chars_in"] += record["chars"]
        counts["chars_removed"] += record["chars_removed"]
        counts["removals"] += int(row.removals)
    if kept_lines:
        write_atomic(out / name, b"".join(kept_lines))
    if duplicate_lines:
        write_atomic(out / DUPLICATES_FOLDER / name, b"".join(duplicate_lines))
    write_atomic(out / REPORT_PARTS / name, b"".join(report_lines))
    return {"part": name if kept_lines else "", **counts, "warnings": json.dumps(warnings, ensure_ascii=False)}


def report_records(out_dir: str | Path) -> Iterator[str]:
    """The report records of a run, in input order, as JSON text (one per document)."""
    for part in sorted((Path(out_dir) / REPORT_PARTS).glob("part-*.jsonl")):
        with open(part, encoding="utf-8") as handle:
            for line in handle:
                yield line.rstrip("\n")


def kept_lines(out_dir: str | Path) -> Iterator[dict[str, Any]]:
    """The kept documents of a run, in input order (its part files concatenated)."""
    for part in sorted(Path(out_dir).glob("part-*.jsonl")):
        with open(part, encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)
