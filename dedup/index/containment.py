"""Containment across batches: the stored documents a batch document may lie inside, or may hold, and
what the index stores of a kept document for that.

Inside a batch, candidates come from each document's rarest samples
(:mod:`dedup.match.containment`). An index keeps, per stored document, postings of its
coarse samples (one sample in :data:`dedup.signatures.samples.COARSE`, so the index grows by
a fraction of the samples, not by all of them) and of its anchors: its rarest coarse
samples in the batch it came with. A batch document may then lie inside a stored one that
holds one of its own anchors, or hold a stored one whose anchor is among its coarse
samples; both are verified on the samples like any candidate
(:func:`dedup.match.documents.relate`).
"""
from __future__ import annotations

import numpy as np

from collections.abc import Sequence

from dedup.index.store import ANCHOR_BAND, COARSE_BAND, IndexedDocument, IndexStore
from dedup.match.containment import anchors_of
from dedup.match.documents import CorpusOptions
from dedup.signatures.minhash import Sketches
from dedup.signatures.samples import coarse_cut

_NONE = np.empty(0, dtype=np.uint32)


def index_anchors(sketches: Sketches, options: CorpusOptions) -> list[np.ndarray]:
    """Each document's anchors for the index: its rarest coarse samples in the batch, its own ones included."""
    samples = sketches.samples
    if samples is None:
        return [_NONE] * len(sketches.sizes)
    live = np.asarray(sketches.sizes) > 0
    owner, value = anchors_of(samples, live, options.containment_rule, shared_only=False,
                              below=coarse_cut(options.minhash.sample_scale))
    bounds = np.searchsorted(owner, np.arange(len(samples) + 1))
    return [value[bounds[d] : bounds[d + 1]] for d in range(len(samples))]


def stored_candidates(store: IndexStore, sketches: Sketches, options: CorpusOptions) -> list[set[int]]:
    """For each batch document, the stored documents it may lie inside or hold."""
    samples = sketches.samples
    if samples is None:
        return [set() for _ in range(len(sketches.sizes))]
    cut = coarse_cut(options.minhash.sample_scale)
    inside = store.holders(COARSE_BAND, index_anchors(sketches, options))
    coarse = [samples.of(d)[samples.of(d) < cut] if sketches.sizes[d] > 0 else _NONE for d in range(len(samples))]
    holding = store.holders(ANCHOR_BAND, coarse)
    return [a | b for a, b in zip(inside, holding)]


def indexed_documents(
    ids: Sequence[str], chars: Sequence[int], sketches: Sketches, kept: Sequence[int], batch: str,
    options: CorpusOptions,
) -> list[IndexedDocument]:
    """The kept documents of a batch as the index stores them, with anchors chosen among the kept ones."""
    stored = sketches.take(kept)
    anchors = index_anchors(stored, options)
    keys = stored.exact_keys.view("int64")
    return [
        IndexedDocument(ids[p], batch, chars[p], int(stored.sizes[row]), int(keys[row]), stored.signatures[row],
                        stored.samples_of(row), anchors[row])
        for row, p in enumerate(kept)
    ]
