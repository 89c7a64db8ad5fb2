"""The ``dedup`` command: parses options, calls the library, prints a summary.

All logic lives in importable functions (``dedup.engine.local.clean_paths``); this layer
only turns options into arguments and results or user mistakes into short lines.
Exit codes: 0 all went well (warnings allowed), 1 some inputs failed (each named on
stderr) or the run could not finish (the index unreachable, an output not writable), 2
usage error, 3 internal error (a bug), 130 interrupted (Ctrl-C). No traceback reaches a
user: an unexpected exception becomes one line (``DEDUP_DEBUG=1`` shows the traceback).

Each command imports the library when it runs, and ``clean`` (whose option defaults come
from numpy-backed modules) is even built only then: ``dedup --help`` imports click alone.
"""
from __future__ import annotations

import contextlib
import inspect
import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from dedup import __version__
from dedup.errors import DedupError
from dedup.extras import MissingExtra

if TYPE_CHECKING:
    from dedup.index.store import IndexStore
    from dedup.options import RunOptions
    from dedup.outcome import RunSummary


def _warn(line: str) -> None:
    click.echo(f"dedup: {line}", err=True)


def format_summary(summary: RunSummary) -> str:
    share = 100.0 * summary.chars_removed / summary.chars_in if summary.chars_in else 0.0
    lines = [
        f"read {summary.documents} documents: {summary.cleaned} cleaned, {summary.unique} unchanged, "
        f"{summary.duplicate} duplicate ({summary.clusters} clusters"
        + (f", {summary.duplicates_of_index} of earlier batches; {summary.indexed} added to the index)" if summary.indexed or summary.duplicates_of_index else ")"),
        f"removed {summary.chars_removed:,} of {summary.chars_in:,} characters ({share:.1f}%)",
        f"{len(summary.errors)} errors, {len(summary.warnings)} warnings, {summary.elapsed:.2f} s",
        f"output: {summary.output}" + (f" (report: {summary.report})" if summary.report else ""),
    ]
    return "\n".join(lines)


