"""Numba bit counting over packed masks shared by the tile walks: kept channels in a range, and
the most kept channels that share one buffer bank (SWAR byte counters)."""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["range_count", "bank_max"]


@numba.njit(cache=True, error_model="numpy")
def range_count(row, lo, hi, popcount):
    """Set bits of a packed row in channel range [lo, hi)."""
    if lo >= hi:
        return 0
    b0 = lo >> 3
    b1 = (hi - 1) >> 3
    if b0 == b1:
        return popcount[(np.int64(row[b0]) >> (lo & 7)) & ((1 << (hi - lo)) - 1)]
    acc = popcount[np.int64(row[b0]) >> (lo & 7)]
    for b in range(b0 + 1, b1):
        acc += popcount[row[b]]
    acc += popcount[np.int64(row[b1]) & ((1 << (hi - (b1 << 3))) - 1)]
    return acc


@numba.njit(cache=True, error_model="numpy")
def bank_max(bits, lo, hi, banks, spread, cnt):
    """Largest number of set channels k in [lo, hi) sharing a bank (bank = k mod banks).

    ``bits`` is a packed row (uint8).  ``cnt`` is int64 scratch of length >= banks.
    """
    for i in range(banks):
        cnt[i] = 0
    if lo >= hi:
        return 0
    if banks % 8 == 0:
        # Byte B holds channels 8B..8B+7, i.e. banks 8*(B mod banks/8) + 0..7: count the eight
        # bit positions of all bytes of one class in parallel (bytes of a uint64), flushing
        # before any byte counter could pass 127 (int64
        # counters: the top byte must stay below the sign bit).
        classes = banks // 8
        b0 = lo >> 3
        b1 = (hi - 1) >> 3
        for c in range(classes):
            acc = 0
            adds = 0
            first = b0 + ((c - b0 % classes) % classes)
            for b in range(first, b1 + 1, classes):
                v = np.int64(bits[b])
                if b == b0:
                    v &= (0xFF << (lo & 7)) & 0xFF
                if b == b1:
                    v &= (1 << (hi - (b1 << 3))) - 1
                acc += spread[v]
                adds += 1
                if adds == 127:
                    for i in range(8):
                        cnt[8 * c + i] += (acc >> (8 * i)) & 0xFF
                    acc = 0
                    adds = 0
            for i in range(8):
                cnt[8 * c + i] += (acc >> (8 * i)) & 0xFF
    elif 8 % banks == 0:
        # banks in (1, 2, 4): bit i of every byte lies in bank i mod banks; count the eight bit
        # positions over all bytes at once, then fold them onto the banks.
        b0 = lo >> 3
        b1 = (hi - 1) >> 3
        acc = 0
        adds = 0
        for b in range(b0, b1 + 1):
            v = np.int64(bits[b])
            if b == b0:
                v &= (0xFF << (lo & 7)) & 0xFF
            if b == b1:
                v &= (1 << (hi - (b1 << 3))) - 1
            acc += spread[v]
            adds += 1
            if adds == 127 or b == b1:
                for i in range(8):
                    cnt[i % banks] += (acc >> (8 * i)) & 0xFF
                acc = 0
                adds = 0
    else:
        for k in range(lo, hi):
            if (bits[k >> 3] >> (k & 7)) & 1:
                cnt[k % banks] += 1
    best = 0
    for i in range(banks):
        if cnt[i] > best:
            best = cnt[i]
    return best


@numba.njit(cache=True, error_model="numpy")
def pointer_cycles(pend, x, cap, rlo, rhi):
    """Least C >= cap for which the pointer of accelsim.sim.chunks places the x kept positions
    ``pend[:x]`` (ascending, chunk-relative) with at most C per lane; lane intervals rlo/rhi."""
    while True:
        cur = 0
        used = 0
        ok = True
        for i in range(x):
            q = pend[i]
            if cur < rlo[q]:
                cur = rlo[q]
                used = 0
            if used >= cap:
                cur += 1
                used = 0
            if cur > rhi[q]:
                ok = False
                break
            used += 1
        if ok:
            return cap
        cap += 1
