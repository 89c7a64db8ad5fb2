"""Write a block of processed documents: kept part, duplicates part, report fragment.

A part holds one run of consecutive input positions and is named by the first, so the
parts in name order are the input order whatever order the blocks finish in, and a retried
task rewrites the same names. Each file is written atomically. Parts are JSONL (each
record with a ``dedup`` field, as the local engine writes) or Parquet (the record's fields
as columns, typed by pyarrow per part, and ``dedup`` as a JSON string column). The report fragments hold
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
WRITTEN_COLUMNS = ("part", "first", *COUNTS, "warnings")  # one row per run of a block that ``write_block`` wrote

OUT_FORMATS = ("jsonl", "parquet")


def part_name(first_position: int, out_format: str = "jsonl") -> str:
    return f"part-{first_position:020d}.{out_format}"


def consecutive_runs(positions: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index ranges of runs of consecutive positions in sorted ``positions``."""
    if len(positions) == 0:
        return []
    breaks = np.flatnonzero(np.diff(positions) != 1) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.append(breaks, len(positions))
    return list(zip(starts.tolist(), ends.tolist()))


def write_block(
    batch: Any, duplicates_of_file: Callable[[int], Any], out_dir: str, write_duplicates: bool, out_format: str = "jsonl"
) -> Any:
    """Write the parts of a block; one row per run: its part ("" when nothing of it is kept), its first
    position, its counts and its documents' warnings.

    ``duplicates_of_file(file)`` gives that input file's duplicates: a frame indexed by
    position with canonical_id, kind and similarity.
    """
    import pandas as pd

    if len(batch) == 0:
        return pd.DataFrame([], columns=list(WRITTEN_COLUMNS))
    batch = batch.sort_values("pos", kind="stable")
    positions = batch["pos"].to_numpy(dtype=np.int64)
    duplicates = pd.concat([duplicates_of_file(int(f)) for f in np.unique(file_of(positions))])
    out = Path(out_dir)
    rows = []
    for start, end in consecutive_runs(positions):
        run = batch.iloc[start:end]
        run = run[run["error"] == ""]
        if len(run):
            rows.append(_write_run(run, duplicates, out, int(positions[start]), write_duplicates, out_format))
    return pd.DataFrame(rows, columns=list(WRITTEN_COLUMNS))


def written_warnings(written: Any) -> list[str]:
    """The documents' warnings of every written run, in input order (by first position: a run whose
    documents are all duplicates has no part name to sort by)."""
    return [w for part in written.sort_values("first", kind="stable")["warnings"] for w in json.loads(part)]


def _write_run(run: Any, duplicates: Any, out: Path, first: int, write_duplicates: bool, out_format: str) -> dict[str, Any]:
    name = part_name(first, out_format)
    kept, duplicate_rows, report_lines = [], [], []
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
        line = (row.payload, dedup)
        if duplicate is None:
            kept.append(line)
            record["output"] = f"{out / name}:{len(kept)}"
        elif write_duplicates:
            duplicate_rows.append(line)
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
    if kept:
        write_atomic(out / name, _encode(kept, out_format))
    if duplicate_rows:
        write_atomic(out / DUPLICATES_FOLDER / name, _encode(duplicate_rows, out_format))
    write_atomic(out / REPORT_PARTS / part_name(first), b"".join(report_lines))
    return {"part": name if kept else "", "first": first, **counts, "warnings": json.dumps(warnings, ensure_ascii=False)}


def _encode(rows: list[tuple[bytes, dict[str, Any]]], out_format: str) -> bytes:
    """A part's bytes: JSONL lines with the ``dedup`` field, or a Parquet file (text as valid UTF-8:
    bytes that were not are replaced by U+FFFD, which Parquet strings require)."""
    if out_format == "jsonl":
        return b"".join(payload[:-1] + b', "dedup": ' + json_bytes(dedup) + b"}\n" for payload, dedup in rows)
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = [{**json.loads(payload.decode("utf-8", "replace")), "dedup": json.dumps(dedup, ensure_ascii=False)} for payload, dedup in rows]
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(records), sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def report_records(out_dir: str | Path) -> Iterator[str]:
    """The report records of a run, in input order, as JSON text (one per document)."""
    for part in sorted((Path(out_dir) / REPORT_PARTS).glob("part-*.jsonl")):
        with open(part, encoding="utf-8") as handle:
            for line in handle:
                yield line.rstrip("\n")


def kept_lines(out_dir: str | Path) -> Iterator[dict[str, Any]]:
    """The kept documents of a run, in input order (its part files concatenated), as JSONL parts give them."""
    for part in sorted([*Path(out_dir).glob("part-*.jsonl"), *Path(out_dir).glob("part-*.parquet")]):
        if part.suffix == ".jsonl":
            with open(part, encoding="utf-8") as handle:
                yield from map(json.loads, handle)
            continue
        import pyarrow.parquet as pq

        for record in pq.read_table(part).to_pylist():
            yield {**record, "dedup": json.loads(record["dedup"])}
