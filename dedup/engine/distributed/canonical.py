"""The kept document of each cluster and every other member's relation to it, per bucket of components."""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from dedup.decide.clusters import choose_canonical, relation_to
from dedup.engine.distributed.rows import signatures
from dedup.index.bands import IndexParams
from dedup.match.documents import CorpusOptions

CANONICAL = "canonical"


def canonical_rows(group: Any, options: CorpusOptions, params: IndexParams) -> Any:
    """One row per member of each component in the bucket, by the single-machine rule.

    Duplicates get (canonical position and id, kind, similarity); the canonical member's row
    has kind ``canonical`` and carries the cluster's report record (JSON), members in input order;
    ``comp`` (the component's first member) orders the clusters as on one machine.
    """
    import pandas as pd

    group = group.drop_duplicates("pos").sort_values(["comp", "pos"], kind="stable")
    rows: dict[str, list[Any]] = {k: [] for k in ("comp", "pos", "canonical", "canonical_id", "kind", "similarity", "cluster")}
    for comp, members in group.groupby("comp", sort=True):
        if len(members) < 2:
            continue
        positions = members["pos"].tolist()
        ids = members["id"].tolist()
        local = list(range(len(positions)))
        canonical = choose_canonical(local, members["cleaned_chars"].tolist(), options.keep)
        sigs = signatures(members["sig"].tolist(), params)
        sizes = members["size"].tolist()
        keys = members["exact"].tolist()
        duplicates = [relation_to(i, canonical, keys, sigs, sizes, options) for i in local if i != canonical]
        record = {
            "canonical": ids[canonical],
            "size": len(positions),
            "members": [{"id": ids[canonical], "kind": CANONICAL, "similarity": 1.0},
                        *({"id": ids[d.position], "kind": d.kind.value, "similarity": d.similarity} for d in duplicates)],
        }
        for d in duplicates:
            _append(rows, comp, positions[d.position], positions[canonical], ids[canonical], d.kind.value, d.similarity, "")
        _append(rows, comp, positions[canonical], positions[canonical], ids[canonical], CANONICAL, 1.0,
                json.dumps(record, ensure_ascii=False))
    return pd.DataFrame({
        "comp": np.array(rows["comp"], dtype=np.int64),
        "pos": np.array(rows["pos"], dtype=np.int64),
        "canonical": np.array(rows["canonical"], dtype=np.int64),
        "canonical_id": pd.Series(rows["canonical_id"], dtype=object),
        "kind": pd.Series(rows["kind"], dtype=object),
        "similarity": np.array(rows["similarity"], dtype=np.float64),
        "cluster": pd.Series(rows["cluster"], dtype=object),
    })


def _append(rows: dict[str, list[Any]], *values: Any) -> None:
    for column, value in zip(rows, values):
        rows[column].append(value)
