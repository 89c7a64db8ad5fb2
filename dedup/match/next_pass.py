"""Whether one more pass over the text a pass left would cut anything, known without making that pass.

Cleaning repeats its passes until one removes nothing (``dedup.within``), and that last pass
costs as much as any: a 5 MB document's third pass took 150 ms to find nothing, after a
second pass that had cut 12 sentences out of 1.5 MB. A pass that cut sentences changed
only the lines it cut from and the lines it dropped; the rest are as they were, and so is
what they pair with. This module proves from the pass's own shingle sets, and those few
lines segmented again, that the next pass would remove nothing. False never means it
would, only that it was not ruled out: then the pass is made.

The argument, for a pass over text T with no marker, in which every block pair with a
prose side lost a copy (the caller's condition), giving T':

1. T' has T's lines but the dropped ones (a dropped block's cut takes its whole line and
   the blank lines after it) and the *touched* lines, which lost sentences: a sentence's
   cut never crosses a line end and never empties its line (a block emptied by its
   sentences is dropped). Every other line keeps its key, weight and kind, and a prose
   line its sentences: each is a function of the line alone, or of its neighbours being
   markers, which no line is (an untouched one was not one in T; the touched ones are
   segmented again here, and must not be), or of front matter and fences, which stay
   where they were unless a touched line can open or close one, or the first line left
   is a "---" that front matter could now start at or reach further from. The touched
   lines, segmented on their own, give exactly their blocks and sentences in T'.
2. The next pass cuts only for a pair of prose blocks (a section needs one to anchor it),
   a pair of long sentences, or a marker. So it cuts nothing if no such pair is in T'.
3. A pair of two *clean* units (in lines neither touched nor dropped): their shingle sets
   are those of T, and whether they pair depends on the shingles they share that two to
   ``max_posting`` eligible units hold (exact copies counted). T had no such pair: every
   pair lost a copy (a sentence pair, a copy cut or in a dropped block), which a clean
   unit is not. (A group of more than ``MAX_EXACT_GROUP`` equal keys only lists the pairs
   of its first copy: if that copy was lost, the others are not all accounted for, so
   that case is not ruled out.) A shingle's holders change only by the touched and dropped
   units, so if no shingle two clean units hold crosses ``max_posting`` between T and T',
   no clean pair appears.
4. A pair with a touched unit (in T'): no exact copy of it (found by its rarest
   shingle), and no other unit sharing min(near, containment threshold) of the smaller
   one's counted shingles, as the next pass would count them, rules it out.
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.compiled import sized_kernel
from dedup.match.pairs import MAX_EXACT_GROUP, UnitMatch
from dedup.model import BlockKind, CleanOptions, RemovalKind
from dedup.segment.blocks import DocumentBlocks, delimits_protected, document_blocks
from dedup.segment.sentences import DocumentSentences, document_sentences, sentence_keys_and_weights
from dedup.signatures.shingles import ShingleSets, shingle_sets


_MOST_COPY_CHECKS = 64


@dataclass(frozen=True)
class MatchedUnits:
    """One kind of unit of a pass (blocks or sentences): their shingle sets and which of them were matched."""

    sets: ShingleSets
    eligible: np.ndarray  # bool per unit


@dataclass(frozen=True)
class PassCuts:
    """What a pass cut: the sentences' spans, the blocks dropped, and the pairs and sentence drops behind them."""

    sentence_spans: Sequence[tuple[int, int]]  # (start, end) in the text, ascending
    dropped_blocks: Collection[int]
    block_matches: Sequence[UnitMatch]
    sentence_matches: Sequence[UnitMatch]
    sentence_drops: Collection[int]  # the sentences cut from blocks that stay


