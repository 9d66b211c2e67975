"""Numba twin of the reference masks (flat arrays, no allocation inside the loops).

Same rule as :mod:`accelsim.masks.reference`: keep the N largest scores of a group, ties to
the lower index.  Groups of M <= 64 use a branch-free rank count.  Larger groups use a
kernel that keeps a small descending list of the N largest values
seen so far (insertion; a later equal value never displaces an earlier one), which gives the
threshold value ``thr`` = the N-th largest and how many copies of ``thr`` belong to the top
N; a second pass keeps everything above ``thr`` and the first copies of ``thr`` in index
order.  Unstructured rows find ``thr`` by a radix select on order-preserving uint32 keys
(float32; 2-3x faster than a partition) or with a partition (float64), and resolve ties
the same way.
The torch twin calls these kernels for CPU tensors (see torch_twin.py).  Large inputs are
split into contiguous chunks run in parallel on Numba's threads (NUMBA_NUM_THREADS; the
result does not depend on the split, since groups and rows are independent).
"""

from __future__ import annotations

import numba
import numpy as np

from accelsim.masks.reference import check_scores
from accelsim.patterns import Pattern

__all__ = ["topn_mask_numba", "nm_mask_flat", "nm_mask_rank_flat", "row_topk_flat", "row_topk_f32bits"]

_RANK_MAX_M = 64  # above this the M^2 rank count loses to the insertion kernel


@numba.njit(cache=True)
def _keep_with_threshold(s, base, width, thr, need, out):
    """out[base:base+width] = s > thr, plus the first ``need`` elements equal to thr."""
    for i in range(width):
        v = s[base + i]
        if v > thr:
            out[base + i] = True
        elif v == thr and need > 0:
            out[base + i] = True
            need -= 1
        else:
            out[base + i] = False


