"""Tile statistics of a weight-sparse or dual-side layer: ``weight_stats`` (NumPy front of the Numba kernels).

It packs the masks into chunk values (``chunk_values``), builds the chunk tables and calls the kernels of
``accelsim.sim.weight_kernels``; ``accelsim.sim.weight_timing`` turns the statistics into fold times.
The NumPy twin is ``accelsim.sim.reference.reference_weight_stats``.
"""

from __future__ import annotations

import numpy as np

from accelsim.sim.chunks import TABLE_MAX_MH, chunk_table, reach_intervals
from accelsim.sim.weight_kernels import _chunk_values, _dual_stats, _weight_tiles
from accelsim.sim.weight_params import WeightRunParams

__all__ = ["WSTATS", "WTILE", "chunk_values", "weight_stats"]

#: per (block, tile, O-tile) statistics of a weight or dual-side run, in this order
#: work, ideal: fold cycles (see the doc of accelsim.sim.weights); passes: sum over (t, o, c) of chunk cycles
#: (lane-group cycles issued, all columns); lpasses: sum over (t, c) of the O-tile's slowest column (chunk-cycles of
#: the lockstepped columns); nnz: useful products (kept activation and kept weight)
WSTATS = ("work", "ideal", "passes", "lpasses", "nnz")
#: static per (tile, O-tile) statistics of the weights: kept weights, chunk-column pairs
WTILE = ("wkept", "wchunks")


def chunk_values(packed: np.ndarray, k: int, mh: int) -> np.ndarray:
    """int64 [rows, ceil(K / mh)]: each chunk's keep bits of a packed mask (uint8 [rows, ceil(K/8)])."""
    if not 1 <= mh <= 62:
        raise ValueError(f"weight-sparse and dual-side runs take chunks of 1..62 channels, got mh={mh}")
    out = np.zeros((packed.shape[0], -(-k // mh)), dtype=np.int64)
    if packed.size:
        _chunk_values(np.ascontiguousarray(packed), k, mh, out)
    return out


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


def _cdiv(a, b):
    return -(-a // b)
