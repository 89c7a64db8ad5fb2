"""Whether a document can repeat anything at all, decided without its pairs, sections or sentences.

Most scraped documents repeat nothing inside themselves, yet matching them costs a pair
search over every block and sentence. This module proves, from shingle counts alone, that
cleaning would remove nothing, so the text can be returned as it is.

Cleaning only removes (a) markers, (b) blocks of a repeated section anchored by a pair of
prose blocks, (c) long sentences (and blocks emptied by them) repeating another long
sentence. Every such pair is exact, near (Jaccard ≥ ``near_threshold``) or contained
(≥ ``containment_threshold`` of the smaller inside the larger), so the smaller unit shares
at least c = min of the two thresholds of its distinct shingles with the other.

Call a shingle position *repeated* when its hash occurs at another position among the
units looked at. A shared distinct shingle has at least one repeated position in the
smaller unit, and a shingle with no repeated position is a distinct one of its own, so a
unit sharing c of its distinct shingles has at least c of its positions repeated. A unit
whose share of repeated positions stays below c can pair with nothing: that is the test,
computed with one sort of (hash, position) keys.

Sentences are not split unless needed: in a *simple* text (``dedup.segment.lines``) a
sentence's key is a stretch of its line's key, so no sentence of a line can pair if no
stretch of the line's key as long as a long sentence has c of its positions repeated
(a running minimum over prefix sums finds the best stretch). Only lines where some
stretch passes are split into sentences, all in one call, and their sentences' stretches
of positions are checked at once.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from dedup.compiled import sized_kernel
from dedup.model import CleanOptions
from dedup.segment.blocks import DocumentBlocks
from dedup.segment.normalise import content_weight, normalise
from dedup.segment.sentences import blocks_sentence_bounds, sentence_spans
from dedup.signatures.shingles import hash_ngrams

# Shares are compared in integers, as 1/1024ths rounded down: the test then asks for a little
# less than c, so rounding can only ever send a text the long way.
_SCALE = 1024
# From this many positions on, the test first looks for two prose lines alike (``kernels._two_units_alike``)
ALIKE_FROM = 1 << 16


def repeats_nothing(blocks: DocumentBlocks, options: CleanOptions) -> bool:
    """True if cleaning the document of ``blocks`` is known to remove nothing.

    False never means something repeats, only that it was not ruled out.
    """
    if not options.keep_markers and blocks.markers:
        return False
    share = options.near_threshold
    if options.containment_threshold is not None:
        share = min(share, options.containment_threshold)
    scaled = math.floor(share * _SCALE)
    if scaled <= 0:
        return False
    prose = blocks.prose
    if not prose:
        return True
    n = options.shingle_size
    lines = blocks.lines
    assert lines is not None and blocks.line_numbers is not None  # document_blocks always keeps them
    stretches = lines.simple and math.ceil(options.min_sentence_weight / 2) >= n
    any_unit, suspects, repeated, offsets = prose_repeated_share(
        lines.key_points, lines.key_start, blocks.line_numbers[prose], n, options.min_sentence_weight, scaled,
        _SCALE, stretches,
    )
    if any_unit:
        return False  # a pair of prose blocks is possible
    if not stretches:
        return not _sentences_may_pair(blocks, prose, options, scaled)
    if not len(suspects):
        return True
    return not _line_sentences_may_pair(blocks, np.array(prose, dtype=np.int64)[suspects], suspects, repeated, offsets, options, scaled)


def plain_repeated_share_units(
    hashes: np.ndarray, offsets: np.ndarray, least: np.ndarray, scaled: int, scale: int, stretches: bool
) -> tuple[bool, np.ndarray, np.ndarray]:
    """:func:`dedup.match.kernels.repeated_share_units` in numpy (``scale`` is ``_SCALE``): the same results."""
    if len(hashes) >= ALIKE_FROM and _two_units_alike(hashes, offsets):
        return True, np.empty(0, dtype=np.int64), np.zeros(0, dtype=bool)
    repeated = _repeated_positions(hashes)
    if _any_share(repeated, offsets, scaled):
        return True, np.empty(0, dtype=np.int64), repeated
    if not stretches:
        return False, np.empty(0, dtype=np.int64), repeated
    return False, np.array(_lines_with_dense_stretch(repeated, offsets, least, scaled), dtype=np.int64), repeated


def plain_prose_repeated_share(
    key_points: np.ndarray, key_start: np.ndarray, lines: np.ndarray, n: int, min_weight: int, scaled: int, scale: int,
    stretches: bool,
) -> tuple[bool, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`dedup.match.kernels.prose_repeated_share` with the keys as strings (``scale`` is ``_SCALE``): the same
    results."""
    keys = [key_points[key_start[line] : key_start[line + 1] - 1].tobytes().decode("utf-32-le", "surrogatepass")
            for line in lines.tolist()]
    hashes, offsets = hash_ngrams(keys, n)
    least = np.maximum(_min_sentence_chars(keys, min_weight) - n + 1, 1)
    return (*plain_repeated_share_units(hashes, offsets, least, scaled, _SCALE, stretches), offsets)


