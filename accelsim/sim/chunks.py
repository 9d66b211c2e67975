"""Cycles of one chunk for one token, from its keep bits (docs/sparse-core-model.md, section 1).

A lane group of ``nh`` lanes is offered a chunk of ``mh`` consecutive positions per cycle; lane
``i`` reaches positions ``[s_i, s_i + r)`` with ``s_i = floor(i * (mh - r) / (nh - 1))``.  Each
cycle every lane takes at most one kept position inside its reach; a chunk with no kept
position still costs one cycle.

The cycles are those of the best static schedule: the least ``C`` such that the kept positions
can be given to lanes with at most ``C`` per lane.  (The spec's cycle-by-cycle greedy, each
cycle the ascending positions to the lowest free lane, is optimal per cycle but not over
cycles: with nh=2, mh=6, positions {0, 2, 4, 5} take 2 cycles at reach 3 and 3 at reach 4, so
cycles would grow with reach.  The two agree at full reach, ``max(1, ceil(x / nh))``, and on
every exact N:M mask a window sized for it reaches.)  Because the windows' starts and ends both
increase with the lane number, the lanes reaching a position form an interval ``[lo[p], hi[p]]``
and, for a given C, giving the ascending positions to the lowest lane with a free slot that
reaches them is optimal (a single pointer); the cycles are the least C for which it places
every position.  ``chunk_table`` evaluates it for every keep pattern of a chunk at once (NumPy,
``mh <= 16``) and caches the table per (nh, mh, r); the Numba kernels index it by the chunk's
bits and run the same pointer inline for wider chunks.  The NumPy twin
(``accelsim.sim.reference``) computes the same least C independently, from Hall's condition.
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


@lru_cache(maxsize=256)
def full_reach(nh: int, mh: int, r: int) -> bool:
    """True if the reach never costs a cycle: every chunk takes max(1, ceil(kept / nh)) cycles.

    By Hall's condition that holds exactly when, for every lane interval [a, b] of width w and
    every s up to the number of positions reached only from inside it, s <= ceil(s / nh) * w
    (s such positions alone need that many slots on w lanes).  True for r = mh and for the
    default window r = mh - nh + 1 (an interval of w lanes holds at most w such positions).
    """
    if r >= mh:
        return True
    lo, hi = reach_intervals(nh, mh, r)
    lanes = np.arange(nh)
    first = np.searchsorted(lo, lanes, side="left")  # first position reached only from lanes >= a
    last = np.searchsorted(hi, lanes, side="right") - 1  # last position reached only from lanes <= b
    inside = np.maximum(0, last[None, :] - first[:, None] + 1)  # [a, b]
    width = lanes[None, :] - lanes[:, None] + 1
    for s in range(1, mh + 1):
        if ((inside >= s) & (width > 0) & (s > -(-s // nh) * width)).any():
            return False
    return True


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
    cycles = np.maximum(1, -(-kept // nh))  # the lower bound; raised where the pointer fails
    todo = np.ones(bits.shape, dtype=bool)
    while todo.any():
        cap = cycles[todo]
        b = bits[todo]
        cur = np.zeros_like(b)  # lowest lane that may still have a free slot
        used = np.zeros_like(b)  # slots taken on lane cur
        ok = np.ones(b.shape, dtype=bool)
        for p in range(mh):
            has = ((b >> p) & 1) == 1
            jump = has & (cur < lo[p])
            cur = np.where(jump, lo[p], cur)
            used = np.where(jump, 0, used)
            full = has & (used >= cap)
            cur = np.where(full, cur + 1, cur)
            used = np.where(full, 0, used)
            ok &= ~has | (cur <= hi[p])
            used = np.where(has, used + 1, used)
        idx = np.flatnonzero(todo)
        cycles[idx[~ok]] += 1
        todo[idx[ok]] = False
    table = (cycles | (kept << 8)).astype(np.int16)
    table.setflags(write=False)
    return table
