"""Coarse group-by buckets: many keys per bucket, so one call handles thousands of groups with numpy."""
from __future__ import annotations

import math

import numpy as np

_MIX = np.uint64(0x9E3779B97F4A7C15)
ROWS_PER_BUCKET = 1 << 22  # ~100 MB of 24-byte key rows: what one task holds while grouping


def bucket_of(values: np.ndarray, buckets: int) -> np.ndarray:
    """A bucket in ``[0, buckets)`` for each int64 value, spread by a multiplicative hash."""
    mixed = (np.asarray(values, dtype=np.int64).view(np.uint64) * _MIX) >> np.uint64(32)
    return (mixed % np.uint64(buckets)).astype(np.int64)


def pair_bucket(first: np.ndarray, second: np.ndarray, buckets: int) -> np.ndarray:
    """One bucket per pair (all copies of a pair land in the same one)."""
    combined = np.asarray(first, dtype=np.int64).view(np.uint64) * _MIX + np.asarray(second, dtype=np.int64).view(np.uint64)
    return bucket_of(combined.view(np.int64), buckets)


def bucket_count(rows: int, at_least: int, rows_per_bucket: int = ROWS_PER_BUCKET) -> int:
    """Enough buckets for the cluster's parallelism and for each to stay near ``rows_per_bucket`` rows."""
    return max(at_least, math.ceil(rows / rows_per_bucket))


def distinct_pairs(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (first, second) pairs, sorted."""
    if len(first) == 0:
        return np.asarray(first, dtype=np.int64), np.asarray(second, dtype=np.int64)
    pairs = np.unique(np.stack([np.asarray(first, dtype=np.int64), np.asarray(second, dtype=np.int64)], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of each run of equal values in sorted ``sorted_keys``."""
    if len(sorted_keys) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]]))
    return starts, np.append(starts[1:], len(sorted_keys))


def add_bucket(batch: dict[str, np.ndarray], column: str | tuple[str, str], buckets: int) -> dict[str, np.ndarray]:
    """``batch`` with a ``bucket`` column: of ``column``, or of the pair of columns (``("a", "b")``)."""
    if isinstance(column, tuple):
        bucket = pair_bucket(batch[column[0]], batch[column[1]], buckets)
    else:
        bucket = bucket_of(batch[column], buckets)
    return {**batch, "bucket": bucket}