# Measured 2026-12-03 (AMD EPYC, 2 cores; the real pages and 2,000 corpus benchmark documents; work: the code
# points of all of a document's keys, an upper bound of its prose keys' that costs nothing to take): the plain
# twin takes 4.3 M a second, the kernel 58 M; compiling it takes 2.8 s, loading it from numba's cache 0.3 s
prose_repeated_share = sized_kernel(
    "dedup.match.kernels", "prose_repeated_share", plain_prose_repeated_share,
    work=lambda key_points, *_: len(key_points), cold=12_000_000, warm=1_300_000, loaded=43_000,  # 10 ms plain
)


def _two_units_alike(hashes: np.ndarray, offsets: np.ndarray) -> bool:
    """``dedup.match.kernels._two_units_alike`` in numpy: two non-empty units of one size and one sum of hashes."""
    sizes = np.diff(offsets)
    sums = np.concatenate([np.zeros(1, dtype=np.uint64), np.cumsum(hashes, dtype=np.uint64)])
    full = sizes > 0
    prints = (sums[offsets[1:]] - sums[offsets[:-1]])[full] * np.uint64(1_000_003) + sizes[full].astype(np.uint64)
    return len(np.unique(prints)) < len(prints)


def _repeated_positions(hashes: np.ndarray) -> np.ndarray:
    """Whether each position's hash occurs at some other position too (one sort of 64-bit keys)."""
    if len(hashes) < 2:
        return np.zeros(len(hashes), dtype=bool)
    keys = (hashes.astype(np.uint64) << np.uint64(32)) | np.arange(len(hashes), dtype=np.uint64)
    keys.sort()
    ordered = keys >> np.uint64(32)
    same = ordered[1:] == ordered[:-1]
    in_run = np.zeros(len(keys), dtype=bool)
    in_run[1:] |= same
    in_run[:-1] |= same
    repeated = np.empty(len(keys), dtype=bool)
    repeated[(keys & np.uint64(0xFFFFFFFF)).astype(np.int64)] = in_run
    return repeated


def _any_share(repeated: np.ndarray, offsets: np.ndarray, scaled: int) -> bool:
    """Whether some unit (positions ``offsets[u]:offsets[u + 1]``) has ``scaled``/1024 of its positions repeated."""
    sizes = np.diff(offsets)
    counts = np.concatenate([[0], np.cumsum(repeated, dtype=np.int64)])
    hits = counts[offsets[1:]] - counts[offsets[:-1]]
    return bool(np.any((sizes > 0) & (hits * _SCALE >= scaled * sizes)))


def _min_sentence_chars(keys: Sequence[str], min_weight: int) -> np.ndarray:
    """Fewest characters a key part of each of ``keys`` can have and still weigh ``min_weight`` (int64).

    A character weighs 1, a CJK character 2 (``content_weight``): an ASCII key needs them all.
    """
    return np.where([k.isascii() for k in keys], min_weight, math.ceil(min_weight / 2)).astype(np.int64)


