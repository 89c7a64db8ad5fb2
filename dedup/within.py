"""Within-document cleaning: the whole pipeline for one text, as a pure function.

segment (blocks, sentences) → signatures (shingle sets) → match (pairs, sections) →
decide (block drops, sentence drops) → cuts. No I/O here: readers and writers call this.
"""
from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import numpy as np

from dedup.decide.blocks import BlockDrop, CoverageIndex, choose_block_drops
from dedup.decide.cuts import apply_removals, block_removals, sentence_removals
from dedup.decide.sentences import choose_sentence_drops, protected_sentences
from dedup.match.pairs import exact_pairs, similar_pairs
from dedup.match.sections import chain_sections
from dedup.model import BlockKind, CleanOptions, CleanResult
from dedup.segment.blocks import split_blocks
from dedup.segment.normalise import content_weight, normalise
from dedup.segment.sentences import split_sentences
from dedup.signatures.shingles import shingle_sets


def make_options(**overrides: Any) -> CleanOptions:
    """CleanOptions with ``overrides``; unknown names are an error, not silently ignored."""
    known = {f.name for f in fields(CleanOptions)}
    unknown = set(overrides) - known
    if unknown:
        raise TypeError(f"unknown cleaning option(s): {', '.join(sorted(unknown))}")
    if "marker_patterns" in overrides:
        overrides["marker_patterns"] = tuple(overrides["marker_patterns"])
    return replace(CleanOptions(), **overrides)


def clean_document(text: str, options: CleanOptions | None = None) -> CleanResult:
    """Remove the sections, paragraphs and sentences that ``text`` repeats."""
    options = options or CleanOptions()
    blocks = split_blocks(text, options.marker_patterns, options.min_block_weight, options.min_fragment_weight)
    if not blocks:
        return CleanResult(text)
    matchable = [b.kind in (BlockKind.PROSE, BlockKind.MINOR) for b in blocks]
    block_keys = [normalise(b.text) if ok else "" for b, ok in zip(blocks, matchable)]
    block_weights = [content_weight(k) for k in block_keys]
    prose = np.array([b.kind is BlockKind.PROSE for b in blocks])

    sentences = []
    sentences_of_block = []
    for block in blocks:
        own = split_sentences(block, len(sentences)) if block.kind is BlockKind.PROSE else []
        sentences.extend(own)
        sentences_of_block.append(own)
    sentence_keys = [normalise(s.text) for s in sentences]
    sentence_weights = [content_weight(k) for k in sentence_keys]

    n = options.shingle_size
    block_sets = shingle_sets(block_keys, n)
    sentence_sets = shingle_sets(sentence_keys, n)

    block_matches = exact_pairs(block_keys, matchable) + similar_pairs(
        block_keys, block_sets, prose, options.near_threshold, options.containment_threshold, options.max_posting
    )
    sections = chain_sections(block_matches, options.max_gap, prose.tolist())
    coverage = CoverageIndex(
        block_sets, sentence_sets, block_keys, sentences_of_block, sentence_keys, sentence_weights,
        options.guard_sentence_weight, options.cover_threshold,
    )
    block_drops = choose_block_drops(blocks, block_weights, sections, coverage)

    long_kept = np.array(
        [w >= options.min_sentence_weight and s.block not in block_drops for s, w in zip(sentences, sentence_weights)],
        dtype=bool,
    )
    sentence_matches = exact_pairs(sentence_keys, long_kept) + similar_pairs(
        sentence_keys, sentence_sets, long_kept, options.near_threshold, None, options.max_posting
    )
    kept_for: dict[int, list[int]] = {}
    for drop in block_drops.values():
        kept_for.setdefault(drop.kept, []).append(drop.block)
    protected = protected_sentences(
        sentence_keys, [[s.index for s in own] for own in sentences_of_block], block_keys, kept_for
    )
    sentence_drops = choose_sentence_drops([s.block for s in sentences], sentence_matches, protected)
    for block in blocks:
        own = sentences_of_block[block.index]
        if own and all(s.index in sentence_drops for s in own):
            first = sentence_drops[own[0].index]
            block_drops[block.index] = BlockDrop(
                block.index, sentences[first.kept].block, first.kind, first.similarity
            )
            for s in own:
                del sentence_drops[s.index]
    for block, drop in list(block_drops.items()):  # a kept copy emptied by the sentence stage hands over
        kept, seen = drop.kept, {block}
        while kept in block_drops and kept not in seen:
            seen.add(kept)
            kept = block_drops[kept].kept
        if kept != drop.kept:
            block_drops[block] = replace(drop, kept=kept)

    markers = [] if options.keep_markers else [b.index for b in blocks if b.kind is BlockKind.MARKER]
    removals = block_removals(text, blocks, block_drops, markers) + sentence_removals(sentences, sentence_drops)
    removals.sort(key=lambda r: r.start)
    return CleanResult(apply_removals(text, removals), tuple(removals))
