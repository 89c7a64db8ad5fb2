"""Compiled bucket scan of the containment candidate search: the live holders of one bucket's sample values.

``dedup.match.containment`` searches the batch's samples a bucket of values at a time, so
that its memory stays one bucket's; each bucket is read twice. In numpy that read is a
comparison over all samples, their positions, and a binary search of each position among
the documents' offsets for its document. Here one pass over the documents' runs picks
the bucket's samples with their document. Callers get this through
``containment.bucket_holders``, which uses the numpy twin until a process has done enough
work to repay compiling.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def bucket_holders(values, offsets, live, bucket, number, most):
    """``(owner, value)`` of the samples with ``bucket == number`` of live documents, in sample order.

    Document d holds ``values[offsets[d]:offsets[d + 1]]``; ``most`` is at least how many
    samples are in the bucket.
    """
    owner = np.empty(most, dtype=np.int64)
    held = np.empty(most, dtype=np.uint32)
    filled = 0
    for d in range(len(offsets) - 1):
        if not live[d]:
            continue
        for p in range(offsets[d], offsets[d + 1]):
            if bucket[p] == number:
                owner[filled] = d
                held[filled] = values[p]
                filled += 1
    return owner[:filled], held[:filled]
