"""Weight-sparse and dual-side cores (docs/sparse-core-model.md, section 5): tile statistics and fold timing.

``Design.sparse_operand`` says what the core skips:

* ``activations`` (default): the rest of the simulator (``walk``, ``kernels``).
* ``weights`` (Ampere/Hopper-like): activations are dense; the weights are pruned and compressed
  offline (kept values plus metadata, read compressed from DRAM and held compressed in the weight
  buffer).  A PE column's lane group holds the kept weights of one chunk of ``mh`` input channels
  of its output and picks the matching activations by the weight metadata, so its cycles per token
  are the chunk table's cycles of the **weight** chunk's bits (static over tokens).
* ``both`` (dual-side): the work of a chunk for token ``t`` and output ``o`` is the intersection of
  the token's and the column's kept positions: ``cycles(act_bits[t, c] & weight_bits[o, c])`` from
  the same chunk table (``accelsim.sim.chunks``).

Weight patterns are N:M or ``unstructured:D`` (weights pruned offline to any mask, a DSTC-like core:
Wang et al., ISCA 2021, arXiv 2105.09564).  An unstructured weight pattern's metadata is a bitmap of
``mh`` bits per chunk (group = chunk), decoded in one step; its cycles, like an N:M pattern's, come from
the masks alone, so lane count and load balance follow the real kept positions of every chunk.

Fold rules (the dataflow rules of ``simulate``, with per-column work):

* weight-stationary: every (lane group, column) pair is decoupled by FIFOs over the token block, as
  the lane groups along a column already are on an activation core (``walk.tile_stats``), so a
  fold's work is ``max over the tile's chunks c and the O-tile's columns o of (sum over the block's
  tokens t of cycles(t, o, c))``: the slowest column's chunk, summed over the block.  Weights only:
  ``tokens x max over (c, o)`` (the weights' cycles are static).  (Columns in lockstep per token, the
  alternative, would take the slowest column per token: with 16 columns an intersection of 8:16
  and 2:4 then almost always has one column at the 2-cycle worst case, and dual-side never beats
  either single side.)
* output-stationary: every PE of the array works in lockstep on one broadcast per cycle, so a
  fold's work is the max over the block's tokens, the K window's chunks and the O-tile's columns.

``ideal`` is the same with each chunk at ``max(1, ceil(kept / nh))`` (full reach); the difference is
the ``operand_reach`` stall.  With all-ones weight masks both rules reduce to the activation rules.

Per fold (block, tile, O-tile) the time is the longest of compute (+ reach), compressed weight
delivery (the tile's kept weights x bytes over ``weight_bw_bytes_per_cycle``; compressed weights are
packed densely, so no bank conflicts), metadata delivery (the weight tile's metadata, plus on a
dual-side run the activations' per chunk-cycle as on an activation run, over
``metadata_bw_bits_per_cycle``) and metadata decode (weight-stationary: the activation side as on
an activation run plus ``ot x`` the weight code's decode cycles per chunk, each of the tile's
decoders decoding its chunk for every column as the fold's weights load; output-stationary, where
the weights stream every pass: a decoder per column beside the activations', ``work x`` the slower
of the two codes' decode cycles).  ``wmeta_decodes`` counts one decode per chunk and column per fold.  No online compaction for the weights; a dual-side run
compacts its activations as an activation run does.  DRAM: the compressed weights (kept values plus
metadata), once per layer when they fit the weight buffer, plus activations (dense rows on a
weight-only run; as on an activation run on a dual-side run).

Cost: weights only is O x K / mh table lookups per layer (the tokens only multiply); dual-side is
T x O x K / mh lookups (2048 x 4096 x 4096 at mh = 16: 2.1e9, a few seconds per layer on one core):
fine for traces of a few hundred tokens, slow for whole prefill traces.
The NumPy twin (``accelsim.sim.reference.reference_weight_stats`` / ``reference_weight_timing``) restates every rule with
Hall's condition and plain Python loops; the tests require exact equality.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from accelsim.patterns import Pattern
from accelsim.sim import counts as C
from accelsim.sim.bitcount import pointer_cycles
from accelsim.sim.chunks import TABLE_MAX_MH, chunk_table, reach_intervals
from accelsim.sim.reference import reference_weight_stats, reference_weight_timing

__all__ = [
    "SPARSE_OPERANDS", "WeightRunParams", "WSTATS", "chunk_values", "weight_stats", "weight_timing",
    "reference_weight_stats", "reference_weight_timing",
]  # fmt: skip

SPARSE_OPERANDS = ("activations", "weights", "both")

#: per (block, tile, O-tile) statistics of a weight or dual-side run, in this order
#: work, ideal: fold cycles (see the module doc); passes: sum over (t, o, c) of chunk cycles (lane-group cycles
#: issued, all columns); lpasses: sum over (t, c) of the O-tile's slowest column (chunk-cycles of the lockstepped
#: columns); nnz: useful products (kept activation and kept weight)
WSTATS = ("work", "ideal", "passes", "lpasses", "nnz")
#: static per (tile, O-tile) statistics of the weights: kept weights, chunk-column pairs
WTILE = ("wkept", "wchunks")


@dataclass(frozen=True)
class WeightRunParams:
    """Parameters of a weight-only (mode "weights") or dual-side (mode "both") run of one layer set.

    n, mh, reach: lane group, chunk, selector reach; tb: tokens per block; cpt: chunks per tile; cyc_per_pass,
    lockstep (1: output-stationary), fill: as ``simulate.RunParams``.  act_sparse: the activation side is
    sparse (a dual-side run whose activation pattern the design runs; else the activations are dense and their
    mask is ignored); act_m, act_bits_pc, act_dec_cyc: the activation pattern's group, metadata bits per chunk
    and decoder cycles per chunk-cycle (0 when dense).  w_m, w_bits_pc, w_bits_pg, w_dec_cyc: the same for the
    weight pattern (w_bits_pg per group of w_m).
    """

    mode: str
    n: int
    mh: int
    reach: int
    tb: int
    cpt: int
    cyc_per_pass: int
    lockstep: int
    fill: int
    act_sparse: int
    act_m: int
    act_bits_pc: int
    act_dec_cyc: int
    w_m: int
    w_bits_pg: int
    w_bits_pc: int
    w_dec_cyc: int
    balance: int = 0  # Design.lane_balance on a weight-stationary core: a column's lane groups share its work

    @property
    def full_reach(self) -> bool:
        return self.reach >= self.mh


def weight_run_params(design, act_pattern: Pattern, weight_pattern: Pattern, sim_mode: str, t_rows: int,
                      lanes: tuple[int, int, int] | None = None, mode: str | None = None) -> WeightRunParams:  # fmt: skip
    """WeightRunParams of ``design`` (its ``sparse_operand`` mode, or ``mode``) for one activation and weight pattern.

    lanes: (nh, mh, r) to use (default: the design's lane mapping of the activation pattern when it is
    sparse, else of the weight pattern).
    """
    from accelsim.sim.simulate import _bits_per_group, decode_steps_per_group, run_params

    mode = mode or getattr(design, "sparse_operand", "weights")
    if mode not in ("weights", "both"):
        raise ValueError(f"weight_run_params is for weight-sparse and dual-side runs, got sparse_operand={mode!r}")
    act_sparse = int(mode == "both" and act_pattern.kind != "dense")
    if weight_pattern.kind == "dense":
        raise ValueError("weight pattern 'dense' is not a weight-sparse pattern; give N:M or unstructured:D")
    n, mh, r = lanes or design.lane_mapping(act_pattern if act_sparse else weight_pattern)
    ws = design.dataflow == "weight_stationary"
    column = design.pe_rows * design.lanes_per_pe
    bpe = design.bytes_per_element
    if ws:
        cpt, cpp = column // n, 1
        if act_sparse:  # the activation buffer holds the run's (possibly compressed) activation slices
            tb = run_params(design, act_pattern, "prefill", t_rows).tb
        else:
            tb = max(1, min(max(t_rows, 1), design.act_buffer_kib * 1024 // (2 * column * bpe)))
    else:
        cpt, cpp = max(1, design.lanes_per_pe // n), max(1, n // design.lanes_per_pe)
        tb = max(1, min(max(t_rows, 1), design.pe_rows))
    if sim_mode == "decode":
        tb = 1
    rate = design.resolved_decode_groups_per_cycle
    am = act_pattern.m if act_pattern.kind == "nm" else mh
    a_bits = -(-_bits_per_group(design, act_pattern, am) * mh // am) if act_sparse else 0
    a_dec = max(1, -(-decode_steps_per_group(design, act_pattern) * mh // (am * rate))) if act_sparse else 0
    wm = weight_pattern.m if weight_pattern.is_nm else mh  # unstructured: one bitmap of mh bits per chunk
    w_pg = _bits_per_group(design, weight_pattern, wm)
    w_bits = -(-w_pg * mh // wm)
    w_dec = max(1, -(-decode_steps_per_group(design, weight_pattern) * mh // (wm * rate)))
    fill = design.pe_rows + design.pe_cols - 2 + design.selector_pipeline_stages
    return WeightRunParams(mode, n, mh, r, tb, cpt, cpp, int(not ws), fill, act_sparse, am if act_sparse else 0, a_bits,
                           a_dec, wm, w_pg, w_bits, w_dec, int(bool(getattr(design, "lane_balance", False)) and ws))  # fmt: skip


# ----------------------------------------------------------------------------- Numba engine
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


def chunk_values(packed: np.ndarray, k: int, mh: int) -> np.ndarray:
    """int64 [rows, ceil(K / mh)]: each chunk's keep bits of a packed mask (uint8 [rows, ceil(K/8)])."""
    if not 1 <= mh <= 62:
        raise ValueError(f"weight-sparse and dual-side runs take chunks of 1..62 channels, got mh={mh}")
    out = np.zeros((packed.shape[0], -(-k // mh)), dtype=np.int64)
    if packed.size:
        _chunk_values(np.ascontiguousarray(packed), k, mh, out)
    return out


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


def _tables(n: int, mh: int, reach: int):
    table = mh <= TABLE_MAX_MH
    ctab = chunk_table(n, mh, reach) if table else np.zeros(1, dtype=np.int16)
    ptab = np.maximum(1, -(-np.arange(mh + 1, dtype=np.int64) // n))
    rlo, rhi = reach_intervals(n, mh, reach)
    return table, ctab, ptab, rlo, rhi


def weight_stats(act_packed: np.ndarray | None, w_packed: np.ndarray, k: int, wr: WeightRunParams, pe_cols: int,
                 t_rows: int | None = None) -> tuple[np.ndarray, ...]:  # fmt: skip
    """(work, ideal, passes, lpasses, nnz) int64 [nb, nj, n_ot] and (wkept, wchunks) int64 [nj, n_ot] of one layer.

    act_packed: uint8 [T, ceil(K/8)] activation mask (used only when ``wr.act_sparse``; None: dense activations
    of ``t_rows`` tokens).  w_packed: uint8 [O, ceil(K/8)] weight mask.
    """
    o_n = w_packed.shape[0]
    t = act_packed.shape[0] if act_packed is not None else int(t_rows)
    nch = -(-k // wr.mh)
    nb, nj, n_ot = -(-t // wr.tb), -(-nch // wr.cpt), -(-o_n // pe_cols)
    table, ctab, ptab, rlo, rhi = _tables(wr.n, wr.mh, wr.reach)
    W = chunk_values(w_packed, k, wr.mh)
    static = [np.zeros((nj, n_ot), dtype=np.int64) for _ in range(9)]
    cmax, imax, csum, lsum, ksum, wkept, wchunks, bmax, bimax = static
    _weight_tiles(W, wr.mh, table, ctab, ptab, rlo, rhi, wr.full_reach, wr.cpt, pe_cols, *static)
    if not wr.act_sparse:  # dense activations: the weights' cycles repeat for every token
        tok = np.minimum(wr.tb, t - wr.tb * np.arange(nb, dtype=np.int64))[:, None, None]
        if wr.balance:
            work, ideal = _cdiv(tok * bmax, wr.cpt), _cdiv(tok * bimax, wr.cpt)
        else:
            work = (cmax if wr.lockstep else tok * cmax) * np.ones((nb, 1, 1), dtype=np.int64)
            ideal = (imax if wr.lockstep else tok * imax) * np.ones((nb, 1, 1), dtype=np.int64)
        return work, ideal, tok * csum, tok * lsum, tok * ksum, wkept, wchunks
    A = chunk_values(act_packed, k, wr.mh)
    out = [np.zeros((nb, nj, n_ot), dtype=np.int64) for _ in WSTATS]
    acc, acci = np.zeros((nch, pe_cols), dtype=np.int64), np.zeros((nch, pe_cols), dtype=np.int64)
    _dual_stats(A, np.ascontiguousarray(W.T), wr.mh, table, ctab, ptab, rlo, rhi, wr.full_reach, wr.tb, wr.cpt, pe_cols, wr.lockstep,
                wr.balance, acc, acci, *out)
    return (*out, wkept, wchunks)


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


def _cdiv(a, b):
    return -(-a // b)


# ----------------------------------------------------------------------------- the simulate path
def _block_kept(mask_rows_kept: np.ndarray, tb: int) -> np.ndarray:
    """Kept activations per block of ``tb`` tokens from per-token kept counts."""
    t = mask_rows_kept.shape[0]
    nb = -(-t // tb)
    pad = np.zeros(nb * tb, dtype=np.int64)
    pad[:t] = mask_rows_kept
    return pad.reshape(nb, tb).sum(axis=1)


def missing_weight_masks(trace) -> list[str]:
    """Names of the trace's layers without a weight mask."""
    return [ly.name for ly in trace.layers if ly.weight_mask is None]


def check_weight_trace(design, trace) -> None:
    """ValueError naming the trace and what to capture when a weight-sparse or dual-side design gets a trace
    without weight masks (an activation-only capture): the weights it would skip are not in the trace."""
    missing = missing_weight_masks(trace)
    if missing:
        raise ValueError(
            f"design {design.name!r} (sparse_operand={design.sparse_operand!r}) skips weight zeros, but trace {trace.run_id!r} "
            f"stores no weight masks ({len(missing)} of {len(trace.layers)} layers, e.g. {missing[0]!r}); capture one with "
            "`python -m accelsim.capture --sparsify weights` (weight pruning) or `--sparsify both` (dual-side), or build "
            "one with accelsim.synthetic.synthetic_trace(..., weight_pattern='2:4')"
        )


def run_weight_pattern(design, trace) -> Pattern:
    """The weight pattern a run uses: the trace's when the design supports it, else the design's first.

    The cycles always come from the real weight masks (a chunk holding more kept weights than its lane group
    takes more cycles); the pattern sets the metadata bits and decode steps.
    """
    pats = [ly.weight_pattern for ly in trace.layers if ly.weight_pattern is not None]
    own = pats[0] if pats else None
    return own if own is not None and own in design.weight_patterns else design.weight_patterns[0]


def simulate_weight_run(design, prep, act: Pattern, wpat: Pattern, mode: str, engine: str):
    """(cause totals, kernel count totals, weight-metadata counts, per-layer summaries) of one weight or dual-side run."""
    from accelsim.masks.packing import unpack_mask
    from accelsim.masks.stats import POPCOUNT
    from accelsim.sim.simulate import _bits_per_group, _out_kept

    decode = mode == "decode"
    cause_t = np.zeros(len(C.CAUSES), dtype=np.int64)
    cnt_t = np.zeros(len(C.KERNEL_COUNTS), dtype=np.int64)
    extra_t = {"wmeta_read_bits": 0, "wmeta_write_bits": 0, "wmeta_decodes": 0}
    l2_t = {"l2_read_bytes": 0, "l2_write_bytes": 0}
    per_layer = []
    wps = {ly.t: weight_run_params(design, act, wpat, mode, ly.t) for ly in prep.layers}
    key = ("weights", design.sparse_operand, str(act), design.pe_cols,
           tuple(sorted((t, w.n, w.mh, w.reach, w.tb, w.cpt, w.lockstep, w.act_sparse, w.balance) for t, w in wps.items())))  # fmt: skip
    if engine == "numba":
        stats = prep.cached(key, lambda: [
            weight_stats(ly.packed if wps[ly.t].act_sparse else None, np.ascontiguousarray(tl.weight_mask), ly.k, wps[ly.t],
                         design.pe_cols, t_rows=ly.t)
            for ly, tl in zip(prep.layers, prep.trace.layers)])  # fmt: skip
    for i, (ly, tl) in enumerate(zip(prep.layers, prep.trace.layers)):
        if ly.t == 0:
            continue
        wr = wps[ly.t]
        bits_pg = _bits_per_group(design, act, wr.act_m) if wr.act_sparse else 0
        out_kept = _out_kept(act, ly.o) if wr.act_sparse else ly.o
        out_meta = -(-ly.o // wr.act_m) * bits_pg if wr.act_sparse else 0
        if engine == "numba":
            kept = _block_kept(POPCOUNT[ly.packed].sum(axis=1, dtype=np.int64), wr.tb)
            cause, cnt, extra = weight_timing(stats[i], wr, design, ly.t, ly.k, ly.o, kept, decode, out_kept, out_meta)
        else:
            act_mask = unpack_mask(ly.packed, ly.k)
            kept = [int(act_mask[b : b + wr.tb].sum()) for b in range(0, ly.t, wr.tb)]
            st = reference_weight_stats(act_mask if wr.act_sparse else None, unpack_mask(tl.weight_mask, ly.k), wr, design.pe_cols,
                                        t_rows=ly.t)  # fmt: skip
            cause, cnt, extra = reference_weight_timing(st, wr, design, ly.t, ly.k, ly.o, kept, decode, out_kept, out_meta)
        if design.hierarchical:
            cause, cnt = _hierarchy(design, ly, wr, decode, cause, cnt, extra, l2_t)
        cause_t += cause
        cnt_t += cnt
        for kk, v in extra.items():
            extra_t[kk] += int(v)
        per_layer.append({"name": ly.name, "shape": (ly.t, ly.k, ly.o), "cycles": int(cause.sum()),
                          "cycles_by_cause": dict(zip(C.CAUSES, (int(c) for c in cause))), "macs_useful": int(cnt[C.MACS_USEFUL])})  # fmt: skip
    return cause_t, cnt_t, extra_t, tuple(per_layer), l2_t


def _hierarchy(design, ly, wr, decode: bool, cause, cnt, extra: dict, l2_t: dict):
    """A layer re-timed by ``accelsim.sim.hierarchy``: compressed weights (values plus metadata) once per load."""
    from accelsim.sim.hierarchy import HierarchyInputs, apply_hierarchy

    nb = -(-ly.t // wr.tb)
    w_meta = int(extra["wmeta_read_bits"]) // nb  # metadata bits of the layer's weights
    loads = int(extra["wmeta_write_bits"]) // w_meta if w_meta else 1
    w_once = int(cnt[C.WBUF_WRITE_BYTES]) // max(1, loads) + -(-w_meta // 8)
    fetch = loads * w_once
    h = HierarchyInputs(ly.t, ly.o, wr.tb, w_once, fetch, int(cnt[C.DRAM_READ_BYTES]) - fetch)
    cause, cnt, l2 = apply_hierarchy(design, h, decode, cause, cnt)
    for key, v in l2.items():
        l2_t[key] += v
    return cause, cnt
