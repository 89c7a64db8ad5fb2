"""Cross-document boilerplate: lines that recur in many unrelated documents (site chrome, promos, footers).

A line of one story re-posted by five sites is not boilerplate, and neither is a quote two
articles cite; a "Privacy policy · Contact us" line on every page of a site is. So each
line gets one vote per *unrelated* document: one per duplicate cluster (all copies of a
story together cast one vote), and a line is boilerplate from ``min_docs`` votes on.

Where documents carry a site (a ``--site-key`` field, or the host of a ``url``), votes are
counted per site as well: a line in ``min_docs`` unrelated documents of one site is that
site's chrome; across sites a line needs ``min_docs`` different sites, so that a wire story
re-posted, unclustered, by several sites' pages of one site family is not taken for chrome
of all of them. Without sites, every cluster counts as a site of its own.

Only lines that can be chrome are counted: not front matter or fenced code, not markdown
structure (headings, list items, table rows: a post's "## Summary" heading is its own),
and with at least ``min_weight`` of content. Counting works on 64-bit keys of the
normalised lines as numpy arrays: 8 bytes per line occurrence kept until the batch is
decided, 16 more per occurrence while counting.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from xxhash import xxh3_64_intdigest

from dedup.model import BlockKind
from dedup.segment.blocks import document_blocks, is_structural
from dedup.segment.normalise import content_weight, normalise

NO_SITE = -1


@dataclass(frozen=True)
class BoilerplateRule:
    """From how many unrelated documents a line is boilerplate, and which lines may be."""

    min_docs: int = 3
    min_weight: int = 8  # "Home" or "まとめ" alone are left alone; "Privacy policy" is counted


@dataclass(frozen=True)
class Line:
    """A countable line of a text: ``start``..``end`` covers it with its line break; ``key`` its normalised form."""

    start: int
    end: int
    key: int


def countable_lines(text: str, rule: BoilerplateRule = BoilerplateRule()) -> list[Line]:
    """The lines of ``text`` that may be boilerplate, in reading order."""
    blocks = document_blocks(text)
    lines = []
    for index, kind in enumerate(blocks.kinds):
        if kind in (BlockKind.PROTECTED, BlockKind.MARKER):
            continue
        body = blocks.text_of(index)
        if is_structural(body):
            continue
        letters = normalise(body)
        if content_weight(letters) < rule.min_weight:
            continue
        key = xxh3_64_intdigest(letters.encode("utf-8", "surrogatepass")) & 0x7FFF_FFFF_FFFF_FFFF
        lines.append(Line(blocks.start[index], blocks.line_end[index], key))
    return lines


def line_keys(lines: Sequence[Line]) -> np.ndarray:
    """The distinct keys of a document's lines (what is kept of it for counting)."""
    return np.unique(np.fromiter((line.key for line in lines), dtype=np.int64, count=len(lines)))


def site_key(site: str | None) -> int:
    """A site as a number (:data:`NO_SITE` for none)."""
    if not site:
        return NO_SITE
    return xxh3_64_intdigest(site.encode("utf-8", "surrogatepass")) & 0x7FFF_FFFF_FFFF_FFFF


@dataclass(frozen=True)
class Votes:
    """Per line key, its votes: unrelated documents per (key, site), and distinct sites per key."""

    keys: np.ndarray  # int64, sorted: every key with a vote
    sites: np.ndarray  # per key, distinct sites (a cluster without a site is one) and at most its distinct clusters
    site_keys: np.ndarray  # (key, site) pairs, sorted, as two columns
    site_votes: np.ndarray  # unrelated documents per (key, site)


def count_votes(keys_per_document: Sequence[np.ndarray], units: np.ndarray, sites: np.ndarray) -> Votes:
    """One vote per (line, unit) where ``units`` gives each document's duplicate cluster (a label) and
    ``sites`` its site number (:data:`NO_SITE`: the unit is its own site)."""
    lengths = np.fromiter((len(k) for k in keys_per_document), dtype=np.int64, count=len(keys_per_document))
    keys = np.concatenate(keys_per_document) if len(keys_per_document) else np.empty(0, dtype=np.int64)
    document = np.repeat(np.arange(len(lengths)), lengths)
    unit = np.asarray(units, dtype=np.int64)[document]
    site = np.asarray(sites, dtype=np.int64)[document]
    # a document without a site is a site of its own: its unit, kept apart from real site numbers
    site = np.where(site == NO_SITE, -2 - unit, site)
    if len(keys) == 0:
        empty = np.empty(0, dtype=np.int64)
        return Votes(empty, empty, np.empty((0, 2), dtype=np.int64), empty)
    triples = np.unique(np.stack([keys, site, unit], axis=1), axis=0)  # one vote per (line, site, unit)
    pairs, site_votes = np.unique(triples[:, :2], axis=0, return_counts=True)
    line_keys_, sites_per_key = np.unique(pairs[:, 0], return_counts=True)
    units_per_key = np.unique(np.unique(triples[:, [0, 2]], axis=0)[:, 0], return_counts=True)[1]
    return Votes(line_keys_, np.minimum(sites_per_key, units_per_key), pairs, site_votes)


def boilerplate_of(votes: Votes, rule: BoilerplateRule) -> tuple[np.ndarray, np.ndarray]:
    """(keys boilerplate everywhere, (key, site) pairs boilerplate on that site), both sorted."""
    everywhere = votes.keys[votes.sites >= rule.min_docs]
    on_site = votes.site_keys[(votes.site_votes >= rule.min_docs) & (votes.site_keys[:, 1] >= 0)]
    return everywhere, on_site


def is_boilerplate(keys: np.ndarray, site: int, everywhere: np.ndarray, on_site: np.ndarray) -> np.ndarray:
    """Which of a document's line ``keys`` are boilerplate for a document of ``site``."""
    keys = np.asarray(keys, dtype=np.int64)
    found = np.isin(keys, everywhere)
    if site != NO_SITE and len(on_site):
        found |= np.isin(keys, on_site[on_site[:, 1] == site, 0])
    return found
