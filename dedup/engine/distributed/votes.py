"""Boilerplate votes as rows, for the distributed path: the local counting, partitioned by line.

A cluster votes once per line, on the site of its first document that has one
(:mod:`dedup.decide.boilerplate`). So each document first gets its unit (its cluster's
label, itself when alone) and the unit's site; then every line occurrence becomes a
(key, unit, site) row, and the rows are grouped by a bucket of the key: every occurrence
of a line lands in one call, where :func:`votes_of_rows` counts it exactly as one machine
counts a chunk of whole clusters. Documents that repeat an earlier batch cast no vote, but
their lines are listed (``units`` 0), since the index's earlier votes are asked for every
line of the batch, as on one machine.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dedup.corpus import first_holders
from dedup.decide.boilerplate import NO_SITE, Votes, site_of_units, votes_of_rows
from dedup.engine.distributed.rows import NO_ERROR, file_of, line_keys_of, text_of

_EMPTY = np.empty(0, dtype=np.int64)


def unit_sites(group: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per cluster label (``comp``) of a bucket of members (``comp``, ``pos``, ``site``), its first member's site."""
    comp, pos, site = (np.asarray(group[c], dtype=np.int64) for c in ("comp", "pos", "site"))
    order = np.argsort(pos, kind="stable")
    labels, sites = site_of_units(comp[order], site[order])
    return {"comp": labels, "unit_site": sites}


def line_rows(batch: Any, duplicates_of_file: Callable[[int], Any]) -> Any:
    """A (key, unit, site, voting) row per line occurrence of a block of documents (an Arrow table of ``pos``,
    ``error``, ``lines``, ``site``, and ``comp`` and ``unit_site``, null where the document is in no cluster).
    Arrow, not pandas: a null in an int64 column would make the positions floats, and they need 64 bits."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    documents = batch.filter(pc.equal(batch["error"], pa.scalar(NO_ERROR, pa.binary())))
    positions = documents["pos"].to_numpy()
    if len(positions) == 0:
        return pa.table({"key": _EMPTY, "unit": _EMPTY, "site": _EMPTY, "voting": np.empty(0, dtype=bool)})
    clustered = pc.is_valid(documents["comp"]).to_numpy(zero_copy_only=False)
    unit = np.where(clustered, pc.fill_null(documents["comp"], 0).to_numpy(), positions)
    site = np.where(clustered, pc.fill_null(documents["unit_site"], NO_SITE).to_numpy(), documents["site"].to_numpy())
    duplicates = pd.concat([duplicates_of_file(int(f)) for f in np.unique(file_of(positions))])
    earlier = duplicates.index[duplicates["batch"].map(len) > 0]  # repeats of an earlier batch: no vote
    voting = ~np.isin(positions, earlier.to_numpy(dtype=np.int64))
    keys = [line_keys_of(blob) for blob in documents["lines"].to_pylist()]
    lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
    return pa.table({
        "key": np.concatenate(keys).astype(np.int64), "unit": np.repeat(unit, lengths).astype(np.int64),
        "site": np.repeat(site, lengths).astype(np.int64), "voting": np.repeat(voting, lengths),
    })


def alone(batch: Any) -> Any:
    """A block of documents of a batch without clusters: each its own unit (null cluster columns)."""
    import pyarrow as pa

    nulls = pa.nulls(batch.num_rows, pa.int64())
    return batch.append_column("comp", nulls).append_column("unit_site", nulls)


def bucket_votes(group: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The vote rows (key, site, units) of a bucket of line rows, and a row with ``units`` 0 (site
    :data:`NO_SITE`) for each line only documents without a vote have."""
    key, unit, site = (np.asarray(group[c], dtype=np.int64) for c in ("key", "unit", "site"))
    voting = np.asarray(group["voting"], dtype=bool)
    votes = votes_of_rows(key[voting], unit[voting], site[voting])
    silent = np.setdiff1d(key[~voting], votes.key)
    return {
        "key": np.concatenate([votes.key, silent]),
        "site": np.concatenate([votes.site, np.full(len(silent), NO_SITE, dtype=np.int64)]),
        "units": np.concatenate([votes.units, np.zeros(len(silent), dtype=np.int64)]),
    }


def votes_and_lines(rows: Any) -> tuple[Votes, np.ndarray]:
    """The batch's votes and every line key it has, from the rows of :func:`bucket_votes` (a frame)."""
    key, site, units = (rows[c].to_numpy(dtype=np.int64) for c in ("key", "site", "units"))
    voted = units > 0
    order = np.lexsort((site[voted], key[voted]))  # as one machine's votes: sorted by key, then site
    return Votes(key[voted][order], site[voted][order], units[voted][order]), np.unique(key)


def holder_rows(batch: Any, flagged: np.ndarray) -> Any:
    """The first two documents of a block (by position) that have each flagged key: a (key, pos, id) frame."""
    import pandas as pd

    documents = batch[batch["error"] == NO_ERROR].sort_values("pos", kind="stable")
    positions = documents["pos"].tolist()
    ids = dict(zip(positions, documents["id"]))
    found = first_holders(flagged, [line_keys_of(blob) for blob in documents["lines"]], positions)
    rows = [(key, pos, bytes(ids[pos])) for key, holders in found.items() for pos in holders]
    return pd.DataFrame(rows, columns=["key", "pos", "id"]).astype({"key": "int64", "pos": "int64"})


def first_holders_of(rows: Any) -> dict[int, tuple[str, ...]]:
    """Per key, the ids of its first two holders in the batch, from every block's :func:`holder_rows` (a frame)."""
    seen_in: dict[int, tuple[str, ...]] = {}
    for key, doc_id in zip(*(rows.sort_values(["key", "pos"], kind="stable")[c].tolist() for c in ("key", "id"))):
        holders = seen_in.setdefault(int(key), ())
        if len(holders) < 2:
            seen_in[int(key)] = (*holders, text_of(doc_id))
    return seen_in
