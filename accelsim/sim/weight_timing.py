"""Fold timing of a weight-sparse or dual-side layer: ``weight_timing`` (the rules in ``accelsim.sim.weights``' doc).

Vectorised over the folds of ``weight_stats``' statistics (NumPy, exact integers); the loop twin is
``accelsim.sim.reference.reference_weight_timing``.
"""

from __future__ import annotations

import math

import numpy as np

from accelsim.sim import counts as C
from accelsim.sim.weight_params import WeightRunParams
from accelsim.sim.weight_stats import _cdiv

__all__ = ["weight_timing"]


def weight_timing(stats, wr: WeightRunParams, design, t: int, k: int, o: int, act_kept: np.ndarray, decode: bool,
                  out_kept: int, out_meta_bits: int) -> tuple[np.ndarray, np.ndarray, dict]:  # fmt: skip
    """(cause int64 [len(CAUSES)], kernel counts int64 [len(KERNEL_COUNTS)], weight counts dict) of one layer.

    stats: ``weight_stats``; act_kept: int64 [nb] kept activations per block (sparse activation side) or tokens x
    K (dense); out_kept / out_meta_bits: a dual-side run's compacted outputs per token (compressed activations).
    Vectorised over folds (NumPy, exact integers); ``reference_weight_timing`` is the loop twin.
    """
    work, ideal, passes, lpasses, nnz, wkept, wchunks = stats
    nb, nj, n_ot = work.shape
    pe_cols, bpe = design.pe_cols, design.bytes_per_element
    wbw, mbw, gpc = design.weight_bw_bytes_per_cycle, design.metadata_bw_bits_per_cycle, design.compaction_groups_per_cycle
    ws = not wr.lockstep
    widths = np.full(n_ot, pe_cols, dtype=np.int64)
    if o % pe_cols:
        widths[-1] = o % pe_cols
    tok = np.minimum(wr.tb, t - wr.tb * np.arange(nb, dtype=np.int64))
    compute = ideal * wr.cyc_per_pass + (wr.fill if ws else 0)
    busy = compute + (work - ideal) * wr.cyc_per_pass
    weight = _cdiv(wkept * bpe, wbw)[None, :, :] + np.zeros_like(work)
    meta = _cdiv(wchunks * wr.w_bits_pc + lpasses * wr.act_bits_pc, mbw)
    if ws:  # the fold's weight metadata is decoded as its weights load, one column after another
        dec = work * wr.act_dec_cyc + widths[None, None, :] * wr.w_dec_cyc
    else:  # weights stream every pass: each column's decoder beside the activations'
        dec = work * max(wr.act_dec_cyc, wr.w_dec_cyc)
    tfold = np.maximum(np.maximum(busy, weight), np.maximum(meta, dec))
    cause = np.zeros(len(C.CAUSES), dtype=np.int64)
    cause[C.CAUSE_COMPUTE] = compute.sum() + (0 if ws else wr.fill * n_ot * nb)
    cause[C.CAUSE_OPERAND_REACH] = (busy - compute).sum()
    cause[C.CAUSE_WEIGHT_BW] = np.maximum(0, np.minimum(weight, tfold) - busy).sum()
    cause[C.CAUSE_METADATA_BW] = np.maximum(0, np.minimum(meta, tfold) - np.maximum(busy, weight)).sum()
    cause[C.CAUSE_METADATA_DECODE] = np.maximum(0, tfold - np.maximum(np.maximum(busy, weight), meta)).sum()
    block = tfold.sum(axis=(1, 2)) + (0 if ws else wr.fill * n_ot)
    groups = -(-k // wr.act_m) if wr.act_sparse else 0
    comp = _cdiv(tok * groups, gpc)
    stall = np.maximum(0, comp - block)
    cause[C.CAUSE_COMPACTION] = stall.sum()
    block = block + stall
    # bytes and bits
    w_layer_kept = int(wkept.sum())
    w_layer_meta = int(wchunks.sum()) * wr.w_bits_pc
    fits = w_layer_kept * bpe + -(-w_layer_meta // 8) <= design.weight_buffer_kib * 1024
    loads = np.zeros(nb, dtype=np.int64)
    if fits:
        loads[0] = 1
    else:
        loads[:] = 1
    wbytes = loads * (w_layer_kept * bpe + -(-w_layer_meta // 8))
    compressed = bool(design.compressed_activations) and wr.act_sparse
    if compressed:
        act_in = act_kept * bpe + _cdiv(tok * _in_meta_bits(design, wr, k), 8)
        out_b = tok * out_kept * bpe + _cdiv(tok * out_meta_bits, 8)
    else:
        act_in, out_b = tok * k * bpe, tok * o * bpe
    rd, wr_b = wbytes + act_in, out_b
    if decode:
        dcyc = np.array([math.ceil(int(x) / (design.dram_bw_gb_per_s / design.achievable_clock_ghz)) for x in rd + wr_b])
        cause[C.CAUSE_DRAM] = np.maximum(0, dcyc - block).sum()
    else:
        dcyc = math.ceil(int((rd + wr_b).sum()) / (design.dram_bw_gb_per_s / design.achievable_clock_ghz))
        cause[C.CAUSE_DRAM] = max(0, dcyc - int(block.sum()))
    cnt = np.zeros(len(C.KERNEL_COUNTS), dtype=np.int64)
    cnt[C.MACS_USEFUL] = nnz.sum()
    cnt[C.MACS_ISSUED] = passes.sum() * wr.n
    act_elems = act_kept if wr.act_sparse else tok * k
    cnt[C.ACT_READ_BYTES] = (act_elems * bpe).sum() * n_ot
    cnt[C.ACT_WRITE_BYTES] = (act_elems * bpe).sum()
    if wr.act_sparse:
        cnt[C.META_READ_BITS] = lpasses.sum() * wr.act_bits_pc
        cnt[C.META_WRITE_BITS] = (tok * -(-k // wr.mh)).sum() * wr.act_bits_pc
        cnt[C.META_DECODES] = lpasses.sum()
        cnt[C.COMPACTION_GROUPS] = (tok * groups).sum()
    cnt[C.WBUF_READ_BYTES] = nb * w_layer_kept * bpe
    cnt[C.WBUF_WRITE_BYTES] = int(loads.sum()) * w_layer_kept * bpe
    cnt[C.DRAM_READ_BYTES] = rd.sum()
    cnt[C.DRAM_WRITE_BYTES] = wr_b.sum()
    cnt[C.PASSES] = lpasses.sum()
    extra = {
        "wmeta_read_bits": nb * w_layer_meta,
        "wmeta_write_bits": int(loads.sum()) * w_layer_meta,
        "wmeta_decodes": nb * int(wchunks.sum()),
    }
    return cause, cnt, extra


def _in_meta_bits(design, wr: WeightRunParams, k: int) -> int:
    """Metadata bits of one token's compacted input row (the activation pattern's groups)."""
    return -(-k // wr.mh) * wr.act_bits_pc
