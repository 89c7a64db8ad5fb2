"""LSH banding of signatures for the persistent index, as array operations.

The in-batch matcher uses datasketch's MinHashLSH; a persistent store needs the band keys
themselves, to put them in SQLite or Redis. Bands and rows are chosen by datasketch's own
optimiser for the threshold and weights, so both sides agree on what a candidate is; a
band's rows are folded into one 64-bit key (collisions only add candidates, which are
verified on the signatures anyway).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from datasketch.lsh import _optimal_param

from dedup.match.documents import CorpusOptions

_FOLD = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class IndexParams:
    """Everything two runs must share to use one index; stored in it and checked on every run."""

    num_perm: int
    seed: int
    scheme: str
    char_ngram: int
    word_ngram: int
    cjk_share: float
    threshold: float
    containment_threshold: float
    bands: int
    rows: int

    @classmethod
    def from_options(cls, options: CorpusOptions) -> IndexParams:
        minhash = options.minhash
        bands, rows = _optimal_param(options.candidate_threshold, minhash.num_perm, *options.lsh_weights)
        return cls(
            minhash.num_perm, minhash.seed, minhash.scheme, minhash.char_ngram, minhash.word_ngram,
            minhash.cjk_share, options.threshold, options.containment_threshold, bands, rows,
        )

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def differences(self, stored: dict[str, object]) -> list[str]:
        """``name: stored != this run`` for every parameter that differs."""
        mine = self.as_dict()
        return [f"{k}: index has {stored.get(k)!r}, this run {v!r}" for k, v in mine.items() if stored.get(k) != v]


def band_keys(signatures: np.ndarray, params: IndexParams) -> np.ndarray:
    """(documents × bands) int64 keys: band b of a document is the fold of its rows b·r … b·r + r − 1."""
    keys = np.empty((len(signatures), params.bands), dtype=np.uint64)
    for band in range(params.bands):  # one band at a time: no widened copy of all signatures
        key = np.full(len(signatures), (band * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64)
        for row in range(band * params.rows, (band + 1) * params.rows):
            key = (key ^ signatures[:, row].astype(np.uint64)) * _FOLD
            key ^= key >> np.uint64(29)
        keys[:, band] = key
    return keys.view(np.int64)
