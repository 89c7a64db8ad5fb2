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
