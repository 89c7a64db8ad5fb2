"""Clean a set of files on this machine, on all cores, and write outputs and report.

This is the I/O edge of ``dedup clean``: files are read and cleaned in worker processes,
each output is written atomically, and report.json is written last, so a run that dies
half-way leaves whole files only and no report claiming work that was not done.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from dedup.errors import InputError, OutputError
from dedup.model import CleanOptions
from dedup.outcome import DocumentOutcome, RunSummary
from dedup.read.files import DEFAULT_MAX_BYTES, InputFile, discover, read_file
from dedup.within import clean_document
from dedup.write.atomic import write_atomic
from dedup.write.report_json import build_report, report_bytes

_PARALLEL_FROM = 8


def default_out_dir(paths: Sequence[str | os.PathLike[str]]) -> Path:
    """``<first input>-dedup`` beside the first input: never inside an input folder."""
    first = Path(paths[0]).resolve()
    stem = first.stem if first.is_file() else first.name
    return first.parent / f"{stem or 'input'}-dedup"


def check_out_dir(out_dir: Path, paths: Sequence[str | os.PathLike[str]], files: Sequence[InputFile]) -> None:
    """Refuse an output folder inside an input folder, or one that would overwrite an input."""
    out = out_dir.resolve()
    for raw in paths:
        root = Path(raw).resolve()
        if root.is_dir() and (out == root or root in out.parents):
            raise OutputError(f"output folder {out_dir} is inside input folder {raw}: choose another --out")
    inputs = {f.path.resolve() for f in files}
    for f in files:
        if (out / f.id).resolve() in inputs:
            raise OutputError(f"writing {out / f.id} would overwrite an input file: choose another --out")


def _clean_one(item: InputFile, options: CleanOptions, max_bytes: int) -> tuple[DocumentOutcome, bytes] | InputError:
    try:
        doc = read_file(item, max_bytes)
    except InputError as exc:
        return exc
    warnings = []
    if doc.invalid_utf8_at is not None:
        warnings.append(f"{doc.source}: invalid UTF-8 at byte {doc.invalid_utf8_at}, kept byte for byte")
    if not doc.text:
        warnings.append(f"{doc.source}: empty file, written as is")
    result = clean_document(doc.text, options)
    return DocumentOutcome(
        id=doc.id,
        source=doc.source,
        original=doc.text,
        result=result,
        output=doc.id,
        status="cleaned" if result.removals else "unique",
        warnings=tuple(warnings),
    ), doc.encode(result.text)


def _outcomes(
    files: Sequence[InputFile], options: CleanOptions, jobs: int, max_bytes: int
) -> Iterator[tuple[DocumentOutcome, bytes] | InputError]:
    if jobs <= 1 or len(files) < _PARALLEL_FROM:
        for item in files:
            yield _clean_one(item, options, max_bytes)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        chunk = max(1, min(64, len(files) // (jobs * 8)))
        yield from pool.map(_clean_one, files, [options] * len(files), [max_bytes] * len(files), chunksize=chunk)


def clean_paths(
    paths: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str] | None = None,
    options: CleanOptions | None = None,
    jobs: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    show_progress: bool | None = None,
    on_error: Callable[[str], None] | None = None,
) -> RunSummary:
    """Clean every text file under ``paths`` into ``out_dir``; bad inputs are reported and skipped."""
    started = time.monotonic()
    options = options or CleanOptions()
    jobs = jobs or os.cpu_count() or 1
    found = discover(paths)
    out = Path(out_dir) if out_dir is not None else default_out_dir(paths)
    check_out_dir(out, paths, found.files)
    errors = [str(e) for e in found.errors]
    warnings = list(found.warnings)
    for line in errors + warnings:
        if on_error:
            on_error(line)

    outcomes: list[DocumentOutcome] = []
    progress = tqdm(total=len(found.files), unit="doc", disable=True if show_progress is False else None, leave=False)
    for item in _outcomes(found.files, options, jobs, max_bytes):
        progress.update(1)
        if isinstance(item, InputError):
            errors.append(str(item))
            if on_error:
                on_error(str(item))
            continue
        outcome, data = item
        write_atomic(out / outcome.output, data)
        outcomes.append(outcome)
        warnings.extend(outcome.warnings)
        for line in outcome.warnings:
            if on_error:
                on_error(line)
    progress.close()

    summary = RunSummary(
        outcomes=tuple(outcomes),
        errors=tuple(errors),
        warnings=tuple(warnings),
        elapsed=time.monotonic() - started,
        out_dir=str(out),
        parameters={**asdict(options), "max_bytes": max_bytes},
    )
    write_atomic(out / "report.json", report_bytes(build_report(summary)))
    return summary