@numba.njit(cache=True)
def nm_mask_rank_flat(s, m, n, out):
    """Branch-free rank count for small groups (M <= 64): keep i iff fewer than n outrank it.

    j outranks i when s[j] > s[i], or s[j] == s[i] and j < i.  M^2 comparisons per group,
    but the inner loop has no branch and vectorises, which beats the insertion kernel
    below by 2-4x on random data (benchmarks/bench_masks.py).
    """
    for g in range(s.size // m):
        base = g * m
        for i in range(m):
            si = s[base + i]
            r = 0
            for j in range(m):
                sj = s[base + j]
                r += (sj > si) | ((sj == si) & (j < i))
            out[base + i] = r < n


@numba.njit(cache=True)
def nm_mask_flat(s, m, n, top, out):
    """s [G*m] flat scores -> out bool [G*m]: top-n per consecutive group of m (any M).

    top: scratch array of n elements, same dtype as s.
    """
    for g in range(s.size // m):
        base = g * m
        cnt = 0
        for i in range(m):
            v = s[base + i]
            if cnt < n:
                j = cnt
                cnt += 1
            elif v > top[n - 1]:
                j = n - 1
            else:
                continue
            while j > 0 and v > top[j - 1]:
                top[j] = top[j - 1]
                j -= 1
            top[j] = v
        thr = top[n - 1]
        need = 0
        for j in range(n):
            if top[j] == thr:
                need += 1
        _keep_with_threshold(s, base, m, thr, need, out)


@numba.njit(cache=True)
def row_topk_flat(s, k_row, keep, out):
    """Per row of k_row scores keep ``keep`` (1 <= keep < k_row): partition for the threshold, then ties."""
    for r in range(s.size // k_row):
        base = r * k_row
        row = s[base : base + k_row].copy()
        thr = np.partition(row, k_row - keep)[k_row - keep]
        above = 0
        for i in range(k_row):
            if s[base + i] > thr:
                above += 1
        _keep_with_threshold(s, base, k_row, thr, keep - above, out)


@numba.njit(cache=True, inline="always")
def _key(u):
    # IEEE float32 bits -> uint32 whose unsigned order is the float order; -0.0 and +0.0 map together.
    if u == np.uint32(0x80000000):
        u = np.uint32(0)
    if u >> np.uint32(31):
        return ~u
    return u | np.uint32(0x80000000)

@numba.njit(cache=True)
def row_topk_f32bits(bits, k_row, keep, hist, cand, out):
    """bits: float32 scores viewed as uint32 [rows*k_row]. Per row keep `keep` largest, ties -> lower index.

    Radix select on order-preserving keys: 12 + 10 + 10 bit digits, the candidates of each digit
    compacted into `cand` so later passes touch only them.  hist: int64[4096]; cand: uint32[k_row].
    """
    for r in range(bits.size // k_row):
        base = r * k_row
        for d in range(4096):
            hist[d] = 0
        for i in range(k_row):
            hist[_key(bits[base + i]) >> np.uint32(20)] += 1
        remaining = keep
        d = 4095
        while hist[d] < remaining:
            remaining -= hist[d]
            d -= 1
        top = np.uint32(d)
        nc = 0
        for i in range(k_row):
            kk = _key(bits[base + i])
            if (kk >> np.uint32(20)) == top:
                cand[nc] = kk
                nc += 1
        thr = top << np.uint32(20)
        for shift, width in ((10, 1023), (0, 1023)):
            for d in range(1024):
                hist[d] = 0
            for c in range(nc):
                hist[(cand[c] >> np.uint32(shift)) & np.uint32(width)] += 1
            d = 1023
            while hist[d] < remaining:
                remaining -= hist[d]
                d -= 1
            thr |= np.uint32(d) << np.uint32(shift)
            n2 = 0
            for c in range(nc):
                if ((cand[c] >> np.uint32(shift)) & np.uint32(width)) == d:
                    cand[n2] = cand[c]
                    n2 += 1
            nc = n2
        need = remaining
        for i in range(base, base + k_row):
            kk = _key(bits[i])
            if kk > thr:
                out[i] = True
            elif kk == thr and need > 0:
                out[i] = True
                need -= 1
            else:
                out[i] = False


@numba.njit(cache=True, parallel=True)
def _nm_rank_chunks(s, m, n, out, chunks):
    """nm_mask_rank_flat over ``chunks`` contiguous ranges of groups, one per parallel task."""
    groups = s.size // m
    for c in numba.prange(chunks):
        lo = groups * c // chunks * m
        hi = groups * (c + 1) // chunks * m
        nm_mask_rank_flat(s[lo:hi], m, n, out[lo:hi])


@numba.njit(cache=True, parallel=True)
def _radix_rows_chunks(bits, k_row, keep, out, chunks):
    """row_topk_f32bits over ``chunks`` contiguous ranges of rows, each with its own scratch."""
    rows = bits.size // k_row
    for c in numba.prange(chunks):
        lo = rows * c // chunks * k_row
        hi = rows * (c + 1) // chunks * k_row
        row_topk_f32bits(bits[lo:hi], k_row, keep, np.empty(4096, np.int64), np.empty(k_row, np.uint32), out[lo:hi])


# Below this many scores the thread start-up costs more than it saves.
_PARALLEL_MIN_SIZE = 1 << 16


def _chunks(size: int) -> int:
    threads = numba.get_num_threads()
    return threads if threads > 1 and size >= _PARALLEL_MIN_SIZE else 0


def topn_mask_numba(scores: np.ndarray, pattern: Pattern | str) -> np.ndarray:
    """Bool keep-mask of ``scores`` [..., K]; validated wrapper around the Numba kernels."""
    pattern = Pattern.parse(pattern)
    scores = check_scores(scores, pattern)
    return _mask_unchecked(scores, pattern)


def _mask_unchecked(scores: np.ndarray, pattern: Pattern) -> np.ndarray:
    shape = scores.shape
    k = shape[-1]
    keep = pattern.kept_per_row(k) if pattern.kind == "unstructured" else (pattern.n if pattern.is_nm else k)
    width = pattern.m if pattern.is_nm else k
    if pattern.kind == "dense" or keep >= width:
        return np.ones(shape, dtype=bool)
    if keep == 0:
        return np.zeros(shape, dtype=bool)
    # float32 keeps float32 (exact); everything else is compared in float64 (exact for ints up to 2**53).
    dtype = np.float32 if scores.dtype == np.float32 else np.float64
    flat = np.ascontiguousarray(scores, dtype=dtype).ravel()
    out = np.empty(flat.size, dtype=np.bool_)
    chunks = _chunks(flat.size)
    if pattern.kind == "unstructured" and dtype == np.float32:
        if chunks:
            _radix_rows_chunks(flat.view(np.uint32), k, keep, out, chunks)
        else:
            row_topk_f32bits(flat.view(np.uint32), k, keep, np.empty(4096, np.int64), np.empty(k, np.uint32), out)
    elif pattern.kind == "unstructured":
        row_topk_flat(flat, k, keep, out)
    else:
        if pattern.m <= _RANK_MAX_M and chunks:
            _nm_rank_chunks(flat, pattern.m, pattern.n, out, chunks)
        elif pattern.m <= _RANK_MAX_M:
            nm_mask_rank_flat(flat, pattern.m, pattern.n, out)
        else:
            nm_mask_flat(flat, pattern.m, pattern.n, np.empty(pattern.n, dtype=dtype), out)
    return out.reshape(shape)
