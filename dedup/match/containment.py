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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.compiled import sized_kernel
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
    rarity, followed = followed_samples(values, counts[owner], rule, shared_only)
    owner, values, _ = rarest_samples(owner[followed], values[followed], rarity[followed], rule.anchors)
    return owner, values


SAMPLES_PER_BUCKET = 1 << 20  # samples searched at once (~50 MB of arrays around them at the peak)
GROUP_BUCKETS = 4  # buckets read from the samples in one pass (12 bytes a sample of them)


def containment_candidates(
    samples: Samples, sizes: Sequence[int], live: np.ndarray, rule: ContainmentRule,
    bucket_samples: int = SAMPLES_PER_BUCKET,
) -> np.ndarray:
    """Pairs (inner, outer) of live documents where ``outer`` holds ``rule.min_anchor_hits`` anchors of ``inner`` (all
    of them if it has fewer) and is not smaller; each once, sorted.

    Bounded: the samples are searched a bucket of values at a time (every holder of a value is in
    its bucket, so its rarity is whole there), about ``bucket_samples`` of them: first for each
    document's rarest samples (its running ``rule.anchors`` best, merged bucket by bucket), then
    for the holders of each anchor. Buckets are read from the samples ``GROUP_BUCKETS`` at a time
    (picking one bucket is a pass over all samples). The peak is a group's, plus the anchors and
    the pairs.
    """
    counts = samples.counts()
    size = np.asarray(sizes, dtype=np.int64)
    buckets = min(1 << 15, max(1, -(-len(samples.values) // bucket_samples)))
    bucket, live_in_bucket = value_buckets(samples.values, samples.offsets, live, buckets)
    group = GROUP_BUCKETS * bucket_samples
    best: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # each bucket's best, merged once they add up
    for holders, values in _buckets(samples, live, bucket, live_in_bucket, group):
        found, follow = followed_samples(values, counts[holders], rule)
        best.append(rarest_samples(holders[follow], values[follow], found[follow], rule.anchors))
        if sum(len(b[0]) for b in best) > 2 * rule.anchors * len(samples):
            best = [_merged_best(best, rule.anchors)]
    owner, value, _ = _merged_best(best, rule.anchors)
    if len(owner) == 0:
        return np.empty((0, 2), dtype=np.int64)
    anchor_count = np.bincount(owner, minlength=len(samples))
    documents = np.int64(len(samples))
    anchor_bucket = value % np.uint32(buckets)
    pair_parts = []  # inner * documents + outer: 8 bytes an (anchor, holder) row until they are counted
    for number, (holders, values) in enumerate(_buckets(samples, live, bucket, live_in_bucket, group)):
        here = anchor_bucket == number
        pair_parts.append(anchor_pair_codes(value[here], owner[here], values, holders, size))
    pairs, hits = _counted(pair_parts)
    inner, outer = pairs // documents, pairs % documents
    wanted = enough_anchors(hits, anchor_count[inner], rule)
    return np.stack([inner[wanted], outer[wanted]], axis=1)


def _merged_best(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], anchors: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each owner's ``anchors`` rarest of the (owner, value, rarity) rows of ``parts``."""
    if not parts:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.int64)
    owner, value, rarity = (np.concatenate([p[c] for p in parts]) for c in range(3))
    return rarest_samples(owner, value, rarity, anchors)


def _counted(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``parts`` (emptied: each is freed once copied) and how often each occurs, sorting
    one array in place: 8 bytes a value at the peak, where ``np.unique`` takes three times that."""
    values = np.empty(sum(len(p) for p in parts), dtype=np.int64)
    at = 0
    while parts:
        part = parts.pop(0)
        values[at : at + len(part)] = part
        at += len(part)
        del part
    values.sort()
    if len(values) == 0:
        return values, values
    starts = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
    return values[starts], np.diff(np.append(starts, len(values)))


def _buckets(samples: Samples, live: np.ndarray, bucket: np.ndarray, live_in_bucket: np.ndarray, group_samples: int
             ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The live documents holding each sample value and the values, bucket after bucket (``live_in_bucket``: the
    samples of live documents in each); consecutive buckets are read together while they hold at most
    ``group_samples`` samples (at least one bucket a read)."""
    buckets = len(live_in_bucket)
    first = 0
    while first < buckets:
        last, held = first + 1, int(live_in_bucket[first])
        while last < buckets and held + live_in_bucket[last] <= group_samples:
            held += int(live_in_bucket[last])
            last += 1
        owner, values = bucket_group(samples.values, samples.offsets, live, bucket, first, last, live_in_bucket)
        ends = np.cumsum(live_in_bucket[first:last])
        for start, end in zip((ends - live_in_bucket[first:last]).tolist(), ends.tolist()):
            yield owner[start:end], values[start:end]
        first = last


def plain_value_buckets(values: np.ndarray, offsets: np.ndarray, live: np.ndarray, buckets: int
                        ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`dedup.match.containment_kernels.value_buckets` in numpy: each sample value's bucket and the samples of
    live documents in each bucket."""
    bucket = (values % np.uint32(buckets)).astype(np.uint16)
    alive = np.repeat(live, np.diff(offsets))
    return bucket, np.bincount(bucket[alive], minlength=buckets).astype(np.int64)


# Measured 2026-12-03 (AMD EPYC, 2 cores; the 27 M samples of 100,000 corpus benchmark documents): numpy takes
# 0.41 s (1.2 s in a fresh process), the kernel 0.095 s; compiling it takes 0.87 s, loading it 0.02 s
value_buckets = sized_kernel(
    "dedup.match.containment_kernels", "value_buckets", plain_value_buckets,
    work=lambda values, *_: len(values), cold=50_000_000, warm=1_000_000,
)


def plain_bucket_group(values: np.ndarray, offsets: np.ndarray, live: np.ndarray, bucket: np.ndarray, first: int,
                       last: int, live_in_bucket: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`dedup.match.containment_kernels.bucket_group` in numpy: the same documents and values."""
    owners, held = [], []
    for number in range(first, last):
        at = np.flatnonzero(bucket == number)
        owner = np.searchsorted(offsets, at, side="right") - 1
        usable = live[owner]
        owners.append(owner[usable].astype(np.int64))
        held.append(values[at[usable]])
    return np.concatenate(owners), np.concatenate(held).astype(np.uint32, copy=False)


# Measured 2026-12-03 (AMD EPYC, 2 cores; 40,000 corpus benchmark documents, 11 M samples in 11 buckets): numpy
# reads 200-270 M samples a second a bucket, the kernel 560 M for as many buckets as one read takes; compiling
# it takes 0.49 s, loading it 0.02 s
bucket_group = sized_kernel(
    "dedup.match.containment_kernels", "bucket_group", plain_bucket_group,
    work=lambda values, offsets, live, bucket, first, last, _: len(values) * (last - first), cold=100_000_000, warm=4_000_000,
)


def followed_samples(values: np.ndarray, sample_counts: np.ndarray, rule: ContainmentRule,
                     shared_only: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Of rows holding ``values`` (every holder of each value among them), each value's rarity (its holders) and
    whether to follow it: shared (``shared_only``), not held by more than ``rule.max_posting`` documents (chrome,
    not the document's own), of a document with ``rule.min_samples`` samples (``sample_counts``)."""
    if len(values) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=bool)
    rarity = value_holders(values)
    return rarity, (rarity > int(shared_only)) & (rarity <= rule.max_posting) & (sample_counts >= rule.min_samples)


def plain_value_holders(values: np.ndarray) -> np.ndarray:
    """:func:`dedup.match.containment_kernels.value_holders` in numpy: for every row of ``values`` (uint32), how many
    rows (itself included) hold its value."""
    order = _stable_order(values)
    ordered = values[order]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    runs = np.diff(np.append(starts, len(ordered)))
    holders = np.empty(len(values), dtype=np.int64)
    holders[order] = np.repeat(runs, runs)
    return holders


def plain_equal_value_rows(asked: np.ndarray, held: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`dedup.match.containment_kernels.equal_value_rows` in numpy: every pair of rows with ``asked[a] ==
    held[h]`` (uint32), by ``a`` and then ``h`` ascending."""
    order = _stable_order(held)
    ordered = held[order]
    starts = np.searchsorted(ordered, asked, side="left")
    lengths = np.searchsorted(ordered, asked, side="right") - starts
    at = np.repeat(starts - np.cumsum(np.concatenate([[0], lengths[:-1]])).astype(np.int64), lengths) \
        + np.arange(int(lengths.sum()))
    return np.repeat(np.arange(len(asked), dtype=np.int64), lengths), order[at].astype(np.int64)


# Measured 2026-12-03 (AMD EPYC, 2 cores; the buckets of 100,000 corpus benchmark documents, a million samples
# each): numpy's sorts take 25 M rows a second for the holders and 30 M for the equal rows, the kernels'
# tables 100-150 M; compiling each takes about a second, loading it 0.02 s
value_holders = sized_kernel(
    "dedup.match.containment_kernels", "value_holders", plain_value_holders,
    work=lambda values: len(values), cold=25_000_000, warm=1_000_000,
)
equal_value_rows = sized_kernel(
    "dedup.match.containment_kernels", "equal_value_rows", plain_equal_value_rows,
    work=lambda asked, held: len(asked) + len(held), cold=30_000_000, warm=1_000_000,
)


def _stable_order(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` of values in [0, 2**32) (sampled hashes, uint32 or int64), three
    times faster: numpy radix-sorts 16-bit keys, so the low halves are sorted first and then, stably, the high
    halves (a bucket of a million samples took 65-100 ms by ``np.unique`` or a 32-bit stable sort, 30 ms so)."""
    order = np.argsort((values & np.uint32(0xFFFF)).astype(np.uint16), kind="stable")
    return order[np.argsort((values[order] >> np.uint32(16)).astype(np.uint16), kind="stable")]


def rarest_samples(owner: np.ndarray, value: np.ndarray, rarity: np.ndarray, anchors: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each owner's ``anchors`` rarest rows (ties to the smaller value), sorted by owner."""
    in_order = len(owner) < 2 or bool((owner[1:] >= owner[:-1]).all())  # a bucket's rows come by document
    chosen = rarest_rows(owner, value, rarity, anchors, _NO_ORDER if in_order else np.argsort(owner, kind="stable"))
    return owner[chosen], value[chosen], rarity[chosen]


_NO_ORDER = np.empty(0, dtype=np.int64)


def plain_rarest_rows(owner: np.ndarray, value: np.ndarray, rarity: np.ndarray, anchors: int, order: np.ndarray
                      ) -> np.ndarray:
    """:func:`dedup.match.containment_kernels.rarest_rows` in numpy (``order`` is not needed): the rows of each
    owner's ``anchors`` rarest, by owner and then (rarity, value), ties in row order."""
    ranked = np.lexsort((value, rarity, owner))
    ordered = owner[ranked]
    rank = np.arange(len(ordered)) - np.searchsorted(ordered, ordered, side="left")
    return ranked[rank < anchors]  # type: ignore[no-any-return]


# Measured 2026-12-03 (as above: 3.9 M followed rows in 30 calls): numpy's three-key sort takes 4.5 M rows a
# second, the kernel 84 M; compiling it takes 0.96 s, loading it 0.006 s
rarest_rows = sized_kernel(
    "dedup.match.containment_kernels", "rarest_rows", plain_rarest_rows,
    work=lambda owner, *_: len(owner), cold=4_000_000, warm=30_000,
)


def anchor_holders(
    anchor_value: np.ndarray, inner: np.ndarray, inner_size: np.ndarray, anchors: np.ndarray,
    holder_value: np.ndarray, holder: np.ndarray, holder_size: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(inner, outer, anchors of inner) for each anchor and each holder of its value that is not smaller (larger,
    or as large and later)."""
    asking, holding = _not_smaller_rows(anchor_value, inner, inner_size, holder_value, holder, holder_size)
    return inner[asking], holder[holding], anchors[asking]


def _not_smaller_rows(
    anchor_value: np.ndarray, inner: np.ndarray, inner_size: np.ndarray,
    holder_value: np.ndarray, holder: np.ndarray, holder_size: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(anchor row, holder row) of each anchor and each holder of its value whose document is not smaller than the
    anchor's (larger, or as large and later: never the same)."""
    asking, holding = equal_value_rows(anchor_value, holder_value)
    size, outer_size, outer = inner_size[asking], holder_size[holding], holder[holding]
    keep = (outer_size > size) | ((outer_size == size) & (outer > inner[asking]))
    return asking[keep], holding[keep]


def plain_anchor_pair_codes(anchor_value: np.ndarray, inner: np.ndarray, holder_value: np.ndarray, holder: np.ndarray,
                            size: np.ndarray) -> np.ndarray:
    """:func:`dedup.match.containment_kernels.anchor_pair_codes` in numpy: ``inner * documents + outer`` for each
    anchor and each holder of its value that is not smaller."""
    asking, holding = _not_smaller_rows(anchor_value, inner, size[inner], holder_value, holder, size[holder])
    return inner[asking] * len(size) + holder[holding]  # type: ignore[no-any-return]


# Measured 2026-12-03 (AMD EPYC, 2 cores; the buckets of 100,000 corpus benchmark documents, 27 M anchor and
# holder rows in all): the twin (the equal rows compiled, the rest numpy gathers) takes 38 M rows a second, the
# kernel 72 M; compiling it takes 0.9 s, loading it about 0.1 s
anchor_pair_codes = sized_kernel(
    "dedup.match.containment_kernels", "anchor_pair_codes", plain_anchor_pair_codes,
    work=lambda anchor_value, inner, holder_value, *_: len(anchor_value) + len(holder_value), cold=30_000_000,
    warm=4_000_000,
)


def held_by_enough(inner: np.ndarray, outer: np.ndarray, anchors: np.ndarray, rule: ContainmentRule
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (inner, outer) pairs, sorted, where outer holds ``rule.min_anchor_hits`` of inner's anchors (all
    of them if it has fewer): a container holds most anchors of what lies 90 % inside it (two of four: missed with
    a chance of 0.4 %); a document sharing one by chance holds one."""
    order = np.lexsort((outer, inner))
    inner, outer, anchors = inner[order], outer[order], anchors[order]
    if len(inner) == 0:
        return inner, outer
    starts = np.flatnonzero(np.concatenate([[True], (inner[1:] != inner[:-1]) | (outer[1:] != outer[:-1])]))
    wanted = enough_anchors(np.diff(np.append(starts, len(inner))), anchors[starts], rule)
    return inner[starts][wanted], outer[starts][wanted]


def enough_anchors(hits: np.ndarray, anchors: np.ndarray, rule: ContainmentRule) -> np.ndarray:
    """Whether a pair whose outer document holds ``hits`` of the inner's ``anchors`` is a candidate."""
    return hits >= np.minimum(anchors, rule.min_anchor_hits)
