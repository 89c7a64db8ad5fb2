"""Which documents of a corpus repeat which: exact keys, MinHash LSH candidates, verification.

Exact duplicates share the XXH3 key of their normalised text. Near duplicates are found by
LSH banding (:mod:`dedup.match.lsh`: the bands and rows for the threshold, the same choice
as datasketch's): by default the bands are sorted as numpy arrays (memory for a million
documents stays bounded), or datasketch's MinHashLSH object is used
(``lsh_backend="datasketch"``): the same candidates. Every candidate pair is verified on the
signatures, so LSH false positives never become removals: a pair is kept when the estimated
Jaccard similarity reaches ``threshold``, or when the smaller document lies at least
``containment_threshold`` inside the larger one (a re-post with paragraphs dropped, an
extracted article inside its page): measured on the sampled shingles where the smaller one
has enough of them, else estimated from the Jaccard similarity and the set sizes. Pairs of
very different sizes, which banding cannot reach, come from :mod:`dedup.match.containment`.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from datasketch import MinHashLSH

from dedup.decide.boilerplate import BoilerplateRule
from dedup.match.containment import ContainmentRule, containment_candidates, smaller_inside
from dedup.match.lsh import Banding, band_keys, choose_banding
from dedup.match.verify import verified_pairs
from dedup.model import RemovalKind
from dedup.signatures.minhash import MinHashParams, to_datasketch
from dedup.signatures.samples import Samples


@dataclass(frozen=True)
class CorpusOptions:
    """Parameters of corpus-level deduplication; each is a CLI option."""

    threshold: float = 0.8
    # share of the smaller document's sample inside the larger one's: real articles lie >= 0.94 inside their
    # page, two pages of one site <= 0.85 (before their chrome is cut); truncated re-posts carry a byline and
    # a "Read more" of their own (benchmarks/syndicated.md, real_pages.md)
    containment_threshold: float = 0.85
    lsh_threshold: float | None = None  # candidate threshold for LSH; default: ``threshold``
    keep: str = "longest"  # or "first"
    minhash: MinHashParams = field(default_factory=MinHashParams)
    # bands and rows minimise fp·w0 + fn·w1 (dedup.match.lsh); candidates are verified, so
    # a missed pair costs far more than a false candidate: 14 bands of 9 rows at 0.8.
    lsh_weights: tuple[float, float] = (0.1, 0.9)
    # "numpy": the same bands sorted as arrays (about 0.2 KiB per document); "datasketch": its
    # MinHashLSH object (about 5 KiB per document in its dicts of sets). Same candidates.
    lsh_backend: str = "numpy"
    # an estimated containment is trusted only from this Jaccard on: between documents of very
    # different sizes, MinHash's error on a small Jaccard becomes a large error on containment
    containment_min_jaccard: float = 0.5
    # sampled containment (dedup.match.containment): trusted from this many samples of the smaller
    # document; each document's rarest samples followed for candidates, up to this many holders each
    containment_min_samples: int = 16
    containment_anchors: int = 4
    containment_max_posting: int = 256
    # cross-document boilerplate (dedup.decide.boilerplate): a line in this many unrelated documents
    # (0: none is); cut from the outputs unless keep_boilerplate, and left out of similarity either way
    boilerplate_min_docs: int = 3
    keep_boilerplate: bool = False

    @property
    def boilerplate_rule(self) -> BoilerplateRule | None:
        return BoilerplateRule(self.boilerplate_min_docs) if self.boilerplate_min_docs > 0 else None

    @property
    def containment_rule(self) -> ContainmentRule:
        return ContainmentRule(
            self.containment_threshold, self.containment_min_samples, self.containment_anchors,
            self.containment_max_posting,
        )

    @property
    def candidate_threshold(self) -> float:
        return self.threshold if self.lsh_threshold is None else self.lsh_threshold

    @property
    def banding(self) -> Banding:
        """The bands and rows of LSH for these options (what datasketch's MinHashLSH would choose)."""
        return choose_banding(self.candidate_threshold, self.minhash.num_perm, self.lsh_weights)


@dataclass(frozen=True)
class DocumentMatch:
    """Documents ``first`` < ``second`` (input positions) are duplicates of each other."""

    first: int
    second: int
    kind: RemovalKind
    similarity: float


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


def estimated_containment(jaccard: float, size_a: int, size_b: int) -> float:
    """Share of the smaller set inside the larger, from their Jaccard similarity and sizes."""
    if min(size_a, size_b) == 0:
        return 0.0
    shared = jaccard * (size_a + size_b) / (1.0 + jaccard)
    return min(1.0, shared / min(size_a, size_b))


def relate(
    signature_a: np.ndarray, signature_b: np.ndarray, size_a: int, size_b: int, options: CorpusOptions,
    samples_a: np.ndarray | None = None, samples_b: np.ndarray | None = None,
) -> tuple[RemovalKind, float] | None:
    """(near, Jaccard) or (contained, containment) for two documents' sketches, or None if neither holds.

    Containment is measured on the samples when the smaller document has enough of them:
    the MinHash estimate, from a Jaccard similarity, is poor between documents of very
    different sizes.
    """
    jaccard = estimated_jaccard(signature_a, signature_b)
    if jaccard >= options.threshold:
        return RemovalKind.NEAR, round(jaccard, 4)
    sampled = smaller_inside(samples_a, samples_b, size_a, size_b, options.containment_rule)
    if sampled is not None:
        return (RemovalKind.CONTAINED, round(sampled, 4)) if sampled >= options.containment_threshold else None
    containment = estimated_containment(jaccard, size_a, size_b)
    if containment >= options.containment_threshold and jaccard >= options.containment_min_jaccard:
        return RemovalKind.CONTAINED, round(containment, 4)
    return None


def relation(
    a: int, b: int, signatures: np.ndarray, sizes: Sequence[int], options: CorpusOptions,
    samples: Samples | None = None,
) -> tuple[RemovalKind, float] | None:
    """:func:`relate` for documents ``a`` and ``b`` of one batch."""
    samples_a, samples_b = (None, None) if samples is None else (samples.of(a), samples.of(b))
    return relate(signatures[a], signatures[b], sizes[a], sizes[b], options, samples_a, samples_b)


def exact_matches(exact_keys: Sequence[int], sizes: Sequence[int]) -> list[DocumentMatch]:
    """Each document with the same key as an earlier one, paired with the first of them.

    Documents with nothing to compare (empty, white space or punctuation only: no shingles)
    repeat nothing: they are written as they are, never clustered.
    """
    first_with_key: dict[int, int] = {}
    matches = []
    for position, key in enumerate(exact_keys):
        if sizes[position] == 0:
            continue
        earlier = first_with_key.setdefault(key, position)
        if earlier != position:
            matches.append(DocumentMatch(earlier, position, RemovalKind.EXACT, 1.0))
    return matches


def lsh_candidates(signatures: np.ndarray, sizes: Sequence[int] | np.ndarray, options: CorpusOptions) -> np.ndarray:
    """Rows (earlier, later) of the pairs that share an LSH band, each once (where it first shares one: band by band,
    bucket by bucket in key order); empty documents take no part."""
    if options.lsh_backend == "datasketch":
        return np.array(list(_datasketch_candidates(signatures, sizes, options)), dtype=np.int64).reshape(-1, 2)
    live = np.flatnonzero(np.asarray(sizes) > 0)
    if len(live) < 2:
        return np.empty((0, 2), dtype=np.int64)
    keys = band_keys(signatures[live], options.banding)
    documents = np.int64(len(sizes))
    codes = []  # earlier * documents + later, band after band
    for band in range(keys.shape[1]):
        order = np.argsort(keys[:, band], kind="stable")  # stable: a bucket's members come in ascending order
        column = keys[order, band]
        starts = np.flatnonzero(np.concatenate([[True], column[1:] != column[:-1]]))
        bucket_sizes = np.diff(np.append(starts, len(column)))
        # each member pairs with the later members of its bucket: first with the second, third ..., then the second
        later = np.repeat(bucket_sizes, bucket_sizes) - (np.arange(len(column)) - np.repeat(starts, bucket_sizes)) - 1
        first = np.repeat(np.arange(len(column)), later)
        second = first + 1 + np.arange(len(first)) - np.repeat(np.cumsum(later) - later, later)
        codes.append(live[order[first]] * documents + live[order[second]])
    every = np.concatenate(codes)
    _, at = np.unique(every, return_index=True)
    kept = every[np.sort(at)]
    return np.stack([kept // documents, kept % documents], axis=1)


def _datasketch_candidates(
    signatures: np.ndarray, sizes: Sequence[int] | np.ndarray, options: CorpusOptions
) -> Iterator[tuple[int, int]]:
    lsh = MinHashLSH(
        threshold=options.candidate_threshold, num_perm=options.minhash.num_perm, weights=options.lsh_weights
    )
    live = [p for p in range(len(signatures)) if sizes[p] > 0]
    with lsh.insertion_session() as session:
        for position in live:
            session.insert(position, to_datasketch(signatures[position], options.minhash), check_duplication=False)
    for position in live:
        for other in lsh.query(to_datasketch(signatures[position], options.minhash)):
            if other < position:
                yield other, position


def near_matches(
    signatures: np.ndarray, sizes: Sequence[int], exact_keys: Sequence[int], options: CorpusOptions,
    samples: Samples | None = None,
) -> list[DocumentMatch]:
    """Verified near and contained pairs (exact ones are left to :func:`exact_matches`).

    LSH candidates first; then, with samples, the documents inside a longer one that
    banding did not reach (:func:`dedup.match.containment.containment_candidates`).
    """
    first_of_key: dict[int, int] = {}
    for position, key in enumerate(exact_keys):
        first_of_key.setdefault(key, position)
    representative = np.array([first_of_key[k] == p for p, k in enumerate(exact_keys)], dtype=np.bool_)
    live_sizes = np.where(representative, sizes, 0)
    matches = [DocumentMatch(*r) for r in verified_pairs(lsh_candidates(signatures, live_sizes, options), signatures, sizes, options, samples)]
    if samples is not None:
        documents = len(sizes)
        found = np.array([m.first * documents + m.second for m in matches], dtype=np.int64)
        pairs = np.sort(containment_candidates(samples, sizes, live_sizes > 0, options.containment_rule), axis=1)
        unmatched = pairs[~np.isin(pairs[:, 0] * documents + pairs[:, 1], found)]
        matches += [DocumentMatch(*r) for r in verified_pairs(unmatched, signatures, sizes, options, samples)]
    return matches
