"""The corpus stage: which documents repeat which, and which copy is kept, as pure functions.

sketches → exact keys, LSH candidates and containment candidates → verified relations → clusters (connected
components) → canonical choice → each document's outcome. No I/O here: an engine reads
and sketches the documents, asks the index (if any) which earlier documents they repeat,
and calls :func:`deduplicate`; the Ray engine distributes the same steps
(:mod:`dedup.engine.distributed` calls the functions this module calls).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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
