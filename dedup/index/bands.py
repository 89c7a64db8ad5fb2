"""What an index stores about how its keys were made, so every later run makes the same keys.

The banding itself (bands and rows for the threshold, and each band's 64-bit key) is
:mod:`dedup.match.lsh`, shared with in-batch matching: a persistent store only keeps the
band keys of :func:`dedup.match.lsh.band_keys` in SQLite or Redis, and the parameters
below, which a later run must share to look its own keys up in them.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from dedup.match.documents import CorpusOptions


@dataclass(frozen=True)
class IndexParams:
    """Everything two runs must share to use one index; stored in it and checked on every run.

    ``bands`` and ``rows`` make it a :class:`dedup.match.lsh.HasBanding`: :func:`dedup.match.lsh.band_keys`
    takes it as it is.
    """

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
    sample_scale: int = 4

    @classmethod
    def from_options(cls, options: CorpusOptions) -> IndexParams:
        minhash, banding = options.minhash, options.banding
        return cls(
            minhash.num_perm, minhash.seed, minhash.scheme, minhash.char_ngram, minhash.word_ngram,
            minhash.cjk_share, options.threshold, options.containment_threshold, banding.bands, banding.rows,
            minhash.sample_scale,
        )

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def differences(self, stored: dict[str, object]) -> list[str]:
        """``name: stored != this run`` for every parameter that differs."""
        mine = self.as_dict()
        return [
            f"{k}: index has {stored.get(k)!r}, this run {v!r}" for k, v in mine.items()
            if stored.get(k) != v and not (k in _ADDED_LATER and k not in stored)
        ]


# Parameters newer than some indexes: an index made before holds no samples, so any value suits it.
_ADDED_LATER = ("sample_scale",)
