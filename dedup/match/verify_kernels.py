"""Compiled sample intersection: how many samples each pair of documents shares, in one loop.

``dedup.match.verify`` checks the sampled containment of every candidate pair that MinHash
did not already call near: at 100,000 documents, about a million pairs of some hundreds of
samples each. In numpy that is a gather of every sample of both sides and a binary search
of each small-side sample among all the large sides' (random access over megabytes: most
of the time went to cache misses). A document's samples are sorted, so here each pair is
one merge of two short sorted runs, read front to back. Callers get this through
``verify.shared_sample_counts``, which uses the numpy twin until a process has done
enough work to repay compiling.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def shared_sample_counts(values, offsets, small, large, needed):
    """For every i, how many values documents ``small[i]`` and ``large[i]`` both hold, if that is at least
    ``needed[i]``; otherwise some number below it.

    Document d holds ``values[offsets[d]:offsets[d + 1]]``, sorted and distinct. Most
    candidates share their anchors and little else: a merge stops once the samples of the
    small side still to come cannot reach ``needed[i]``, a fraction of the way in.
    """
    hits = np.zeros(len(small), dtype=np.int64)
    for i in range(len(small)):
        a, a_end = offsets[small[i]], offsets[small[i] + 1]
        b, b_end = offsets[large[i]], offsets[large[i] + 1]
        shared = 0
        reach = a_end - needed[i]  # the pair fails once a passes reach + shared: too few are left
        while a < a_end and b < b_end and a <= reach + shared:  # no branches on the values: they are random
            x, y = values[a], values[b]
            shared += x == y
            a += x <= y
            b += y <= x
        hits[i] = shared
    return hits
