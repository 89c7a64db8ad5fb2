"""Compiled line segmentation: :func:`dedup.segment.lines.plain_simple_lines` in one pass over a text.

Cutting a text into lines, looking up each character's key and counting keys, visible and
CJK characters is some forty numpy passes and as many small arrays per document, a fixed
cost of about 0.1 ms that dominates on short documents. This is the same work as one loop.
``tests/test_lines.py`` checks that both give the same arrays.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from dedup.segment.lines import LINES_MADE, NOT_SIMPLE_MET, UNKNOWN_MET
from dedup.segment.normalise import CJK_RANGES, NOT_SIMPLE, UNKNOWN

_CJK = np.array(CJK_RANGES, dtype=np.int64)  # in order: below the first range's start is no CJK


@njit(cache=True, inline="always")
def is_cjk(m):
    """Whether code point ``m`` is a CJK character (``normalise.CJK_RANGES``)."""
    if m < _CJK[0, 0]:
        return False
    for r in range(_CJK.shape[0]):
        if _CJK[r, 0] <= m <= _CJK[r, 1]:
            return True
    return False


@njit(cache=True)
def simple_lines(points, table, space, expanding, expansion_offsets, expansion_keys):
    """The lines of a text's code points with their keys by ``table``, as ``plain_simple_lines`` returns them."""
    size = points.shape[0]
    lines = 0
    extra = 0  # key points of the expanding characters beyond one each
    for i in range(size):
        p = points[i]
        if p == 10 and not (i > 0 and points[i - 1] == 13):
            lines += 1
        elif p == 13:
            lines += 1
        elif table[p] == NOT_SIMPLE:
            e = _expansion(expanding, p)
            if e >= 0:
                extra += expansion_offsets[e + 1] - expansion_offsets[e] - 1
    if size and points[size - 1] != 10 and points[size - 1] != 13:
        lines += 1
    start = np.empty(lines, dtype=np.int64)
    end = np.empty(lines, dtype=np.int64)
    line_end = np.empty(lines, dtype=np.int64)
    blank = np.empty(lines, dtype=np.bool_)
    key_points = np.empty(size + lines + extra, dtype=np.uint32)
    key_start = np.empty(lines + 1, dtype=np.int64)
    weights = np.empty(lines, dtype=np.int64)
    key_before = np.empty(size + lines + 1, dtype=np.int64)  # per character of the bodies joined by "\n", and one more
    cjk_before = np.empty(size + lines + extra + 1, dtype=np.int64)
    status = LINES_MADE
    high = False
    keys = 0
    cjk = 0
    body = 0  # characters of the joined bodies so far
    line = 0
    at = 0
    key_start[0] = 0
    while at < size:
        first = at
        visible = False
        line_cjk = cjk
        while at < size and points[at] != 10 and points[at] != 13:
            p = points[at]
            m = table[p]
            if not space[p]:
                visible = True
            key_before[body] = keys
            body += 1
            if m == UNKNOWN:
                status = UNKNOWN_MET
            elif m == NOT_SIMPLE:
                e = _expansion(expanding, p)
                if e < 0:
                    if status == LINES_MADE:
                        status = NOT_SIMPLE_MET
                else:
                    for k in range(expansion_offsets[e], expansion_offsets[e + 1]):
                        keys, cjk = _put_key(expansion_keys[k], key_points, cjk_before, keys, cjk)
                        high |= expansion_keys[k] >= _CJK[0, 0]
            elif m >= 0:
                keys, cjk = _put_key(m, key_points, cjk_before, keys, cjk)
                high |= m >= _CJK[0, 0]
            at += 1
        start[line] = first
        end[line] = at
        if at < size and points[at] == 13 and at + 1 < size and points[at + 1] == 10:
            at += 2
        elif at < size:
            at += 1
        line_end[line] = at
        blank[line] = not visible
        key_before[body] = keys  # the line's "\n", which is its own key
        body += 1
        key_points[keys] = 10
        keys += 1
        cjk_before[keys] = cjk
        key_start[line + 1] = keys
        weights[line] = keys - key_start[line] - 1 + cjk - line_cjk
        line += 1
    key_before[body] = keys
    cjk_before[0] = 0
    return status, start, end, line_end, blank, key_points[:keys], key_start, weights, key_before[: body + 1], cjk_before[: keys + 1], high


@njit(cache=True, inline="always")
def _put_key(point, key_points, cjk_before, keys, cjk):
    """Append key point ``point``; the key points and CJK characters so far after it."""
    key_points[keys] = point
    if point >= _CJK[0, 0] and is_cjk(point):
        cjk += 1
    cjk_before[keys + 1] = cjk
    return keys + 1, cjk


@njit(cache=True, inline="always")
def _expansion(expanding, point):
    """The index of ``point`` among the expanding characters (ascending), or -1."""
    at = np.searchsorted(expanding, point)
    if at < len(expanding) and expanding[at] == point:
        return at
    return -1
