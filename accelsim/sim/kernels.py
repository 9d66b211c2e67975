"""Numba kernels of the simulator: small functions over flat, preallocated arrays.

``tile_stats`` (walk.py) turns a layer's packed mask into per (block, tile) statistics;
``layer_timing`` (here) turns those into cycles by cause and counts; ``mask_totals`` sums a
mask once.  No input checking happens here (``accelsim.sim.simulate`` validates everything
first) and no energy or area constant appears here: the kernels only count.
``accelsim.sim.reference`` is a slow, plain-Python twin; tests require exact equality.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from accelsim.masks.stats import POPCOUNT as MASK_POPCOUNT
from accelsim.sim import counts as C
from accelsim.sim.walk import tile_stats

__all__ = ["POPCOUNT", "SPREAD", "tile_stats", "layer_timing", "mask_totals"]

POPCOUNT = MASK_POPCOUNT  # the byte popcount table of accelsim.masks.stats
# SPREAD[v] has byte i equal to bit i of v: adding SPREAD values counts 8 bit positions at once.
SPREAD = np.array([sum(((v >> i) & 1) << (8 * i) for i in range(8)) for v in range(256)], dtype=np.int64)


@numba.njit(cache=True, error_model="numpy")
def _cdiv(a, b):
    return (a + b - 1) // b


@numba.njit(cache=True, error_model="numpy")
def _folds(c, cr, w, wb, md, dc, mult, cause):
    """Cycles of ``mult`` identical folds, each max(compute + reach, weight, banked weight, metadata, decode); the
    excess over compute + reach is charged to the first binding cause, in that order."""
    t = max(max(cr, w), max(wb, max(md, dc)))
    cause[C.CAUSE_COMPUTE] += c * mult
    cause[C.CAUSE_OPERAND_REACH] += (cr - c) * mult
    cause[C.CAUSE_WEIGHT_BW] += max(0, min(w, t) - cr) * mult
    cause[C.CAUSE_BANK_CONFLICT] += max(0, min(wb, t) - max(cr, w)) * mult
    cause[C.CAUSE_METADATA_BW] += max(0, min(md, t) - max(cr, wb)) * mult
    cause[C.CAUSE_METADATA_DECODE] += max(0, t - max(max(cr, wb), md)) * mult
    return t * mult


@numba.njit(cache=True, error_model="numpy")
def layer_timing(stats, p, dram_bytes_per_cycle, cause, counts):
    """Cycles by cause and kernel counts of one layer from its tile_stats.

    stats: (work, ideal, passes, nnz, union, bankmax) of ``tile_stats``; p: int64 parameters
    indexed by the ``P_*`` constants of ``accelsim.sim.counts``; cause (int64 [len(CAUSES)]) and
    counts (int64 [len(KERNEL_COUNTS)]) are zeroed and filled, indexed by the ``CAUSE_*`` and
    count constants of the same module.

    Each fold (block, tile, O-tile) takes t = max(compute + reach, weight delivery, bank-limited
    weight delivery, metadata delivery, metadata decode) cycles; what exceeds compute + reach is
    charged to the binding cause, in that order.  Weight-stationary: compute = ideal + fill per
    fold, or (``weight_dbuf``: double-buffered weights, folds back to back) on the first fold of
    the layer (prefill) or of each token (decode) only.  Output-stationary: tiles are K windows of
    one fold; fill is added once per (block, O-tile).  Decode: decode_cyc decoder cycles per chunk-cycle of the busiest lane group.  A
    block's compaction (next block compacted during this one) stalls when slower than the block.
    DRAM is a roofline over the layer (prefill) or over each token (decode); compressed
    activations move kept values plus metadata instead of K-wide rows.
    """
    work, ideal, passes, nnz, union, bankmax = stats
    t_rows, k, o, tb, groups, n = p[C.P_T_ROWS], p[C.P_K], p[C.P_O], p[C.P_TB], p[C.P_GROUPS], p[C.P_N]
    cyc_per_pass, fill, pe_cols, bpe = p[C.P_CYC_PER_PASS], p[C.P_FILL], p[C.P_PE_COLS], p[C.P_BPE]
    wbw, mbw, bits_pc, gpc, banks = p[C.P_WEIGHT_BW], p[C.P_META_BW], p[C.P_BITS_PER_PASS], p[C.P_COMPACTION_GPC], p[C.P_BANKS]
    sparse, ws, decode, weights_fit, union_all = p[C.P_SPARSE], p[C.P_WS], p[C.P_DECODE], p[C.P_WEIGHTS_FIT], p[C.P_UNION_ALL]
    dec_cyc, compressed, dbuf = p[C.P_DECODE_CYC], p[C.P_COMPRESSED] and p[C.P_SPARSE], p[C.P_WEIGHT_DBUF]
    in_meta, out_kept, out_meta = p[C.P_IN_META_BITS], p[C.P_OUT_KEPT], p[C.P_OUT_META_BITS]
    for i in range(cause.shape[0]):
        cause[i] = 0
    for i in range(counts.shape[0]):
        counts[i] = 0
    nb = work.shape[0]
    nj = work.shape[1]
    no_full = o // pe_cols
    o_last = o - no_full * pe_cols
    n_otiles = no_full + (1 if o_last > 0 else 0)
    layer_onchip = 0
    layer_bytes = 0
    first = True  # the next fold is the first of a call (pays the fill when weights are double-buffered)
    for b in range(nb):
        tok = min(tb, t_rows - b * tb)
        block_time = 0
        first = first or decode == 1  # decode: every token is its own call
        for cls in range(2):
            ot = pe_cols if cls == 0 else o_last
            cnt = no_full if cls == 0 else (1 if o_last > 0 else 0)
            if cnt == 0:
                continue
            rowbytes = ot * bpe
            for j in range(nj):
                c = ideal[b, j] * cyc_per_pass
                r = (work[b, j] - ideal[b, j]) * cyc_per_pass
                md = _cdiv(passes[b, j] * bits_pc, mbw) if sparse else 0
                dc = work[b, j] * dec_cyc if sparse else 0
                w = _cdiv(union[b, j] * rowbytes, wbw)
                wb = _cdiv(bankmax[b, j] * banks * rowbytes, wbw)
                if ws and dbuf:  # the call's first fold fills the pipeline; the rest follow it back to back
                    lead = 1 if first else 0
                    first = False
                    block_time += _folds(c + fill, c + fill + r, w, wb, md, dc, lead, cause)
                    block_time += _folds(c, c + r, w, wb, md, dc, cnt - lead, cause)
                else:
                    c += fill if ws else 0
                    block_time += _folds(c, c + r, w, wb, md, dc, cnt, cause)
            if not ws:
                cause[C.CAUSE_COMPUTE] += fill * cnt
                block_time += fill * cnt
        wrows = 0
        kept_b = 0
        for j in range(nj):
            counts[C.MACS_USEFUL] += nnz[b, j] * o
            if sparse:
                counts[C.MACS_ISSUED] += passes[b, j] * n * o
                counts[C.META_READ_BITS] += passes[b, j] * bits_pc * n_otiles
                counts[C.META_WRITE_BITS] += passes[b, j] * bits_pc
                counts[C.ACT_READ_BYTES] += nnz[b, j] * bpe * n_otiles
                counts[C.ACT_WRITE_BYTES] += nnz[b, j] * bpe
                counts[C.META_DECODES] += passes[b, j] * n_otiles
            counts[C.WBUF_READ_BYTES] += union[b, j] * o * bpe
            counts[C.PASSES] += passes[b, j]
            wrows += union[b, j]
            kept_b += nnz[b, j]
        if not sparse:
            counts[C.MACS_ISSUED] += tok * k * o
            counts[C.ACT_READ_BYTES] += tok * k * bpe * n_otiles
            counts[C.ACT_WRITE_BYTES] += tok * k * bpe
        comp = 0
        if sparse:
            counts[C.COMPACTION_GROUPS] += tok * groups
            comp = _cdiv(tok * groups, gpc)
        stall = max(0, comp - block_time)
        cause[C.CAUSE_COMPACTION] += stall
        block_time += stall
        if weights_fit:
            wrows = union_all if b == 0 else 0
        wbytes = wrows * o * bpe
        counts[C.WBUF_WRITE_BYTES] += wbytes
        if compressed:
            rd = wbytes + kept_b * bpe + (tok * in_meta + 7) // 8
            wr = tok * out_kept * bpe + (tok * out_meta + 7) // 8
        else:
            rd = wbytes + tok * k * bpe
            wr = tok * o * bpe
        counts[C.DRAM_READ_BYTES] += rd
        counts[C.DRAM_WRITE_BYTES] += wr
        if decode:
            dcyc = math.ceil((rd + wr) / dram_bytes_per_cycle)
            cause[C.CAUSE_DRAM] += max(0, dcyc - block_time)
        else:
            layer_onchip += block_time
            layer_bytes += rd + wr
    if not decode:
        dcyc = math.ceil(layer_bytes / dram_bytes_per_cycle)
        cause[C.CAUSE_DRAM] += max(0, dcyc - layer_onchip)


@numba.njit(cache=True, error_model="numpy")
def mask_totals(packed, popcount, uor):
    """(kept channels over all rows, channels kept by at least one row) of a packed mask.

    uor: uint8 scratch of ceil(K/8) zeros (allocated by the caller).
    """
    t_rows = packed.shape[0]
    nbytes = packed.shape[1]
    total = 0
    for t in range(t_rows):
        for i in range(nbytes):
            v = packed[t, i]
            total += popcount[v]
            uor[i] |= v
    union = 0
    for i in range(nbytes):
        union += popcount[uor[i]]
    return total, union
