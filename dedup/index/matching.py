"""Match a batch against the persistent index of earlier batches.

Candidates share a band key or an anchor (:mod:`dedup.index.containment`) with a stored
document. The same verification as inside a batch (:func:`dedup.match.documents.relate`)
decides, so an indexed copy counts exactly when an in-batch copy would. An exact key match
wins; otherwise the most similar verified candidate.
"""
from __future__ import annotations

from dataclasses import dataclass

from dedup.index.bands import IndexParams
from dedup.index.containment import stored_candidates
from dedup.index.store import IndexedDocument, IndexStore
from dedup.match.documents import CorpusOptions, relate
from dedup.match.lsh import band_keys
from dedup.model import RemovalKind
from dedup.signatures.minhash import Sketches


@dataclass(frozen=True)
class IndexedMatch:
    """Batch document ``position`` repeats ``indexed``, stored by an earlier batch."""

    position: int
    indexed: IndexedDocument
    kind: RemovalKind
    similarity: float


def match_index(
    store: IndexStore, params: IndexParams, sketches: Sketches, options: CorpusOptions, before: int | None = None
) -> dict[int, IndexedMatch]:
    """The indexed document each batch document repeats, among documents numbered below ``before`` if given.

    ``before`` is how a re-run of a batch already in the index sees the index as it was
    before that batch: the same matches as the first time, never "a duplicate of itself".
    """
    keys = sketches.exact_keys.view("int64").tolist()
    exact = store.exact(keys)
    candidates = store.candidates(band_keys(sketches.signatures, params))
    candidates = [found | more for found, more in zip(candidates, stored_candidates(store, sketches, options))]
    if before is not None:
        exact = [n if n is not None and n < before else None for n in exact]
        candidates = [{n for n in found if n < before} for found in candidates]
    wanted = {n for found in candidates for n in found} | {n for n in exact if n is not None}
    stored = store.fetch(sorted(wanted))
    matches: dict[int, IndexedMatch] = {}
    for position, (same, found) in enumerate(zip(exact, candidates)):
        if sketches.sizes[position] == 0:
            continue
        if same is not None and same in stored:
            matches[position] = IndexedMatch(position, stored[same], RemovalKind.EXACT, 1.0)
            continue
        best = None
        for number in found:
            doc = stored.get(number)
            if doc is None:
                continue
            relation = relate(sketches.signatures[position], doc.signature, int(sketches.sizes[position]), doc.size, options,
                              sketches.samples_of(position), doc.samples)
            if relation is not None and (best is None or relation[1] > best.similarity):
                best = IndexedMatch(position, doc, *relation)
        if best is not None:
            matches[position] = best
    return matches
