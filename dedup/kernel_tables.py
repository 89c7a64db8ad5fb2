"""The size of the open-addressing tables of the compiled kernels (numba: import only from kernel modules)."""
from __future__ import annotations

from numba import njit


@njit(cache=True, inline="always")
def table_bits(entries):
    """Bits of the smallest power of two that is at least 16 and twice ``entries``: a table at most half full."""
    bits = 4
    while (1 << bits) < 2 * entries:
        bits += 1
    return bits
