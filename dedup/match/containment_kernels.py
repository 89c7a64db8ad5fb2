"""Compiled bucket scan of the containment candidate search: the live holders of a few buckets' sample values.

``dedup.match.containment`` searches the batch's samples a bucket of values at a time, so
that its memory stays a bucket's; each bucket is read twice. Picking one bucket out of all
samples is a pass over all of them, so reading the buckets one by one made the search
grow with the square of the batch (27 buckets of 27 million samples at 100,000 documents:
730 million samples looked at, twice). Here one pass over the documents' runs picks the
samples of several consecutive buckets at once, each with its document, grouped by bucket.
Callers get this through ``containment.bucket_group``, which uses the numpy twin until a
process has done enough work to repay compiling.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from dedup.kernel_tables import table_bits


@njit(cache=True)
def value_buckets(values, offsets, live, buckets):
    """``(bucket, live_in_bucket)``: each sample value's bucket (``value % buckets``, uint16) and how many samples of
    live documents (document d: ``values[offsets[d]:offsets[d + 1]]``) each bucket holds, in one read."""
    bucket = np.empty(len(values), dtype=np.uint16)
    live_in_bucket = np.zeros(buckets, dtype=np.int64)
    divisor = np.uint32(buckets)
    for d in range(len(offsets) - 1):
        alive = live[d]
        for i in range(offsets[d], offsets[d + 1]):
            b = values[i] % divisor
            bucket[i] = b
            if alive:
                live_in_bucket[b] += 1
    return bucket, live_in_bucket


@njit(cache=True)
def bucket_group(values, offsets, live, bucket, first, last, live_in_bucket):
    """``(owner, value)`` of the samples of live documents with ``first <= bucket < last``: bucket by bucket,
    in sample order within a bucket.

    Document d holds ``values[offsets[d]:offsets[d + 1]]``; ``live_in_bucket[b]`` is how many
    samples of live documents bucket b has.
    """
    cursor = np.empty(last - first, dtype=np.int64)
    total = 0
    for b in range(first, last):
        cursor[b - first] = total
        total += live_in_bucket[b]
    owner = np.empty(total, dtype=np.int64)
    held = np.empty(total, dtype=np.uint32)
    for d in range(len(offsets) - 1):
        if not live[d]:
            continue
        for p in range(offsets[d], offsets[d + 1]):
            b = bucket[p]
            if first <= b < last:
                at = cursor[b - first]
                owner[at] = d
                held[at] = values[p]
                cursor[b - first] = at + 1
    return owner, held


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # multiplied in: sample values of one bucket share their residue, so low bits won't do


@njit(cache=True, inline="always")
def _slot(value, shift):
    return np.int64((np.uint64(value) * _GOLDEN) >> shift)


@njit(cache=True)
def _value_table(values):
    """An open-addressing table of the distinct ``values``: ``(keys, counts, used, shift, mask)``."""
    bits = table_bits(len(values))
    size = 1 << bits
    shift = np.uint64(64 - bits)
    mask = size - 1
    keys = np.zeros(size, dtype=np.uint32)
    counts = np.zeros(size, dtype=np.int64)
    used = np.zeros(size, dtype=np.bool_)
    for i in range(len(values)):
        v = values[i]
        slot = _slot(v, shift)
        while used[slot] and keys[slot] != v:
            slot = (slot + 1) & mask
        used[slot] = True
        keys[slot] = v
        counts[slot] += 1
    return keys, counts, used, shift, mask


@njit(cache=True, inline="always")
def _find(keys, used, shift, mask, v):
    """The slot of ``v`` in a :func:`_value_table`, or -1."""
    slot = _slot(v, shift)
    while used[slot]:
        if keys[slot] == v:
            return slot
        slot = (slot + 1) & mask
    return -1


@njit(cache=True)
def value_holders(values):
    """For every row of ``values`` (uint32), how many rows (itself included) hold its value: one table, two passes."""
    keys, counts, used, shift, mask = _value_table(values)
    holders = np.empty(len(values), dtype=np.int64)
    for i in range(len(values)):
        holders[i] = counts[_find(keys, used, shift, mask, values[i])]
    return holders


@njit(cache=True)
def equal_value_rows(asked, held):
    """``(a, h)``: every pair of rows with ``asked[a] == held[h]`` (uint32), by ``a`` and then ``h`` ascending.

    The asked values (a bucket's anchors: few) go in a table that stays in cache; the held
    rows are read twice in order, to count and then to list each asked value's rows, and
    each asked row copies its value's list.
    """
    keys, _, used, shift, mask = _value_table(asked)
    counts = np.zeros(len(keys), dtype=np.int64)
    for h in range(len(held)):
        slot = _find(keys, used, shift, mask, held[h])
        if slot >= 0:
            counts[slot] += 1
    first = np.zeros(len(keys) + 1, dtype=np.int64)  # where each slot's rows start in ``rows``
    for slot in range(len(keys)):
        first[slot + 1] = first[slot] + counts[slot]
    filled = first[:-1].copy()
    rows = np.empty(first[len(keys)], dtype=np.int64)
    for h in range(len(held)):
        slot = _find(keys, used, shift, mask, held[h])
        if slot >= 0:
            rows[filled[slot]] = h
            filled[slot] += 1
    slot_of = np.empty(len(asked), dtype=np.int64)
    total = 0
    for a in range(len(asked)):
        slot_of[a] = _find(keys, used, shift, mask, asked[a])
        total += counts[slot_of[a]]
    out_a = np.empty(total, dtype=np.int64)
    out_h = np.empty(total, dtype=np.int64)
    at = 0
    for a in range(len(asked)):
        slot = slot_of[a]
        for k in range(first[slot], first[slot + 1]):
            out_a[at] = a
            out_h[at] = rows[k]
            at += 1
    return out_a, out_h


@njit(cache=True)
def rarest_rows(owner, value, rarity, anchors, order):
    """Rows of each owner's ``anchors`` rarest (ties to the smaller value, then the earlier row), by owner and then
    (rarity, value): what a stable sort by (owner, rarity, value) gives first for each owner.

    ``order`` lists the rows by owner, stably (an empty one: the rows already are). Each owner's
    best are kept in a short sorted buffer as its rows go by.
    """
    n = len(owner) if len(order) == 0 else len(order)
    chosen = np.empty(n, dtype=np.int64)
    count = 0
    buffer = np.empty(max(anchors, 1), dtype=np.int64)
    i = 0
    while i < n:
        row = i if len(order) == 0 else order[i]
        who = owner[row]
        kept = 0
        while i < n:
            row = i if len(order) == 0 else order[i]
            if owner[row] != who:
                break
            # insert row after every kept row that is not worse (ties: the earlier row first)
            place = kept
            while place > 0 and (rarity[buffer[place - 1]] > rarity[row] or (
                    rarity[buffer[place - 1]] == rarity[row] and value[buffer[place - 1]] > value[row])):
                place -= 1
            if place < anchors:
                stop = min(kept, anchors - 1)
                for k in range(stop, place, -1):
                    buffer[k] = buffer[k - 1]
                buffer[place] = row
                kept = min(kept + 1, anchors)
            i += 1
        for k in range(kept):
            chosen[count] = buffer[k]
            count += 1
    return chosen[:count]


@njit(cache=True)
def anchor_pair_codes(anchor_value, inner, holder_value, holder, size):
    """``inner * documents + outer`` for each anchor row (its value, its document ``inner``) and each holder row of its
    value whose document ``outer`` is not smaller (``size``: larger, or as large and later), by anchor and then
    holder row: :func:`equal_value_rows` and the size rule in one loop, with no array of every (anchor, holder) row."""
    asking, holding = equal_value_rows(anchor_value, holder_value)
    documents = len(size)
    codes = np.empty(len(asking), dtype=np.int64)
    count = 0
    for k in range(len(asking)):
        i, o = inner[asking[k]], holder[holding[k]]
        if size[o] > size[i] or (size[o] == size[i] and o > i):  # never itself: o > i
            codes[count] = i * documents + o
            count += 1
    return codes[:count]
