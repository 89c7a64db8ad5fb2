"""The corpus stage: which documents repeat which, and which copy is kept, as pure functions.

sketches → exact keys, LSH candidates and containment candidates → verified relations → clusters (connected
components) → canonical choice → each document's outcome. No I/O here: an engine reads
and sketches the documents, asks the index (if any) which earlier documents they repeat,
and calls :func:`deduplicate`; the Ray engine distributes the same steps
(:mod:`dedup.engine.distributed` calls the functions this module calls).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar
from dataclasses import dataclass, field

import numpy as np

from dedup.decide.boilerplate import (
    CHUNK_DOCUMENTS, Boilerplate, BoilerplateRule, Votes, boilerplate_of, count_votes, flattened,
)
from dedup.decide.clusters import Cluster, Duplicate, build_clusters, with_indexed
from dedup.match.documents import CorpusOptions, exact_matches, near_matches
from dedup.index.matching import IndexedMatch
from dedup.signatures.minhash import Sketches
from dedup.write.records import Outcome


@dataclass(frozen=True)
class CorpusResult:
    """The clusters of this batch (in order of their first member) and every duplicate, by position."""

    clusters: tuple[Cluster, ...] = ()
    duplicate_of: Mapping[int, Duplicate | IndexedMatch] = field(default_factory=dict)


def deduplicate(
    sketches: Sketches, cleaned_chars: Sequence[int], options: CorpusOptions,
    indexed: Mapping[int, IndexedMatch] | None = None,
) -> CorpusResult:
    """Cluster the batch's documents and choose the kept one of each cluster.

    ``indexed`` gives the documents that repeat a document of an earlier batch (from
    :func:`dedup.index.matching.match_index`): a cluster with such a member is dropped whole.
    """
    keys = sketches.exact_keys.tolist()
    sizes = sketches.sizes.tolist()
    clusters: list[Cluster] = []
    if len(keys) > 1:
        matches = exact_matches(keys, sizes) + near_matches(sketches.signatures, sizes, keys, options, sketches.samples)
        clusters = build_clusters(matches, cleaned_chars, keys, sketches.signatures, sizes, options, sketches.samples)
    duplicate_of = with_indexed(clusters, indexed or {}, sketches.signatures, sizes, options, sketches.samples)
    return CorpusResult(tuple(clusters), duplicate_of)


def outcome(position: int, ids: Sequence[str], removals: Sequence[int], result: CorpusResult) -> Outcome:
    """What the report says of document ``position``: kept (unique or cleaned) or a duplicate of which."""
    duplicate = result.duplicate_of.get(position)
    if duplicate is None:
        return Outcome.kept(removals[position])
    if isinstance(duplicate, IndexedMatch):
        return Outcome("duplicate", duplicate.indexed.id, duplicate.indexed.batch, duplicate.similarity,
                       duplicate.kind.value)
    return Outcome("duplicate", ids[duplicate.canonical], None, duplicate.similarity, duplicate.kind.value)


Holder = TypeVar("Holder")  # what names a document that has a line: its id, or its position


def boilerplate_votes(line_keys: Sequence[np.ndarray], sites: Sequence[int], result: CorpusResult) -> Votes:
    """The batch's votes: one per line per duplicate cluster (a document alone is its own), on the site of the
    cluster's first document; a cluster that repeats an earlier batch does not vote again."""
    units = np.arange(len(line_keys), dtype=np.int64)
    for cluster in result.clusters:
        units[list(cluster.members)] = cluster.canonical
    voting = np.ones(len(line_keys), dtype=bool)
    for position, duplicate in result.duplicate_of.items():
        if isinstance(duplicate, IndexedMatch):
            voting[position] = False
    return count_votes(line_keys, units, np.asarray(sites, dtype=np.int64), voting)


def decide_boilerplate(
    line_keys: Sequence[np.ndarray], ids: Sequence[str], votes: Votes, rule: BoilerplateRule,
    earlier: Votes | None = None,
) -> Boilerplate:
    """The lines that are boilerplate given this batch's votes and those of earlier batches."""
    everywhere, on_site, documents = flagged_lines(votes, rule, earlier)
    if not documents:
        return Boilerplate.none()
    return Boilerplate(everywhere, on_site, documents, first_holders(np.fromiter(documents, dtype=np.int64),
                                                                     line_keys, ids))


def flagged_lines(
    votes: Votes, rule: BoilerplateRule, earlier: Votes | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
    """(keys boilerplate everywhere, (key, site) pairs boilerplate on their site, the number of unrelated documents
    of each such key) given this batch's votes and those of earlier batches."""
    total = votes if earlier is None else votes.plus(earlier)
    everywhere, on_site = boilerplate_of(total, rule)
    if not len(everywhere) and not len(on_site):
        return everywhere, on_site, {}
    flagged = np.union1d(everywhere, on_site[:, 0])
    keys, inverse = np.unique(total.key, return_inverse=True)
    units = np.bincount(inverse.ravel(), weights=total.units).astype(np.int64)
    return everywhere, on_site, dict(zip(flagged.tolist(), units[np.searchsorted(keys, flagged)].tolist()))


def first_holders(flagged: np.ndarray, line_keys: Sequence[np.ndarray], ids: Sequence[Holder]) -> dict[int, tuple[Holder, ...]]:
    """The first two documents of the batch (in its order) that have each flagged key: the report's "seen in"."""
    seen_in: dict[int, tuple[Holder, ...]] = {}
    for at in range(0, len(line_keys), CHUNK_DOCUMENTS):
        keys, owner = flattened(line_keys[at : at + CHUNK_DOCUMENTS])
        found = np.isin(keys, flagged)
        for key, position in zip(keys[found].tolist(), (owner[found] + at).tolist()):
            holders = seen_in.setdefault(key, ())
            if len(holders) < 2:
                seen_in[key] = (*holders, ids[position])
    return seen_in
