"""LSH candidates from band-key buckets, and their verification on the signatures.

A bucket holds every row of the band keys hashed to it, so each (band, key) group is whole
inside one call. Members of an exact-key group are linked to the group's first member
(no verification: same normalised text); members of a band group give all their pairs,
as :func:`dedup.match.documents.lsh_candidates` does on one machine. A pair sharing several
bands is verified once: the candidates are made distinct (one pair bucket per pair) before
the signatures are joined on.
"""
from __future__ import annotations

import numpy as np

from dedup.engine.distributed.rows import EXACT_BAND, samples_of_rows, signatures
from dedup.index.bands import IndexParams
from dedup.match.documents import CorpusOptions, relate


def bucket_candidates(group: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Candidate pairs (a < b) of one bucket of key rows; ``exact`` 1 for exact-key pairs."""
    band, key, pos = (np.asarray(group[c], dtype=np.int64) for c in ("band", "key", "pos"))
    order = np.lexsort((pos, key, band))
    band, key, pos = band[order], key[order], pos[order]
    boundary = np.concatenate([[True], (band[1:] != band[:-1]) | (key[1:] != key[:-1])]) if len(pos) else np.empty(0, bool)
    starts = np.flatnonzero(boundary)
    ends = np.append(starts[1:], len(pos))
    shared = ends - starts > 1
    firsts, seconds, exact = [], [], []
    for start, end in zip(starts[shared], ends[shared]):
        members = np.unique(pos[start:end])
        if len(members) < 2:
            continue
        if band[start] == EXACT_BAND:
            firsts.append(np.full(len(members) - 1, members[0]))
            seconds.append(members[1:])
            exact.append(np.ones(len(members) - 1, dtype=np.int8))
        else:
            i, j = np.triu_indices(len(members), k=1)
            firsts.append(members[i])
            seconds.append(members[j])
            exact.append(np.zeros(len(i), dtype=np.int8))
    if not firsts:
        return {"a": np.empty(0, np.int64), "b": np.empty(0, np.int64), "exact": np.empty(0, np.int8)}
    return {"a": np.concatenate(firsts), "b": np.concatenate(seconds), "exact": np.concatenate(exact)}


def bucket_distinct_candidates(group: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each pair once; exact if any of its copies came from an exact key."""
    a, b, exact = (np.asarray(group[c], dtype=np.int64) for c in ("a", "b", "exact"))
    if len(a) == 0:
        return {"a": a, "b": b, "exact": exact.astype(np.int8)}
    order = np.lexsort((-exact, b, a))  # per pair, an exact copy first
    a, b, exact = a[order], b[order], exact[order]
    first = np.concatenate([[True], (a[1:] != a[:-1]) | (b[1:] != b[:-1])])
    return {"a": a[first], "b": b[first], "exact": exact[first].astype(np.int8)}


def verify_candidates(batch: dict[str, np.ndarray], options: CorpusOptions, params: IndexParams) -> dict[str, np.ndarray]:
    """The verified pairs among candidates joined with both signatures and samples (same check as one machine)."""
    sig_a, sig_b = signatures(batch["sig_a"], params), signatures(batch["sig_b"], params)
    samples_a, samples_b = samples_of_rows(batch["samples_a"]), samples_of_rows(batch["samples_b"])
    keep = np.array([
        relate(sig_a[i], sig_b[i], int(batch["size_a"][i]), int(batch["size_b"][i]), options,
               samples_a.of(i), samples_b.of(i)) is not None
        for i in range(len(sig_a))
    ], dtype=bool)
    return {"a": np.asarray(batch["a"], dtype=np.int64)[keep], "b": np.asarray(batch["b"], dtype=np.int64)[keep]}

