"""Cross-document boilerplate: lines that recur in many unrelated documents (site chrome, promos, footers).

A line of one story re-posted by five sites is not boilerplate, and neither is a quote two
articles cite; a "Privacy policy · Contact us" line on every page of a site is. So each
line gets one vote per *unrelated* document: one per duplicate cluster (all copies of a
story together cast one vote), and a line is boilerplate from ``min_docs`` votes on.

Where documents carry a site (a ``--site-key`` field, or the host of a ``url``), votes are
counted per site as well: a line in ``min_docs`` unrelated documents of one site is that
site's chrome, cut from that site's documents only; across sites a line needs ``min_docs``
different sites (a document without a site counts as one), so that one site's chrome
quoted once elsewhere stays elsewhere. A cluster votes once, on the site of its first
document: vote rows (key, site, count) then simply add up across batches, which is how an
index remembers them.

Only lines that can be chrome are counted: not front matter or fenced code, not markdown
structure (headings, list items, table rows: a post's "## Summary" heading is its own),
and with a letter or digit (``min_weight``). A line of paragraph weight is chrome only on
one site (a cookie notice, a "related stories" teaser): shared by several sites, it is a
story or a quote they all carry, and is left alone. Counting works on 64-bit keys of the
normalised lines as numpy arrays: 8 bytes per distinct line of a document kept until the
batch is decided, a few sorted int64 columns for the lines of one chunk of documents while
counting (benchmarks/boilerplate.py measures the peak per line), and 24 bytes per vote row.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from xxhash import xxh3_64_intdigest

from dedup.model import BlockKind
from dedup.segment.blocks import DocumentBlocks, document_blocks, is_structural

NO_SITE = -1
CHUNK_DOCUMENTS = 4096  # documents whose line keys are looked up at once (8 bytes a line, twice, while they are)
PARAGRAPH = 1 << 62  # set in the key of a line of paragraph weight: such a line is chrome on one site only
_KEY_BITS = PARAGRAPH - 1  # the bits of a line's hash that its key keeps


@dataclass(frozen=True)
class BoilerplateRule:
    """From how many unrelated documents a line is boilerplate, and which lines may be."""

    min_docs: int = 3
    # any line with a letter or digit: "Home", "Email", "Twitter" on every page of a site are what keeps a short
    # re-post below the thresholds (benchmarks/syndicated.md); a heading line repeated as often goes too
    min_weight: int = 1
    # a line this heavy (a paragraph: --min-block-weight) is chrome only on one site; shared across sites it is a
    # story or a quote they all carry (on real pages, 4 of the 430 lines on three or more sites reach 50)
    paragraph_weight: int = 50


@dataclass(frozen=True)
class Line:
    """A countable line of a text: ``start``..``end`` covers it with its line break; ``key`` its normalised form."""

    start: int
    end: int
    key: int


def countable_lines(text: str, rule: BoilerplateRule = BoilerplateRule(), blocks: DocumentBlocks | None = None) -> list[Line]:
    """The lines of ``text`` that may be boilerplate, in reading order (``blocks``: ``document_blocks(text)``, if made)."""
    blocks = blocks if blocks is not None else document_blocks(text)
    return [Line(blocks.start[index], blocks.line_end[index], key) for index, key in zip(*_countable(blocks, rule))]


def countable_keys(text: str, rule: BoilerplateRule = BoilerplateRule(), blocks: DocumentBlocks | None = None) -> np.ndarray:
    """The distinct keys of the lines of ``text`` that may be boilerplate (what is kept of a document for counting).

    The keys of ``countable_lines``, without a :class:`Line` for each: every document of a run goes through this.
    """
    blocks = blocks if blocks is not None else document_blocks(text)
    return np.unique(np.array(_countable(blocks, rule)[1], dtype=np.int64))


def _countable(blocks: DocumentBlocks, rule: BoilerplateRule) -> tuple[list[int], list[int]]:
    """(block indexes, keys) of the blocks that may be boilerplate, in reading order (lists: every line of every
    document of a run comes here)."""
    indexes: list[int] = []
    keys: list[int] = []
    least, heavy = rule.min_weight, rule.paragraph_weight
    for index, (kind, letters, weight) in enumerate(zip(blocks.kinds, blocks.keys, blocks.weights)):
        # letters: normalise of the line, weight: its content_weight (made for the whole text at once)
        if weight < least or kind is BlockKind.PROTECTED or kind is BlockKind.MARKER:
            continue
        # a prose line was found not structural when it was classified (document_blocks): only minor ones are looked at
        if kind is not BlockKind.PROSE and is_structural(blocks.text_of(index)):
            continue
        indexes.append(index)
        keys.append((xxh3_64_intdigest(letters.encode("utf-8", "surrogatepass")) & _KEY_BITS) | (PARAGRAPH if weight >= heavy else 0))
    return indexes, keys


def site_key(site: str | None) -> int:
    """A site as a number (:data:`NO_SITE` for none)."""
    if not site:
        return NO_SITE
    return xxh3_64_intdigest(site.encode("utf-8", "surrogatepass")) & 0x7FFF_FFFF_FFFF_FFFF


@dataclass(frozen=True)
class Votes:
    """Vote rows: ``units`` unrelated documents of site ``site`` (:data:`NO_SITE`: documents without one)
    have line ``key``. Rows add up across batches, since a cluster votes once, on its kept copy's site."""

    key: np.ndarray  # int64
    site: np.ndarray  # int64
    units: np.ndarray  # int64

    @classmethod
    def none(cls) -> Votes:
        empty = np.empty(0, dtype=np.int64)
        return cls(empty, empty, empty)

    def __len__(self) -> int:
        return len(self.key)

    def plus(self, other: Votes) -> Votes:
        """The rows of both, summed per (key, site)."""
        return _merged([self, other])


