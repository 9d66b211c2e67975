"""The slow, obviously-correct twin of the simulator kernels (NumPy on unpacked masks + Python loops).

It restates the rules of kernels.py from scratch on a bool [T, K] mask: group counts by
reshape-and-sum, unions by ``any``, bank occupancy by ``bincount``, and the fold loop as
plain Python integers.  ``simulate(..., engine="reference")`` runs it; tests require its
results to equal the Numba engine's exactly.  Use small inputs: it is ~100-1000x slower.
"""

from __future__ import annotations

import math

import numpy as np

from accelsim.masks.packing import unpack_mask

__all__ = ["reference_stats", "reference_layer"]


def reference_stats(mask: np.ndarray, rp, banks: int):
    """(work, passes, nnz, union, bankmax) int64 [nb, nj] from a bool [T, K] mask (kernels.tile_stats)."""
    t_rows, k = mask.shape
    n, m, tb, gpt = rp.n, rp.m, rp.tb, rp.groups_per_tile
    groups = -(-k // m)
    padded = np.zeros((t_rows, groups * m), dtype=bool)
    padded[:, :k] = mask
    x = padded.reshape(t_rows, groups, m).sum(axis=2).astype(np.int64)  # kept per (token, group)
    if rp.sparse:
        p = np.maximum(1, -(-x // n))
    else:
        p = np.ones_like(x)
    kt = gpt * m
    nb, nj = -(-t_rows // tb), -(-groups // gpt)
    out = [np.zeros((nb, nj), dtype=np.int64) for _ in range(5)]
    work, passes, nnz, union, bankmax = out
    for b in range(nb):
        rows = slice(b * tb, min(t_rows, (b + 1) * tb))
        for j in range(nj):
            gs = slice(j * gpt, min(groups, (j + 1) * gpt))
            pb = p[rows, gs]
            work[b, j] = pb.max() if rp.lockstep else pb.sum(axis=0).max()
            passes[b, j] = pb.sum()
            nnz[b, j] = x[rows, gs].sum()
            lo, hi = j * kt, min(k, (j + 1) * kt)
            needed = mask[rows, lo:hi].any(axis=0) if rp.sparse else np.ones(hi - lo, dtype=bool)
            union[b, j] = needed.sum()
            chans = lo + np.flatnonzero(needed)
            bankmax[b, j] = np.bincount(chans % banks, minlength=banks).max() if chans.size else 0
    return out


def reference_layer(layer, rp, design, decode: bool):
    """(cause int64[6], act int64[13]) of one prepared layer; same contract as kernels.layer_timing."""
    mask = unpack_mask(layer.packed, layer.k)
    t_rows, k, o = mask.shape[0], layer.k, layer.o
    work, passes, nnz, union, bankmax = reference_stats(mask, rp, design.buffer_banks)
    nb, nj = work.shape
    bpe, banks = design.bytes_per_element, design.buffer_banks
    wbw, mbw = design.weight_bw_bytes_per_cycle, design.metadata_bw_bits_per_cycle
    ws = rp.lockstep == 0
    groups = -(-k // rp.m)
    o_widths = [design.pe_cols] * (o // design.pe_cols) + ([o % design.pe_cols] if o % design.pe_cols else [])
    fits = k * o * bpe <= design.weight_buffer_kib * 1024
    union_all = int(mask.any(axis=0).sum()) if rp.sparse else k
    bpc = design.dram_bw_gb_per_s / design.clock_ghz
    c_compute = c_meta = c_weight = c_bank = c_comp = c_dram = 0
    act = dict.fromkeys(range(13), 0)
    onchip_total = bytes_total = 0
    for b in range(nb):
        tok = min(rp.tb, t_rows - b * rp.tb)
        block = 0
        for ot in o_widths:  # one fold per O-tile (and per tile j when weight-stationary)
            for j in range(nj):
                compute = int(work[b, j]) * rp.cyc_per_pass + (rp.fill if ws else 0)
                meta = math.ceil(int(passes[b, j]) * rp.bits_per_pass / mbw) if rp.sparse else 0
                weight = math.ceil(int(union[b, j]) * ot * bpe / wbw)
                banked = math.ceil(int(bankmax[b, j]) * banks * ot * bpe / wbw)
                t = max(compute, weight, banked, meta)
                c_compute += compute
                c_weight += max(0, min(weight, t) - compute)
                c_bank += max(0, min(banked, t) - max(compute, weight))
                c_meta += max(0, t - max(compute, banked))
                block += t
            if not ws:
                c_compute += rp.fill
                block += rp.fill
        n_ot = len(o_widths)
        pb, xb, ub = int(passes[b].sum()), int(nnz[b].sum()), int(union[b].sum())
        act[0] += xb * o
        act[1] += pb * rp.n * o if rp.sparse else tok * k * o
        act[2] += pb * rp.bits_per_pass * n_ot if rp.sparse else 0
        act[3] += pb * rp.bits_per_pass if rp.sparse else 0
        act[4] += (xb if rp.sparse else tok * k) * bpe * n_ot
        act[5] += (xb if rp.sparse else tok * k) * bpe
        act[6] += ub * o * bpe
        act[11] += pb * n_ot if rp.sparse else 0
        act[12] += pb
        comp = math.ceil(tok * groups / design.compaction_groups_per_cycle) if rp.sparse else 0
        act[10] += tok * groups if rp.sparse else 0
        stall = max(0, comp - block)
        c_comp += stall
        block += stall
        wrows = (union_all if b == 0 else 0) if fits else ub
        act[7] += wrows * o * bpe
        rd, wr = wrows * o * bpe + tok * k * bpe, tok * o * bpe
        act[8] += rd
        act[9] += wr
        if decode:
            c_dram += max(0, math.ceil((rd + wr) / bpc) - block)
        else:
            onchip_total += block
            bytes_total += rd + wr
    if not decode:
        c_dram += max(0, math.ceil(bytes_total / bpc) - onchip_total)
    cause = np.array([c_compute, c_meta, c_weight, c_bank, c_comp, c_dram], dtype=np.int64)
    return cause, np.array([act[i] for i in range(13)], dtype=np.int64)
