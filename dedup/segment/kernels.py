"""Compiled sentence splitting: :func:`dedup.segment.sentences.sentence_spans` for many blocks in one loop.

Splitting is one regex search per sentence plus a little Python around each match (quote
balance, abbreviations, stripping): on real pages some 10 µs per sentence, a fifth of
cleaning the documents that repeat something. Here the same rules run over the code points
of the whole document, every prose block in one call. The rules are those of
``sentences.py``, spelled out character by character; ``tests/test_segment.py`` checks
that both give the same spans. Callers get this through ``sentences.sentence_bounds``, which
splits with the regexes until a process has done enough work to repay compiling.

What a character is comes in ``classes``, one byte of flags per code point of the text
(white space and word characters as Unicode and ``re`` define them, and membership of the
sets the regexes of ``sentences.py`` name), so the kernel needs no Unicode tables.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from dedup.segment.sentences import AFTER_PERIOD, CLOSER, OPENER, QUOTATIVE, RUN, SPACE, TAIL, WORD

_PERIOD = 0x2E
_ELLIPSIS = 0x2026


@njit(cache=True)
def _abbreviated(points, classes, window, period, words, word_starts):
    """Whether ``points[window:period]`` ends with an abbreviation or an initial at a word boundary.

    As ``re.search`` of ``sentences._ABBREVIATION`` in the window and its period: the word
    must start the window or follow a character that is no ``\\w``.
    """
    q = period - 1
    if q >= window and 0x41 <= points[q] <= 0x5A and (q == window or not classes[q - 1] & WORD):
        return True
    for w in range(len(word_starts) - 1):
        size = word_starts[w + 1] - word_starts[w]
        q = period - size
        if q < window:
            continue
        same = True
        for k in range(size):
            if points[q + k] != words[word_starts[w] + k]:
                same = False
                break
        if same and (q == window or not classes[q - 1] & WORD):
            return True
    return False


@njit(cache=True)
def sentence_bounds(points, classes, starts, ends, words, word_starts, reach, max_quoted):
    """``(block, start, end)`` of every sentence of the blocks ``points[starts[b]:ends[b]]``, in order.

    Offsets are into ``points``; ``block`` is the index into ``starts``. The abbreviations
    (``words``, cut at ``word_starts``), ``reach`` and ``max_quoted`` come from ``sentences.py``,
    whose regexes are made from the same constants.
    """
    capacity = 16 + len(starts)
    out_block = np.empty(capacity, dtype=np.int64)
    out_start = np.empty(capacity, dtype=np.int64)
    out_end = np.empty(capacity, dtype=np.int64)
    count = 0
    for b in range(len(starts)):
        s, e = starts[b], ends[b]
        begin = s
        balance = 0
        scanned = s
        pos = s
        while True:
            # the next terminator match at or after pos, as _TERMINATOR.finditer finds it
            found = -1
            stop = -1
            while pos < e:
                c = points[pos]
                if classes[pos] & RUN:
                    stop = pos + 1
                    while stop < e and classes[stop] & RUN:
                        stop += 1
                elif c == _ELLIPSIS:
                    stop = pos + 1
                    while stop < e and points[stop] == _ELLIPSIS:
                        stop += 1
                elif (
                    c == _PERIOD and pos > s and not classes[pos - 1] & SPACE and points[pos - 1] != _PERIOD
                    and (pos + 1 == e or classes[pos + 1] & (SPACE | AFTER_PERIOD))
                ):
                    stop = pos + 1
                if stop >= 0:
                    while stop < e and classes[stop] & TAIL:
                        stop += 1
                    found = pos
                    break
                pos += 1
            if found < 0:
                break
            pos = stop
            for k in range(scanned, stop):
                if classes[k] & OPENER:
                    balance += 1
                elif classes[k] & CLOSER:
                    balance -= 1
            scanned = stop
            if points[found] == _PERIOD and _abbreviated(
                points, classes, max(begin, found - reach), found, words, word_starts
            ):
                continue
            if balance > 0 and stop - begin < max_quoted:
                continue
            if classes[stop - 1] & CLOSER and stop < e and classes[stop] & QUOTATIVE:
                continue
            count = _append(out_block, out_start, out_end, count, points, classes, b, begin, stop)
            if count == len(out_block):
                out_block, out_start, out_end = _grown(out_block), _grown(out_start), _grown(out_end)
            begin = stop
            balance = 0
        if begin < e:
            count = _append(out_block, out_start, out_end, count, points, classes, b, begin, e)
            if count == len(out_block):
                out_block, out_start, out_end = _grown(out_block), _grown(out_start), _grown(out_end)
    return out_block[:count].copy(), out_start[:count].copy(), out_end[:count].copy()


@njit(cache=True, inline="always")
def _append(out_block, out_start, out_end, count, points, classes, block, low, high):
    """Add ``points[low:high]`` without the white space around it, unless nothing is left."""
    while low < high and classes[low] & SPACE:
        low += 1
    while high > low and classes[high - 1] & SPACE:
        high -= 1
    if high > low:
        out_block[count] = block
        out_start[count] = low
        out_end[count] = high
        count += 1
    return count


@njit(cache=True)
def _grown(values):
    bigger = np.empty(2 * len(values), dtype=values.dtype)
    bigger[: len(values)] = values
    return bigger
