"""Fused magnitude sparsify: capture's hot path (criterion magnitude, mitigation none) on CPU float32.

Capture's default needs, per input X [T, K], the mask of |X| and X * mask.  These kernels do it in one pass over X's
float32 bits: |x| is the bits with the sign cleared (whose unsigned order is the order of |x|; -0.0 and +0.0 both
give 0, as np.abs does), a bit pattern above 0x7F800000 is NaN (counted and returned so the wrapper raises), and
xo = x * keep multiplies by 1.0 / 0.0 exactly as torch's ``x * mask`` does (so a dropped negative value stays -0.0
and logits are bit-identical to the unfused path).  Same selection rule as :mod:`accelsim.masks.reference` (the
specification): keep the N largest of a group, ties to the lower index.  ``torch_twin.magnitude_sparsify`` is the
public entry; :func:`magnitude_sparsify_flat` is the validating wrapper.
"""

from __future__ import annotations

import numba
import numpy as np

from accelsim.masks.numba_twin import _RANK_MAX_M
from accelsim.patterns import Pattern

__all__ = ["magnitude_nm_flat", "magnitude_rows_flat", "magnitude_sparsify_flat"]

_ABS = np.uint32(0x7FFFFFFF)
_INF = np.uint32(0x7F800000)


@numba.njit(cache=True, inline="always")
def _magnitude_groups(x, bits, m, n, c, xo, out):
    nan = 0
    for g in range(x.size // m):
        base = g * m
        for j in range(m):
            a = bits[base + j] & _ABS
            nan += a > _INF
            c[j] = (np.int64(a) << 6) | (m - 1 - j)
        for i in range(m):
            ci = c[i]
            r = 0
            for j in range(m):
                r += c[j] > ci
            keep = r < n
            out[base + i] = keep
            xo[base + i] = x[base + i] * np.float32(keep)
    return nan


@numba.njit(cache=True)
def magnitude_nm_flat(x, bits, m, n, c, xo, out):
    """x float32 [G*m] (bits: the same memory as uint32) -> out bool = top-n of |x| per group of m (m <= 64), xo
    float32 = x * out; returns the number of NaN in x (outputs then undefined).  c: int64 scratch [m].

    Rank count as in nm_mask_rank_flat, on composite keys |x| * 64 + (m - 1 - j): unique, so j outranks i iff
    c[j] > c[i] (larger |x|, or equal and lower index) - one compare per pair instead of three.  The common M are
    compiled with M a constant (unrolled inner loops: 1.3-1.6x faster than a run-time M on 512 x 576 inputs).
    """
    if m == 4:
        return _magnitude_groups(x, bits, 4, n, c, xo, out)
    if m == 8:
        return _magnitude_groups(x, bits, 8, n, c, xo, out)
    if m == 16:
        return _magnitude_groups(x, bits, 16, n, c, xo, out)
    if m == 32:
        return _magnitude_groups(x, bits, 32, n, c, xo, out)
    return _magnitude_groups(x, bits, m, n, c, xo, out)


@numba.njit(cache=True)
def magnitude_rows_flat(x, bits, k_row, keep, a, hist, cand, xo, out):
    """Unstructured twin of magnitude_nm_flat: per row of k_row keep the ``keep`` largest |x| (1 <= keep < k_row),
    ties to the lower index.  a, cand: int64 scratch [k_row]; hist: int64 [256].

    Radix select of the threshold on the 31-bit |x| keys, digits of 8 (exponent), 8, 8 and 7 bits, each pass over
    the candidates left by the one before: 256-bucket histograms, cheap to clear on short rows (K of a few
    thousand), where row_topk_f32bits's 4096 buckets cost more than the row.
    """
    nan = 0
    for r in range(x.size // k_row):
        base = r * k_row
        hist[:] = 0
        for i in range(k_row):
            v = np.int64(bits[base + i] & _ABS)
            nan += v > _INF
            a[i] = v
            hist[v >> 23] += 1
        remaining = keep
        d = 255
        while hist[d] < remaining:
            remaining -= hist[d]
            d -= 1
        nc = 0
        for i in range(k_row):  # branch-free compaction (random data mispredicts an if)
            cand[nc] = a[i]
            nc += a[i] >> 23 == d
        thr = d << 23
        for shift, nb in ((15, 256), (7, 256), (0, 128)):
            hist[:nb] = 0
            for c in range(nc):
                hist[(cand[c] >> shift) & (nb - 1)] += 1
            d = nb - 1
            while hist[d] < remaining:
                remaining -= hist[d]
                d -= 1
            thr |= d << shift
            n2 = 0
            for c in range(nc):
                cand[n2] = cand[c]
                n2 += (cand[c] >> shift) & (nb - 1) == d
            nc = n2
        need = remaining  # copies of thr to keep, in index order
        for i in range(k_row):
            v = a[i]
            at = v == thr
            kept = (v > thr) | (at & (need > 0))
            need -= at & kept
            out[base + i] = kept
            xo[base + i] = x[base + i] * np.float32(kept)
    return nan


def magnitude_sparsify_flat(x: np.ndarray, pattern: Pattern, xo: np.ndarray, out: np.ndarray) -> int:
    """x float32 C-contiguous [..., K] -> fills xo float32 and out bool (C-contiguous, same size) with X * mask and
    the mask of |X| under ``pattern`` (N:M with M <= 64, or unstructured keeping 0 < k < K per row).  Returns the
    NaN count of x (the caller raises).  Checks what keeps the kernels in bounds; torch_twin.magnitude_sparsify is
    the public entry.

    Serial on purpose.  Capture calls this between torch's OpenMP GEMMs, whose idle workers spin for milliseconds:
    Numba's prange (a second OpenMP runtime) fought them for the cores (20 ms a call on 2 shared cores, against
    1-3 ms serial for 512 x 576..1536), and splitting across Python helper threads gained nothing measurable on
    SmolLM2 (8:16 1.25x vs 1.23x serial, 16:32 1.23x vs 1.21x dense CPU time, bench_capture-style windows)."""
    k = x.shape[-1] if x.ndim else 0
    arrays_ok = x.dtype == np.float32 and xo.dtype == np.float32 and out.dtype == np.bool_ and xo.size == out.size == x.size
    if not arrays_ok or not (x.flags.c_contiguous and xo.flags.c_contiguous and out.flags.c_contiguous):
        raise ValueError("magnitude_sparsify_flat needs C-contiguous float32 x, float32 xo and bool out of the same size")
    flat, xo, out = x.reshape(-1), xo.reshape(-1), out.reshape(-1)
    bits = flat.view(np.uint32)
    if pattern.is_nm:
        if pattern.m > _RANK_MAX_M or k % pattern.m:
            raise ValueError(f"pattern {pattern} does not tile K={k} with M <= {_RANK_MAX_M}")
        m, n = pattern.m, pattern.n
        return int(magnitude_nm_flat(flat, bits, m, n, np.empty(m, np.int64), xo, out))
    keep = pattern.kept_per_row(k) if pattern.kind == "unstructured" else k
    if not 0 < keep < k:
        raise ValueError(f"pattern {pattern} keeps {keep} of K={k} per row; the fused kernel needs 0 < kept < K")
    return int(magnitude_rows_flat(flat, bits, k, keep, np.empty(k, np.int64), np.empty(256, np.int64), np.empty(k, np.int64),
                                   xo, out))
