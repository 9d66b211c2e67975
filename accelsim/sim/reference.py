"""The slow, obviously-correct twin of the simulator kernels (NumPy on unpacked masks + Python loops).

It restates the rules of walk.py and kernels.py from scratch on a bool [T, K] mask: chunk
cycles from Hall's condition over lane intervals (not the kernels' table or pointer), unions by ``any``,
bank occupancy by ``bincount``, and the fold loop as plain Python integers.
``simulate(..., engine="reference")`` runs it; tests require its results to equal the Numba
engine's exactly.  Use small inputs: it is ~100-1000x slower.
"""

from __future__ import annotations

import math

import numpy as np

from accelsim.masks.packing import unpack_mask
from accelsim.sim import counts as C

__all__ = ["chunk_cycles", "reference_stats", "reference_layer", "reference_weight_stats", "reference_weight_timing"]


def chunk_cycles(positions: tuple[int, ...], nh: int, mh: int, r: int) -> int:
    """Cycles of one chunk whose kept positions are ``positions`` (docs/sparse-core-model.md, section 1).

    Lane i reaches [s_i, s_i + r), s_i = floor(i (mh - r) / (nh - 1)), one position per cycle.
    The least number of cycles of any schedule is the least C with a placement of at most C
    positions per lane; by Hall's theorem it is the largest ceil(|S| / |lanes reaching S|) over
    sets S of positions, and since every position is reached by an interval of lanes it is
    enough to take, for each lane interval [a, b], the positions reached only from inside it.
    An empty chunk costs one cycle.
    """
    starts = [0] if nh == 1 else [i * (mh - r) // (nh - 1) for i in range(nh)]
    lanes = [{i for i in range(nh) if starts[i] <= p < starts[i] + r} for p in positions]
    if any(not s for s in lanes):
        raise AssertionError(f"positions {positions} include one no lane reaches (nh={nh}, mh={mh}, r={r})")
    best = 1
    for a in range(nh):
        for b in range(a, nh):
            inside = sum(1 for s in lanes if min(s) >= a and max(s) <= b)
            best = max(best, -(-inside // (b - a + 1)))
    return best


def _chunk_cycles(mask: np.ndarray, nh: int, mh: int, r: int, sparse: bool) -> tuple[np.ndarray, np.ndarray]:
    """(cycles, kept) int64 [T, chunks]: the greedy per (token, chunk), memoised by keep pattern."""
    t_rows, k = mask.shape
    nch = -(-k // mh)
    padded = np.zeros((t_rows, nch * mh), dtype=bool)
    padded[:, :k] = mask
    chunks = padded.reshape(t_rows, nch, mh)
    kept = chunks.sum(axis=2).astype(np.int64)
    if not sparse:
        return np.ones_like(kept), kept
    memo: dict[tuple, int] = {}
    cyc = np.zeros_like(kept)
    for t in range(t_rows):
        for c in range(nch):
            pos = tuple(int(i) for i in np.flatnonzero(chunks[t, c]))
            if pos not in memo:
                memo[pos] = chunk_cycles(pos, nh, mh, r)
            cyc[t, c] = memo[pos]
    return cyc, kept


def reference_stats(mask: np.ndarray, rp, banks: int):
    """(work, ideal, passes, nnz, union, bankmax) int64 [nb, nj] from a bool [T, K] mask (walk.tile_stats)."""
    t_rows, k = mask.shape
    nh, mh, tb, cpt = rp.n, rp.mh, rp.tb, rp.groups_per_tile
    cyc, x = _chunk_cycles(mask, nh, mh, rp.reach, bool(rp.sparse))
    ideal = np.maximum(1, -(-x // nh)) if rp.sparse else np.ones_like(x)
    nch = cyc.shape[1]
    kt = cpt * mh
    nb, nj = -(-t_rows // tb), -(-nch // cpt)
    out = [np.zeros((nb, nj), dtype=np.int64) for _ in C.STATS]
    work, ideal_w, passes, nnz, union, bankmax = out
    for b in range(nb):
        rows = slice(b * tb, min(t_rows, (b + 1) * tb))
        for j in range(nj):
            cs = slice(j * cpt, min(nch, (j + 1) * cpt))
            pb, ib = cyc[rows, cs], ideal[rows, cs]
            work[b, j] = pb.max() if rp.lockstep else pb.sum(axis=0).max()
            ideal_w[b, j] = ib.max() if rp.lockstep else ib.sum(axis=0).max()
            passes[b, j] = pb.sum()
            nnz[b, j] = x[rows, cs].sum()
            lo, hi = j * kt, min(k, (j + 1) * kt)
            needed = mask[rows, lo:hi].any(axis=0) if rp.sparse else np.ones(hi - lo, dtype=bool)
            union[b, j] = needed.sum()
            chans = lo + np.flatnonzero(needed)
            bankmax[b, j] = np.bincount(chans % banks, minlength=banks).max() if chans.size else 0
    return out


def reference_layer(layer, rp, p: np.ndarray, dram_bytes_per_cycle: float):
    """(cause, counts) int64 arrays of one prepared layer; same contract as kernels.layer_timing.

    ``p`` is the same parameter array (``P_*`` of accelsim.sim.counts); the statistics and the
    union of kept channels are recomputed here from the unpacked mask.
    """
    mask = unpack_mask(layer.packed, layer.k)
    t_rows, k, o = mask.shape[0], int(p[C.P_K]), int(p[C.P_O])
    banks, bpe, pe_cols = int(p[C.P_BANKS]), int(p[C.P_BPE]), int(p[C.P_PE_COLS])
    work, ideal, passes, nnz, union, bankmax = reference_stats(mask, rp, banks)
    nb, nj = work.shape
    wbw, mbw = int(p[C.P_WEIGHT_BW]), int(p[C.P_META_BW])
    ws = bool(p[C.P_WS])
    groups = -(-k // rp.m)
    o_widths = [pe_cols] * (o // pe_cols) + ([o % pe_cols] if o % pe_cols else [])
    fits, decode = bool(p[C.P_WEIGHTS_FIT]), bool(p[C.P_DECODE])
    compressed = bool(p[C.P_COMPRESSED]) and bool(rp.sparse)
    union_all = int(mask.any(axis=0).sum()) if rp.sparse else k
    cause = np.zeros(len(C.CAUSES), dtype=np.int64)
    c = np.zeros(len(C.KERNEL_COUNTS), dtype=np.int64)
    onchip_total = bytes_total = 0
    # Double-buffered weights (weight-stationary): the fill is paid by the first fold of the layer (prefill) or of
    # each token (decode), in the loop order below; every other fold pays none.
    dbuf = ws and bool(p[C.P_WEIGHT_DBUF])
    folds_done = 0  # folds already issued in the current call
    for b in range(nb):
        tok = min(rp.tb, t_rows - b * rp.tb)
        block = 0
        if decode:
            folds_done = 0
        for ot in o_widths:  # one fold per O-tile (and per tile j when weight-stationary)
            for j in range(nj):
                pays_fill = ws and (not dbuf or folds_done == 0)
                folds_done += 1
                compute = int(ideal[b, j]) * rp.cyc_per_pass + (rp.fill if pays_fill else 0)
                reach = (int(work[b, j]) - int(ideal[b, j])) * rp.cyc_per_pass
                meta = math.ceil(int(passes[b, j]) * rp.bits_per_pass / mbw) if rp.sparse else 0
                dec = int(work[b, j]) * rp.decode_cyc if rp.sparse else 0
                weight = math.ceil(int(union[b, j]) * ot * bpe / wbw)
                banked = math.ceil(int(bankmax[b, j]) * banks * ot * bpe / wbw)
                busy = compute + reach
                t = max(busy, weight, banked, meta, dec)
                cause[C.CAUSE_COMPUTE] += compute
                cause[C.CAUSE_OPERAND_REACH] += reach
                cause[C.CAUSE_WEIGHT_BW] += max(0, min(weight, t) - busy)
                cause[C.CAUSE_BANK_CONFLICT] += max(0, min(banked, t) - max(busy, weight))
                cause[C.CAUSE_METADATA_BW] += max(0, min(meta, t) - max(busy, weight, banked))
                cause[C.CAUSE_METADATA_DECODE] += max(0, t - max(busy, weight, banked, meta))
                block += t
            if not ws:
                cause[C.CAUSE_COMPUTE] += rp.fill
                block += rp.fill
        n_ot = len(o_widths)
        pb, xb, ub = int(passes[b].sum()), int(nnz[b].sum()), int(union[b].sum())
        c[C.MACS_USEFUL] += xb * o
        c[C.MACS_ISSUED] += pb * rp.n * o if rp.sparse else tok * k * o
        c[C.META_READ_BITS] += pb * rp.bits_per_pass * n_ot if rp.sparse else 0
        c[C.META_WRITE_BITS] += pb * rp.bits_per_pass if rp.sparse else 0
        c[C.ACT_READ_BYTES] += (xb if rp.sparse else tok * k) * bpe * n_ot
        c[C.ACT_WRITE_BYTES] += (xb if rp.sparse else tok * k) * bpe
        c[C.WBUF_READ_BYTES] += ub * o * bpe
        c[C.META_DECODES] += pb * n_ot if rp.sparse else 0
        c[C.PASSES] += pb
        comp = math.ceil(tok * groups / int(p[C.P_COMPACTION_GPC])) if rp.sparse else 0
        c[C.COMPACTION_GROUPS] += tok * groups if rp.sparse else 0
        stall = max(0, comp - block)
        cause[C.CAUSE_COMPACTION] += stall
        block += stall
        wrows = (union_all if b == 0 else 0) if fits else ub
        c[C.WBUF_WRITE_BYTES] += wrows * o * bpe
        if compressed:  # kept values plus metadata, in and out (docs/sparse-core-model.md, section 4)
            act_in = xb * bpe + math.ceil(tok * int(p[C.P_IN_META_BITS]) / 8)
            out = tok * int(p[C.P_OUT_KEPT]) * bpe + math.ceil(tok * int(p[C.P_OUT_META_BITS]) / 8)
        else:
            act_in, out = tok * k * bpe, tok * o * bpe
        rd, wr = wrows * o * bpe + act_in, out
        c[C.DRAM_READ_BYTES] += rd
        c[C.DRAM_WRITE_BYTES] += wr
        if decode:
            cause[C.CAUSE_DRAM] += max(0, math.ceil((rd + wr) / dram_bytes_per_cycle) - block)
        else:
            onchip_total += block
            bytes_total += rd + wr
    if not decode:
        cause[C.CAUSE_DRAM] += max(0, math.ceil(bytes_total / dram_bytes_per_cycle) - onchip_total)
    return cause, c


# ------------------------------------------------------------ weight-sparse and dual-side runs (weights.py)
def reference_weight_stats(act_mask: np.ndarray | None, w_mask: np.ndarray, wr, pe_cols: int,
                           t_rows: int | None = None) -> tuple[np.ndarray, ...]:  # fmt: skip
    """The twin of :func:`weight_stats` from bool masks (act [T, K] or None, weights [O, K]): every (t, o, c)
    chunk's cycles from Hall's condition (``reference.chunk_cycles``), aggregated with plain loops."""
    o_n, k = w_mask.shape
    if act_mask is None or not wr.act_sparse:
        act_mask = np.ones((int(t_rows) if act_mask is None else act_mask.shape[0], k), dtype=bool)
    t = act_mask.shape[0]
    nch = -(-k // wr.mh)
    nb, nj, n_ot = -(-t // wr.tb), -(-nch // wr.cpt), -(-o_n // pe_cols)
    memo: dict = {}

    def cyc(pos: tuple) -> int:
        if pos not in memo:
            memo[pos] = chunk_cycles(pos, wr.n, wr.mh, wr.reach)
        return memo[pos]

    names = ("work", "ideal", "passes", "lpasses", "nnz")  # weights.WSTATS
    out = {name: np.zeros((nb, nj, n_ot), dtype=np.int64) for name in names}
    wkept = np.zeros((nj, n_ot), dtype=np.int64)
    wchunks = np.zeros((nj, n_ot), dtype=np.int64)
    for c in range(nch):
        lo, hi = c * wr.mh, min(k, (c + 1) * wr.mh)
        for o in range(o_n):
            wkept[c // wr.cpt, o // pe_cols] += int(w_mask[o, lo:hi].sum())
            wchunks[c // wr.cpt, o // pe_cols] += 1
    for b in range(nb):
        tokens = range(b * wr.tb, min(t, (b + 1) * wr.tb))
        for ot in range(n_ot):
            cols = range(ot * pe_cols, min(o_n, (ot + 1) * pe_cols))
            for j in range(nj):
                units, units_ideal = [], []  # one entry per (chunk, column): its cycles over the block
                col_tot = {o: 0 for o in cols}  # lane_balance: per column, its chunk-cycles over the block and tile
                col_tot_ideal = {o: 0 for o in cols}
                for c in range(j * wr.cpt, min(nch, (j + 1) * wr.cpt)):
                    lo, hi = c * wr.mh, min(k, (c + 1) * wr.mh)
                    per_col = {o: [] for o in cols}
                    per_col_ideal = {o: [] for o in cols}
                    for tt in tokens:
                        both = {o: act_mask[tt, lo:hi] & w_mask[o, lo:hi] for o in cols}
                        cycles = {o: cyc(tuple(int(i) for i in np.flatnonzero(m))) for o, m in both.items()}
                        out["passes"][b, j, ot] += sum(cycles.values())
                        out["nnz"][b, j, ot] += sum(int(m.sum()) for m in both.values())
                        out["lpasses"][b, j, ot] += max(cycles.values())
                        for o in cols:
                            per_col[o].append(cycles[o])
                            per_col_ideal[o].append(max(1, -(-int(both[o].sum()) // wr.n)))
                    combine = max if wr.lockstep else sum  # lockstep (output-stationary) or FIFO-decoupled over the block
                    units += [combine(v) for v in per_col.values()]
                    units_ideal += [combine(v) for v in per_col_ideal.values()]
                    for o in cols:
                        col_tot[o] += sum(per_col[o])
                        col_tot_ideal[o] += sum(per_col_ideal[o])
                if getattr(wr, "balance", 0):  # the column's lane groups share its work (Design.lane_balance)
                    out["work"][b, j, ot] = max(-(-v // wr.cpt) for v in col_tot.values())
                    out["ideal"][b, j, ot] = max(-(-v // wr.cpt) for v in col_tot_ideal.values())
                else:
                    out["work"][b, j, ot] = max(units)
                    out["ideal"][b, j, ot] = max(units_ideal)
    return (*(out[name] for name in names), wkept, wchunks)


def reference_weight_timing(stats, wr, design, t: int, k: int, o: int, act_kept, decode: bool,
                            out_kept: int, out_meta_bits: int):  # fmt: skip
    """The loop twin of :func:`weight_timing` (plain Python integers, one fold at a time)."""
    work, ideal, passes, lpasses, nnz, wkept, wchunks = (np.asarray(s).tolist() for s in stats)
    nb, nj, n_ot = len(work), len(work[0]), len(work[0][0])
    pe_cols, bpe = design.pe_cols, design.bytes_per_element
    wbw, mbw = design.weight_bw_bytes_per_cycle, design.metadata_bw_bits_per_cycle
    ws = not wr.lockstep
    dram_per_cycle = design.dram_bw_gb_per_s / design.achievable_clock_ghz
    cause = [0] * len(C.CAUSES)
    cnt = [0] * len(C.KERNEL_COUNTS)
    w_layer_kept = sum(map(sum, wkept))
    w_layer_meta = sum(map(sum, wchunks)) * wr.w_bits_pc
    w_layer_bytes = w_layer_kept * bpe + math.ceil(w_layer_meta / 8)
    fits = w_layer_bytes <= design.weight_buffer_kib * 1024
    groups = math.ceil(k / wr.act_m) if wr.act_sparse else 0
    onchip = moved = loads = 0
    for b in range(nb):
        tok = min(wr.tb, t - b * wr.tb)
        block = 0
        for ot in range(n_ot):
            width = min(pe_cols, o - ot * pe_cols)
            for j in range(nj):
                comp = ideal[b][j][ot] * wr.cyc_per_pass + (wr.fill if ws else 0)
                busy = comp + (work[b][j][ot] - ideal[b][j][ot]) * wr.cyc_per_pass
                weight = math.ceil(wkept[j][ot] * bpe / wbw)
                meta = math.ceil((wchunks[j][ot] * wr.w_bits_pc + lpasses[b][j][ot] * wr.act_bits_pc) / mbw)
                if ws:
                    dec = work[b][j][ot] * wr.act_dec_cyc + width * wr.w_dec_cyc
                else:
                    dec = work[b][j][ot] * max(wr.act_dec_cyc, wr.w_dec_cyc)
                tf = max(busy, weight, meta, dec)
                cause[C.CAUSE_COMPUTE] += comp
                cause[C.CAUSE_OPERAND_REACH] += busy - comp
                cause[C.CAUSE_WEIGHT_BW] += max(0, min(weight, tf) - busy)
                cause[C.CAUSE_METADATA_BW] += max(0, min(meta, tf) - max(busy, weight))
                cause[C.CAUSE_METADATA_DECODE] += max(0, tf - max(busy, weight, meta))
                block += tf
                cnt[C.MACS_USEFUL] += nnz[b][j][ot]
                cnt[C.MACS_ISSUED] += passes[b][j][ot] * wr.n
                cnt[C.PASSES] += lpasses[b][j][ot]
                if wr.act_sparse:
                    cnt[C.META_READ_BITS] += lpasses[b][j][ot] * wr.act_bits_pc
                    cnt[C.META_DECODES] += lpasses[b][j][ot]
            if not ws:
                cause[C.CAUSE_COMPUTE] += wr.fill
                block += wr.fill
        stall = max(0, math.ceil(tok * groups / design.compaction_groups_per_cycle) - block)
        cause[C.CAUSE_COMPACTION] += stall
        block += stall
        load = 1 if (b == 0 or not fits) else 0
        loads += load
        kept_in = int(act_kept[b]) if wr.act_sparse else tok * k
        cnt[C.ACT_READ_BYTES] += kept_in * bpe * n_ot
        cnt[C.ACT_WRITE_BYTES] += kept_in * bpe
        if wr.act_sparse:
            cnt[C.META_WRITE_BITS] += tok * math.ceil(k / wr.mh) * wr.act_bits_pc
            cnt[C.COMPACTION_GROUPS] += tok * groups
        cnt[C.WBUF_READ_BYTES] += w_layer_kept * bpe
        if design.compressed_activations and wr.act_sparse:
            rd = load * w_layer_bytes + kept_in * bpe + math.ceil(tok * math.ceil(k / wr.mh) * wr.act_bits_pc / 8)
            wrt = tok * out_kept * bpe + math.ceil(tok * out_meta_bits / 8)
        else:
            rd, wrt = load * w_layer_bytes + tok * k * bpe, tok * o * bpe
        cnt[C.DRAM_READ_BYTES] += rd
        cnt[C.DRAM_WRITE_BYTES] += wrt
        if decode:
            cause[C.CAUSE_DRAM] += max(0, math.ceil((rd + wrt) / dram_per_cycle) - block)
        else:
            onchip += block
            moved += rd + wrt
    if not decode:
        cause[C.CAUSE_DRAM] += max(0, math.ceil(moved / dram_per_cycle) - onchip)
    cnt[C.WBUF_WRITE_BYTES] = loads * w_layer_kept * bpe
    extra = {"wmeta_read_bits": nb * w_layer_meta, "wmeta_write_bits": loads * w_layer_meta,
             "wmeta_decodes": nb * sum(map(sum, wchunks))}  # fmt: skip
    return np.array(cause, dtype=np.int64), np.array(cnt, dtype=np.int64), extra
