"""Candidate pairs verified a chunk at a time: :func:`dedup.match.documents.relate` over arrays of pairs.

At 100,000 documents LSH and containment give some 1.7 million candidate pairs, and
verifying them one by one in Python (a Jaccard estimate, a sampled containment by
``np.intersect1d``) was a quarter of ``dedup clean``'s CPU. Here a chunk of pairs takes a
few numpy passes, the Jaccard estimates of all of them, and one compiled loop: the
sampled containments of those that need one, each a merge of two sorted samples
(:mod:`dedup.match.verify_kernels`). The decisions and similarities are those of ``relate``, bit for bit:
the same float64 operations in the same order.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Protocol

import numpy as np

from dedup.compiled import sized_kernel
from dedup.match.containment import ContainmentRule
from dedup.model import RemovalKind
from dedup.signatures.samples import Samples
from dedup.signatures.shingles import found_in


class Thresholds(Protocol):
    """What verifying reads of ``dedup.match.documents.CorpusOptions`` (which imports this module)."""

    @property
    def threshold(self) -> float: ...
    @property
    def containment_threshold(self) -> float: ...
    @property
    def containment_min_jaccard(self) -> float: ...
    @property
    def containment_rule(self) -> ContainmentRule: ...


Relation = tuple[int, int, RemovalKind, float]  # first, second, near or contained, the similarity

CHUNK_PAIRS = 8192  # pairs verified at once: with ~200 samples a document, a few MB of lookups


def verified_pairs(
    pairs: Iterable[tuple[int, int]] | np.ndarray, signatures: np.ndarray, sizes: Sequence[int] | np.ndarray,
    options: Thresholds, samples: Samples | None = None,
) -> Iterator[Relation]:
    """The verified relation of each candidate pair (first, second) that has one, in the order of ``pairs`` (an
    iterable, or an array of rows: the containment candidates come as one, a million rows at 100,000 documents)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    for both in _chunks(pairs):
        yield from related_pairs(both[:, 0], both[:, 1], signatures, sizes, options, samples)


def _chunks(pairs: Iterable[tuple[int, int]] | np.ndarray) -> Iterator[np.ndarray]:
    """``pairs`` as (k, 2) int64 arrays of up to ``CHUNK_PAIRS`` rows."""
    if isinstance(pairs, np.ndarray):
        for start in range(0, len(pairs), CHUNK_PAIRS):
            yield pairs[start : start + CHUNK_PAIRS].astype(np.int64, copy=False)
        return
    stream = iter(pairs)
    while chunk := list(islice(stream, CHUNK_PAIRS)):
        yield np.array(chunk, dtype=np.int64).reshape(-1, 2)


def related_pairs(
    first: np.ndarray, second: np.ndarray, signatures: np.ndarray, sizes: np.ndarray, options: Thresholds,
    samples: Samples | None = None,
) -> list[Relation]:
    """``relate`` of documents ``first[i]`` and ``second[i]`` for every i, where it is not None."""
    jaccard = np.count_nonzero(signatures[first] == signatures[second], axis=1) / signatures.shape[1]
    near = jaccard >= options.threshold
    size_a, size_b = sizes[first], sizes[second]
    sampled = np.zeros(len(first), dtype=bool)
    containment = np.zeros(len(first), dtype=np.float64)
    if samples is not None:
        small = np.where(size_a <= size_b, first, second)
        large = np.where(size_a <= size_b, second, first)
        counts = samples.counts()
        sampled = ~near & (counts[small] >= options.containment_rule.min_samples)
        at = np.flatnonzero(sampled)
        n_small = counts[small[at]]
        hits = shared_sample_counts(samples.values, samples.offsets, small[at], large[at],
                                    least_hits(n_small, options.containment_threshold))
        containment[at] = np.where(n_small > 0, hits / np.maximum(n_small, 1), 0.0)
    estimated = ~near & ~sampled
    fewest = np.minimum(size_a, size_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        shared = jaccard * (size_a + size_b) / (1.0 + jaccard)
        estimate = np.where(fewest == 0, 0.0, np.minimum(1.0, shared / fewest))
    containment[estimated] = estimate[estimated]
    contained = (sampled & (containment >= options.containment_threshold)) | (
        estimated & (containment >= options.containment_threshold) & (jaccard >= options.containment_min_jaccard)
    )
    found: list[Relation] = []
    for i in np.flatnonzero(near | contained).tolist():
        if near[i]:
            found.append((int(first[i]), int(second[i]), RemovalKind.NEAR, round(float(jaccard[i]), 4)))
        else:
            found.append((int(first[i]), int(second[i]), RemovalKind.CONTAINED, round(float(containment[i]), 4)))
    return found


def least_hits(samples: np.ndarray, threshold: float) -> np.ndarray:
    """For each count of samples n, the fewest shared h with ``h / n >= threshold`` in float64, as the containment
    is tested (n + 1 if none: the test fails whatever is shared; 0 for n = 0, which is not tested on hits)."""
    n = np.maximum(samples, 1).astype(np.float64)
    least = np.ceil(threshold * n).astype(np.int64)  # within one of the answer: threshold * n may round either way
    least -= (least - 1) / n >= threshold
    least += least / n < threshold
    return np.where(samples > 0, np.clip(least, 0, samples + 1), 0)


def plain_shared_sample_counts(values: np.ndarray, offsets: np.ndarray, small: np.ndarray, large: np.ndarray,
                               needed: np.ndarray) -> np.ndarray:
    """:func:`dedup.match.verify_kernels.shared_sample_counts` in numpy: the whole counts (``needed`` is not used:
    the kernel may stop early below it).

    Every sample of each smaller document is looked up among its larger document's, as
    sorted (rank of the larger document, value) keys.
    """
    if not len(small):
        return np.zeros(0, dtype=np.int64)
    counts = np.diff(offsets)
    holders, rank = np.unique(large, return_inverse=True)
    held = counts[holders]
    starts = np.repeat(offsets[holders], held)
    position = starts + np.arange(int(held.sum()), dtype=np.int64) - np.repeat(np.cumsum(held) - held, held)
    keys = (np.repeat(np.arange(len(holders), dtype=np.uint64), held) << np.uint64(32)) | values[position].astype(np.uint64)
    sizes = counts[small]
    pair = np.repeat(np.arange(len(small), dtype=np.int64), sizes)
    asked_at = np.repeat(offsets[small], sizes) + np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    asked = (rank.ravel()[pair].astype(np.uint64) << np.uint64(32)) | values[asked_at].astype(np.uint64)
    hit = found_in(asked, keys)
    return np.bincount(pair[hit], minlength=len(small)).astype(np.int64)


# Measured 2026-12-03 (AMD EPYC, 2 cores; pairs of corpus benchmark documents, ~270 samples each): numpy
# counts 35,000-52,000 pairs a second, the kernel 530,000; compiling it takes 0.42 s, loading it 0.005 s
shared_sample_counts = sized_kernel(
    "dedup.match.verify_kernels", "shared_sample_counts", plain_shared_sample_counts,
    work=lambda values, offsets, small, large, needed: len(small), cold=20_000, warm=1_000,
)
