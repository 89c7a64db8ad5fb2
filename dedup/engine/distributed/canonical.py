"""The kept document of each cluster and every other member's relation to it, per bucket of components.

The rules are the single-machine ones: ``choose_canonical`` and ``relation_to`` inside a
cluster, then ``with_indexed`` (a cluster with a member that repeats an indexed document is
dropped whole, each member a duplicate of that earlier document).
"""
from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from dedup.decide.clusters import Cluster, choose_canonical, relation_to, with_indexed
from dedup.engine.distributed.indexed import hits_of
from dedup.engine.distributed.rows import samples_of_rows, signatures, text_bytes, text_of
from dedup.index.bands import IndexParams
from dedup.index.matching import IndexedMatch
from dedup.match.documents import CorpusOptions
from dedup.write.records import cluster_record

DUPLICATE_SCHEMA = pa.schema([  # a duplicate: what it repeats (an id of this batch, or of ``batch`` in the index)
    ("pos", pa.int64()), ("canonical_id", pa.binary()), ("batch", pa.binary()), ("kind", pa.string()),
    ("similarity", pa.float64()),
])
CHOSEN_SCHEMA = pa.schema([  # a duplicate row (kind not "") and/or the row carrying its cluster's record
    ("comp", pa.int64()), *DUPLICATE_SCHEMA, ("cluster", pa.binary()),
])


def canonical_rows(group: Any, options: CorpusOptions, params: IndexParams) -> pa.Table:
    """The rows of each component in the bucket, by the single-machine rules.

    A duplicate's row gives what it repeats, kind and similarity; the canonical member's
    row carries the cluster's report record (members in input order; kind "" unless the
    cluster was dropped for an indexed copy). ``comp`` (the component's first member) orders
    the clusters as on one machine. Members with an index match of their own get no
    duplicate row here: their match is their outcome, and the engine adds it from the hits.
    """
    group = group.drop_duplicates("pos").sort_values(["comp", "pos"], kind="stable")
    rows: dict[str, list[Any]] = {name: [] for name in CHOSEN_SCHEMA.names}
    for comp, members in group.groupby("comp", sort=True):
        if len(members) < 2:
            continue
        positions = members["pos"].tolist()
        ids = [text_of(i) for i in members["id"]]
        local = list(range(len(positions)))
        canonical = choose_canonical(local, members["cleaned_chars"].tolist(), options.keep)
        sigs = signatures(members["sig"].tolist(), params)
        sizes = members["size"].tolist()
        keys = members["exact"].tolist()
        samples = samples_of_rows(members["samples"])
        cluster = Cluster(canonical, tuple(relation_to(i, canonical, keys, sigs, sizes, options, samples)
                                           for i in local if i != canonical))
        hits = hits_of(members)
        outcomes = with_indexed([cluster], hits, sigs, sizes, options, samples)
        duplicates = sorted(cluster.duplicates, key=lambda d: d.position)
        record = cluster_record(ids[canonical], ((ids[d.position], d.kind.value, d.similarity) for d in duplicates))
        for i in local:
            outcome = outcomes.get(i)
            own_hit = i in hits
            if i != canonical and (outcome is None or own_hit):
                continue
            if outcome is None or own_hit:
                repeats, batch, kind, similarity = b"", b"", "", 0.0
            elif isinstance(outcome, IndexedMatch):
                repeats, batch = text_bytes(outcome.indexed.id), text_bytes(outcome.indexed.batch)
                kind, similarity = outcome.kind.value, outcome.similarity
            else:
                repeats, batch, kind, similarity = text_bytes(ids[outcome.canonical]), b"", outcome.kind.value, outcome.similarity
            cluster_json = json.dumps(record, ensure_ascii=False).encode("utf-8", "backslashreplace") if i == canonical else b""
            for name, value in zip(CHOSEN_SCHEMA.names, (comp, positions[i], repeats, batch, kind, similarity, cluster_json)):
                rows[name].append(value)
    return pa.table({name: pa.array(values, type=CHOSEN_SCHEMA.field(name).type) for name, values in rows.items()},
                    schema=CHOSEN_SCHEMA)


def duplicate_rows(batch: pa.Table) -> pa.Table:
    """The duplicates among chosen rows."""
    import pyarrow.compute as pc

    return batch.filter(pc.not_equal(batch["kind"], "")).select(DUPLICATE_SCHEMA.names)


def cluster_rows(batch: pa.Table) -> pa.Table:
    """The rows carrying a cluster record: (comp, cluster)."""
    import pyarrow.compute as pc

    return batch.filter(pc.greater(pc.binary_length(batch["cluster"]), 0)).select(["comp", "cluster"])


def hit_duplicates(batch: pa.Table) -> pa.Table:
    """Index matches as duplicate rows: a document that repeats an indexed one is that one's duplicate."""
    return pa.table([batch["pos"], batch["ix_id"], batch["ix_batch"], batch["ix_kind"], batch["ix_similarity"]],
                    schema=DUPLICATE_SCHEMA)


def empty_duplicates() -> Any:
    """No duplicates, as the frame :class:`DuplicatesByFile` hands a writer (indexed by position)."""
    return DUPLICATE_SCHEMA.empty_table().to_pandas().set_index("pos")