def next_pass_cuts_nothing(
    blocks: DocumentBlocks, sentences: DocumentSentences, block_units: MatchedUnits, sentence_units: MatchedUnits,
    cuts: PassCuts, options: CleanOptions,
) -> bool:
    """True if a pass over ``blocks.text`` with ``cuts`` applied is known to remove nothing.

    ``blocks``, ``sentences`` and the units are the pass's over ``blocks.text``, in which no
    block pair with a prose side kept both copies (see the module docstring).
    """
    share = options.near_threshold
    if options.containment_threshold is not None:
        share = min(share, options.containment_threshold)
    dropped = cuts.dropped_blocks
    if share <= 0 or blocks.markers:
        return False
    lost_sentences = set(cuts.sentence_drops).union(*(sentences.of_block[b] for b in dropped))
    prose = set(blocks.prose)
    prose_matches = [m for m in cuts.block_matches if m.first in prose or m.second in prose]
    if not (_every_pair_lost_a_copy(cuts.sentence_matches, lost_sentences) and _every_pair_lost_a_copy(prose_matches, dropped)):
        return False
    if dropped and _opens_front_matter(blocks, dropped):
        return False
    touched = sorted({sentences.block[s] for s in cuts.sentence_drops})
    bodies = _cut_lines(blocks, touched, cuts.sentence_spans)
    if any(delimits_protected(body) for body in bodies):
        return False
    again = document_blocks("\n".join(bodies), options.marker_patterns, options.min_block_weight, options.min_fragment_weight)
    if len(again) != len(bodies) or again.unmatchable:
        return False  # a line went blank, or is a marker now: not the same segmentation
    again_sentences = document_sentences(again)
    keys, weights = sentence_keys_and_weights(again, again_sentences)
    n = options.shingle_size
    again_prose = np.zeros(len(again), dtype=bool)
    again_prose[again.prose] = True
    gone_blocks = np.array(sorted(set(touched).union(dropped)), dtype=np.int64)
    gone_sentences = np.concatenate(
        [np.arange(r.start, r.stop, dtype=np.int64) for r in map(sentences.of_block.__getitem__, gone_blocks.tolist())]
    )
    return _no_pair_appears(
        block_units, gone_blocks, MatchedUnits(shingle_sets(again.keys, n), again_prose), share, options.max_posting,
    ) and _no_pair_appears(
        sentence_units, gone_sentences,
        MatchedUnits(shingle_sets(keys, n), np.array(weights, dtype=np.int64) >= options.min_sentence_weight),
        share, options.max_posting,
    )


def _every_pair_lost_a_copy(matches: Sequence[UnitMatch], lost: Collection[int]) -> bool:
    """Whether every listed pair lost a copy, and no group of equal keys too large to list whole lost its first."""
    exact_firsts: dict[int, int] = {}
    for match in matches:
        if match.first not in lost and match.second not in lost:
            return False
        if match.kind is RemovalKind.EXACT:
            exact_firsts[match.first] = exact_firsts.get(match.first, 0) + 1
    return not any(count >= MAX_EXACT_GROUP and first in lost for first, count in exact_firsts.items())


def _opens_front_matter(blocks: DocumentBlocks, dropped: Collection[int]) -> bool:
    """Whether the first block left is a "---" or "+++" line that front matter is not made of already.

    It may open front matter once the blocks before it are gone, or close one more lines
    away than the 400 looked at, once lines in between are gone.
    """
    first = next((b for b in range(len(blocks)) if b not in dropped), None)
    if first is None or blocks.kinds[first] is BlockKind.PROTECTED:
        return False
    return blocks.text_of(first).strip() in ("---", "+++")


def _cut_lines(blocks: DocumentBlocks, touched: Sequence[int], spans: Sequence[tuple[int, int]]) -> list[str]:
    """The text of each block of ``touched`` with the ``spans`` inside it cut out."""
    starts = [start for start, _ in spans]
    bodies = []
    for block in touched:
        begin, end = blocks.start[block], blocks.end[block]
        pieces, at = [], begin
        for start, stop in spans[bisect_left(starts, begin) : bisect_left(starts, end)]:
            pieces.append(blocks.text[at:start])
            at = stop
        pieces.append(blocks.text[at:end])
        bodies.append("".join(pieces))
    return bodies


