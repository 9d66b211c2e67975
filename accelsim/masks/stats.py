"""Numba statistics on bit-packed masks, without unpacking whole tensors.

Input layout is that of :func:`accelsim.masks.packing.pack_mask`: uint8 [T, ceil(K/8)],
element k of a row in byte k // 8, bit k % 8.  Popcounts use a 256-entry table.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["group_nnz", "row_nnz", "block_union", "block_union_count", "POPCOUNT"]

# Set bits of every byte value; shared with the simulator's kernels.
POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)
_POPCOUNT = POPCOUNT


@numba.njit(cache=True)
def _group_nnz_kernel(packed, k, m, popcount, out):
    """out int32 [T, K//m]: kept elements per group of m consecutive columns."""
    t_rows, nbytes = packed.shape
    groups = k // m
    if m % 8 == 0:
        per = m // 8
        for t in range(t_rows):
            for g in range(groups):
                acc = 0
                for b in range(g * per, (g + 1) * per):
                    acc += popcount[packed[t, b]]
                out[t, g] = acc
    elif 8 % m == 0:
        per_byte = 8 // m
        sel = (1 << m) - 1
        for t in range(t_rows):
            for g in range(groups):
                byte = packed[t, g // per_byte]
                out[t, g] = popcount[(byte >> ((g % per_byte) * m)) & sel]
    else:  # group sizes like 3 or 12 that straddle bytes: walk bits
        for t in range(t_rows):
            for g in range(groups):
                acc = 0
                for c in range(g * m, (g + 1) * m):
                    acc += (packed[t, c >> 3] >> (c & 7)) & 1
                out[t, g] = acc


@numba.njit(cache=True)
def _row_nnz_kernel(packed, popcount, out):
    t_rows, nbytes = packed.shape
    for t in range(t_rows):
        acc = 0
        for b in range(nbytes):
            acc += popcount[packed[t, b]]
        out[t] = acc


@numba.njit(cache=True)
def _block_union_kernel(packed, rows_per_block, out):
    t_rows, nbytes = packed.shape
    for blk in range(out.shape[0]):
        for b in range(nbytes):
            out[blk, b] = 0
        for t in range(blk * rows_per_block, min(t_rows, (blk + 1) * rows_per_block)):
            for b in range(nbytes):
                out[blk, b] |= packed[t, b]


@numba.njit(cache=True)
def _block_union_count_kernel(packed, rows_per_block, popcount, scratch, out):
    t_rows, nbytes = packed.shape
    for blk in range(out.shape[0]):
        for b in range(nbytes):
            scratch[b] = 0
        for t in range(blk * rows_per_block, min(t_rows, (blk + 1) * rows_per_block)):
            for b in range(nbytes):
                scratch[b] |= packed[t, b]
        acc = 0
        for b in range(nbytes):
            acc += popcount[scratch[b]]
        out[blk] = acc


def _check_packed(packed: np.ndarray, k: int | None = None) -> np.ndarray:
    packed = np.asarray(packed)
    if packed.dtype != np.uint8 or packed.ndim != 2:
        raise ValueError(f"packed mask must be uint8 [T, ceil(K/8)], got {packed.dtype} with shape {packed.shape}")
    if k is not None:
        if k <= 0 or packed.shape[1] != (k + 7) // 8:
            raise ValueError(f"K={k} needs {(k + 7) // 8} bytes per row, packed mask has {packed.shape[1]}")
        if k % 8 and packed.shape[0] and (packed[:, -1] >> (k % 8)).any():
            raise ValueError(f"packed mask has bits set beyond K={k}; it was not packed with K={k}")
    return np.ascontiguousarray(packed)


def group_nnz(packed: np.ndarray, k: int, m: int) -> np.ndarray:
    """uint8 [T, ceil(K/8)] -> int32 [T, K // m]: kept elements in each group of m."""
    packed = _check_packed(packed, k)
    if m <= 0 or k % m:
        raise ValueError(f"group size m={m} must be positive and divide K={k}")
    out = np.empty((packed.shape[0], k // m), dtype=np.int32)
    _group_nnz_kernel(packed, k, m, _POPCOUNT, out)
    return out


def row_nnz(packed: np.ndarray, k: int) -> np.ndarray:
    """uint8 [T, ceil(K/8)] -> int32 [T]: kept elements per row (token)."""
    packed = _check_packed(packed, k)
    out = np.empty(packed.shape[0], dtype=np.int32)
    _row_nnz_kernel(packed, _POPCOUNT, out)
    return out


def _nblocks(t: int, rows_per_block: int) -> int:
    if rows_per_block <= 0:
        raise ValueError(f"rows_per_block must be >= 1, got {rows_per_block}")
    return (t + rows_per_block - 1) // rows_per_block


def block_union(packed: np.ndarray, rows_per_block: int) -> np.ndarray:
    """uint8 [T, B] -> uint8 [ceil(T/R), B]: bitwise OR over each block of R rows (last block may be short)."""
    packed = _check_packed(packed)
    out = np.empty((_nblocks(packed.shape[0], rows_per_block), packed.shape[1]), dtype=np.uint8)
    _block_union_kernel(packed, rows_per_block, out)
    return out


def block_union_count(packed: np.ndarray, k: int, rows_per_block: int) -> np.ndarray:
    """uint8 [T, ceil(K/8)] -> int32 [ceil(T/R)]: columns kept by at least one row of each block."""
    packed = _check_packed(packed, k)
    out = np.empty(_nblocks(packed.shape[0], rows_per_block), dtype=np.int32)
    scratch = np.empty(packed.shape[1], dtype=np.uint8)
    _block_union_count_kernel(packed, rows_per_block, _POPCOUNT, scratch, out)
    return out
