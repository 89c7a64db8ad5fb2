"""Within-document cleaning: the whole pipeline for one text, as a pure function.

segment (blocks, sentences) → signatures (shingle sets) → match (pairs, sections) →
decide (block drops, sentence drops) → cuts. No I/O here: readers and writers call this.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import fields, replace
from typing import Any

import numpy as np

from dedup.decide.blocks import BlockDrop, CoverageIndex, choose_block_drops
from dedup.decide.cuts import apply_removals, block_removals, sentence_removals
from dedup.decide.sentences import choose_sentence_drops, protected_sentences
from dedup.match.next_pass import MatchedUnits, PassCuts, next_pass_cuts_nothing
from dedup.match.pairs import exact_pairs, similar_pairs
from dedup.match.repeats import repeats_nothing
from dedup.match.sections import chain_sections
from dedup.model import CleanOptions, CleanResult, Removal
from dedup.segment.blocks import PROSE_WEIGHT, DocumentBlocks, document_blocks
from dedup.segment.lines import document_lines
from dedup.segment.sentences import document_sentences, sentence_keys_and_weights
from dedup.signatures.shingles import shingle_sets


_DEFAULTS = CleanOptions()


def make_options(**overrides: Any) -> CleanOptions:
    """CleanOptions with ``overrides``; unknown names are an error, not silently ignored.

    Without overrides, the one default instance (frozen, so sharing it is safe): ``clean_text``
    calls this per document, and building options costs some 6 µs, 2-3% of a short page's cleaning.
    """
    if not overrides:
        return _DEFAULTS
    known = {f.name for f in fields(CleanOptions)}
    unknown = set(overrides) - known
    if unknown:
        raise TypeError(f"unknown cleaning option(s): {', '.join(sorted(unknown))}")
    if "marker_patterns" in overrides:
        overrides["marker_patterns"] = tuple(overrides["marker_patterns"])
    return replace(CleanOptions(), **overrides)


_MAX_PASSES = 4
# Shorter texts make the next pass rather than prove it would cut nothing: a pass costs about 0.1 µs a
# character, the proof 0.4-1.5 ms whatever the size (measured 2026-12-04, Intel Xeon, generated articles)
_VOUCHED_FROM = 30_000


def clean_document(text: str, options: CleanOptions | None = None) -> CleanResult:
    """Remove the sections, paragraphs and sentences that ``text`` repeats (see :func:`clean_and_segment`)."""
    return clean_and_segment(text, options)[0]


def clean_and_segment(text: str, options: CleanOptions | None = None) -> tuple[CleanResult, DocumentBlocks | None]:
    """Remove the sections, paragraphs and sentences that ``text`` repeats; and the cleaned text's plain blocks.

    Cutting repeated sentences can leave two paragraphs equal that were not before, so the
    passes repeat until one removes nothing: cleaning is idempotent by construction. Later
    passes' cuts are mapped back to offsets in the original text.

    Most documents repeat nothing: when shingle counts alone prove that no block or
    sentence can pair with another (``repeats_nothing``), the text is returned as it is.

    The blocks are ``document_blocks(result.text)`` (no markers, the default prose weight)
    when those made for cleaning are the same, so that callers who segment the cleaned text
    again (boilerplate line counting) need not: the text came back as it was, the prose
    weight is the default, and no line is a marker (a marker pattern changes the blocks only
    where it finds one). Otherwise None.
    """
    options = options or CleanOptions()
    lines = document_lines(text)
    blocks = document_blocks(text, options.marker_patterns, options.min_block_weight, options.min_fragment_weight, lines)
    plain = blocks if options.min_block_weight == PROSE_WEIGHT and not blocks.markers else None
    if repeats_nothing(blocks, options):
        return CleanResult(text), plain
    current, settled = clean_once(text, options, blocks)
    removals = list(current.removals)
    for _ in range(_MAX_PASSES - 1):
        if settled:
            break
        following, settled = clean_once(current.text, options)
        if not following.removals:
            break
        removals = merge_passes(text, removals, following.removals)
        current = following
    removals.sort(key=lambda r: r.start)
    return CleanResult(current.text, tuple(removals)), (plain if not removals else None)


def clean_once(text: str, options: CleanOptions, blocks: DocumentBlocks | None = None) -> tuple[CleanResult, bool]:
    """One pass of the pipeline over ``text``, and whether another pass is known to change nothing.

    It is when no sentence was cut (block contents are as they were) and no repeated pair
    of paragraphs was left with both copies (pass-specific reasons such as a pinned copy);
    or, when sentences were cut from a long text, when ``next_pass_cuts_nothing`` proves it
    from this pass's shingle sets and the lines cut from.
    ``blocks``: those of ``text``, if made already.
    """
    if blocks is None:
        blocks = document_blocks(text, options.marker_patterns, options.min_block_weight, options.min_fragment_weight)
    if not blocks:
        return CleanResult(text), True
    matchable = [True] * len(blocks)
    for b in blocks.unmatchable:
        matchable[b] = False
    block_keys, block_weights = blocks.keys, blocks.weights
    if blocks.unmatchable:
        block_keys = [key if ok else "" for key, ok in zip(blocks.keys, matchable)]
        block_weights = [weight if ok else 0 for weight, ok in zip(blocks.weights, matchable)]
    prose = np.zeros(len(blocks), dtype=bool)
    prose[blocks.prose] = True

    sentences = document_sentences(blocks)
    sentence_keys, sentence_weights = sentence_keys_and_weights(blocks, sentences)

    n = options.shingle_size
    block_sets = shingle_sets(block_keys, n)
    sentence_sets = shingle_sets(sentence_keys, n)

    block_matches = exact_pairs(block_keys, matchable) + similar_pairs(
        block_keys, block_sets, prose, options.near_threshold, options.containment_threshold, options.max_posting
    )
    sections = chain_sections(block_matches, options.max_gap, prose)
    coverage = CoverageIndex(
        block_sets, sentence_sets, block_keys, sentences.of_block, sentence_keys, sentence_weights,
        options.guard_sentence_weight, options.cover_threshold,
    )
    block_drops = choose_block_drops(blocks, block_weights, sections, coverage)

    long_kept = np.array(
        [w >= options.min_sentence_weight and b not in block_drops for b, w in zip(sentences.block, sentence_weights)],
        dtype=bool,
    )
    sentence_matches = exact_pairs(sentence_keys, long_kept) + similar_pairs(
        sentence_keys, sentence_sets, long_kept, options.near_threshold, options.containment_threshold, options.max_posting
    )
    kept_for: dict[int, list[int]] = {}
    for drop in block_drops.values():
        kept_for.setdefault(drop.kept, []).append(drop.block)
    protected = protected_sentences(sentence_keys, sentences.of_block, block_keys, kept_for)
    sentence_drops = choose_sentence_drops(sentences.block, sentence_matches, protected)
    for block in sorted({sentences.block[s] for s in sentence_drops}):  # ascending, as block_drops' order matters
        own = sentences.of_block[block]
        if all(s in sentence_drops for s in own):
            first = sentence_drops[own[0]]
            block_drops[block] = BlockDrop(block, sentences.block[first.kept], first.kind, first.similarity)
            for s in own:
                del sentence_drops[s]
    for block, drop in list(block_drops.items()):  # a kept copy emptied by the sentence stage hands over
        kept, seen = drop.kept, {block}
        while kept in block_drops and kept not in seen:
            seen.add(kept)
            kept = block_drops[kept].kept
        if kept != drop.kept:
            block_drops[block] = replace(drop, kept=kept)

    markers = [] if options.keep_markers else blocks.markers
    removals = block_removals(text, blocks, block_drops, markers) + sentence_removals(sentences, sentence_drops)
    removals.sort(key=lambda r: r.start)
    unresolved = any(
        m.first not in block_drops and m.second not in block_drops and (prose[m.first] or prose[m.second])
        for m in block_matches
    )
    settled = not sentence_drops and not unresolved
    if not settled and not unresolved and len(text) >= _VOUCHED_FROM:  # sentences were cut
        cuts = PassCuts(
            [(r.start, r.end) for r in removals if r.unit == "sentence"], block_drops.keys(), block_matches,
            sentence_matches, sentence_drops.keys(),
        )
        settled = next_pass_cuts_nothing(
            blocks, sentences, MatchedUnits(block_sets, prose), MatchedUnits(sentence_sets, long_kept), cuts, options
        )
    return CleanResult(apply_removals(text, removals), tuple(removals)), settled


def merge_passes(original: str, earlier: list[Removal], later: Sequence[Removal]) -> list[Removal]:
    """``earlier`` cuts of ``original`` plus ``later`` cuts made in the text they left, in original offsets.

    A later cut that spans an earlier one becomes one removal per piece of original text.
    """
    kept_pieces, at = [], 0
    for removal in sorted(earlier, key=lambda r: r.start):
        if removal.start > at:
            kept_pieces.append((at, removal.start))
        at = removal.end
    if at < len(original):
        kept_pieces.append((at, len(original)))
    starts_in_cleaned = []
    offset = 0
    for start, end in kept_pieces:
        starts_in_cleaned.append(offset)
        offset += end - start

    def to_original(position: int) -> int:
        piece = max(bisect_right(starts_in_cleaned, position) - 1, 0)
        return kept_pieces[piece][0] + position - starts_in_cleaned[piece]

    merged = list(earlier)
    for removal in later:
        kept = removal.kept
        if kept is not None:
            kept = replace(kept, start=to_original(kept.start), end=to_original(kept.end - 1) + 1)
        piece = max(bisect_right(starts_in_cleaned, removal.start) - 1, 0)
        while piece < len(kept_pieces) and starts_in_cleaned[piece] < removal.end:
            (start, end), first = kept_pieces[piece], starts_in_cleaned[piece]
            low, high = max(removal.start, first), min(removal.end, first + end - start)
            if low < high:
                merged.append(replace(removal, start=start + low - first, end=start + high - first, kept=kept))
            piece += 1
    return merged