class _Guarded(click.Group):
    """The command group, with the last guard against tracebacks: Ctrl-C is one line and exit 130, an
    unexpected exception one line and exit 3. Nothing is published by a run that ends this way.

    Commands registered with :meth:`lazy_command` are built on first use; the group's help lists
    them by their builder's docstring without building them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, Callable[[], click.Command]] = {}

    def lazy_command(self, build: Callable[[], click.Command]) -> Callable[[], click.Command]:
        self.lazy[build.__name__.removesuffix("_command")] = build
        return build

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            self.add_command(self.lazy[cmd_name](), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.lazy and name not in self.commands:
                rows.append((name, click.Command(name, help=inspect.getdoc(self.lazy[name])).get_short_help_str(limit)))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("dedup: interrupted; nothing of this run was published (outputs, report and index are as "
                       "they were)", err=True)
            ctx.exit(130)
        except BrokenPipeError:  # the reader of our standard output went away
            with contextlib.suppress(OSError):
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - no flush error at exit
            ctx.exit(1)
        except MissingExtra as exc:  # an optional dependency not installed, wherever a command met it
            click.echo(f"dedup: {exc}", err=True)
            ctx.exit(2)
        except Exception as exc:
            if os.environ.get("DEDUP_DEBUG"):
                traceback.print_exc()
            first = str(exc).splitlines()[0] if str(exc) else ""
            click.echo(f"dedup: internal error ({type(exc).__name__}{': ' + first if first else ''}); nothing of "
                       "this run was published. Please report it (DEDUP_DEBUG=1 shows the traceback)", err=True)
            ctx.exit(3)


@click.group(cls=_Guarded)
@click.version_option(__version__, prog_name="dedup")
def main() -> None:
    """Find and remove duplicated and near-duplicated text in scraped articles."""


@main.lazy_command
def clean_command() -> click.Command:
    """Clean the documents under PATHS (text files, JSONL, Parquet or '-') and drop duplicate documents."""
    from dedup.match.documents import CorpusOptions
    from dedup.model import CleanOptions
    from dedup.read.files import DEFAULT_MAX_BYTES
    from dedup.read.records import DEFAULT_MAX_RECORD_BYTES
    from dedup.read.sources import FORMATS
    from dedup.signatures.minhash import SCHEMES, MinHashParams

    _CLEAN, _CORPUS, _MINHASH = CleanOptions(), CorpusOptions(), MinHashParams()

    @click.command("clean", help=inspect.getdoc(clean_command))
    @click.argument("paths", nargs=-1, required=True)
    @click.option("--out", "out", help="Output folder for text files, output file for JSONL/Parquet ('-' for stdout). [default: <first input>-dedup beside it; stdout for '-']")
    @click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True, help="Input format; auto goes by extension (.txt/.md, .jsonl[.gz|.zst], .parquet; '-' is JSONL).")
    @click.option("--text-key", default="text", show_default=True, help="Field holding the text in JSONL/Parquet records.")
    @click.option("--id-key", default=None, help="Field holding the document id in records [default: file:line].")
    @click.option("--report", "report", type=click.Path(dir_okay=False), help="Where to write report.json [default: in the output folder, or <out>.report.json].")
    @click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes [default: all cores].")
    @click.option("--keep-markers", is_flag=True, help="Keep continuation markers such as ---END---.")
    @click.option("--marker", "markers", multiple=True, metavar="REGEX", help="Extra continuation-marker line pattern (repeatable).")
    @click.option("--shingle-size", type=click.IntRange(2, 32), default=_CLEAN.shingle_size, show_default=True, help="Characters per shingle inside a document.")
    @click.option("--near-threshold", type=click.FloatRange(0.0, 1.0), default=_CLEAN.near_threshold, show_default=True, help="Jaccard similarity from which two paragraphs or sentences of a document are near-duplicates.")
    @click.option("--containment-threshold", type=click.FloatRange(0.0, 1.0), default=None, help=f"Share of a paragraph (or document) found in a longer one from which it counts as contained [default: {_CLEAN.containment_threshold} for paragraphs, {_CORPUS.containment_threshold} for documents].")
    @click.option("--min-sentence-weight", type=click.IntRange(min=1), default=_CLEAN.min_sentence_weight, show_default=True, help="Size (Latin letters; a CJK character counts 2) from which a repeated sentence is removed.")
    @click.option("--min-block-weight", type=click.IntRange(min=1), default=_CLEAN.min_block_weight, show_default=True, help="Size from which a line is a paragraph that can be removed on its own.")
    @click.option("--within-only", is_flag=True, help="Only clean inside documents; do not look for duplicate documents.")
    @click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=_CORPUS.threshold, show_default=True, help="Jaccard similarity from which two documents are near-duplicates.")
    @click.option("--lsh-threshold", type=click.FloatRange(0.0, 1.0), default=None, help="Threshold the LSH bands are tuned for [default: --threshold]; lower finds more near copies (more candidates to verify).")
    @click.option("--lsh", "lsh_backend", type=click.Choice(["numpy", "datasketch"]), default=_CORPUS.lsh_backend, show_default=True, help="LSH banding as sorted numpy arrays, or datasketch's MinHashLSH object (same candidates, more memory).")
    @click.option("--keep", type=click.Choice(["longest", "first"]), default=_CORPUS.keep, show_default=True, help="Which document of a duplicate cluster is kept.")
    @click.option("--boilerplate-min-docs", type=click.IntRange(min=0), default=_CORPUS.boilerplate_min_docs, show_default=True, help="A line in this many unrelated documents (or sites) is boilerplate: cut, and left out of similarity (0: no boilerplate).")
    @click.option("--keep-boilerplate", is_flag=True, help="Leave boilerplate in the outputs (it is still left out of similarity).")
    @click.option("--site-key", default=None, help="Record field naming a document's site, for per-site boilerplate [default: the host of a 'url' field].")
    @click.option("--num-perm", type=click.IntRange(16, 1024), default=_MINHASH.num_perm, show_default=True, help="MinHash permutations.")
    @click.option("--seed", type=int, default=_MINHASH.seed, show_default=True, help="MinHash seed (as datasketch's).")
    @click.option("--scheme", type=click.Choice(SCHEMES), default=_MINHASH.scheme, show_default=True, help="MinHash permutation scheme (datasketch >= 2.0 is affine32; legacy for older sketches).")
    @click.option("--char-ngram", type=click.IntRange(1, 32), default=_MINHASH.char_ngram, show_default=True, help="Characters per shingle for CJK documents.")
    @click.option("--word-ngram", type=click.IntRange(1, 32), default=_MINHASH.word_ngram, show_default=True, help="Words per shingle for space-separated documents.")
    @click.option("--index", "index", metavar="LOCATION", help="Persistent index of earlier batches: a SQLite file, or redis://host:port/db.")
    @click.option("--batch", metavar="NAME", help="Name of this batch in the index [default: start time, UTC].")
    @click.option("--html/--no-html", default=None, help="Write report.html beside report.json [default: up to 50,000 documents].")
    @click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True, help="Run on this machine, or on a Ray cluster (the same inputs, options and outputs; JSONL/Parquet inputs give a folder of part files).")
    @click.option("--out-format", type=click.Choice(["auto", "jsonl", "parquet"]), default="auto", show_default=True, help="Part files of --engine ray: auto is Parquet when every input is Parquet, else JSONL.")
    @click.option("--ray-address", metavar="ADDRESS", help="Ray cluster to join (e.g. ray://head:10001 or auto) [default: start a local Ray].")
    @click.option("--write-duplicates", is_flag=True, help="Also write duplicate documents (to OUT/_duplicates/, or <out>.duplicates.jsonl).")
    @click.option("--max-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_BYTES, show_default=True, help="Larger input files are skipped with an error.")
    @click.option("--max-record-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_RECORD_BYTES, show_default=True, help="Larger JSONL lines and Parquet texts are skipped with an error.")
    @click.option("--quiet", "-q", is_flag=True, help="No summary, no progress bar.")
    def clean(paths, out, fmt, text_key, id_key, report, jobs, keep_markers, markers, shingle_size, near_threshold,
              containment_threshold, min_sentence_weight, min_block_weight, within_only, threshold, lsh_threshold, lsh_backend, keep,
              boilerplate_min_docs, keep_boilerplate, site_key, num_perm, seed, scheme, char_ngram, word_ngram, index, batch, html,
              engine, out_format, ray_address, write_duplicates,
              max_bytes, max_record_bytes, quiet) -> None:
        from dedup.engine.local import clean_paths
        from dedup.extras import check_run
        from dedup.index.store import IndexAccessError
        from dedup.options import RunOptions

        check_run(paths, out, fmt, index, engine)  # a missing extra: one line and exit 2 before anything is read
        clean_options = CleanOptions(
            shingle_size=shingle_size,
            near_threshold=near_threshold,
            containment_threshold=_CLEAN.containment_threshold if containment_threshold is None else containment_threshold,
            min_sentence_weight=min_sentence_weight,
            min_block_weight=min_block_weight,
            keep_markers=keep_markers,
            marker_patterns=_CLEAN.marker_patterns + tuple(markers),
        )
        corpus = None if within_only else CorpusOptions(
            threshold=threshold,
            containment_threshold=_CORPUS.containment_threshold if containment_threshold is None else containment_threshold,
            lsh_threshold=lsh_threshold,
            lsh_backend=lsh_backend,
            keep=keep,
            boilerplate_min_docs=boilerplate_min_docs,
            keep_boilerplate=keep_boilerplate,
            minhash=MinHashParams(num_perm=num_perm, seed=seed, scheme=scheme, char_ngram=char_ngram, word_ngram=word_ngram),
        )
        options = RunOptions(
            clean=clean_options, corpus=corpus, fmt=fmt, text_key=text_key, id_key=id_key, site_key=site_key, jobs=jobs,
            max_bytes=max_bytes, max_record_bytes=max_record_bytes, write_duplicates=write_duplicates, report=report, index=index, batch=batch,
            html=html, show_progress=False if quiet else None,
        )
        if engine == "local" and out_format == "parquet":
            raise click.UsageError("--out-format is for --engine ray's parts; the local engine writes Parquet when --out ends in .parquet")
        if engine == "ray":
            _clean_on_ray(paths, out, options, ray_address, out_format, quiet)
            return
        try:
            summary = clean_paths(paths, out, options, on_error=_warn)
        except IndexAccessError as exc:  # the run failed, not its options: nothing was published
            _warn(str(exc))
            sys.exit(1)
        except DedupError as exc:  # options, output locations: refused before anything was done
            _warn(str(exc))
            sys.exit(2)
        if not quiet:
            click.echo(format_summary(summary), err=summary.output == "-")
        sys.exit(summary.exit_code)

    return clean


def _clean_on_ray(
    paths: tuple[str, ...], out: str | None, options: RunOptions, address: str | None, out_format: str, quiet: bool
) -> None:
    """``--engine ray``: the same options, outputs, report, index and exit codes as the local engine."""
    from dedup.engine.ray_engine import clean_with_ray
    from dedup.index.store import IndexAccessError

    try:
        run = clean_with_ray(paths, out, options, address=address, out_format=out_format, on_error=_warn)
    except IndexAccessError as exc:  # the run failed, not its options: nothing was published
        _warn(str(exc))
        sys.exit(1)
    except DedupError as exc:  # options, output locations, Ray missing: refused before anything was done
        _warn(str(exc))
        sys.exit(2)
    if not quiet:
        click.echo(format_summary(run.summary) + (f"\n(on Ray: {len(run.parts)} part files)" if run.parts else "\n(on Ray)"))
    sys.exit(run.summary.exit_code)


@main.command()
@click.argument("out", type=click.Path(exists=True))
def recover(out: str) -> None:
    """Finish or undo a run that was interrupted while publishing to OUT (every run does this first too)."""
    from dedup.engine.session import recover_output

    try:
        lines = recover_output(out, on_error=_warn)
    except DedupError as exc:
        click.echo(f"dedup: {exc}", err=True)
        sys.exit(2 if isinstance(exc, MissingExtra) else 1)
    click.echo("\n".join(lines) if lines else f"{out}: nothing to recover")


@main.command()
@click.argument("location", type=click.Path(exists=True))
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="How many documents to list.")
@click.option("--html", "html_path", is_flag=False, flag_value="", default=None, metavar="[PATH]",
              help="Also (re)write the HTML report [default path: report.html beside report.json].")
def report(location: str, top: int, html_path: str | None) -> None:
    """Summarise a run: LOCATION is an output folder or a report.json."""
    from dedup.report.html import write_html_report
    from dedup.report.load import load_report
    from dedup.report.terminal import summary_lines, top_boilerplate, top_documents

    try:
        loaded = load_report(location)
        if html_path is not None:
            written = write_html_report(location, html_path or None)
    except DedupError as exc:
        raise click.UsageError(str(exc)) from None
    if html_path is not None:
        click.echo(f"wrote {written}")
    click.echo("\n".join(summary_lines(loaded)))
    click.echo("")
    click.echo("\n".join(top_documents(loaded, top)))
    chrome = top_boilerplate(loaded, top)
    if chrome:
        click.echo("")
        click.echo("\n".join(chrome))


@main.command()
@click.argument("location", type=click.Path(exists=True))
@click.argument("doc_id")
@click.option("--color/--no-color", default=None, help="Colour the diff [default: only on a terminal].")
@click.option("--context", "-U", type=click.IntRange(min=0), default=3, show_default=True, help="Lines of context.")
def diff(location: str, doc_id: str, color: bool | None, context: int) -> None:
    """Show what was removed from DOC_ID as a unified diff (a duplicate: against the copy kept)."""
    from dedup.report.load import document_texts, load_report
    from dedup.report.terminal import document_diff, find_document, styled

    try:
        loaded = load_report(location)
        record = find_document(loaded, doc_id)
        wanted = [record] + [d for d in loaded["documents"] if d["id"] == record["duplicate_of"]]
        texts = document_texts({**loaded, "documents": wanted})
        lines = document_diff(loaded, texts, doc_id, context)
    except DedupError as exc:
        click.echo(f"dedup: {exc}", err=True)
        sys.exit(2 if isinstance(exc, MissingExtra) else 1)
    for line in lines:
        click.echo(styled(line), color=color)


@main.group("index")
def index_group() -> None:
    """Manage a persistent index (LOCATION: a SQLite file or redis://host:port/db)."""


def _with_index(location: str, action: Callable[[IndexStore], None]) -> None:
    from dedup.index.open import open_index

    try:
        store = open_index(location, create=False)
        try:
            action(store)
        finally:
            store.close()
    except DedupError as exc:
        click.echo(f"dedup: {exc}", err=True)
        sys.exit(2 if isinstance(exc, MissingExtra) else 1)


@index_group.command("stats")
@click.argument("location")
def index_stats(location: str) -> None:
    """Documents, batches, parameters and size of the index."""
    _with_index(location, lambda store: click.echo(json.dumps(store.stats(), ensure_ascii=False, indent=1)))


@index_group.command("export")
@click.argument("location")
def index_export(location: str) -> None:
    """Every indexed document as JSONL (id, batch, chars, size, signature in hex) on stdout."""

    from dedup.index.store import signature_bytes

    def export(store: IndexStore) -> None:
        for doc in store.export():
            record = {"id": doc.id, "batch": doc.batch, "chars": doc.chars, "size": doc.size,
                      "signature": signature_bytes(doc.signature).hex()}
            click.echo(json.dumps(record, ensure_ascii=False))

    _with_index(location, export)


@index_group.command("remove")
@click.argument("location")
@click.argument("doc_id")
def index_remove(location: str, doc_id: str) -> None:
    """Forget a document, so a later copy of it is kept again."""

    from dedup.report.load import ReportError

    def remove(store: IndexStore) -> None:
        with store.lock():
            removed = store.remove(doc_id)
        if not removed:
            raise ReportError(f"{location}: no document {doc_id!r} in the index")
        click.echo(f"removed {removed} entr{'y' if removed == 1 else 'ies'} for {doc_id}")

    _with_index(location, remove)


@index_group.command("compact")
@click.argument("location")
def index_compact(location: str) -> None:
    """Reclaim the space left by removed documents."""

    def compact(store: IndexStore) -> None:
        with store.lock():
            store.compact()
        click.echo(f"compacted {location}")

    _with_index(location, compact)


if __name__ == "__main__":
    main()
