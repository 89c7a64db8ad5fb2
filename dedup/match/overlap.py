"""How many shingles each pair of units shares, through an inverted index.

Comparing every unit with every other is quadratic in the size of a document. Instead the
shingles are grouped by hash: only units that share a shingle are ever paired, and a
shingle found in more than ``max_posting`` units (a formula, boilerplate) is skipped so a
document full of one phrase cannot blow up the pair count. The counts are exact
intersection sizes (for the shingles kept), so no second verification pass is needed.

Memory stays a few bytes per shingle, whatever the size of the document: the index is
built for one range of hash values at a time (sorting takes 8 bytes per shingle), and the
pairs are counted a million at a time (a passage repeated a few dozen times lists up to
``max_posting / 2`` pairs per shingle, far more than the distinct pairs they add up to; the
compiled count's table takes 32 bytes a pair). The prefix filter, for units whose shingles
fit in one range (``SHINGLES_PER_RANGE``, 4 M), takes up to 36 bytes a shingle (the sorted
keys, and per countable shingle its group and its place in its unit's order): at most
some 150 MB, for a document of 4 MB of prose.
"""
from __future__ import annotations

import sys
from collections.abc import Iterator
from functools import lru_cache

import numpy as np

from dedup.compiled import sized_kernel
from dedup.signatures.shingles import ShingleSets

SHINGLES_PER_RANGE = 1 << 22
PAIRS_PER_BATCH = 1 << 20
_NOT_HELD = np.uint16(0xFFFF)
_NO_COPIES = np.zeros(0, dtype=np.int64)
_MOST_HOLDERS = 1 << 24  # holder counts sort beside group indexes in the prefix kernel


