"""Matches against the persistent index as rows: which earlier document each document repeats.

The matching itself is the local engine's (:func:`dedup.index.matching.match_index`, run by
the driver a chunk of documents at a time); a match becomes one row, with the indexed
document's signature and size, that is joined onto its document's cluster for the canonical
choice, where a cluster with such a member is dropped whole
(:func:`dedup.decide.clusters.with_indexed`).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from dedup.engine.distributed.rows import text_bytes, text_of
from dedup.index.matching import IndexedMatch
from dedup.index.store import IndexedDocument, samples_bytes, samples_from_bytes, signature_bytes, signature_from_bytes
from dedup.model import RemovalKind

HIT_SCHEMA = pa.schema([
    ("pos", pa.int64()), ("ix_id", pa.binary()), ("ix_batch", pa.binary()), ("ix_sig", pa.binary()),
    ("ix_size", pa.int64()), ("ix_kind", pa.string()), ("ix_similarity", pa.float64()), ("ix_samples", pa.binary()),
])


def hit_rows(positions: np.ndarray, matches: Mapping[int, IndexedMatch]) -> pa.Table:
    """One row per match of a chunk; ``matches`` is keyed by the document's place in the chunk."""
    found = sorted(matches)
    columns = {
        "pos": [int(positions[i]) for i in found],
        "ix_id": [text_bytes(matches[i].indexed.id) for i in found],
        "ix_batch": [text_bytes(matches[i].indexed.batch) for i in found],
        "ix_sig": [signature_bytes(matches[i].indexed.signature) for i in found],
        "ix_size": [int(matches[i].indexed.size) for i in found],
        "ix_kind": [matches[i].kind.value for i in found],
        "ix_similarity": [float(matches[i].similarity) for i in found],
        "ix_samples": [samples_bytes(matches[i].indexed) for i in found],
    }
    return pa.table({name: pa.array(values, type=HIT_SCHEMA.field(name).type) for name, values in columns.items()},
                    schema=HIT_SCHEMA)


def hits_of(members: Any) -> dict[int, IndexedMatch]:
    """The matches of a frame of cluster members (joined with the hit rows, absent where none), keyed by the
    member's place in the frame: the ``indexed`` argument of ``with_indexed``."""
    if "ix_kind" not in members:
        return {}
    hits = {}
    for i, row in enumerate(members.itertuples()):
        if isinstance(row.ix_kind, str):
            samples, anchors = samples_from_bytes(row.ix_samples if isinstance(row.ix_samples, bytes) else None)
            document = IndexedDocument(text_of(row.ix_id), text_of(row.ix_batch), 0, int(row.ix_size), 0,
                                       signature_from_bytes(row.ix_sig), samples, anchors)
            hits[i] = IndexedMatch(i, document, RemovalKind(row.ix_kind), float(row.ix_similarity))
    return hits
