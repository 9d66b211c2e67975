"""Numba kernels of the simulator: small functions over flat, preallocated arrays.

No input checking happens here (``accelsim.sim.simulate`` validates everything first) and
no energy or area constant appears here: the kernels only count.  ``accelsim.sim.reference``
is a slow, plain-Python twin of both kernels; tests require exact equality.

Vocabulary (shapes are per traced layer, GEMM ``Y[T, O] = X[T, K] W[K, O]``):

* group: ``m`` consecutive input channels (the last group of a row may be shorter);
* passes of a group for one token: ``max(1, ceil(nnz / n))`` (an empty group still costs a
  pass: the schedule is static per group);
* tile ``j``: ``groups_per_tile`` consecutive groups, ``kt = groups_per_tile * m`` channels;
* block ``b``: ``tb`` consecutive tokens processed together.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from accelsim.masks.stats import POPCOUNT as MASK_POPCOUNT
from accelsim.sim import counts as C

__all__ = ["POPCOUNT", "SPREAD", "tile_stats", "layer_timing", "mask_totals"]

POPCOUNT = MASK_POPCOUNT  # the byte popcount table of accelsim.masks.stats
# SPREAD[v] has byte i equal to bit i of v: adding SPREAD values counts 8 bit positions at once.
SPREAD = np.array([sum(((v >> i) & 1) << (8 * i) for i in range(8)) for v in range(256)], dtype=np.uint64)

@numba.njit(cache=True)
def _range_count(row, lo, hi, popcount):
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


@numba.njit(cache=True)
def _bank_max(bits, lo, hi, banks, spread, cnt):
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
        # before any byte counter could pass 255.
        classes = banks // 8
        b0 = lo >> 3
        b1 = (hi - 1) >> 3
        for c in range(classes):
            acc = np.uint64(0)
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
                if adds == 255:
                    for i in range(8):
                        cnt[8 * c + i] += np.int64((acc >> np.uint64(8 * i)) & np.uint64(0xFF))
                    acc = np.uint64(0)
                    adds = 0
            for i in range(8):
                cnt[8 * c + i] += np.int64((acc >> np.uint64(8 * i)) & np.uint64(0xFF))
    elif 8 % banks == 0:
        # banks in (1, 2, 4): bit i of every byte lies in bank i mod banks; count the eight bit
        # positions over all bytes at once, then fold them onto the banks.
        b0 = lo >> 3
        b1 = (hi - 1) >> 3
        acc = np.uint64(0)
        adds = 0
        for b in range(b0, b1 + 1):
            v = np.int64(bits[b])
            if b == b0:
                v &= (0xFF << (lo & 7)) & 0xFF
            if b == b1:
                v &= (1 << (hi - (b1 << 3))) - 1
            acc += spread[v]
            adds += 1
            if adds == 255 or b == b1:
                for i in range(8):
                    cnt[i % banks] += np.int64((acc >> np.uint64(8 * i)) & np.uint64(0xFF))
                acc = np.uint64(0)
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


# One token row at a time; three variants so that each inner loop stays tight.  The pass
# accounting is written out in each: Numba does not inline a per-group helper, and the call
# costs more than the count itself (measured: 10x on 2:4); ptab[x] = passes of x kept.
@numba.njit(cache=True)
def _walk_row_m4(row, ptab, groups, gpt, nj, lockstep, popcount, acc, passes_b, nnz_b):
    for j in range(nj):
        ps = 0
        xs = 0
        for g in range(j * gpt, min(groups, (j + 1) * gpt)):
            x = popcount[(np.int64(row[g >> 1]) >> ((g & 1) << 2)) & 15]
            p = ptab[x]
            if lockstep:
                if p > acc[g]:
                    acc[g] = p
            else:
                acc[g] += p
            ps += p
            xs += x
        passes_b[j] += ps
        nnz_b[j] += xs


@numba.njit(cache=True)
def _walk_row_m8(row, ptab, mbytes, groups, gpt, nj, lockstep, popcount, acc, passes_b, nnz_b):
    for j in range(nj):
        ps = 0
        xs = 0
        for g in range(j * gpt, min(groups, (j + 1) * gpt)):
            x = 0
            for i in range(g * mbytes, (g + 1) * mbytes):
                x += popcount[row[i]]
            p = ptab[x]
            if lockstep:
                if p > acc[g]:
                    acc[g] = p
            else:
                acc[g] += p
            ps += p
            xs += x
        passes_b[j] += ps
        nnz_b[j] += xs


@numba.njit(cache=True)
def _walk_row_any(row, k, ptab, m, groups, gpt, nj, lockstep, popcount, acc, passes_b, nnz_b):
    for j in range(nj):
        ps = 0
        xs = 0
        for g in range(j * gpt, min(groups, (j + 1) * gpt)):
            x = _range_count(row, g * m, min(k, g * m + m), popcount)
            p = ptab[x]
            if lockstep:
                if p > acc[g]:
                    acc[g] = p
            else:
                acc[g] += p
            ps += p
            xs += x
        passes_b[j] += ps
        nnz_b[j] += xs


# Decode (one token per block) fast path: one pass over a tile's bytes yields its passes,
# work, kept count (= union, a single token) and bank occupancy.  Needs byte-aligned groups
# (m = 4 or a multiple of 8), banks a multiple of 8 with a power-of-two number of byte classes,
# and at most 255 bytes of one class per tile (so the SWAR byte counters cannot overflow).
@numba.njit(cache=True)
def _decode_tiles(row, ptab, m, groups, gpt, nj, cmask, popcount, spread, accs, b, work, passes, nnz, union, bankmax):
    mbytes = m >> 3
    for j in range(nj):
        for c in range(cmask + 1):
            accs[c] = np.uint64(0)
        best = 0
        ps = 0
        xs = 0
        g0 = j * gpt
        g1 = min(groups, g0 + gpt)
        if m == 4:
            for i in range(g0 >> 1, (g1 + 1) >> 1):
                v = row[i]
                accs[i & cmask] += spread[v]
                for h in range(2):
                    if 2 * i + h >= g1:
                        break
                    x = popcount[(np.int64(v) >> (4 * h)) & 15]
                    p = ptab[x]
                    ps += p
                    xs += x
                    if p > best:
                        best = p
        else:
            for g in range(g0, g1):
                x = 0
                for i in range(g * mbytes, (g + 1) * mbytes):
                    v = row[i]
                    x += popcount[v]
                    accs[i & cmask] += spread[v]
                p = ptab[x]
                ps += p
                xs += x
                if p > best:
                    best = p
        bm = 0
        for c in range(cmask + 1):
            a = accs[c]
            for lane in range(8):
                v = np.int64((a >> np.uint64(8 * lane)) & np.uint64(0xFF))
                if v > bm:
                    bm = v
        work[b, j] = best
        passes[b, j] = ps
        nnz[b, j] = xs
        union[b, j] = xs
        bankmax[b, j] = bm


@numba.njit(cache=True)
def tile_stats(packed, k, n, m, tb, groups_per_tile, lockstep, banks, sparse, popcount, spread, work, passes, nnz, union, bankmax):
    """Per (block b, tile j) statistics of one layer's packed mask (uint8 [T, ceil(K/8)]).

    Outputs (integer arrays [nb, nj], int32 or int64, preallocated, overwritten):
      work[b, j]    compute passes of the tile: lockstep=0 (weight-stationary, lane groups
                    decoupled by FIFOs over the block): max over the tile's groups of the sum
                    over the block's tokens of passes; lockstep=1 (output-stationary, rows
                    share one weight broadcast): max over tokens and groups of passes;
      passes[b, j]  sum of passes over the block's tokens and the tile's groups;
      nnz[b, j]     kept channels (useful products per output column);
      union[b, j]   channels of the tile kept by any token of the block (weight rows needed);
                    sparse=0 (dense run): the tile's width;
      bankmax[b, j] most of those channels that share one buffer bank (bank = k mod banks).
    A dense run (sparse=0) ignores the mask except for nnz: every group costs one pass.
    """
    t_rows = packed.shape[0]
    nbytes = packed.shape[1]
    groups = (k + m - 1) // m
    kt = groups_per_tile * m
    nb = work.shape[0]
    nj = work.shape[1]
    acc = np.zeros(groups, dtype=np.int64)
    uor = np.zeros(nbytes, dtype=np.uint8)
    ones = np.full(nbytes, 0xFF, dtype=np.uint8)
    cnt = np.zeros(banks, dtype=np.int64)
    dense_bank = np.zeros(nj, dtype=np.int64)
    # passes of a group by its kept count, max(1, ceil(x / n)): a table, because an integer
    # division per group costs more than everything else in the walk.
    ptab = np.ones(m + 1, dtype=np.int64)
    for x in range(n + 1, m + 1):
        ptab[x] = (x + n - 1) // n
    if not sparse:
        for j in range(nj):
            dense_bank[j] = _bank_max(ones, j * kt, min(k, (j + 1) * kt), banks, spread, cnt)
    classes = max(1, banks // 8)
    accs = np.zeros(classes, dtype=np.uint64)
    decode_fast = (
        sparse and tb == 1 and (m == 4 or m % 8 == 0) and k % m == 0 and (m != 4 or groups_per_tile % 2 == 0)
        and banks % 8 == 0 and (classes & (classes - 1)) == 0 and (kt // 8 + classes - 1) // classes <= 255
    )  # fmt: skip
    for b in range(nb):
        t0 = b * tb
        t1 = min(t_rows, t0 + tb)
        tok = t1 - t0
        for j in range(nj):
            passes[b, j] = 0
            nnz[b, j] = 0
        if not sparse:
            for j in range(nj):
                lo = j * kt
                hi = min(k, lo + kt)
                ng = min(groups, (j + 1) * groups_per_tile) - j * groups_per_tile
                x = 0
                if (lo & 7) == 0 and (hi & 7) == 0:  # byte-aligned tile: count bytes in place
                    for t in range(t0, t1):
                        for i in range(lo >> 3, hi >> 3):
                            x += popcount[packed[t, i]]
                else:
                    for t in range(t0, t1):
                        x += _range_count(packed[t], lo, hi, popcount)
                nnz[b, j] = x
                passes[b, j] = tok * ng
                work[b, j] = 1 if lockstep else tok
                union[b, j] = hi - lo
                bankmax[b, j] = dense_bank[j]
            continue
        if decode_fast:
            _decode_tiles(packed[t0], ptab, m, groups, groups_per_tile, nj, classes - 1, popcount, spread, accs, b,
                          work, passes, nnz, union, bankmax)  # fmt: skip
            continue
        acc[:] = 0
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
            if m == 4 and k % 4 == 0:
                _walk_row_m4(row, ptab, groups, groups_per_tile, nj, lockstep, popcount, acc, passes[b], nnz[b])
            elif m % 8 == 0 and k % m == 0:
                _walk_row_m8(row, ptab, m >> 3, groups, groups_per_tile, nj, lockstep, popcount, acc, passes[b], nnz[b])
            else:
                _walk_row_any(row, k, ptab, m, groups, groups_per_tile, nj, lockstep, popcount, acc, passes[b], nnz[b])
        for j in range(nj):
            best = 0
            for g in range(j * groups_per_tile, min(groups, (j + 1) * groups_per_tile)):
                if acc[g] > best:
                    best = acc[g]
            work[b, j] = best
            lo = j * kt
            hi = min(k, lo + kt)
            bankmax[b, j] = _bank_max(urow, lo, hi, banks, spread, cnt)
            u = 0
            for i in range(banks):  # the bank counts already hold the union's channels
                u += cnt[i]
            union[b, j] = u


@numba.njit(cache=True)
def _cdiv(a, b):
    return (a + b - 1) // b


@numba.njit(cache=True)
def layer_timing(stats, p, dram_bytes_per_cycle, cause, counts):
    """Cycles by cause and kernel counts of one layer from its tile_stats.

    stats: (work, passes, nnz, union, bankmax) of ``tile_stats``; p: int64 parameters indexed
    by the ``P_*`` constants of ``accelsim.sim.counts``; cause (int64 [len(CAUSES)]) and counts
    (int64 [len(KERNEL_COUNTS)]) are zeroed and filled, indexed by the ``CAUSE_*`` and count
    constants of the same module.

    Each fold (block, tile, O-tile) takes t = max(compute, weight delivery, bank-limited
    weight delivery, metadata delivery) cycles; what exceeds compute is charged to the
    binding cause.  Weight-stationary: compute = work + fill per fold.  Output-stationary:
    tiles are K windows of one fold; fill is added once per (block, O-tile).  A block's
    compaction (next block compacted during this one) stalls when slower than the block.
    DRAM is a roofline over the layer (prefill) or over each token (decode).
    """
    work, passes, nnz, union, bankmax = stats
    t_rows, k, o, tb, groups, n = p[C.P_T_ROWS], p[C.P_K], p[C.P_O], p[C.P_TB], p[C.P_GROUPS], p[C.P_N]
    cyc_per_pass, fill, pe_cols, bpe = p[C.P_CYC_PER_PASS], p[C.P_FILL], p[C.P_PE_COLS], p[C.P_BPE]
    wbw, mbw, bits_pg, gpc, banks = p[C.P_WEIGHT_BW], p[C.P_META_BW], p[C.P_BITS_PER_PASS], p[C.P_COMPACTION_GPC], p[C.P_BANKS]
    sparse, ws, decode, weights_fit, union_all = p[C.P_SPARSE], p[C.P_WS], p[C.P_DECODE], p[C.P_WEIGHTS_FIT], p[C.P_UNION_ALL]
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
    for b in range(nb):
        tok = min(tb, t_rows - b * tb)
        block_time = 0
        for cls in range(2):
            ot = pe_cols if cls == 0 else o_last
            cnt = no_full if cls == 0 else (1 if o_last > 0 else 0)
            if cnt == 0:
                continue
            rowbytes = ot * bpe
            for j in range(nj):
                c = work[b, j] * cyc_per_pass
                if ws:
                    c += fill
                md = _cdiv(passes[b, j] * bits_pg, mbw) if sparse else 0
                w = _cdiv(union[b, j] * rowbytes, wbw)
                wb = _cdiv(bankmax[b, j] * banks * rowbytes, wbw)
                t = max(max(c, w), max(wb, md))
                cause[C.CAUSE_COMPUTE] += c * cnt
                cause[C.CAUSE_WEIGHT_BW] += max(0, min(w, t) - c) * cnt
                cause[C.CAUSE_BANK_CONFLICT] += max(0, min(wb, t) - max(c, w)) * cnt
                cause[C.CAUSE_METADATA_BW] += max(0, t - max(c, wb)) * cnt
                block_time += t * cnt
            if not ws:
                cause[C.CAUSE_COMPUTE] += fill * cnt
                block_time += fill * cnt
        wrows = 0
        for j in range(nj):
            counts[C.MACS_USEFUL] += nnz[b, j] * o
            if sparse:
                counts[C.MACS_ISSUED] += passes[b, j] * n * o
                counts[C.META_READ_BITS] += passes[b, j] * bits_pg * n_otiles
                counts[C.META_WRITE_BITS] += passes[b, j] * bits_pg
                counts[C.ACT_READ_BYTES] += nnz[b, j] * bpe * n_otiles
                counts[C.ACT_WRITE_BYTES] += nnz[b, j] * bpe
                counts[C.META_DECODES] += passes[b, j] * n_otiles
            counts[C.WBUF_READ_BYTES] += union[b, j] * o * bpe
            counts[C.PASSES] += passes[b, j]
            wrows += union[b, j]
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
        rd = wbytes + tok * k * bpe
        wr = tok * o * bpe
        counts[C.DRAM_READ_BYTES] += rd
        counts[C.DRAM_WRITE_BYTES] += wr
        if decode:
            dcyc = np.int64(math.ceil((rd + wr) / dram_bytes_per_cycle))
            cause[C.CAUSE_DRAM] += max(0, dcyc - block_time)
        else:
            layer_onchip += block_time
            layer_bytes += rd + wr
    if not decode:
        dcyc = np.int64(math.ceil(layer_bytes / dram_bytes_per_cycle))
        cause[C.CAUSE_DRAM] += max(0, dcyc - layer_onchip)


@numba.njit(cache=True)
def mask_totals(packed, popcount):
    """(kept channels over all rows, channels kept by at least one row) of a packed mask."""
    t_rows = packed.shape[0]
    nbytes = packed.shape[1]
    uor = np.zeros(nbytes, dtype=np.uint8)
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
