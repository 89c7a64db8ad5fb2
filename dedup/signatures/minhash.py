"""MinHash signatures of whole documents, bit-identical to datasketch.

A document is shingled by script: character n-grams (default 5) of its normalised text
when it is mostly CJK, which has no spaces; word n-grams (default 3) otherwise. Each
shingle is the UTF-8 bytes of the n-gram (words joined by one space), hashed with XXH32.
:func:`document_shingles` gives those bytes, so that

    m = datasketch.MinHash(num_perm=128, seed=1, hashfunc=xxhash.xxh32_intdigest)
    m.update_batch(document_shingles(text))

yields exactly ``signatures([text])[0]``: users can mix sketches from both.
Signatures of a whole batch come from one compiled pass (``kernels``), never a Python
loop per shingle.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash
from xxhash import xxh3_64_intdigest

from dedup.signatures.forms import Form, shingle_forms, shingle_text
from dedup.signatures.samples import Samples, sample_hashes
from dedup.signatures.sized import distinct_counts, minhash_affine32, minhash_legacy
from dedup.signatures.shingles import hash_ngrams

SCHEMES = ("affine32", "legacy")


@dataclass(frozen=True)
class MinHashParams:
    """Everything that must agree for two signatures to be comparable (and is stored with an index)."""

    num_perm: int = 128
    seed: int = 1
    scheme: str = "affine32"
    char_ngram: int = 5
    word_ngram: int = 3
    cjk_share: float = 0.3  # share of CJK letters from which a document is shingled by characters
    sample_scale: int = 4  # one distinct shingle in this many is sampled for containment (dedup.signatures.samples)

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, not {self.scheme!r}")


def document_shingles(text: str, params: MinHashParams = MinHashParams()) -> list[bytes]:
    """The shingles of ``text`` as bytes, exactly as :func:`signatures` hashes them."""
    form, cjk = shingle_text(text, params.cjk_share)
    if cjk:
        n = params.char_ngram
        grams = [form[i : i + n] for i in range(len(form) - n + 1)] or ([form] if form else [])
    else:
        words = form.split(" ") if form else []
        n = params.word_ngram
        grams = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)] or (
            [" ".join(words)] if words else []
        )
    return [g.encode("utf-8", "surrogatepass") for g in grams]


def shingle_hashes(
    texts: Sequence[str], params: MinHashParams, forms: Sequence[Form] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """XXH32 shingle hashes of each text, flattened, and the offsets of each text's run."""
    if forms is None:
        forms = shingle_forms(texts, params.cjk_share)
    if all(cjk for _, cjk in forms):
        return hash_ngrams([f for f, _ in forms], params.char_ngram)
    if not any(cjk for _, cjk in forms):
        return hash_ngrams([f for f, _ in forms], params.word_ngram, by_words=True)
    runs: list[np.ndarray] = [np.empty(0, dtype=np.uint32)] * len(texts)
    for by_words, n in ((False, params.char_ngram), (True, params.word_ngram)):
        index = [i for i, (_, cjk) in enumerate(forms) if cjk != by_words]
        hashes, offsets = hash_ngrams([forms[i][0] for i in index], n, by_words)
        for k, i in enumerate(index):
            runs[i] = hashes[offsets[k] : offsets[k + 1]]
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in runs])]).astype(np.int64)
    return np.concatenate(runs), offsets


@lru_cache(maxsize=8)
def permutations(params: MinHashParams) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own permutation parameters for (num_perm, seed, scheme)."""
    a, b = MinHash(num_perm=params.num_perm, seed=params.seed, scheme=params.scheme).permutations
    if params.scheme == "affine32":
        return a.astype(np.uint32), b.astype(np.uint32)
    return a.astype(np.uint64), b.astype(np.uint64)


def signatures_of_hashes(hashes: np.ndarray, offsets: np.ndarray, params: MinHashParams) -> np.ndarray:
    """Signatures (texts × num_perm) of hash runs; uint32 for affine32, uint64 for legacy."""
    a, b = permutations(params)
    kernel = minhash_affine32 if params.scheme == "affine32" else minhash_legacy
    return kernel(hashes, offsets, a, b)


def signatures(texts: Sequence[str], params: MinHashParams = MinHashParams()) -> np.ndarray:
    """MinHash signature of every text (an empty text gets the all-max "empty" signature)."""
    hashes, offsets = shingle_hashes(texts, params)
    return signatures_of_hashes(hashes, offsets, params)


@dataclass(frozen=True)
class Sketches:
    """What corpus matching needs of each document, and nothing more (the text is not kept)."""

    signatures: np.ndarray  # documents × num_perm
    sizes: np.ndarray  # distinct shingles, to estimate containment
    exact_keys: np.ndarray  # XXH3-64 of the normalised text, for exact duplicates (uint64)
    samples: Samples | None = None  # sampled shingles, for containment; None where they were not made

    @classmethod
    def join(cls, parts: Sequence[Sketches]) -> Sketches:
        """The sketches of several batches, one after the other."""
        samples = [s.samples for s in parts]
        return cls(
            np.concatenate([s.signatures for s in parts]),
            np.concatenate([s.sizes for s in parts]),
            np.concatenate([s.exact_keys for s in parts]),
            Samples.join([s for s in samples if s is not None]) if all(s is not None for s in samples) else None,
        )

    def take(self, documents: Sequence[int]) -> Sketches:
        """The sketches of ``documents``, in that order."""
        rows = np.asarray(documents, dtype=np.int64)
        samples = None if self.samples is None else self.samples.take(rows)
        return Sketches(self.signatures[rows], self.sizes[rows], self.exact_keys[rows], samples)

    def replaced(self, documents: Sequence[int], new: Sketches) -> Sketches:
        """These sketches with those of ``documents`` replaced by ``new`` (one row each, in that order)."""
        rows = np.asarray(documents, dtype=np.int64)
        signatures, sizes, keys = self.signatures.copy(), self.sizes.copy(), self.exact_keys.copy()
        signatures[rows], sizes[rows], keys[rows] = new.signatures, new.sizes, new.exact_keys
        samples = None
        if self.samples is not None and new.samples is not None:
            runs = [self.samples.of(d) for d in range(len(self.samples))]
            for row, d in enumerate(rows.tolist()):
                runs[d] = new.samples.of(row)
            samples = Samples.of_runs(runs)
        return Sketches(signatures, sizes, keys, samples)

    def samples_of(self, document: int) -> np.ndarray | None:
        return None if self.samples is None else self.samples.of(document)


def sketch(texts: Sequence[str], params: MinHashParams = MinHashParams()) -> Sketches:
    """Signatures, shingle-set sizes, exact keys and sampled shingles of every text, in one pass."""
    forms = shingle_forms(texts, params.cjk_share)
    hashes, offsets = shingle_hashes(texts, params, forms)
    keys = np.fromiter((xxh3_64_intdigest(f.encode("utf-8", "surrogatepass")) for f, _ in forms), dtype=np.uint64, count=len(forms))
    return Sketches(
        signatures_of_hashes(hashes, offsets, params), distinct_counts(hashes, offsets), keys,
        sample_hashes(hashes, offsets, params.sample_scale),
    )


def to_datasketch(signature: np.ndarray, params: MinHashParams) -> LeanMinHash:
    """The signature as a datasketch LeanMinHash, for MinHashLSH and for users' own code."""
    return LeanMinHash(seed=params.seed, hashvalues=signature, scheme=params.scheme)