def shared_shingle_counts(
    sets: ShingleSets, eligible: np.ndarray, max_posting: int = 32, copies: np.ndarray | None = None,
    least_share: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(first, second, shared)`` for every pair of eligible units sharing a shingle, first < second.

    ``copies[u]`` is how many units unit ``u`` stands for (itself and its exact copies, left
    out of ``eligible``): it counts that many times towards ``max_posting``, as they would.
    With ``least_share``, only the pairs sharing at least that share of the smaller unit's
    shingles are listed (:func:`least_shared`): a prefix filter finds them from far fewer
    pair occurrences (``dedup.match.prefix_kernels``).
    """
    n_units = len(sets.offsets) - 1
    eligible = np.asarray(eligible, dtype=bool)
    copies = _NO_COPIES if copies is None else copies
    if least_share > 0 and _in_one_range(sets, eligible) and max_posting < _MOST_HOLDERS:
        codes, shared = prefix_pair_counts(_sorted_keys(sets, eligible), copies, max_posting, sets.sizes, least_share)
    else:
        codes, shared = _all_pair_counts(_postings(sets, eligible), copies, max_posting, n_units)
        if least_share > 0:
            codes, shared = _enough(codes, shared, least_shared(sets.sizes, least_share))
    return codes // n_units, codes % n_units, shared


def least_shared(sizes: np.ndarray, share: float) -> np.ndarray:
    """The fewest shingles x a pair whose smaller unit has each of ``sizes`` must share: the least x ≥ 1 with x / size ≥ ``share``.

    In float64, as ``similar_pairs`` tests it: a pair below this fails its containment test
    (shared / smaller size) and its Jaccard test (shared / a larger divisor, which rounds no higher).
    """
    sizes = np.maximum(sizes, 1)
    guess = np.ceil(share * sizes).astype(np.int64)
    guess += (guess / sizes < share).astype(np.int64)  # ceil of a product rounded down
    guess -= ((guess - 1) / sizes >= share).astype(np.int64)  # or rounded up
    return np.maximum(guess, 1)


def plain_prefix_pair_counts(
    keys: np.ndarray, copies: np.ndarray, max_posting: int, sizes: np.ndarray, share: float
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`dedup.match.prefix_kernels.prefix_pair_counts` in numpy: every pair counted, then filtered."""
    codes, shared = _all_pair_counts(iter([_held_twice(keys)]), copies, max_posting, len(sizes))
    return _enough(codes, shared, least_shared(sizes, share))


def _all_pair_counts(
    ranges: Iterator[np.ndarray], copies: np.ndarray, max_posting: int, n_units: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted pair codes of the groups of every range of keys, and how many groups each is in."""
    counts = _PairCounts(np.int64(n_units))
    for keys in ranges:
        at = 0
        while at < len(keys):
            codes, shared, at = group_pair_counts(keys, copies, max_posting, n_units, at, PAIRS_PER_BATCH)
            counts.add(codes, shared)
    return counts.total()


def _enough(codes: np.ndarray, shared: np.ndarray, least: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs that share at least ``least`` of their smaller unit (the lesser of the two, as it grows with size)."""
    n_units = len(least)
    keep = shared >= np.minimum(least[codes // n_units], least[codes % n_units])
    return codes[keep], shared[keep]


def plain_group_pair_counts(
    keys: np.ndarray, copies: np.ndarray, max_posting: int, n_units: int, begin: int, limit: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`dedup.match.kernels.group_pair_counts` in numpy: the same results, bit for bit."""
    hashes, units = _halves(keys)
    group_starts = np.flatnonzero(np.concatenate([[True], hashes[1:] != hashes[:-1]]))
    group_starts = group_starts[group_starts >= begin]
    group_sizes = np.diff(np.concatenate([group_starts, [len(keys)]]))
    wanted = group_sizes <= max_posting
    if len(copies) and len(group_starts):
        run = np.repeat(group_starts, group_sizes) + _ranks(group_sizes)
        postings = np.add.reduceat(copies[units[run]], np.concatenate([[0], np.cumsum(group_sizes)[:-1]]))
        wanted &= postings <= max_posting
    pairs = np.where(wanted, group_sizes * (group_sizes - 1) // 2, 0)
    added = np.cumsum(pairs)
    taken = (added - pairs == 0) | (added <= limit)  # the kernel's rule: groups while the pairs fit, at least one
    last = len(group_starts) if taken.all() else int(np.argmin(taken))
    stop = len(keys) if last == len(group_starts) else int(group_starts[last])
    group_starts, group_sizes = group_starts[:last][wanted[:last]], group_sizes[:last][wanted[:last]]
    code_runs = []
    for size in np.unique(group_sizes):
        starts = group_starts[group_sizes == size]
        left, right = _pairs_of(int(size))
        members = units[starts[:, None] + np.arange(size)].astype(np.int64)
        code_runs.append((members[:, left] * n_units + members[:, right]).ravel())
    codes, counts = np.unique(np.concatenate(code_runs) if code_runs else np.zeros(0, np.int64), return_counts=True)
    return codes.astype(np.int64), counts.astype(np.int64), stop


# Measured 2026-12-02 (AMD EPYC, 2 cores; the real pages): numpy counts the pairs of 3.2 M keys a second
# (it pays some 50 µs a group size); compiling the kernel takes 3.3 s, loading it from numba's cache 0.02 s
group_pair_counts = sized_kernel(
    "dedup.match.kernels", "group_pair_counts", plain_group_pair_counts,
    work=lambda keys, copies, max_posting, n_units, begin, limit: len(keys) - begin, cold=10_000_000, warm=300_000,
)

# Measured 2026-12-03 (AMD EPYC, 2 cores; the real pages' lines): the numpy twin counts 8.5 M keys a second;
# compiling the kernel takes 5.5 s, loading it from numba's cache 0.45 s (numba's own set-up), 0.013 s once set up
prefix_pair_counts = sized_kernel(
    "dedup.match.prefix_kernels", "prefix_pair_counts", plain_prefix_pair_counts,
    work=lambda keys, copies, max_posting, sizes, share: len(keys), cold=40_000_000, warm=3_800_000, loaded=100_000,
)


def _in_one_range(sets: ShingleSets, eligible: np.ndarray) -> bool:
    """Whether :func:`_postings` sorts the shingles of all eligible units at once."""
    return int(sets.sizes[eligible].sum()) <= SHINGLES_PER_RANGE


def _postings(sets: ShingleSets, eligible: np.ndarray) -> Iterator[np.ndarray]:
    """Sorted ``hash << 32 | unit`` of the shingles that two or more eligible units hold, one hash range at a time."""
    eligible = np.asarray(eligible, dtype=bool)
    sizes = sets.sizes
    total = int(sizes[eligible].sum())
    if total <= SHINGLES_PER_RANGE:
        yield _held_twice(_sorted_keys(sets, eligible))
        return
    bits = min(15, max(1, (-(-total // SHINGLES_PER_RANGE) - 1).bit_length()))
    part = (sets.hashes >> np.uint32(32 - bits)).astype(np.uint16)  # the range of each shingle's hash
    part[~np.repeat(eligible, sizes)] = _NOT_HELD
    for value in range(1 << bits):
        positions = np.flatnonzero(part == value)
        keys = sets.hashes[positions].astype(np.uint64)
        keys <<= np.uint64(32)
        units = np.searchsorted(sets.offsets, positions, side="right")
        del positions
        units -= 1
        keys |= units.view(np.uint64)
        del units
        keys.sort()
        yield _held_twice(keys)


def _sorted_keys(sets: ShingleSets, eligible: np.ndarray) -> np.ndarray:
    """Sorted ``hash << 32 | unit`` of all shingles of the eligible units, at once."""
    keys = unit_keys(sets.hashes, sets.offsets, eligible)
    keys.sort()
    return keys


def plain_unit_keys(hashes: np.ndarray, offsets: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """:func:`dedup.match.prefix_kernels.unit_keys` in numpy."""
    sizes = np.diff(offsets)
    keys = hashes[np.repeat(eligible, sizes)].astype(np.uint64)
    keys <<= np.uint64(32)
    chosen = np.flatnonzero(eligible)
    keys |= np.repeat(chosen.astype(np.uint32), sizes[chosen])
    return keys


# Measured 2026-12-03 (AMD EPYC, 2 cores; the real pages' blocks and sentences): numpy makes 150 M keys a
# second, the kernel 260 M; compiling it takes 0.27 s once numba is set up (0.45 s more before), loading it
# from numba's cache 0.003 s once set up
unit_keys = sized_kernel(
    "dedup.match.prefix_kernels", "unit_keys", plain_unit_keys,
    work=lambda hashes, offsets, eligible: len(hashes), cold=100_000_000, warm=70_000_000, loaded=450_000,
)


def _held_twice(keys: np.ndarray) -> np.ndarray:
    """Sorted ``keys`` (hash << 32 | unit), keeping only hashes found more than once: in most text, few."""
    hashes, _ = _halves(keys)
    same = hashes[1:] == hashes[:-1]
    del hashes
    twice = np.zeros(len(keys), dtype=bool)
    twice[1:] = same
    twice[:-1] |= same
    return keys[twice]


def _halves(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The high (hash) and low (unit) 32 bits of ``keys``: views, not copies, on little-endian machines."""
    if sys.byteorder == "little":
        pairs = keys.view(np.uint32)
        return pairs[1::2], pairs[0::2]
    return (keys >> np.uint64(32)).astype(np.uint32), (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def _ranks(sizes: np.ndarray) -> np.ndarray:
    """0, 1, …, size - 1 for each size, concatenated."""
    ends = np.cumsum(sizes)
    return np.arange(ends[-1]) - np.repeat(ends - sizes, sizes)


class _PairCounts:
    """Occurrences of pair codes (first × units + second), added in batches and summed up."""

    def __init__(self, n_units: np.int64) -> None:
        self.n_units = n_units
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []
        self.pending_size = 0
        self.merged = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))

    def add(self, codes: np.ndarray, counts: np.ndarray) -> None:
        """Distinct sorted ``codes`` and how often each occurred."""
        if not len(codes):
            return
        self.pending.append((codes, counts))
        self.pending_size += len(codes)
        if self.pending_size >= max(PAIRS_PER_BATCH, len(self.merged[0])):
            self._merge()

    def total(self) -> tuple[np.ndarray, np.ndarray]:
        self._merge()
        return self.merged

    def _merge(self) -> None:
        parts = ([self.merged] if len(self.merged[0]) else []) + self.pending
        self.pending, self.pending_size = [], 0
        if len(parts) <= 1:
            self.merged = parts[0] if parts else self.merged
            return
        codes = np.concatenate([c for c, _ in parts])
        counts = np.concatenate([n for _, n in parts])
        order = np.argsort(codes, kind="stable")
        codes, counts = codes[order], counts[order]
        starts = np.flatnonzero(np.concatenate([[True], codes[1:] != codes[:-1]]))
        self.merged = codes[starts], np.add.reduceat(counts, starts)


@lru_cache(maxsize=64)
def _pairs_of(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) of a group of ``size`` units."""
    return np.triu_indices(size, 1)
