"""Numba pass over one layer's packed mask: per (block, tile) statistics (``tile_stats``).

A token row is cut into chunks of ``mh`` channels (the hardware's operand budget, not the run
pattern's M); ``_row_chunks`` gives each chunk's cycles and kept count, from the table of
``accelsim.sim.chunks`` (mh <= 16) or inline (wider chunks: popcount at full reach, the
pointer greedy otherwise).  Table entries are ``cycles | kept << 8``.

Vocabulary (per traced layer ``Y[T, O] = X[T, K] W[K, O]``): chunk ``c`` covers channels
``[c * mh, (c + 1) * mh)`` (the last may be shorter); tile ``j`` is ``cpt`` consecutive chunks
(one per lane group of a PE column, or of a PE in the output-stationary dataflow); block ``b``
is ``tb`` consecutive tokens processed together.  ``accelsim.sim.reference`` is the slow twin.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["tile_stats", "scratch_sizes", "KIND_NIBBLE", "KIND_BYTE", "KIND_WORD", "KIND_TABLE", "KIND_POPCOUNT", "KIND_GREEDY"]

from accelsim.sim.bitcount import bank_max, pointer_cycles, range_count
from accelsim.sim.walk_decode import decode_stats
from accelsim.sim.walk_kinds import KIND_BYTE, KIND_GREEDY, KIND_NIBBLE, KIND_POPCOUNT, KIND_TABLE, KIND_WORD


@numba.njit(cache=True, error_model="numpy")
def _row_chunks(row, k, mh, kind, ctab, ptab, rlo, rhi, popcount, pend, cyc, kept):
    """cyc[c], kept[c] for every chunk c of one packed token row (see module docstring)."""
    nbytes = row.shape[0]
    nch = (k + mh - 1) // mh
    if kind == KIND_NIBBLE:
        for i in range(nbytes):
            v = np.int64(row[i])
            e = ctab[v & 15]
            cyc[2 * i] = e & 255
            kept[2 * i] = e >> 8
            if 2 * i + 1 < nch:
                e = ctab[v >> 4]
                cyc[2 * i + 1] = e & 255
                kept[2 * i + 1] = e >> 8
    elif kind == KIND_BYTE:
        for i in range(nbytes):
            e = ctab[row[i]]
            cyc[i] = e & 255
            kept[i] = e >> 8
    elif kind == KIND_WORD:
        for c in range(nch):
            v = np.int64(row[2 * c])
            if 2 * c + 1 < nbytes:
                v |= np.int64(row[2 * c + 1]) << 8
            e = ctab[v]
            cyc[c] = e & 255
            kept[c] = e >> 8
    elif kind == KIND_TABLE:
        cmask = (1 << mh) - 1
        for c in range(nch):
            lo = c * mh
            b0 = lo >> 3
            v = np.int64(row[b0])
            if b0 + 1 < nbytes:
                v |= np.int64(row[b0 + 1]) << 8
            if b0 + 2 < nbytes:
                v |= np.int64(row[b0 + 2]) << 16
            e = ctab[(v >> (lo & 7)) & cmask]
            cyc[c] = e & 255
            kept[c] = e >> 8
    elif kind == KIND_POPCOUNT:
        for c in range(nch):
            x = range_count(row, c * mh, min(k, c * mh + mh), popcount)
            cyc[c] = ptab[x]
            kept[c] = x
    else:  # KIND_GREEDY: the least C for which the pointer of accelsim.sim.chunks places every position
        for c in range(nch):
            lo = c * mh
            x = 0
            for q in range(lo, min(k, lo + mh)):
                if (row[q >> 3] >> (q & 7)) & 1:
                    pend[x] = q - lo
                    x += 1
            kept[c] = x
            cyc[c] = pointer_cycles(pend, x, ptab[x], rlo, rhi)
    return nch


def scratch_sizes(k: int, mh: int, banks: int) -> tuple[int, int]:
    """Lengths of the int64 and uint8 scratch arrays ``tile_stats`` needs."""
    nch = -(-k // mh)
    return 4 * nch + 2 + mh + banks, 2 * ((k + 7) // 8)


def tile_stats(packed, k, mh, kind, ctab, ptab, rlo, rhi, full, tb, cpt, lockstep, banks, sparse, popcount, spread, scratch,
               bytes_scratch, work, ideal, passes, nnz, union, bankmax):  # fmt: skip
    """Per (block b, tile j) statistics of one layer's packed mask (uint8 [T, ceil(K/8)]).

    scratch: int64 [scratch_sizes(...)[0]], bytes_scratch: uint8 [2 * ceil(K/8)] with its second
    half 0xFF (see ``scratch_sizes``).

    Chunks: ``mh`` channels read as ``kind`` (KIND_*), with ``ctab`` (chunks.chunk_table),
    ``ptab[x] = max(1, ceil(x / nh))`` and the reach intervals ``rlo``/``rhi``; ``full``: the
    selector reaches every position (cycles equal ptab[kept]).
    Outputs (integer arrays [nb, nj], preallocated, overwritten; names in counts.STATS):
      work[b, j]    cycles of the tile: lockstep=0 (weight-stationary, lane groups decoupled by
                    FIFOs over the block): max over the tile's chunks of the sum over the block's
                    tokens of chunk cycles; lockstep=1 (output-stationary, rows share one weight
                    broadcast): max over tokens and chunks of chunk cycles;
      ideal[b, j]   the same with each chunk at ptab[kept] (full reach): work - ideal is operand_reach;
      passes[b, j]  sum of chunk cycles over the block's tokens and the tile's chunks;
      nnz[b, j]     kept channels (useful products per output column);
      union[b, j]   channels of the tile kept by any token of the block (weight rows needed);
                    sparse=0 (dense run): the tile's width;
      bankmax[b, j] most of those channels that share one buffer bank (bank = k mod banks).
    A dense run (sparse=0) ignores the mask except for nnz: every chunk costs one cycle.
    """
    # Three kernels, so that a first run on a cold Numba cache compiles only the one it needs.
    kt, classes = cpt * mh, max(1, banks // 8)
    if not sparse:
        dense_stats(packed, k, mh, tb, cpt, lockstep, banks, popcount, spread, scratch, bytes_scratch, work, ideal, passes,
                    nnz, union, bankmax)  # fmt: skip
        return
    aligned = kind in (KIND_BYTE, KIND_WORD) or (kind == KIND_NIBBLE and cpt % 2 == 0) or (kind == KIND_POPCOUNT and mh % 8 == 0)
    if tb == 1 and aligned and kt % 8 == 0 and banks in (8, 16) and -(-kt // 8 // classes) <= 127:
        decode_stats(packed, k, mh, kind, ctab, ptab, full, cpt, classes, popcount, spread, work, ideal, passes, nnz, union,
                     bankmax)  # fmt: skip
        return
    block_stats(packed, k, mh, kind, ctab, ptab, rlo, rhi, full, tb, cpt, lockstep, banks, popcount, spread, scratch,
                bytes_scratch, work, ideal, passes, nnz, union, bankmax)  # fmt: skip


@numba.njit(cache=True, error_model="numpy")
def dense_stats(packed, k, mh, tb, cpt, lockstep, banks, popcount, spread, scratch, bytes_scratch, work, ideal, passes, nnz,
                union, bankmax):  # fmt: skip
    """tile_stats of a dense run: every chunk one cycle, every channel of a tile a weight row."""
    t_rows = packed.shape[0]
    nbytes = packed.shape[1]
    nch = (k + mh - 1) // mh
    kt = cpt * mh
    cnt = scratch[0:banks]
    ones = bytes_scratch[nbytes : 2 * nbytes]
    for b in range(work.shape[0]):
        t0 = b * tb
        t1 = min(t_rows, t0 + tb)
        tok = t1 - t0
        for j in range(work.shape[1]):
            lo = j * kt
            hi = min(k, lo + kt)
            nc = min(nch, (j + 1) * cpt) - j * cpt
            x = 0
            if (lo & 7) == 0 and (hi & 7) == 0:  # byte-aligned tile: count bytes in place
                for t in range(t0, t1):
                    for i in range(lo >> 3, hi >> 3):
                        x += popcount[packed[t, i]]
            else:
                for t in range(t0, t1):
                    x += range_count(packed[t], lo, hi, popcount)
            nnz[b, j] = x
            passes[b, j] = tok * nc
            work[b, j] = 1 if lockstep else tok
            ideal[b, j] = work[b, j]
            union[b, j] = hi - lo
            bankmax[b, j] = bank_max(ones, lo, hi, banks, spread, cnt) if b == 0 else bankmax[0, j]


@numba.njit(cache=True, error_model="numpy")
def block_stats(packed, k, mh, kind, ctab, ptab, rlo, rhi, full, tb, cpt, lockstep, banks, popcount, spread, scratch,
                bytes_scratch, work, ideal, passes, nnz, union, bankmax):  # fmt: skip
    """tile_stats of a sparse run, block by block (any chunk kind, any banking)."""
    t_rows = packed.shape[0]
    nbytes = packed.shape[1]
    nch = (k + mh - 1) // mh
    kt = cpt * mh
    nb = work.shape[0]
    nj = work.shape[1]
    # int64 scratch (allocated by the caller: fewer typed helpers to compile on a cold cache)
    acc = scratch[0:nch]
    acci = scratch[nch : 2 * nch]
    cyc = scratch[2 * nch : 3 * nch + 1]
    kept = scratch[3 * nch + 1 : 4 * nch + 2]
    pend = scratch[4 * nch + 2 : 4 * nch + 2 + mh]
    cnt = scratch[4 * nch + 2 + mh : 4 * nch + 2 + mh + banks]
    uor = bytes_scratch[0:nbytes]
    for b in range(nb):
        t0 = b * tb
        t1 = min(t_rows, t0 + tb)
        tok = t1 - t0
        for j in range(nj):
            passes[b, j] = 0
            nnz[b, j] = 0
        acc[:] = 0
        acci[:] = 0
        if tok == 1:
            urow = packed[t0]  # one token (decode): the union is its own mask
        else:
            uor[:] = 0
            urow = uor
        for t in range(t0, t1):
            row = packed[t]
            if tok > 1:
                for i in range(nbytes):
                    uor[i] |= row[i]
            _row_chunks(row, k, mh, kind, ctab, ptab, rlo, rhi, popcount, pend, cyc, kept)
            for j in range(nj):
                ps = 0
                xs = 0
                for c in range(j * cpt, min(nch, (j + 1) * cpt)):
                    p = cyc[c]
                    if lockstep:
                        if p > acc[c]:
                            acc[c] = p
                    else:
                        acc[c] += p
                    if not full:
                        pi = ptab[kept[c]]
                        if lockstep:
                            if pi > acci[c]:
                                acci[c] = pi
                        else:
                            acci[c] += pi
                    ps += p
                    xs += kept[c]
                passes[b, j] += ps
                nnz[b, j] += xs
        for j in range(nj):
            best = 0
            besti = 0
            for c in range(j * cpt, min(nch, (j + 1) * cpt)):
                if acc[c] > best:
                    best = acc[c]
                if acci[c] > besti:
                    besti = acci[c]
            work[b, j] = best
            ideal[b, j] = best if full else besti
            lo = j * kt
            hi = min(k, lo + kt)
            bankmax[b, j] = bank_max(urow, lo, hi, banks, spread, cnt)
            u = 0
            for i in range(banks):  # the bank counts already hold the union's channels
                u += cnt[i]
            union[b, j] = u
