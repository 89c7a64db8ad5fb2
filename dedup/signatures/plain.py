"""The kernels of :mod:`dedup.signatures.kernels` without numba: the same results, bit for bit.

They run while a process has done too little work to repay compiling (:mod:`dedup.compiled`):
a run on a few articles never waits for numba. Where and what to hash is found with numpy in
a few passes over the bytes; the hashing is xxhash's own XXH32, one call per shingle; the
MinHash reduction is datasketch's arithmetic on a (permutations × shingles) block at a time.
"""
from __future__ import annotations

import numpy as np
from xxhash import xxh32_intdigest

_BLOCK = 1 << 13  # shingles per (permutations × shingles) block in the MinHash reduction
_M61 = np.uint64((1 << 61) - 1)
_LOW32 = np.uint64(0xFFFFFFFF)


def _hash_spans(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, seed: int) -> np.ndarray:
    raw = memoryview(data.tobytes())
    return np.fromiter(
        (xxh32_intdigest(raw[s:e], seed) for s, e in zip(starts.tolist(), ends.tolist())),
        dtype=np.uint32, count=len(starts),
    )


def xxh32_slices(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, seed: int) -> np.ndarray:
    """XXH32 (seed ``seed``) of ``data[starts[i]:starts[i]+lengths[i]]`` for every i."""
    return _hash_spans(data, starts, starts + lengths, seed)


def ngram_hashes(data: np.ndarray, n: int, by_words: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`dedup.signatures.kernels.ngram_hashes`: every n-gram's XXH32 and each unit's offsets.

    Units are the runs of ``data`` between newlines. Items are characters (a byte that is no
    UTF-8 continuation byte starts one, and so does a unit's first byte) or words (a unit's
    first byte and each byte after a space start one, except after a final space; a word ends
    at the next space).
    """
    size = data.shape[0]
    breaks = np.flatnonzero(data == 10)
    unit_starts = np.concatenate([[0], breaks + 1]).astype(np.int64)
    unit_stops = np.concatenate([breaks, [size]]).astype(np.int64)
    n_units = len(unit_starts)
    nonempty = unit_starts < unit_stops
    if by_words:
        after_space = np.flatnonzero(data == 32) + 1
        inner = after_space[(after_space < size) & (data[np.minimum(after_space, size - 1)] != 10)] if size else after_space
        starts = np.union1d(unit_starts[nonempty], inner).astype(np.int64)
        stops = np.concatenate([np.flatnonzero((data == 32) | (data == 10)), [size]])
        ends = stops[np.searchsorted(stops, starts)].astype(np.int64)
    else:
        lead = (data & 0xC0) != 0x80
        lead[unit_starts[nonempty]] = True
        lead[breaks] = False
        starts = np.flatnonzero(lead).astype(np.int64)
        ends = np.empty_like(starts)
        ends[:-1] = starts[1:]
        if len(starts):
            ends[-1] = size
    unit = np.searchsorted(unit_starts, starts, side="right") - 1
    if not by_words and len(starts):
        last = np.append(unit[1:] != unit[:-1], True)
        ends[last] = unit_stops[unit[last]]
    items = np.bincount(unit, minlength=n_units)
    if len(starts) >= n:
        first = np.arange(len(starts) - n + 1)
        whole = unit[first] == unit[first + n - 1]
        gram_starts, gram_ends, gram_units = starts[first[whole]], ends[first[whole] + n - 1], unit[first[whole]]
    else:
        gram_starts = gram_ends = gram_units = np.empty(0, dtype=np.int64)
    short = np.flatnonzero((items > 0) & (items < n))
    spans_start = np.concatenate([gram_starts, unit_starts[short]])
    spans_end = np.concatenate([gram_ends, unit_stops[short]])
    spans_unit = np.concatenate([gram_units, short])
    order = np.argsort(spans_start, kind="stable")
    hashes = _hash_spans(data, spans_start[order], spans_end[order], seed)
    offsets = np.zeros(n_units + 1, dtype=np.int64)
    np.cumsum(np.bincount(spans_unit, minlength=n_units), out=offsets[1:])
    return hashes, offsets


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def minhash_affine32(hashes: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Signatures (documents × permutations, uint32) of the runs ``hashes[offsets[d]:offsets[d+1]]``."""
    mixed = _fmix32(hashes.astype(np.uint32))
    out = np.full((len(offsets) - 1, len(a)), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    a, b = a[:, None], b[:, None]
    with np.errstate(over="ignore"):
        for d in range(len(offsets) - 1):
            for at in range(int(offsets[d]), int(offsets[d + 1]), _BLOCK):
                block = mixed[at : min(at + _BLOCK, int(offsets[d + 1]))]
                np.minimum(out[d], (a * block + b).min(axis=1), out=out[d])
    return out


def minhash_legacy(hashes: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Like :func:`minhash_affine32` with datasketch's pre-2.0 Mersenne-prime permutations (uint64 out)."""
    values = hashes.astype(np.uint64)
    out = np.full((len(offsets) - 1, len(a)), _LOW32, dtype=np.uint64)
    a, b = a[:, None], b[:, None]
    with np.errstate(over="ignore"):
        for d in range(len(offsets) - 1):
            for at in range(int(offsets[d]), int(offsets[d + 1]), _BLOCK):
                block = values[at : min(at + _BLOCK, int(offsets[d + 1]))]
                np.minimum(out[d], ((a * block + b) % _M61 & _LOW32).min(axis=1), out=out[d])
    return out


def distinct_runs(hashes: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each run's distinct hashes where they first occur, run after run, and how many each run has."""
    n_runs = len(offsets) - 1
    runs = np.repeat(np.arange(n_runs, dtype=np.uint64), np.diff(offsets))
    keys = (runs << np.uint64(32)) | hashes.astype(np.uint64)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    at = np.sort(order[first])
    return hashes[at], np.bincount(runs[at].astype(np.int64), minlength=n_runs).astype(np.int64)


def distinct_counts(hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Number of distinct hashes in each run ``hashes[offsets[d]:offsets[d+1]]`` (set sizes for containment)."""
    n_docs = len(offsets) - 1
    docs = np.repeat(np.arange(n_docs, dtype=np.uint64), np.diff(offsets))
    keys = np.sort((docs << np.uint64(32)) | hashes.astype(np.uint64))
    if len(keys) == 0:
        return np.zeros(n_docs, dtype=np.int64)
    first = np.concatenate([[True], keys[1:] != keys[:-1]])
    return np.bincount((keys[first] >> np.uint64(32)).astype(np.int64), minlength=n_docs).astype(np.int64)
