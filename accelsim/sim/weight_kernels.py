"""The Numba kernels of the weight-sparse and dual-side cores (``accelsim.sim.weights``).

Small functions over flat, preallocated int64 arrays: chunk keep bits of a packed mask, the cycles of one chunk,
the static per-tile tables of a weight mask and the per-fold statistics of a dual-side run.  Their front door
is ``accelsim.sim.weight_stats.weight_stats``, which allocates the arrays and calls them.
"""

from __future__ import annotations

import numba
import numpy as np

from accelsim.sim.bitcount import pointer_cycles


@numba.njit(cache=True, error_model="numpy")
def _chunk_values(packed, k, mh, out):
    """out[r, c] = the keep bits of chunk c of packed row r (bit i = channel c * mh + i), mh <= 62."""
    nch = out.shape[1]
    for r in range(packed.shape[0]):
        row = packed[r]
        for c in range(nch):
            lo = c * mh
            hi = min(k, lo + mh)
            v = np.int64(0)
            for q in range(lo, hi):
                if (row[q >> 3] >> (q & 7)) & 1:
                    v |= np.int64(1) << (q - lo)
            out[r, c] = v



@numba.njit(cache=True, error_model="numpy")
def _cyc(v, mh, table, ctab, ptab, rlo, rhi, full):
    """(cycles, kept) of a chunk with keep bits v: the table (mh <= 16), else popcount or the pointer greedy."""
    if table:
        e = np.int64(ctab[v])
        return e & 255, e >> 8
    x = 0
    w = v
    while w:
        w &= w - 1
        x += 1
    if full or x == 0:
        return ptab[x], x
    pend = np.empty(x, dtype=np.int64)  # the rare path (mh > 16, reach below the chunk): kept positions, ascending
    i = 0
    for q in range(mh):
        if (v >> q) & 1:
            pend[i] = q
            i += 1
    return pointer_cycles(pend, x, ptab[x], rlo, rhi), x


@numba.njit(cache=True, error_model="numpy")
def _weight_tiles(W, mh, table, ctab, ptab, rlo, rhi, full, cpt, pe_cols, cmax, imax, csum, lsum, ksum, wkept, wchunks, bmax,
                  bimax):  # fmt: skip
    """Static per (tile j, O-tile) tables of a weight mask's chunks (W: int64 [O, nch] chunk values).

    bmax, bimax: the O-tile's largest column total over tile j's chunks of cycles / ideal cycles (lane_balance).
    """
    o_n, nch = W.shape
    nj = cmax.shape[0]
    for ot in range(cmax.shape[1]):
        o0 = ot * pe_cols
        o1 = min(o_n, o0 + pe_cols)
        col = np.zeros((nj, pe_cols), dtype=np.int64)
        coli = np.zeros((nj, pe_cols), dtype=np.int64)
        for c in range(nch):
            j = c // cpt
            mx = 0
            mi = 0
            for o in range(o0, o1):
                cy, x = _cyc(W[o, c], mh, table, ctab, ptab, rlo, rhi, full)
                col[j, o - o0] += cy
                coli[j, o - o0] += ptab[x]
                if cy > mx:
                    mx = cy
                if ptab[x] > mi:
                    mi = ptab[x]
                csum[j, ot] += cy
                ksum[j, ot] += x
            if mx > cmax[j, ot]:
                cmax[j, ot] = mx
            if mi > imax[j, ot]:
                imax[j, ot] = mi
            lsum[j, ot] += mx
            wkept[j, ot] = ksum[j, ot]
            wchunks[j, ot] += o1 - o0
        for j in range(nj):
            for q in range(o1 - o0):
                if col[j, q] > bmax[j, ot]:
                    bmax[j, ot] = col[j, q]
                if coli[j, q] > bimax[j, ot]:
                    bimax[j, ot] = coli[j, q]


@numba.njit(cache=True, error_model="numpy")
def _dual_stats(A, WT, mh, table, ctab, ptab, rlo, rhi, full, tb, cpt, pe_cols, lockstep, balance, acc, acci, work, ideal,
                passes, lpasses, nnz):  # fmt: skip
    """Per (block, tile, O-tile) statistics of a dual-side run (A: [T, nch], WT: [nch, O] chunk values).

    acc, acci: int64 [nch, pe_cols] scratch: per (chunk, column) cycles summed over the block (weight-stationary)
    or their max (output-stationary, lockstep).
    """
    t_rows, nch = A.shape
    o_n = WT.shape[1]
    nb, nj, n_ot = work.shape
    for b in range(nb):
        t0 = b * tb
        t1 = min(t_rows, t0 + tb)
        for ot in range(n_ot):
            o0 = ot * pe_cols
            o1 = min(o_n, o0 + pe_cols)
            acc[:] = 0
            acci[:] = 0
            for t in range(t0, t1):
                for c in range(nch):
                    a = A[t, c]
                    j = c // cpt
                    mx = 0
                    s = 0
                    xs = 0
                    wrow = WT[c]
                    ac = acc[c]
                    ai = acci[c]
                    for o in range(o0, o1):
                        if table:  # the common case: one table read per (t, o, c)
                            e = np.int64(ctab[a & wrow[o]])
                            cy = e & 255
                            x = e >> 8
                        else:
                            cy, x = _cyc(a & wrow[o], mh, table, ctab, ptab, rlo, rhi, full)
                        s += cy
                        xs += x
                        if cy > mx:
                            mx = cy
                        pi = ptab[x]
                        if lockstep:
                            if cy > ac[o - o0]:
                                ac[o - o0] = cy
                            if pi > ai[o - o0]:
                                ai[o - o0] = pi
                        else:
                            ac[o - o0] += cy
                            ai[o - o0] += pi
                    passes[b, j, ot] += s
                    nnz[b, j, ot] += xs
                    lpasses[b, j, ot] += mx
            if balance:  # a column's lane groups share its chunk-cycles over the tile (Design.lane_balance)
                for j in range(nj):
                    for q in range(o1 - o0):
                        s = 0
                        si = 0
                        for c in range(j * cpt, min(nch, (j + 1) * cpt)):
                            s += acc[c, q]
                            si += acci[c, q]
                        if (s + cpt - 1) // cpt > work[b, j, ot]:
                            work[b, j, ot] = (s + cpt - 1) // cpt
                        if (si + cpt - 1) // cpt > ideal[b, j, ot]:
                            ideal[b, j, ot] = (si + cpt - 1) // cpt
                continue
            for c in range(nch):
                j = c // cpt
                for q in range(o1 - o0):
                    if acc[c, q] > work[b, j, ot]:
                        work[b, j, ot] = acc[c, q]
                    if acci[c, q] > ideal[b, j, ot]:
                        ideal[b, j, ot] = acci[c, q]

