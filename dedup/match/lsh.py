"""LSH banding of MinHash signatures: how many bands of how many rows, and each band's key.

Two documents whose signatures agree in every row of at least one band become a
candidate pair. With Jaccard similarity ``s``, one row agrees with probability ``s``, a
band of ``r`` rows with ``s^r``, and at least one of ``b`` bands with the S-curve

    P(s) = 1 − (1 − s^r)^b

A pair below the threshold ``t`` that becomes a candidate is a false positive, one above
it that does not is a false negative; over similarities spread evenly on [0, 1] their
expected shares are the areas

    FP(b, r) = ∫₀ᵗ P(s) ds        FN(b, r) = ∫ₜ¹ 1 − P(s) ds = ∫ₜ¹ (1 − s^r)^b ds

(Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets*, ch. 3.4; the same criterion
as datasketch's ``MinHashLSH``, so both backends of :func:`dedup.match.documents.lsh_candidates`
choose the same bands). :func:`choose_banding` minimises ``w_fp·FP + w_fn·FN`` over every
``b·r ≤ num_perm``. ``P`` is a polynomial of degree ``b·r ≤ num_perm`` in ``s``, so Gauss–
Legendre quadrature with ``num_perm // 2 + 1`` nodes integrates it exactly: one matrix
product per band count, no adaptive integration.

A band's rows are folded into one 64-bit key by :func:`band_keys` (a key collision only
adds a candidate, and every candidate is verified on the signatures anyway).

>>> banding = choose_banding(0.8, 128, (0.1, 0.9))
>>> banding
Banding(bands=14, rows=9)
>>> band_keys(np.zeros((2, 128), dtype=np.uint32), banding).shape
(2, 14)
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np
from scipy.special import roots_legendre

_FOLD = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class Banding:
    """``bands`` bands of ``rows`` signature rows each (rows beyond ``bands·rows`` are unused)."""

    bands: int
    rows: int


class HasBanding(Protocol):
    """Anything that knows its bands and rows: a :class:`Banding`, or the parameters an index stores."""

    @property
    def bands(self) -> int: ...

    @property
    def rows(self) -> int: ...


def banding_errors(threshold: float, num_perm: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(bands, rows, FP, FN) for every ``bands·rows ≤ num_perm``, ordered by bands, then rows."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must lie in [0, 1], not {threshold}")
    if num_perm < 1:
        raise ValueError(f"num_perm must be at least 1, not {num_perm}")
    nodes, weights = roots_legendre(num_perm // 2 + 1)  # exact up to degree ≥ num_perm
    below = threshold * (nodes + 1.0) / 2.0  # nodes mapped onto [0, t] and [t, 1]
    above = threshold + (1.0 - threshold) * (nodes + 1.0) / 2.0
    below_weights, above_weights = weights * threshold / 2.0, weights * (1.0 - threshold) / 2.0
    all_bands, all_rows, false_pos, false_neg = [], [], [], []
    for bands in range(1, num_perm + 1):
        rows = np.arange(1, num_perm // bands + 1)
        all_bands.append(np.full(len(rows), bands))
        all_rows.append(rows)
        false_pos.append((1.0 - (1.0 - below[None, :] ** rows[:, None]) ** bands) @ below_weights)
        false_neg.append(((1.0 - above[None, :] ** rows[:, None]) ** bands) @ above_weights)
    bands_, rows_, fp, fn = (np.concatenate(a) for a in (all_bands, all_rows, false_pos, false_neg))
    return bands_, rows_, fp, fn


def choose_banding(threshold: float, num_perm: int, weights: Sequence[float] = (0.5, 0.5)) -> Banding:
    """The bands and rows that minimise ``weights[0]·FP + weights[1]·FN`` at ``threshold``.

    Of equal errors the first in (bands, rows) order wins: the fewest bands, so the fewest keys.
    """
    fp_weight, fn_weight = weights
    if fp_weight < 0 or fn_weight < 0:
        raise ValueError(f"weights must not be negative, not {tuple(weights)}")
    return _choose_banding(float(threshold), int(num_perm), float(fp_weight), float(fn_weight))


@lru_cache(maxsize=64)  # every batch of a run asks again; the answer never changes
def _choose_banding(threshold: float, num_perm: int, fp_weight: float, fn_weight: float) -> Banding:
    bands, rows, false_pos, false_neg = banding_errors(threshold, num_perm)
    best = int(np.argmin(fp_weight * false_pos + fn_weight * false_neg))
    return Banding(int(bands[best]), int(rows[best]))


def band_keys(signatures: np.ndarray, banding: HasBanding) -> np.ndarray:
    """(documents × bands) int64 keys: band b of a document is the fold of its rows b·r … b·r + r − 1."""
    keys = np.empty((len(signatures), banding.bands), dtype=np.uint64)
    for band in range(banding.bands):  # one band at a time: no widened copy of all signatures
        key = np.full(len(signatures), (band * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64)
        for row in range(band * banding.rows, (band + 1) * banding.rows):
            key = (key ^ signatures[:, row].astype(np.uint64)) * _FOLD
            key ^= key >> np.uint64(29)
        keys[:, band] = key
    return keys.view(np.int64)
