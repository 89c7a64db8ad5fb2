"""Documents inside longer documents: candidates from rare sampled shingles, verified on the samples.

A document ``a`` lies inside ``b`` (an extracted article inside its page, a truncated
re-post inside the whole story) when most of ``a``'s sampled shingles
(:mod:`dedup.signatures.samples`) are among ``b``'s. Candidates: each document's
``anchors`` rarest samples in the batch (the shingles fewest other documents have, so
its own content rather than the site chrome it shares with many pages); every document
holding two of them (``min_anchor_hits``) is a candidate container: if ``a`` is 90 %
inside ``b``, ``b`` holds fewer than two of four anchors with a chance of 0.4 %, while a
document sharing one anchor with ``a`` by chance is not a candidate (on a generated 10k
corpus, one anchor in common gave 20 candidates a document, of which 3 in 200,000 held).
Anchors held by more than ``max_posting`` documents are not followed, which bounds the
candidates of a batch by ``documents × anchors × max_posting``.

Verification (:func:`dedup.match.documents.relate`) is exact on the samples: the share of ``a``'s sample in ``b``'s must reach
the containment threshold, and ``a`` needs ``min_samples`` samples for that share to mean
something (shorter documents are left to the MinHash estimate). On 169 real page/article
pairs the sampled containment of the article is at least 0.94 and that of two different
pages of one site at most 0.85 (benchmarks/real_pages.md).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dedup.signatures.samples import Samples, sampled_containment


@dataclass(frozen=True)
class ContainmentRule:
    """When a sampled containment is trusted, and how candidates are found."""

    threshold: float = 0.9
    min_samples: int = 16
    anchors: int = 4
    max_posting: int = 256
    min_anchor_hits: int = 2


def smaller_inside(
    samples_a: np.ndarray | None, samples_b: np.ndarray | None, size_a: int, size_b: int, rule: ContainmentRule
) -> float | None:
    """The sampled containment of the smaller document (by distinct shingles) in the larger, if trusted."""
    if samples_a is None or samples_b is None:
        return None
    small, large = (samples_a, samples_b) if size_a <= size_b else (samples_b, samples_a)
    if len(small) < rule.min_samples:
        return None
    return sampled_containment(small, large)


def anchors_of(
    samples: Samples, live: np.ndarray, rule: ContainmentRule, shared_only: bool = True, below: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(document, hash) of every document's rarest samples: ``rule.anchors`` per live document with enough samples.

    Rarity counts the live documents of this batch that have the hash; ties go to the smaller hash.
    Hashes of more than ``rule.max_posting`` documents are passed over, and so, with ``shared_only``,
    are hashes of this document alone: inside a batch they lead nowhere, but a container in an
    earlier batch holds them. ``below`` keeps only the hashes below it (the coarse samples).
    """
    counts = samples.counts()
    owner = np.repeat(np.arange(len(samples), dtype=np.int64), counts)
    values = samples.values
    usable = live[owner] if below is None else live[owner] & (values < below)
    owner, values = owner[usable], values[usable]
    if len(values) == 0:
        return owner, values
    _, inverse, postings = np.unique(values, return_inverse=True, return_counts=True)
    rarity = postings[inverse]
    # a hash no other document has leads nowhere; one too many have is chrome, not the document's own
    followed = (rarity > int(shared_only)) & (rarity <= rule.max_posting) & (counts[owner] >= rule.min_samples)
    owner, values, rarity = owner[followed], values[followed], rarity[followed]
    order = np.lexsort((values, rarity, owner))
    owner, values = owner[order], values[order]
    rank = np.arange(len(owner)) - np.searchsorted(owner, owner, side="left")
    return owner[rank < rule.anchors], values[rank < rule.anchors]


def containment_candidates(samples: Samples, sizes: Sequence[int], live: np.ndarray, rule: ContainmentRule) -> np.ndarray:
    """Pairs (inner, outer) of live documents where ``outer`` holds ``rule.min_anchor_hits`` anchors of ``inner`` (all
    of them if it has fewer) and is not smaller; each once."""
    anchor_owner, anchor_value = anchors_of(samples, live, rule)
    if len(anchor_owner) == 0:
        return np.empty((0, 2), dtype=np.int64)
    owner = np.repeat(np.arange(len(samples), dtype=np.int64), samples.counts())
    values = samples.values
    usable = live[owner]
    owner, values = owner[usable], values[usable]
    order = np.argsort(values, kind="stable")
    owner, values = owner[order], values[order]
    starts = np.searchsorted(values, anchor_value, side="left")
    ends = np.searchsorted(values, anchor_value, side="right")
    lengths = ends - starts
    inner = np.repeat(anchor_owner, lengths)
    at = np.repeat(starts - np.cumsum(np.concatenate([[0], lengths[:-1]])), lengths) + np.arange(lengths.sum())
    outer = owner[at]
    size = np.asarray(sizes, dtype=np.int64)
    keep = (outer != inner) & ((size[outer] > size[inner]) | ((size[outer] == size[inner]) & (outer > inner)))
    inner, outer = inner[keep], outer[keep]
    if len(inner) == 0:
        return np.empty((0, 2), dtype=np.int64)
    # a container holds most anchors of what lies 90 % inside it (two of four: missed with a chance of 0.4 %);
    # one shared by chance holds one
    order = np.lexsort((outer, inner))
    inner, outer = inner[order], outer[order]
    starts = np.flatnonzero(np.concatenate([[True], (inner[1:] != inner[:-1]) | (outer[1:] != outer[:-1])]))
    hits = np.diff(np.append(starts, len(inner)))
    anchors = np.bincount(anchor_owner, minlength=len(samples))
    wanted = hits >= np.minimum(anchors[inner[starts]], rule.min_anchor_hits)
    return np.stack([inner[starts][wanted], outer[starts][wanted]], axis=1)