def _no_pair_appears(
    before: MatchedUnits, touched: np.ndarray, after: MatchedUnits, share: float, max_posting: int
) -> bool:
    """Whether no pair is made once the units ``touched`` of ``before`` give way to the units ``after``.

    Steps 3 and 4 of the module docstring, for one kind of unit: ``before`` had no pair but
    with a touched unit. The shingles looked up are the touched units' before and after;
    one scan of ``before``'s sets finds where clean units hold them.
    """
    sets, eligible = before.sets, before.eligible
    clean = eligible.copy()
    clean[touched] = False
    gone = touched[eligible[touched]]
    new = np.flatnonzero(after.eligible & (after.sets.sizes > 0))
    gone_hashes, _ = _hashes_of(sets, gone)
    new_hashes, new_owner = _hashes_of(after.sets, new)
    if not len(gone_hashes) and not len(new_hashes):
        return True
    looked_up, gone_holders, new_holders, new_index, holder, which = holdings(
        sets.hashes, sets.offsets, clean, gone_hashes, new_hashes
    )
    clean_holders = np.bincount(which, minlength=len(looked_up))
    before_holders = clean_holders + gone_holders
    after_holders = clean_holders + new_holders
    if np.any((clean_holders >= 2) & ((before_holders <= max_posting) != (after_holders <= max_posting))):
        return False  # step 3: a shingle two clean units share is counted in one pass and not the other
    if not len(new):
        return True
    new_sizes = after.sets.sizes[new]
    if _has_copy(sets, holder, which, after.sets, new, new_hashes, new_owner, new_index, looked_up, after_holders):
        return False
    # step 4, the pairs no exact copy is behind: shingles two to max_posting units hold, as the next pass counts
    counted = (after_holders >= 2) & (after_holders <= max_posting)
    order = np.argsort(new_hashes, kind="stable")
    ordered, owners = new_hashes[order], new_owner[order]
    size = len(new)
    at_hit = counted[which]
    clean_pair, clean_shared = _shared_with_new(holder[at_hit], looked_up[which[at_hit]], ordered, owners, size)
    at_new = counted[new_index]
    new_pair, new_shared = _shared_with_new(new_owner[at_new], new_hashes[at_new], ordered, owners, size)
    later = new_pair % size > new_pair // size  # each pair of new units once, and not a unit with itself
    sizes = sets.sizes
    return not (
        np.any(clean_shared / np.minimum(sizes[clean_pair // size], new_sizes[clean_pair % size]) >= share)
        or np.any(new_shared[later] / np.minimum(new_sizes[new_pair[later] // size], new_sizes[new_pair[later] % size]) >= share)
    )


def _hashes_of(sets: ShingleSets, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The shingles of ``units``, one set after another, and the rank in ``units`` of the unit of each."""
    if not len(units):
        return np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.int64)
    sizes = sets.sizes[units]
    return np.concatenate([sets.of(unit) for unit in units.tolist()]), np.repeat(np.arange(len(units)), sizes)


def _has_copy(
    sets: ShingleSets, holder: np.ndarray, which: np.ndarray, new_sets: ShingleSets, new: np.ndarray,
    new_hashes: np.ndarray, new_owner: np.ndarray, new_index: np.ndarray, looked_up: np.ndarray, holders: np.ndarray,
) -> bool:
    """Whether a new unit's key is that of a clean unit (``holder`` holds ``looked_up[which]``) or of another new unit.

    ``new_index``: where each of ``new_hashes`` is in ``looked_up``. Equal keys have equal
    sets, so a clean copy holds the new unit's least held shingle and has its size: only
    those clean units' sets are compared. Past ``_MOST_COPY_CHECKS`` of them, a copy is not
    ruled out.
    """
    sizes = new_sets.sizes[new]
    held = holders[new_index]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    least = np.flatnonzero(held == np.repeat(np.minimum.reduceat(held, starts), sizes))
    _, first = np.unique(new_owner[least], return_index=True)
    rarest, units = new_hashes[least[first]], new_owner[least[first]]  # one per new unit, in order
    order = np.argsort(rarest, kind="stable")
    is_rarest = np.zeros(len(looked_up), dtype=bool)
    is_rarest[new_index[least[first]]] = True
    at = is_rarest[which]
    pairs, _ = _shared_with_new(holder[at], looked_up[which[at]], rarest[order], units[order], len(new))
    clean, unit = pairs // len(new), pairs % len(new)
    same_size = sets.sizes[clean] == sizes[unit]
    if np.count_nonzero(same_size) > _MOST_COPY_CHECKS:
        return True
    for c, u in zip(clean[same_size].tolist(), unit[same_size].tolist()):
        if np.array_equal(np.sort(sets.of(c)), np.sort(new_sets.of(int(new[u])))):
            return True
    distinct = {np.sort(new_sets.of(u)).tobytes() for u in new.tolist()}
    return len(distinct) < len(new)


def _shared_with_new(
    units: np.ndarray, hashes: np.ndarray, ordered: np.ndarray, owners: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``unit * size + new unit`` of the ``size`` new units with the units holding ``hashes`` (one each),
    and how many shingles each pair shares (``ordered``: the new units' hashes sorted, ``owners``: whose)."""
    low, high = np.searchsorted(ordered, hashes, side="left"), np.searchsorted(ordered, hashes, side="right")
    per_hash = high - low
    ranks = np.arange(int(per_hash.sum())) - np.repeat(np.cumsum(per_hash) - per_hash, per_hash)
    partner = owners[np.repeat(low, per_hash) + ranks]
    return np.unique(np.repeat(units, per_hash) * size + partner, return_counts=True)


def plain_holdings(
    hashes: np.ndarray, offsets: np.ndarray, clean: np.ndarray, gone: np.ndarray, new: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`dedup.match.next_pass_kernels.holdings` in numpy: the same results.

    The clean units' holdings come from a table indexed by the low bits of a hash, giving
    the index of the looked-up hash with those bits: one gather and one comparison find
    nearly all; the few whose bits two looked-up hashes share are searched.
    """
    both = np.concatenate([gone, new])
    ordered, first, inverse = np.unique(both, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # the distinct shingles in the order first met
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    index = rank[inverse.reshape(-1)]
    gone_count = np.bincount(index[: len(gone)], minlength=len(order))
    new_count = np.bincount(index[len(gone) :], minlength=len(order))
    positions, at = _positions_of(hashes, ordered)
    holder = np.searchsorted(offsets, positions, side="right") - 1
    held = clean[holder]
    return ordered[order], gone_count, new_count, index[len(gone) :], holder[held], rank[at[held]]


def _positions_of(hashes: np.ndarray, looked_up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of ``hashes`` that hold one of ``looked_up`` (sorted, distinct), in order, and its index there."""
    bits = 1 << min(22, max(16, (16 * len(looked_up)).bit_length()))
    mask = np.uint32(bits - 1)
    slots = looked_up & mask
    table = np.full(bits, -1, dtype=np.int32)
    table[slots] = np.arange(len(looked_up), dtype=np.int32)
    shared_slot = np.zeros(bits, dtype=bool)
    ordered_slots = np.sort(slots)
    shared_slot[ordered_slots[1:][ordered_slots[1:] == ordered_slots[:-1]]] = True
    low = hashes & mask
    index = table[low]
    maybe = np.flatnonzero(index >= 0)
    index = index[maybe]
    found = looked_up[index] == hashes[maybe]
    again = maybe[~found & shared_slot[low[maybe]]]
    if len(again):
        at = np.minimum(np.searchsorted(looked_up, hashes[again]), len(looked_up) - 1)
        also = looked_up[at] == hashes[again]
        positions = np.concatenate([maybe[found], again[also]])
        order = np.argsort(positions, kind="stable")
        return positions[order], np.concatenate([index[found], at[also]]).astype(np.int64)[order]
    return maybe[found], index[found].astype(np.int64)


# Measured 2026-12-04 (Intel Xeon, 2 cores; the 5 MB benchmark document's second pass, 1.45 M shingles a call): the
# plain twin takes 315 M shingles a second, the kernel 1.2 G; compiling it takes 1.1 s, loading it from numba's
# cache 0.25 s (numba set up too)
holdings = sized_kernel(
    "dedup.match.next_pass_kernels", "holdings", plain_holdings,
    work=lambda hashes, *_: len(hashes), cold=350_000_000, warm=140_000_000, loaded=3_200_000,  # 10 ms plain
)
