"""The library: deduplicate documents held in memory, and keep a persistent index of earlier batches.

For pipelines written in Python (datatrove, Hugging Face ``datasets``, one's own code):
documents in, results out, with the same cleaning, clustering and report records as
``dedup clean``. No files are read or written here, except the index's own.

>>> from dedup.api import deduplicate
>>> results = list(deduplicate(["A story about the harbour and its old fish market.",
...                             "A story about the harbour and its old fish market."]))
>>> [r.status for r in results]
['unique', 'duplicate']
"""
from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from dedup.corpus import CorpusResult, boilerplate_votes, decide_boilerplate, deduplicate as cluster_batch, outcome
from dedup.decide.boilerplate import Boilerplate, Votes, countable_keys, cut_boilerplate, site_key, site_of_record
from dedup.engine.process import clean_one
from dedup.errors import UsageError
from dedup.index.bands import IndexParams
from dedup.match.lsh import band_keys
from dedup.index.matching import IndexedMatch, match_index
from dedup.index.open import check_params, open_index
from dedup.index.containment import indexed_documents, stored_candidates
from dedup.index.store import BatchRecord, IndexStore, batch_digest
from dedup.match.documents import CorpusOptions, relate
from dedup.model import CleanResult, Removal, RemovalKind
from dedup.options import RunOptions, check_options
from dedup.read.document import Document
from dedup.signatures.minhash import Sketches, sketch
from dedup.write.records import dedup_field, document_record
from dedup.write.report_json import with_boilerplate

__all__ = ["DocumentResult", "Index", "IndexHit", "deduplicate"]
_BATCH = 256


@dataclass(frozen=True)
class DocumentResult:
    """One document after cleaning and deduplication.

    ``text`` is the cleaned text (for a duplicate too, so it can be inspected); ``kept`` says
    whether it belongs in the output. ``record`` is the mapping given, if one was; ``report``
    is its record as report.json would hold it, and :meth:`dedup_field` the field a JSONL
    output gets.
    """

    id: str
    text: str
    status: str
    duplicate_of: str | None
    duplicate_of_batch: str | None
    similarity: float | None
    duplicate_kind: str | None
    removed: tuple[Removal, ...]
    report: dict[str, Any]
    record: Mapping[str, Any] | None = None

    @property
    def kept(self) -> bool:
        return self.status != "duplicate"

    def dedup_field(self) -> dict[str, Any]:
        return dedup_field(self.report)


@dataclass(frozen=True)
class IndexHit:
    """An earlier document that a queried text repeats."""

    id: str
    batch: str
    kind: str  # exact | near | contained
    similarity: float


def deduplicate(
    documents: Iterable[str | Mapping[str, Any]], options: RunOptions | None = None, *, index: Index | None = None,
    batch: str | None = None,
) -> Iterator[DocumentResult]:
    """Clean each document and drop those that repeat another (or, with ``index``, an earlier batch).

    ``documents`` are texts (ids ``0``, ``1`` …) or mappings holding the text under
    ``options.text_key`` and, if ``options.id_key`` is set, the id. Cleaning runs as the
    documents arrive, a few hundred at a time; which copy of a cluster is kept can only be
    known once all are in, so results come out, in input order, after the last document.
    Memory holds the cleaned texts of the batch. With ``index``, the batch is matched against
    it and its kept documents are added under ``batch`` (a re-run of a batch the index holds
    adds nothing and gives the same results).
    """
    options = check_options(options or RunOptions())
    corpus = options.corpus or CorpusOptions()
    minhash = corpus.minhash
    seen: set[str] = set()
    ids: list[str] = []
    records: list[Mapping[str, Any] | None] = []
    bases: list[dict[str, Any]] = []
    results: list[CleanResult] = []
    sketches: list[Sketches] = []
    pending: list[str] = []
    rule = corpus.boilerplate_rule if options.corpus is not None else None
    keys: list[np.ndarray] = []  # each document's line keys, made while its blocks are at hand

    def flush() -> None:
        sketches.append(sketch(pending, minhash))
        pending.clear()

    for number, item in enumerate(documents):
        doc = _document(item, number, options, seen)
        seen.add(doc.id)
        cleaned, base, blocks = clean_one(doc, options.clean)
        if rule is not None:
            keys.append(countable_keys(cleaned.text, rule, blocks))
        ids.append(doc.id)
        records.append(item if isinstance(item, Mapping) else None)
        bases.append(base)
        results.append(cleaned)
        pending.append(cleaned.text)
        if len(pending) >= _BATCH:
            flush()
    if pending:
        flush()
    if not ids:
        return
    joined = Sketches.join(sketches)
    lengths = [len(r.text) for r in results]
    decided_batch = CorpusResult()
    sites = [site_key(site_of_record(r, options.site_key)) for r in records]
    if options.corpus is not None:
        name = batch_name(batch)
        with index.store.lock() if index is not None else contextlib.nullcontext():
            matches = index.matches(joined, name) if index is not None else None
            decided_batch = cluster_batch(joined, lengths, corpus, matches)
            votes = Votes.none()
            if rule is not None:
                votes = boilerplate_votes(keys, sites, decided_batch)
                earlier = index.store.votes(np.unique(np.concatenate(keys)), index.before(name)) if index is not None else None
                boilerplate = decide_boilerplate(keys, ids, votes, rule, earlier)
                if boilerplate:
                    joined = _without_boilerplate(joined, results, bases, ids, sites, boilerplate, corpus)
                    lengths = [len(r.text) for r in results]
                    matches = index.matches(joined, name) if index is not None else None
                    decided_batch = cluster_batch(joined, lengths, corpus, matches)
            if index is not None:
                index.add_batch(ids, lengths, joined, decided_batch, name, votes)
    counts = [len(r.removals) for r in results]
    for position, doc_id in enumerate(ids):
        decided = outcome(position, ids, counts, decided_batch)
        report = document_record(bases[position], decided, lengths[position])
        yield DocumentResult(doc_id, results[position].text, decided.status, decided.duplicate_of,
                             decided.duplicate_of_batch, decided.similarity, decided.duplicate_kind,
                             results[position].removals, report, records[position])


