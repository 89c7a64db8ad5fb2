"""Compiled loops of :mod:`dedup.signatures.forms`: one pass over a batch's mapped characters.

Their numpy twins (``forms.plain_script_counts``, ``forms.plain_joined_keys``) give the same
results; each numpy pass over a batch allocates arrays of 8 bytes per character, which
costs more than the hashing that follows, where this is one read of the batch.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from dedup.segment.line_kernels import is_cjk  # numba caches this module by its own file: clear it when is_cjk changes
from dedup.signatures.forms import NOT_SIMPLE, UNKNOWN


@njit(cache=True)
def script_counts(points, table, lengths, sample):
    """Each code point's key by ``table``; per text, its key characters, the CJK ones among its first
    ``sample``, and its characters that are not simple; and whether some point's key is not in the table yet."""
    n_texts = lengths.shape[0]
    mapped = np.empty(points.shape[0], dtype=table.dtype)
    keys = np.zeros(n_texts, dtype=np.int64)
    cjk = np.zeros(n_texts, dtype=np.int64)
    odd = np.zeros(n_texts, dtype=np.int64)
    unknown = False
    at = 0
    for t in range(n_texts):
        for i in range(at, at + lengths[t]):
            m = np.int64(table[points[i]])
            mapped[i] = m
            if m > 0 and m != 10:
                if keys[t] < sample and is_cjk(m):
                    cjk[t] += 1
                keys[t] += 1
            elif m == NOT_SIMPLE:
                odd[t] += 1
            elif m == UNKNOWN:
                unknown = True
        at += lengths[t]
    return mapped, keys, cjk, odd, unknown


@njit(cache=True)
def joined_keys(mapped, lengths, by_words):
    """Each text's key characters in order, one space before every run but the first where ``by_words``,
    and the offsets of each text's run in the result."""
    n_texts = lengths.shape[0]
    out = np.empty(mapped.shape[0], dtype=mapped.dtype)  # a space always stands where a non-key character was
    offsets = np.zeros(n_texts + 1, dtype=np.int64)
    size = 0
    at = 0
    for t in range(n_texts):
        begin = size
        after_key = False
        for i in range(at, at + lengths[t]):
            m = mapped[i]
            if m > 0 and m != 10:
                if by_words[t] and not after_key and size > begin:
                    out[size] = 32
                    size += 1
                out[size] = m
                size += 1
                after_key = True
            else:
                after_key = False
        offsets[t + 1] = size
        at += lengths[t]
    return out[:size], offsets
