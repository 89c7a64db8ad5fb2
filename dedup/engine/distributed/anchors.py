"""Documents inside longer ones of the same batch, for the distributed path: the local anchors, as rows.

One machine (:func:`dedup.match.containment.containment_candidates`) follows each
document's rarest samples to the documents that hold them. Here the samples travel as
(value, pos, size, anchors) rows and three group-bys do the same:

1. by a bucket of the value: every holder of a value is in one call, which counts them
   (the value's rarity) and keeps the samples worth following (shared, not chrome, of a
   document with enough samples);
2. by a bucket of the position: each document's ``rule.anchors`` rarest of them (ties to
   the smaller value) become its anchor rows, with their number;
3. by a bucket of the value again, anchor rows with every holder's row (``anchors`` 0):
   each anchor gives (inner, outer) for the holders that are not smaller;

then the pairs are counted by a pair bucket and kept where the outer document holds
``rule.min_anchor_hits`` anchors of the inner one (all of them if it has fewer). Only the
first document of each exact key takes part, as on one machine.
"""
from __future__ import annotations

import numpy as np

from dedup.engine.distributed.rows import NO_ERROR, samples_of_rows
from dedup.match import containment
from dedup.match.containment import ContainmentRule

_COLUMNS = ("value", "pos", "size", "anchors")


def sample_rows(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A holder row (value, pos, size, anchors 0) per sample of each live document of a block, and the
    document's number of samples (``count``)."""
    live = (batch["error"] == NO_ERROR) & (batch["size"] > 0)
    samples = samples_of_rows(batch["samples"][live])
    counts, values = samples.counts(), samples.values.astype(np.int64)
    return {
        "value": values, "pos": np.repeat(batch["pos"][live].astype(np.int64), counts),
        "size": np.repeat(batch["size"][live].astype(np.int64), counts), "anchors": np.zeros(len(values), dtype=np.int64),
        "count": np.repeat(counts, counts),
    }


def followed_samples(group: dict[str, np.ndarray], rule: ContainmentRule) -> dict[str, np.ndarray]:
    """The samples of a bucket of holder rows that are worth following, with their rarity (holders)."""
    value, pos, size, count = (np.asarray(group[c], dtype=np.int64) for c in ("value", "pos", "size", "count"))
    rarity, follow = containment.followed_samples(value, count, rule)
    return {"value": value[follow], "pos": pos[follow], "size": size[follow], "rarity": rarity[follow]}


def anchor_rows(group: dict[str, np.ndarray], rule: ContainmentRule) -> dict[str, np.ndarray]:
    """Each document's ``rule.anchors`` rarest followed samples (ties to the smaller value), with their number."""
    value, pos, size, rarity = (np.asarray(group[c], dtype=np.int64) for c in ("value", "pos", "size", "rarity"))
    documents, first = np.unique(pos, return_index=True)
    sizes = size[first]  # one size a document
    pos, value, _ = containment.rarest_samples(pos, value, rarity, rule.anchors)
    at = np.searchsorted(documents, pos)
    return {"value": value, "pos": pos, "size": sizes[at], "anchors": np.bincount(at, minlength=len(documents))[at]}


def anchored_pairs(group: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """(inner, outer, anchors of inner) for each anchor row of a bucket and each holder of its value that is not
    smaller (larger, or as large and later)."""
    value, pos, size, anchors = (np.asarray(group[c], dtype=np.int64) for c in _COLUMNS)
    holder = anchors == 0
    inner, outer, count = containment.anchor_holders(value[~holder], pos[~holder], size[~holder], anchors[~holder],
                                                     value[holder], pos[holder], size[holder])
    return {"inner": inner, "outer": outer, "anchors": count}


def held_pairs(group: dict[str, np.ndarray], rule: ContainmentRule) -> dict[str, np.ndarray]:
    """Candidate pairs (a < b, ``exact`` 0) of a pair bucket: the outer document holds enough of the inner's anchors."""
    inner, outer, anchors = (np.asarray(group[c], dtype=np.int64) for c in ("inner", "outer", "anchors"))
    first, second = containment.held_by_enough(inner, outer, anchors, rule)
    return {"a": np.minimum(first, second), "b": np.maximum(first, second), "exact": np.zeros(len(first), dtype=np.int8)}
