"""Compiled pair counting: the pairs of units that share each shingle, counted in one loop.

``dedup.match.overlap`` groups the shingles of many units by hash; every pair of units in a
group shares that shingle. In numpy that is one gather and one ``np.unique`` per group size,
which on a real page with a few thousand lines is dozens of small calls per document and a
third of the cost of cleaning the documents that repeat something. Here one loop lists the
pairs of every group and one hash table counts them. Callers get this through
``overlap.group_pair_counts``, which uses the numpy twin until a process has done enough
work to repay compiling.

The fast path's test of ``dedup.match.repeats`` is here too: the prose lines' keys hashed
straight from the lines' code points, and the share of repeated positions, in one call.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from dedup.kernel_tables import table_bits
from dedup.match.repeats import ALIKE_FROM
from dedup.signatures.kernels import xxh32

_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio: multiplied in, its high bits spread any codes


@njit(cache=True)
def group_pair_counts(keys, copies, max_posting, n_units, begin, limit):
    """``(codes, counts, stop)``: how often each pair code occurs in the groups of ``keys[begin:stop]``.

    ``keys`` are sorted ``hash << 32 | unit``; a group is a run of one hash, and its units
    pair up as ``first * n_units + second`` (first < second). A group of more than
    ``max_posting`` units is skipped, counting ``copies[u]`` for unit u when ``copies`` is
    not empty. Groups are taken while their pairs add up to at most ``limit`` (at least one
    group), so ``stop`` is where the next call starts.
    """
    n = len(keys)
    total = 0
    pos = begin
    while pos < n:
        end, pairs = _group(keys, copies, max_posting, pos)
        if total > 0 and total + pairs > limit:
            break
        total += pairs
        pos = end
    stop = pos
    # each pair code counted in an open-addressing table (linear probing) of at least twice the
    # pair occurrences: one random access each, where sorting them all cost twice as much
    bits = table_bits(total)
    size = 1 << bits
    shift = np.uint64(64 - bits)
    mask = size - 1
    slots = np.full(size, -1, dtype=np.int64)
    tally = np.zeros(size, dtype=np.int64)
    distinct = 0
    pos = begin
    while pos < stop:
        end, pairs = _group(keys, copies, max_posting, pos)
        if pairs:
            for i in range(pos, end - 1):
                a = np.int64(keys[i] & _LOW32) * n_units
                for j in range(i + 1, end):
                    code = a + np.int64(keys[j] & _LOW32)
                    slot = np.int64((np.uint64(code) * _GOLDEN) >> shift)
                    while slots[slot] != -1 and slots[slot] != code:
                        slot = (slot + 1) & mask
                    if slots[slot] == -1:
                        slots[slot] = code
                        distinct += 1
                    tally[slot] += 1
        pos = end
    codes = np.empty(distinct, dtype=np.int64)
    counts = np.empty(distinct, dtype=np.int64)
    k = 0
    for slot in range(size):
        if slots[slot] != -1:
            codes[k] = slots[slot]
            counts[k] = tally[slot]
            k += 1
    order = np.argsort(codes)
    return codes[order], counts[order], stop


@njit(cache=True, inline="always")
def _group(keys, copies, max_posting, pos):
    """Where the group starting at ``pos`` ends, and how many pairs it gives (0 if skipped)."""
    n = len(keys)
    hash_ = keys[pos] >> _SHIFT
    end = pos + 1
    while end < n and keys[end] >> _SHIFT == hash_:
        end += 1
    size = end - pos
    if size > max_posting:
        return end, 0
    if len(copies):
        posting = 0
        for k in range(pos, end):
            posting += copies[keys[k] & _LOW32]
        if posting > max_posting:
            return end, 0
    return end, size * (size - 1) // 2


@njit(cache=True)
def repeated_share_units(hashes, offsets, least, scaled, scale, stretches):
    """``(any_unit, dense, repeated)``: the fast path's test of ``dedup.match.repeats`` in one loop.

    A position is repeated when its hash occurs at another position too. ``any_unit``: some
    unit (positions ``offsets[u]:offsets[u + 1]``) has ``scaled``/``scale`` of its positions
    repeated. Otherwise, if ``stretches``, ``dense`` lists the units (ascending) with a
    stretch of at least ``least[u]`` positions that has: with F the prefix sums of the
    unit's flags and G[k] = scale·F[k] - scaled·k, some b ≥ least[u] with G[b] ≥ the least
    G[a], a ≤ b - least[u]. ``repeated`` are the flags of the positions.
    """
    return _share_test(hashes, offsets, least, scaled, scale, stretches)


@njit(cache=True)
def prose_repeated_share(key_points, key_start, lines, n, min_weight, scaled, scale, stretches):
    """``(any_unit, dense, repeated, offsets)``: :func:`repeated_share_units` of the keys of ``lines``, hashed here.

    The units are the keys of the lines ``lines`` of ``DocumentLines``' code points, hashed
    by :func:`prose_ngram_hashes`, so the keys need not be made as strings, joined and
    encoded. A unit's least stretch is that of a sentence of ``min_weight``: ``min_weight``
    characters for an ASCII key, half as many (rounded up) for any other, less n - 1, at least 1.
    """
    hashes, offsets, ascii = prose_ngram_hashes(key_points, key_start, lines, n)
    least = np.empty(len(lines), dtype=np.int64)
    for u in range(len(lines)):
        chars = min_weight if ascii[u] else (min_weight + 1) // 2
        least[u] = max(chars - n + 1, 1)
    any_unit, dense, repeated = _share_test(hashes, offsets, least, scaled, scale, stretches)
    return any_unit, dense, repeated, offsets


@njit(cache=True)
def prose_ngram_hashes(key_points, key_start, lines, n):
    """``(hashes, offsets, ascii)``: ``dedup.signatures.shingles.hash_ngrams`` of the keys of ``lines``, and whether
    each key is ASCII.

    Line l's key is ``key_points[key_start[l]:key_start[l + 1] - 1]`` (code points); each is
    written as UTF-8 to a scratch buffer and its character n-grams hashed there (XXH32, a
    key shorter than n one shingle of its own, an empty one none): the same hashes.
    """
    units = len(lines)
    offsets = np.empty(units + 1, dtype=np.int64)
    ascii = np.ones(units, dtype=np.bool_)
    offsets[0] = 0
    longest = 0
    for u in range(units):
        size = key_start[lines[u] + 1] - 1 - key_start[lines[u]]
        longest = max(longest, size)
        offsets[u + 1] = offsets[u] + (0 if size == 0 else max(size - n + 1, 1))
    hashes = np.empty(offsets[units], dtype=np.uint32)
    data = np.empty(4 * longest, dtype=np.uint8)
    starts = np.empty(longest + 1, dtype=np.int64)  # where each character's UTF-8 starts in ``data``
    for u in range(units):
        first = key_start[lines[u]]
        size = key_start[lines[u] + 1] - 1 - first
        length = 0
        for k in range(size):
            starts[k] = length
            length = _put_utf8(data, length, key_points[first + k])
            if key_points[first + k] >= 128:
                ascii[u] = False
        starts[size] = length
        at = offsets[u]
        if size == 0:
            continue
        if size < n:
            hashes[at] = xxh32(data, 0, length, 0)
            continue
        for k in range(size - n + 1):
            hashes[at + k] = xxh32(data, starts[k], starts[k + n], 0)
    return hashes, offsets, ascii


@njit(cache=True, inline="always")
def _put_utf8(data, at, point):
    """Write code point ``point`` as UTF-8 at ``data[at:]`` (a surrogate as its three bytes, as "surrogatepass"
    does); return where the next one goes."""
    if point < 0x80:
        data[at] = point
        return at + 1
    if point < 0x800:
        data[at] = 0xC0 | (point >> 6)
        data[at + 1] = 0x80 | (point & 0x3F)
        return at + 2
    if point < 0x10000:
        data[at] = 0xE0 | (point >> 12)
        data[at + 1] = 0x80 | ((point >> 6) & 0x3F)
        data[at + 2] = 0x80 | (point & 0x3F)
        return at + 3
    data[at] = 0xF0 | (point >> 18)
    data[at + 1] = 0x80 | ((point >> 12) & 0x3F)
    data[at + 2] = 0x80 | ((point >> 6) & 0x3F)
    data[at + 3] = 0x80 | (point & 0x3F)
    return at + 4


@njit(cache=True, inline="always")
def _share_test(hashes, offsets, least, scaled, scale, stretches):
    """The body of :func:`repeated_share_units`."""
    if len(hashes) >= ALIKE_FROM and _two_units_alike(hashes, offsets):  # a unit whose positions all repeat
        return True, np.empty(0, dtype=np.int64), np.zeros(0, dtype=np.bool_)
    repeated = _repeated(hashes)
    units = len(offsets) - 1
    dense = np.empty(0, dtype=np.int64)
    for u in range(units):
        size = offsets[u + 1] - offsets[u]
        hits = 0
        for p in range(offsets[u], offsets[u + 1]):
            hits += repeated[p]
        if size > 0 and hits * scale >= scaled * size:
            return True, dense, repeated
    if not stretches:
        return False, dense, repeated
    found = np.zeros(units, dtype=np.bool_)
    count = 0
    for u in range(units):
        size = offsets[u + 1] - offsets[u]
        need = least[u]
        if size < need:
            continue
        g = np.empty(size + 1, dtype=np.int64)
        g[0] = 0
        prefix = 0
        for k in range(1, size + 1):
            prefix += repeated[offsets[u] + k - 1]
            g[k] = scale * prefix - scaled * k
        lowest = g[0]
        for b in range(need, size + 1):
            if g[b - need] < lowest:
                lowest = g[b - need]
            if g[b] - lowest >= 0:
                found[u] = True
                count += 1
                break
    dense = np.empty(count, dtype=np.int64)
    k = 0
    for u in range(units):
        if found[u]:
            dense[k] = u
            k += 1
    return False, dense, repeated


@njit(cache=True)
def _two_units_alike(hashes, offsets):
    """Whether two non-empty units have the same size and the same sum of hashes, as copies of one text have.

    A document that repeats a paragraph shows it here, in one pass over the hashes and a
    sort of one number per unit, before the table of every position (at 5 MB, some 40 ms
    of cache misses) is built. Two different units alike only send the text the long way.
    Only for ``ALIKE_FROM`` positions on: below, the table fits the cache, and the check
    cost the corpus benchmark's documents (4.5 KB) 3% of their cleaning.
    """
    units = len(offsets) - 1
    prints = np.empty(units, dtype=np.uint64)
    count = 0
    for u in range(units):
        size = offsets[u + 1] - offsets[u]
        if size == 0:
            continue
        total = np.uint64(0)
        for p in range(offsets[u], offsets[u + 1]):
            total += np.uint64(hashes[p])
        prints[count] = total * np.uint64(1_000_003) + np.uint64(size)
        count += 1
    prints = np.sort(prints[:count])
    for k in range(1, count):
        if prints[k] == prints[k - 1]:
            return True
    return False


@njit(cache=True)
def _repeated(hashes):
    """Whether each hash occurs at another position too: one open-addressing table, linear probing.

    The hashes are XXH32 values, so their low bits index the table directly.
    """
    n = len(hashes)
    repeated = np.zeros(n, dtype=np.bool_)
    if n < 2:
        return repeated
    size = 1 << table_bits(n)
    mask = size - 1
    slots = np.empty(size, dtype=np.uint32)
    seen = np.zeros(size, dtype=np.uint8)  # 0: empty, 1: one position, 2: more
    slot_of = np.empty(n, dtype=np.int32)  # each position's slot: read back without probing again
    for p in range(n):
        h = hashes[p]
        slot = np.int64(h) & mask
        while seen[slot] and slots[slot] != h:
            slot = (slot + 1) & mask
        if seen[slot]:
            seen[slot] = 2
        else:
            slots[slot] = h
            seen[slot] = 1
        slot_of[p] = slot
    for p in range(n):
        repeated[p] = seen[slot_of[p]] == 2
    return repeated
