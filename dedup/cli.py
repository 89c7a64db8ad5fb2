"""The ``dedup`` command: parses options, calls the library, prints a summary.

All logic lives in importable functions (``dedup.engine.local.clean_paths``); this layer
only turns options into arguments and results or user mistakes into short lines.
Exit codes: 0 all went well, 1 some inputs failed (each named on stderr), 2 usage error.
"""
from __future__ import annotations

import sys

import click

from dedup import __version__
from dedup.engine.local import clean_paths
from dedup.errors import DedupError
from dedup.model import CleanOptions
from dedup.outcome import RunSummary
from dedup.read.files import DEFAULT_MAX_BYTES

_DEFAULTS = CleanOptions()


def _warn(line: str) -> None:
    click.echo(f"dedup: {line}", err=True)


def format_summary(summary: RunSummary) -> str:
    share = 100.0 * summary.chars_removed / summary.chars_in if summary.chars_in else 0.0
    return "\n".join(
        [
            f"read {len(summary.outcomes)} documents: {summary.count('cleaned')} cleaned, "
            f"{summary.count('unique')} unchanged, {summary.count('duplicate')} duplicate",
            f"removed {summary.chars_removed:,} of {summary.chars_in:,} characters ({share:.1f}%)",
            f"{len(summary.errors)} errors, {len(summary.warnings)} warnings, {summary.elapsed:.2f} s",
            f"output: {summary.out_dir} (report: {summary.out_dir}/report.json)",
        ]
    )


@click.group()
@click.version_option(__version__, prog_name="dedup")
def main() -> None:
    """Find and remove duplicated and near-duplicated text in scraped articles."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Output folder [default: <first input>-dedup beside it].")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes [default: all cores].")
@click.option("--keep-markers", is_flag=True, help="Keep continuation markers such as ---END---.")
@click.option("--marker", "markers", multiple=True, metavar="REGEX", help="Extra continuation-marker line pattern (repeatable).")
@click.option("--shingle-size", type=click.IntRange(2, 32), default=_DEFAULTS.shingle_size, show_default=True, help="Characters per shingle.")
@click.option("--near-threshold", type=click.FloatRange(0.0, 1.0), default=_DEFAULTS.near_threshold, show_default=True, help="Jaccard similarity from which two paragraphs or sentences are near-duplicates.")
@click.option("--containment-threshold", type=click.FloatRange(0.0, 1.0), default=_DEFAULTS.containment_threshold, show_default=True, help="Share of a paragraph found in a longer one from which it counts as contained.")
@click.option("--min-sentence-weight", type=click.IntRange(min=1), default=_DEFAULTS.min_sentence_weight, show_default=True, help="Size (Latin letters; a CJK character counts 2) from which a repeated sentence is removed.")
@click.option("--min-block-weight", type=click.IntRange(min=1), default=_DEFAULTS.min_block_weight, show_default=True, help="Size from which a line is a paragraph that can be removed on its own.")
@click.option("--max-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_BYTES, show_default=True, help="Larger input files are skipped with an error.")
@click.option("--quiet", "-q", is_flag=True, help="No summary, no progress bar.")
def clean(paths, out_dir, jobs, keep_markers, markers, shingle_size, near_threshold, containment_threshold,
          min_sentence_weight, min_block_weight, max_bytes, quiet) -> None:
    """Clean the .txt/.md files under PATHS and write them, with report.json, to --out."""
    options = CleanOptions(
        shingle_size=shingle_size,
        near_threshold=near_threshold,
        containment_threshold=containment_threshold,
        min_sentence_weight=min_sentence_weight,
        min_block_weight=min_block_weight,
        keep_markers=keep_markers,
        marker_patterns=_DEFAULTS.marker_patterns + tuple(markers),
    )
    try:
        summary = clean_paths(
            paths, out_dir, options, jobs=jobs, max_bytes=max_bytes,
            show_progress=False if quiet else None, on_error=_warn,
        )
    except DedupError as exc:
        raise click.UsageError(str(exc)) from None
    if not quiet:
        click.echo(format_summary(summary))
    sys.exit(summary.exit_code)


if __name__ == "__main__":
    main()
