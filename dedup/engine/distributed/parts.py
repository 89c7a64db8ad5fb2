"""Write a block of processed documents into the run's staging folder: outputs, report fragment.

Record inputs give parts: a part holds one run of consecutive input positions and is named
by the first, so the parts in name order are the input order whatever order the blocks
finish in, and a retried task rewrites the same names. Parts are JSONL (each record with a
``dedup`` field, as the local engine writes) or Parquet (the record's fields as columns,
typed by pyarrow per part, and ``dedup`` as a JSON string column). Text inputs give the
local engine's ``OUT/<id>`` files, written by its own :class:`FolderWriter`. Everything goes
to ``OUT/.dedup/staging-<run>/``, where the driver publishes it with the report and the index
batch in one step (:mod:`dedup.write.commit`). The report fragments hold the documents' full
report records, one JSON per line, for the driver to stream into report.json; nothing about
a document is ever gathered on one node.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from dedup.decide.boilerplate import Boilerplate, BoilerplateRule
from dedup.engine.distributed.rows import NO_ERROR, file_of, line_keys_of, spooled_of, text_of
from dedup.engine.process import cut_spooled
from dedup.write.atomic import write_atomic
from dedup.write.outputs import DUPLICATES_FOLDER, FolderWriter, json_bytes
from dedup.write.records import COUNTS, Outcome, dedup_field, document_record

REPORT_PARTS = ".report-parts"  # inside the staging folder: never published
# one row per run of a block that ``write_block`` wrote: its kept part, first position, counts, and (JSON lists)
# its documents' warnings, the files it staged (relative to OUT) and the text outputs of its duplicates
WRITTEN_COLUMNS = ("part", "first", *COUNTS, "warnings", "files", "dropped")

OUT_FORMATS = ("jsonl", "parquet")
TEXT_FILES = "text"  # the output of text inputs: one file per kept document, as the local engine writes


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
    batch: Any, duplicates_of_file: Callable[[int], Any], out_dir: str, run: str, write_duplicates: bool,
    out_format: str = "jsonl", cutting: tuple[Boilerplate, BoilerplateRule] | None = None, text_key: str = "text",
) -> Any:
    """Stage the outputs of a block; one row per run of consecutive positions (:data:`WRITTEN_COLUMNS`).

    ``duplicates_of_file(file)`` gives that input's duplicates: a frame indexed by position
    with canonical_id, batch, kind and similarity. ``out_dir`` is the output folder the
    records name; files go to its staging folder for ``run``.
    """
    import pandas as pd

    if len(batch) == 0:
        return pd.DataFrame([], columns=list(WRITTEN_COLUMNS))
    batch = batch.sort_values("pos", kind="stable")
    positions = batch["pos"].to_numpy(dtype=np.int64)
    duplicates = pd.concat([duplicates_of_file(int(f)) for f in np.unique(file_of(positions))])
    writer = FolderWriter(Path(out_dir), run, write_duplicates)
    rows = []
    for start, end in consecutive_runs(positions):
        documents = batch.iloc[start:end]
        documents = documents[documents["error"] == NO_ERROR]
        if len(documents):
            rows.append(_write_run(documents, duplicates, writer, int(positions[start]), out_format, cutting, text_key))
    return pd.DataFrame(rows, columns=list(WRITTEN_COLUMNS))


def kept_rows(batch: Any, duplicates_of_file: Callable[[int], Any]) -> Any:
    """The kept documents of a block, with what the index stores of them (the batch a run adds)."""
    columns = ["pos", "id", "chars", "cleaned_chars", "removals", "sig", "size", "exact"]
    documents = batch.loc[batch["error"] == NO_ERROR, columns]
    if len(documents) == 0:
        return documents
    import pandas as pd

    positions = documents["pos"].to_numpy(dtype=np.int64)
    duplicates = pd.concat([duplicates_of_file(int(f)) for f in np.unique(file_of(positions))])
    return documents[~documents["pos"].isin(duplicates.index)]


def written_warnings(written: Any) -> list[str]:
    """The documents' warnings of every written run, in input order (by first position: a run whose
    documents are all duplicates has no part name to sort by)."""
    return [w for part in written.sort_values("first", kind="stable")["warnings"] for w in json.loads(part)]


def written_files(written: Any) -> tuple[list[str], list[str]]:
    """The files the runs staged, and the text outputs of their duplicates (stale if an earlier run left them)."""
    return ([name for names in written["files"] for name in json.loads(names)],
            [name for names in written["dropped"] for name in json.loads(names)])


def outcome_of(duplicate: Any, removals: int) -> Outcome:
    """A document's outcome from its row of the duplicates frame (None: it is kept)."""
    if duplicate is None:
        return Outcome.kept(removals)
    batch = text_of(duplicate["batch"])
    return Outcome("duplicate", text_of(duplicate["canonical_id"]), batch or None, float(duplicate["similarity"]),
                   duplicate["kind"])


def _write_run(
    documents: Any, duplicates: Any, writer: FolderWriter, first: int, out_format: str,
    cutting: tuple[Boilerplate, BoilerplateRule] | None = None, text_key: str = "text",
) -> dict[str, Any]:
    name = part_name(first, out_format)
    out = writer.out_dir
    kept, duplicate_lines, report_lines = [], [], []
    counts = dict.fromkeys(COUNTS, 0)
    warnings: list[str] = []
    files: list[str] = []
    dropped: list[str] = []
    for row in documents.itertuples():
        duplicate = duplicates.loc[row.pos] if row.pos in duplicates.index else None
        payload, base, cleaned_chars, removals = row.payload, None, int(row.cleaned_chars), int(row.removals)
        if cutting is not None and cutting[0].flags(line_keys_of(row.lines), int(row.site)).any():
            payload, base, cleaned_chars = cut_spooled(spooled_of(row, text_key), text_of(row.id), *cutting)
            removals = len(base["removed"])
        outcome = outcome_of(duplicate, removals)
        record = document_record(base or json.loads(row.record), outcome, cleaned_chars)
        if out_format == TEXT_FILES:
            record["output"] = writer.write(record["id"], payload, outcome.status, dedup_field(record))
            if record["output"] is not None:
                files.append(record["output"])
            if outcome.status == "duplicate":
                dropped.append(record["id"])
        elif duplicate is None:
            kept.append((payload, dedup_field(record)))
            record["output"] = f"{out / name}:{len(kept)}"
        elif writer.write_duplicates:
            duplicate_lines.append((payload, dedup_field(record)))
            record["output"] = str(out / DUPLICATES_FOLDER / name)
        else:
            record["output"] = None
        report_lines.append(json.dumps(record, ensure_ascii=False).encode("utf-8", "backslashreplace") + b"\n")
        warnings.extend(record["warnings"])
        counts["documents"] += 1
        counts[outcome.status] += 1
        counts["chars_in"] += record["chars"]
        counts["chars_removed"] += record["chars_removed"]
        counts["removals"] += removals
    if kept:
        write_atomic(writer.staged(name), _encode(kept, out_format))
        files.append(name)
    if duplicate_lines:
        write_atomic(writer.staged(f"{DUPLICATES_FOLDER}/{name}"), _encode(duplicate_lines, out_format))
        files.append(f"{DUPLICATES_FOLDER}/{name}")
    write_atomic(writer.staged(f"{REPORT_PARTS}/{part_name(first)}"), b"".join(report_lines))
    return {"part": name if kept else "", "first": first, **counts, "warnings": json.dumps(warnings),
            "files": json.dumps(files), "dropped": json.dumps(dropped)}


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
