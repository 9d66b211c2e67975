"""Numba tile statistics of a sparse decode run (one token per block): the fast path of ``walk.tile_stats``."""

from __future__ import annotations

import numba
import numpy as np

from accelsim.sim.walk_kinds import KIND_BYTE, KIND_NIBBLE, KIND_POPCOUNT, KIND_WORD

__all__ = ["decode_stats"]


# Decode (one token per block) fast path: one pass over a tile's bytes yields its cycles, work,
# kept count (= union, a single token) and bank occupancy, with the bank counters in registers.
# Needs byte-aligned tiles, 8 or 16 banks (byte i holds channels of bank class i mod 2) and at
# most 127 bytes of one class per tile (int64 SWAR byte counters); ``tile_stats`` checks.
@numba.njit(cache=True, error_model="numpy")
def decode_stats(packed, k, mh, kind, ctab, ptab, full, cpt, classes, popcount, spread, work, ideal, passes, nnz, union,
                 bankmax):  # fmt: skip
    """tile_stats of a sparse decode run (one token per block), every row in one pass (see above)."""
    for b in range(packed.shape[0]):
        _decode_row(packed[b], k, mh, kind, ctab, ptab, full, cpt, work.shape[1], classes, popcount, spread, b, work, ideal,
                    passes, nnz, union, bankmax)  # fmt: skip


@numba.njit(cache=True, error_model="numpy")
def _decode_row(row, k, mh, kind, ctab, ptab, full, cpt, nj, classes, popcount, spread, b, work, ideal, passes, nnz, union,
                bankmax):  # fmt: skip
    nbytes = row.shape[0]
    nch = (k + mh - 1) // mh
    tile_bytes = cpt * mh // 8
    mb = mh >> 3
    for j in range(nj):
        a0 = 0
        a1 = 0
        best = 0
        besti = 0
        ps = 0
        xs = 0
        i0 = j * tile_bytes
        i1 = min(nbytes, i0 + tile_bytes)
        step = 2 if kind == KIND_WORD else (mb if kind == KIND_POPCOUNT else 1)
        for i in range(i0, i1, step):
            v = np.int64(row[i])
            if i & 1:
                a1 += spread[v]
            else:
                a0 += spread[v]
            if kind == KIND_NIBBLE:
                e = ctab[v & 15]
                if 2 * i + 1 < nch:  # the high nibble of a row's last byte may lie past K
                    e1 = ctab[v >> 4]
                    p1 = e1 & 255
                    ps += p1
                    xs += e1 >> 8
                    best = max(best, p1)
                    if not full:
                        besti = max(besti, ptab[e1 >> 8])
            elif kind == KIND_BYTE:
                e = ctab[v]
            elif kind == KIND_WORD:
                if i + 1 < i1:
                    v1 = np.int64(row[i + 1])
                    a1 += spread[v1]
                    v |= v1 << 8
                e = ctab[v]
            else:  # KIND_POPCOUNT, whole-byte chunks
                x = popcount[v]
                for q in range(i + 1, min(i1, i + mb)):
                    w = row[q]
                    x += popcount[w]
                    if q & 1:
                        a1 += spread[w]
                    else:
                        a0 += spread[w]
                e = ptab[x] | (x << 8)
            p = e & 255
            x = e >> 8
            ps += p
            xs += x
            best = max(best, p)
            if not full:
                besti = max(besti, ptab[x])
        if classes == 1:
            a0 += a1
            a1 = 0
        bm = 0
        for lane in range(8):
            bm = max(bm, max((a0 >> (8 * lane)) & 0xFF, (a1 >> (8 * lane)) & 0xFF))
        work[b, j] = best
        ideal[b, j] = best if full else besti
        passes[b, j] = ps
        nnz[b, j] = xs
        union[b, j] = xs
        bankmax[b, j] = bm