def _lines_with_dense_stretch(repeated: np.ndarray, offsets: np.ndarray, least: np.ndarray, scaled: int) -> list[int]:
    """Units with a stretch of at least ``least[u]`` positions with ``scaled``/1024 of them repeated.

    A sentence of k ≥ n characters has k - n + 1 positions. With F the prefix sums of
    ``repeated`` and G[k] = 1024·F[k] - scaled·k, a stretch [a, b) of a unit qualifies when
    G[b] - G[a] ≥ 0 with b - a ≥ its least length: the running minimum of G (earlier
    units lifted out of reach) gives the best a for every b at once, in integers.
    """
    units = len(offsets) - 1
    sizes = np.diff(offsets)
    candidates = sizes >= least
    if not candidates.any():
        return []
    # prefix entries: unit u has sizes[u] + 1 of them, for k = 0 .. sizes[u]
    entry_unit = np.repeat(np.arange(units, dtype=np.int64), sizes + 1)
    first_entry = np.concatenate([[0], np.cumsum(sizes + 1)[:-1]])
    k = np.arange(len(entry_unit), dtype=np.int64) - first_entry[entry_unit]
    prefix = np.concatenate([[0], np.cumsum(repeated, dtype=np.int64)])
    position = offsets[entry_unit] + k
    g = _SCALE * (prefix[position] - prefix[offsets[entry_unit]]) - scaled * k
    lift = 2 * _SCALE * (len(repeated) + 1) + 1  # more than any span of g
    lifted = g + lift * (units - entry_unit)
    running = np.minimum.accumulate(lifted)
    valid = np.flatnonzero((k >= least[entry_unit]) & candidates[entry_unit])
    dense = lifted[valid] - running[valid - least[entry_unit[valid]]] >= 0
    return np.unique(entry_unit[valid[dense]]).tolist()


def _line_sentences_may_pair(
    blocks: DocumentBlocks, suspects: np.ndarray, units: np.ndarray, repeated: np.ndarray, offsets: np.ndarray,
    options: CleanOptions, scaled: int,
) -> bool:
    """Whether a long sentence of the blocks ``suspects`` has ``scaled``/1024 of its positions repeated.

    Block ``suspects[i]`` is unit ``units[i]`` of ``repeated`` and ``offsets``. All the blocks
    are split in one call; a sentence's positions are the stretch of its line's positions
    where its key starts, as its key is that stretch of the line's key (a simple text).
    """
    if not len(suspects):
        return False
    at, starts, ends = blocks_sentence_bounds(blocks, suspects)
    bounds = blocks.stretch_bounds(suspects[at], starts, ends)
    assert bounds is not None
    weights = blocks.bounded_weights(*bounds)
    _, low, high = bounds
    n = options.shingle_size
    long = np.array(weights, dtype=np.int64) >= options.min_sentence_weight
    if (long & (high - low < n)).any():
        return True  # one shingle of its own, not one of the line's
    low, high, unit = low[long], high[long], units[at][long]
    positions = high - low - n + 1
    first = offsets[unit] + low
    prefix = np.concatenate([[0], np.cumsum(repeated, dtype=np.int64)])
    hits = prefix[first + positions] - prefix[first]
    return bool((hits * _SCALE >= scaled * positions).any())


def _sentences_may_pair(blocks: DocumentBlocks, prose: Sequence[int], options: CleanOptions, scaled: int) -> bool:
    """Whether some long sentence has ``scaled``/1024 of its positions repeated among the long sentences."""
    keys = []
    for block in prose:
        body = blocks.text_of(block)
        for low, high in sentence_spans(body):
            key = normalise(body[low:high])
            if content_weight(key) >= options.min_sentence_weight:
                keys.append(key)
    if len(keys) < 2:
        return False
    hashes, offsets = hash_ngrams(keys, options.shingle_size)
    return _any_share(_repeated_positions(hashes), offsets, scaled)
