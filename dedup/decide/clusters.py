"""Clusters of duplicate documents, and which member of each is kept.

Clusters are the connected components of the verified pairs (scipy's union-find style
``connected_components`` on a sparse graph: vectorised, no Python loop per edge). One
canonical document per cluster is kept: by default the most complete, i.e. the longest
cleaned text, ties going to the earliest input (``keep="longest"``); or the earliest
(``keep="first"``). Every other member is a duplicate of the canonical one, with its own
similarity to it (not to whichever member linked it into the cluster).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dedup.index.matching import IndexedMatch
from dedup.match.documents import CorpusOptions, DocumentMatch, estimated_jaccard, relate, relation
from dedup.model import RemovalKind
from dedup.signatures.samples import Samples


@dataclass(frozen=True)
class Duplicate:
    """Document ``position`` is a duplicate of document ``canonical``."""

    position: int
    canonical: int
    kind: RemovalKind
    similarity: float


@dataclass(frozen=True)
class Cluster:
    canonical: int
    duplicates: tuple[Duplicate, ...]

    @property
    def members(self) -> tuple[int, ...]:
        return (self.canonical, *sorted(d.position for d in self.duplicates))


def components(n_documents: int, matches: Sequence[DocumentMatch]) -> np.ndarray:
    """Component label of every document under the matches."""
    if not matches:
        return np.arange(n_documents)
    rows = np.fromiter((m.first for m in matches), dtype=np.int64, count=len(matches))
    cols = np.fromiter((m.second for m in matches), dtype=np.int64, count=len(matches))
    graph = coo_matrix((np.ones(len(matches), dtype=np.int8), (rows, cols)), shape=(n_documents, n_documents))
    return connected_components(graph, directed=False)[1]


def build_clusters(
    matches: Sequence[DocumentMatch],
    lengths: Sequence[int],
    exact_keys: Sequence[int],
    signatures: np.ndarray,
    sizes: Sequence[int],
    options: CorpusOptions,
    samples: Samples | None = None,
) -> list[Cluster]:
    """Clusters of two or more documents, in order of their first member."""
    labels = components(len(lengths), matches)
    members_of: dict[int, list[int]] = {}
    for position in np.flatnonzero(np.bincount(labels)[labels] > 1):
        members_of.setdefault(int(labels[position]), []).append(int(position))
    clusters = []
    for members in members_of.values():
        canonical = choose_canonical(members, lengths, options.keep)
        duplicates = tuple(
            relation_to(p, canonical, exact_keys, signatures, sizes, options, samples) for p in members if p != canonical
        )
        clusters.append(Cluster(canonical, duplicates))
    return sorted(clusters, key=lambda c: min(c.members))


def choose_canonical(members: Sequence[int], lengths: Sequence[int], keep: str) -> int:
    if keep == "first":
        return min(members)
    return min(members, key=lambda p: (-lengths[p], p))


def relation_to(
    position: int, canonical: int, exact_keys: Sequence[int], signatures: np.ndarray, sizes: Sequence[int],
    options: CorpusOptions, samples: Samples | None = None,
) -> Duplicate:
    """How ``position`` relates to its cluster's canonical document (members joined through a chain may be less alike)."""
    if exact_keys[position] == exact_keys[canonical]:
        return Duplicate(position, canonical, RemovalKind.EXACT, 1.0)
    found = relation(position, canonical, signatures, sizes, options, samples)
    if found is None:
        found = RemovalKind.NEAR, round(estimated_jaccard(signatures[position], signatures[canonical]), 4)
    return Duplicate(position, canonical, *found)


def with_indexed(
    clusters: Sequence[Cluster], indexed: Mapping[int, IndexedMatch], signatures: np.ndarray, sizes: Sequence[int],
    options: CorpusOptions, samples: Samples | None = None,
) -> dict[int, Duplicate | IndexedMatch]:
    """Every duplicate of the batch: a copy of an earlier batch wins over any copy in this one.

    When one member of a cluster repeats an indexed document, the whole cluster does:
    each member becomes a duplicate of that earlier document, none of them is kept.
    """
    duplicates: dict[int, Duplicate | IndexedMatch] = {d.position: d for c in clusters for d in c.duplicates}
    for cluster in clusters:
        hits = [indexed[m] for m in cluster.members if m in indexed]
        if not hits:
            continue
        best = max(hits, key=lambda h: h.similarity)
        for member in cluster.members:
            if member in indexed:
                continue
            found = relate(
                signatures[member], best.indexed.signature, sizes[member], best.indexed.size, options,
                None if samples is None else samples.of(member), best.indexed.samples,
            )
            if found is None:
                found = RemovalKind.NEAR, round(estimated_jaccard(signatures[member], best.indexed.signature), 4)
            duplicates[member] = IndexedMatch(member, best.indexed, *found)
    duplicates.update(indexed)
    return duplicates