def _summed(key: np.ndarray, site: np.ndarray, units: np.ndarray) -> Votes:
    """Rows summed per (key, site), sorted by key then site (one sort of two columns, no row copies)."""
    return _merged([Votes(key, site, units)])


def _changes(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Where a sorted two-column sequence starts a new (first, second) pair."""
    new = np.ones(len(first), dtype=bool)
    new[1:] = (first[1:] != first[:-1]) | (second[1:] != second[:-1])
    return new


VOTING_CHUNK = 1 << 20  # line occurrences counted at once: ~80 MB at the peak of one chunk


def count_votes(keys_per_document: Sequence[np.ndarray], units: np.ndarray, sites: np.ndarray,
                voting: np.ndarray | None = None, chunk: int = VOTING_CHUNK) -> Votes:
    """One vote per (line, unit): ``units`` gives each document's duplicate cluster (a label), ``sites``
    each document's site number, and the unit votes on the site of its first document that has one.
    ``voting`` leaves documents out (those whose cluster voted in an earlier batch already).

    Streamed: the documents are taken unit by unit (all of a unit's documents in one chunk, so that
    it votes once), about ``chunk`` line occurrences at a time, and each chunk's vote rows are summed
    into the total as they come. So the peak is that of one chunk (benchmarks/boilerplate.py: ~78 bytes
    an occurrence) plus the vote rows, 24 bytes per distinct (line, site), however large the batch."""
    units = np.asarray(units, dtype=np.int64)
    sites = np.asarray(sites, dtype=np.int64)
    lengths = np.fromiter((len(k) for k in keys_per_document), dtype=np.int64, count=len(keys_per_document))
    if voting is not None:
        lengths = np.where(voting, lengths, 0)
    if lengths.sum() == 0:
        return Votes.none()
    labels, unit_site = site_of_units(units, sites)
    total = _VoteSum()
    for documents in _unit_chunks(units, lengths, chunk):
        keys = np.concatenate([keys_per_document[d] for d in documents]).astype(np.int64)
        unit = np.repeat(units[documents], lengths[documents])
        total.add(votes_of_rows(keys, unit, unit_site[np.searchsorted(labels, unit)]))
    return total.result()


def votes_of_rows(keys: np.ndarray, units: np.ndarray, sites: np.ndarray) -> Votes:
    """One vote per (line, unit), from a row per line occurrence: its key, its unit and the unit's site. Every
    occurrence of a line must be among the rows (a chunk of whole units, or a bucket of keys)."""
    keys, units, sites = (np.asarray(c, dtype=np.int64) for c in (keys, units, sites))
    order = np.lexsort((units, keys))
    keys, units, sites = keys[order], units[order], sites[order]
    del order
    distinct = _changes(keys, units)
    return _summed(keys[distinct], sites[distinct], np.ones(int(distinct.sum()), dtype=np.int64))


def _unit_chunks(units: np.ndarray, lengths: np.ndarray, chunk: int) -> list[np.ndarray]:
    """The documents with lines, grouped by unit, cut into runs of about ``chunk`` occurrences between units."""
    order = np.argsort(units, kind="stable")
    order = order[lengths[order] > 0]
    if len(order) == 0:
        return []
    ends = np.cumsum(lengths[order])
    unit_ends = np.flatnonzero(np.append(units[order][1:] != units[order][:-1], True))  # last document of a unit
    through = ends[unit_ends]  # occurrences up to the end of each unit
    cuts, taken = [], 0
    while taken < len(unit_ends):
        goal = (through[taken - 1] if taken else 0) + chunk
        last = int(np.searchsorted(through, goal, side="right"))
        taken = max(last, taken + 1)  # at least one unit, however many lines it has
        cuts.append(int(unit_ends[taken - 1]))
    return np.split(order, np.asarray(cuts[:-1]) + 1)


class _VoteSum:
    """Vote rows summed as they come, in levels of about doubling size: each row is re-sorted a
    logarithmic number of times, not once per chunk, and a merge holds the rows about twice (40 bytes
    a row at its peak, 24 after)."""

    def __init__(self) -> None:
        self.levels: list[Votes] = []

    def add(self, votes: Votes) -> None:
        self.levels.append(votes)
        while len(self.levels) > 1 and len(self.levels[-2]) <= 2 * len(self.levels[-1]):
            merging = [self.levels.pop(), self.levels.pop()]
            self.levels.append(_merged(merging))

    def result(self) -> Votes:
        merging, self.levels = self.levels, []
        return _merged(merging) if merging else Votes.none()


def _merged(levels: list[Votes]) -> Votes:
    """The rows of ``levels`` summed per (key, site); empties ``levels`` so that, the list being their only
    holder, the rows are freed once concatenated, and each column once it is sorted."""
    key = np.concatenate([v.key for v in levels])
    site = np.concatenate([v.site for v in levels])
    units = np.concatenate([v.units for v in levels])
    levels.clear()
    if len(key) == 0:
        return Votes.none()
    order = np.lexsort((site, key))
    key = key[order]
    site = site[order]
    units = units[order]
    del order
    starts = np.flatnonzero(_changes(key, site))
    return Votes(key[starts], site[starts], np.add.reduceat(units, starts))


def site_of_units(units: np.ndarray, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct units (sorted) and the site of each: that of its first document with a site, else NO_SITE."""
    labels = np.unique(units)
    with_site = sites != NO_SITE
    result = np.full(len(labels), NO_SITE, dtype=np.int64)
    order = np.flatnonzero(with_site)[::-1]  # later first, so the first document's site is written last
    result[np.searchsorted(labels, units[order])] = sites[order]
    return labels, result


def boilerplate_of(votes: Votes, rule: BoilerplateRule) -> tuple[np.ndarray, np.ndarray]:
    """(keys boilerplate everywhere, (key, site) pairs boilerplate on that site), both sorted.

    Everywhere: ``rule.min_docs`` sites, a document without a site counting as one, for lines
    lighter than a paragraph. On a site: ``rule.min_docs`` unrelated documents of that site.
    """
    if len(votes) == 0:
        return np.empty(0, dtype=np.int64), np.empty((0, 2), dtype=np.int64)
    sites_here = np.where(votes.site == NO_SITE, votes.units, 1)
    keys, inverse = np.unique(votes.key, return_inverse=True)
    sites_per_key = np.bincount(inverse.ravel(), weights=sites_here)
    everywhere = keys[(sites_per_key >= rule.min_docs) & (keys & PARAGRAPH == 0)]
    on = (votes.units >= rule.min_docs) & (votes.site != NO_SITE)
    return everywhere, np.stack([votes.key[on], votes.site[on]], axis=1)


def flattened(line_keys: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The documents' line keys one after the other, and the document (position in ``line_keys``) of each."""
    if not len(line_keys):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    sizes = np.fromiter(map(len, line_keys), dtype=np.int64, count=len(line_keys))
    return np.concatenate(line_keys).astype(np.int64, copy=False), np.repeat(np.arange(len(line_keys), dtype=np.int64), sizes)


def _pairs_in(keys: np.ndarray, sites: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Whether each (key, site) is a row of ``pairs`` (every key is in its first column), as one int64 code each."""
    pair_keys, key_rank = np.unique(pairs[:, 0], return_inverse=True)
    pair_sites, site_rank = np.unique(pairs[:, 1], return_inverse=True)
    at = np.minimum(np.searchsorted(pair_sites, sites), len(pair_sites) - 1)
    codes = np.searchsorted(pair_keys, keys) * len(pair_sites) + at
    return (pair_sites[at] == sites) & np.isin(codes, key_rank.ravel() * len(pair_sites) + site_rank.ravel())


def is_boilerplate(keys: np.ndarray, site: int, everywhere: np.ndarray, on_site: np.ndarray) -> np.ndarray:
    """Which of a document's line ``keys`` are boilerplate for a document of ``site``."""
    keys = np.asarray(keys, dtype=np.int64)
    found = np.isin(keys, everywhere)
    if site != NO_SITE and len(on_site):
        found |= np.isin(keys, on_site[on_site[:, 1] == site, 0])
    return found


@dataclass(frozen=True)
class Boilerplate:
    """What a batch decided is boilerplate: keys cut everywhere, (key, site) pairs cut on their site, and per
    key the number of unrelated documents that have it and the first two documents of the batch that do."""

    everywhere: np.ndarray
    on_site: np.ndarray
    documents: dict[int, int]
    seen_in: dict[int, tuple[str, ...]]  # key -> ids

    @classmethod
    def none(cls) -> Boilerplate:
        return cls(np.empty(0, dtype=np.int64), np.empty((0, 2), dtype=np.int64), {}, {})

    def __bool__(self) -> bool:
        return bool(len(self.everywhere) or len(self.on_site))

    def flags(self, keys: np.ndarray, site: int) -> np.ndarray:
        return is_boilerplate(keys, site, self.everywhere, self.on_site)

    def holders(self, line_keys: Sequence[np.ndarray], sites: Sequence[int]) -> set[int]:
        """The documents (positions) with a boilerplate line for their site: where ``flags(...).any()``,
        found for a chunk of documents at a time with one membership test."""
        held: set[int] = set()
        for at in range(0, len(line_keys), CHUNK_DOCUMENTS):
            keys, owner = flattened(line_keys[at : at + CHUNK_DOCUMENTS])
            site = np.asarray(sites[at : at + CHUNK_DOCUMENTS], dtype=np.int64)[owner]
            found = np.isin(keys, self.everywhere)
            if len(self.on_site):
                maybe = np.flatnonzero(~found & np.isin(keys, self.on_site[:, 0]))
                found[maybe] = _pairs_in(keys[maybe], site[maybe], self.on_site)
            held.update((np.unique(owner[found]) + at).tolist())
        return held

    def seen_elsewhere(self, key: int, doc_id: str) -> str | None:
        """Another document of the batch with line ``key`` (None if only earlier batches have it)."""
        return next((other for other in self.seen_in.get(key, ()) if other != doc_id), None)


@dataclass(frozen=True)
class Cut:
    """A boilerplate line cut from a cleaned text: ``start``..``end`` there, ``original_start``..``original_end``
    in the document as read."""

    start: int
    end: int
    original_start: int
    original_end: int
    key: int
    text: str


def cut_boilerplate(
    text: str, site: int, boilerplate: Boilerplate, removed: Sequence[tuple[int, int]] = (),
    rule: BoilerplateRule = BoilerplateRule(),
) -> tuple[str, list[Cut]]:
    """``text`` (a cleaned text) without its boilerplate lines, and the cuts.

    ``removed`` are the spans within-document cleaning cut from the original (sorted): a
    boilerplate line must be one piece of the original, so that its cut can be reported
    there; a line joined from pieces around an earlier cut stays (and counts for similarity).
    """
    lines = countable_lines(text, rule)
    if not lines or not boilerplate:
        return text, []
    flagged = boilerplate.flags(np.fromiter((line.key for line in lines), dtype=np.int64, count=len(lines)), site)
    cuts = []
    for line, cut in zip(lines, flagged):
        if not cut:
            continue
        start, end = _original(line.start, removed), _original(line.end - 1, removed) + 1
        if end - start != line.end - line.start:
            continue
        cuts.append(Cut(line.start, line.end, start, end, line.key, text[line.start : line.end]))
    if not cuts:
        return text, []
    pieces, at = [], 0
    for cut in cuts:
        pieces.append(text[at : cut.start])
        at = cut.end
    pieces.append(text[at:])
    return "".join(pieces), cuts


def _original(offset: int, removed: Sequence[tuple[int, int]]) -> int:
    """Where the character at ``offset`` of the cleaned text is in the original."""
    for start, end in removed:
        if start > offset:
            break
        offset += end - start
    return offset


def site_of_record(record: Mapping[str, Any] | None, site_key: str | None) -> str | None:
    """A record's site: its ``site_key`` field if given, else the host of its ``url`` field, if any."""
    if record is None:
        return None
    value = record.get(site_key) if site_key else None
    if value is None and not site_key:
        url = record.get("url")
        if isinstance(url, str) and "://" in url:
            value = urlsplit(url).hostname
    return str(value) if value not in (None, "") else None
