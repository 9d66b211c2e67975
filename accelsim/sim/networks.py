"""Sizes of the selection networks the simulator counts and the cost model prices (one formula each)."""

from __future__ import annotations

import math

__all__ = ["bitonic_comparators"]


def bitonic_comparators(m: int) -> int:
    """Comparators of a bitonic sorting network on m inputs rounded up to a power of two.

    ``(2^L / 2) * L * (L + 1) / 2`` with ``L = max(1, ceil(log2 m))``: K. E. Batcher, "Sorting
    networks and their applications", AFIPS Spring Joint Computer Conference 1968.
    """
    lg = max(1, math.ceil(math.log2(m)))
    return (1 << lg) // 2 * lg * (lg + 1) // 2
