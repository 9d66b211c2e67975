"""Cycles of one chunk for one token, from its keep bits (docs/sparse-core-model.md, section 1).

A lane group of ``nh`` lanes is offered a chunk of ``mh`` consecutive positions per cycle; lane
``i`` reaches positions ``[s_i, s_i + r)`` with ``s_i = floor(i * (mh - r) / (nh - 1))``.  Each
cycle every lane takes at most one kept position inside its reach: positions in ascending
order, each to the lowest-numbered free lane that reaches it; unmatched positions wait for the
next cycle; a chunk with no kept position still costs one cycle.

Because the windows' starts and ends both increase with the lane number, the lanes reaching a
position form an interval ``[lo[p], hi[p]]`` and the greedy is a single pointer per cycle:
position p takes lane ``max(next, lo[p])`` if that is ``<= hi[p]``.  ``chunk_table`` evaluates
it for every keep pattern of a chunk at once (NumPy, ``mh <= 16``) and caches the table per
(nh, mh, r); the Numba kernels index it by the chunk's bits and run the same pointer greedy
inline for wider chunks.  The NumPy twin (``accelsim.sim.reference``) has its own greedy.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["TABLE_MAX_MH", "lane_windows", "reach_intervals", "chunk_table", "full_reach"]

TABLE_MAX_MH = 16  # widest chunk with a table (2**16 entries)


def lane_windows(nh: int, mh: int, r: int) -> list[tuple[int, int]]:
    """[s_i, s_i + r) for each lane i of a lane group (the spec's window starts)."""
    if nh == 1:
        return [(0, r)]
    return [(i * (mh - r) // (nh - 1), i * (mh - r) // (nh - 1) + r) for i in range(nh)]


def reach_intervals(nh: int, mh: int, r: int) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) int64 [mh]: the lowest and highest lane that reaches each position."""
    win = lane_windows(nh, mh, r)
    lo = np.array([min(i for i, (s, e) in enumerate(win) if s <= p < e) for p in range(mh)], dtype=np.int64)
    hi = np.array([max(i for i, (s, e) in enumerate(win) if s <= p < e) for p in range(mh)], dtype=np.int64)
    return lo, hi


def full_reach(nh: int, mh: int, r: int) -> bool:
    """True if every lane reaches every position (cycles are max(1, ceil(kept / nh)))."""
    return r >= mh


@lru_cache(maxsize=64)
def chunk_table(nh: int, mh: int, r: int) -> np.ndarray:
    """Cycles of a chunk by its bits, int16 [2**mh]: entry ``cycles | kept << 8`` (mh <= 16)."""
    if not 1 <= mh <= TABLE_MAX_MH:
        raise ValueError(f"chunk_table covers chunks of 1..{TABLE_MAX_MH} positions, got {mh}")
    lo, hi = reach_intervals(nh, mh, r)
    bits = np.arange(1 << mh, dtype=np.int64)
    kept = np.zeros_like(bits)
    for p in range(mh):
        kept += (bits >> p) & 1
    remaining = bits.copy()
    cycles = np.zeros_like(bits)
    while remaining.any():
        live = remaining != 0
        cycles += live
        nxt = np.zeros_like(bits)
        for p in range(mh):
            cand = np.maximum(nxt, lo[p])
            take = live & (((remaining >> p) & 1) == 1) & (cand <= hi[p])
            nxt = np.where(take, cand + 1, nxt)
            remaining = np.where(take, remaining & ~(1 << p), remaining)
    cycles = np.maximum(cycles, 1)
    table = (cycles | (kept << 8)).astype(np.int16)
    table.setflags(write=False)
    return table