def _without_boilerplate(
    sketches: Sketches, results: list[CleanResult], bases: list[dict[str, Any]], ids: list[str], sites: list[int],
    boilerplate: Boilerplate, corpus: CorpusOptions,
) -> Sketches:
    """Sketch the documents with boilerplate again without it and, unless it is kept, cut it from their results and
    report records (in place); the new sketches of the batch."""
    rule = corpus.boilerplate_rule
    assert rule is not None
    changed, texts = [], []
    for position, result in enumerate(results):
        removed = [(r.start, r.end) for r in result.removals]
        text, cuts = cut_boilerplate(result.text, sites[position], boilerplate, removed, rule)
        if not cuts:
            continue
        changed.append(position)
        texts.append(text)
        if corpus.keep_boilerplate:
            continue
        cut_removals = [Removal(c.original_start, c.original_end, RemovalKind.BOILERPLATE, "block", 1.0) for c in cuts]
        results[position] = CleanResult(text, tuple(sorted((*result.removals, *cut_removals), key=lambda r: r.start)))
        bases[position]["removed"] = with_boilerplate(bases[position]["removed"], cuts, boilerplate, ids[position])
    if not changed:
        return sketches
    return sketches.replaced(changed, sketch(texts, corpus.minhash))


def batch_name(batch: str | None) -> str:
    return batch or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _document(item: str | Mapping[str, Any], number: int, options: RunOptions, taken: set[str]) -> Document:
    text: object
    if isinstance(item, str):
        doc_id, text = str(number), item
    elif isinstance(item, Mapping):
        text = item.get(options.text_key)
        if not isinstance(text, str):
            raise UsageError(f"document {number}: no text under {options.text_key!r}")
        doc_id = str(item[options.id_key]) if options.id_key and item.get(options.id_key) is not None else str(number)
    else:
        raise UsageError(f"document {number}: expected a text or a mapping, got {type(item).__name__}")
    if doc_id in taken:
        suffix = 2
        while f"{doc_id}#{suffix}" in taken:
            suffix += 1
        doc_id = f"{doc_id}#{suffix}"
    return Document(doc_id, text, f"document {number}")


class Index:
    """A persistent index of earlier batches (SQLite file or ``redis://``), for incremental use from Python.

    >>> with Index("seen.sqlite") as seen:                           # doctest: +SKIP
    ...     kept = [r for r in deduplicate(day1, index=seen, batch="day1") if r.kept]
    ...     seen.query("a text")                                      # the earlier documents it repeats
    """

    def __init__(self, location: str, options: CorpusOptions | None = None) -> None:
        self.options = options or CorpusOptions()
        check_options(RunOptions(corpus=self.options))
        self.params = IndexParams.from_options(self.options)
        self.store: IndexStore = open_index(location)
        try:
            check_params(self.store, self.params)
        except BaseException:
            self.store.close()
            raise

    def query(self, text: str) -> list[IndexHit]:
        """Every indexed document that ``text`` (cleaned as given) repeats, most similar first."""
        made = sketch([text], self.options.minhash)
        if int(made.sizes[0]) == 0:
            return []
        exact = self.store.exact([int(made.exact_keys.view("int64")[0])])[0]
        found = self.store.candidates(band_keys(made.signatures, self.params))[0] | ({exact} if exact is not None else set())
        found |= stored_candidates(self.store, made, self.options)[0]
        hits = []
        for number, doc in self.store.fetch(sorted(found)).items():
            if number == exact:
                hits.append(IndexHit(doc.id, doc.batch, "exact", 1.0))
                continue
            relation = relate(made.signatures[0], doc.signature, int(made.sizes[0]), doc.size, self.options,
                              made.samples_of(0), doc.samples)
            if relation is not None:
                hits.append(IndexHit(doc.id, doc.batch, relation[0].value, relation[1]))
        return sorted(hits, key=lambda h: -h.similarity)

    def matches(self, sketches: Sketches, batch: str) -> dict[int, IndexedMatch]:
        """What each document of a batch repeats in the index (before the batch itself, for a re-run)."""
        return match_index(self.store, self.params, sketches, self.options, self.before(batch))

    def before(self, batch: str) -> int | None:
        """For a batch the index holds already (a re-run), the number of its first document: it is matched
        against the index as it was before it."""
        record = self.store.batch_records().get(batch)
        return record.first if record is not None else None

    def add_batch(
        self, ids: list[str], lengths: list[int], sketches: Sketches, result: CorpusResult, batch: str,
        votes: Votes | None = None,
    ) -> int:
        """Add the kept documents of a batch and its boilerplate votes (nothing if the index holds this batch
        already); how many documents."""
        if batch in self.store.batch_records():
            return 0
        kept = [p for p in range(len(ids)) if p not in result.duplicate_of]
        documents = indexed_documents(ids, lengths, sketches, kept, batch, self.options)
        record = BatchRecord(batch, batch_digest(ids, [k.tobytes() for k in sketches.exact_keys]), uuid.uuid4().hex[:8], 0,
                             len(documents), 0.0)
        self.store.add(documents, band_keys(sketches.signatures[kept], self.params), self.params.as_dict(), record, votes)
        return len(documents)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
