"""Numba twin of the reference masks, for the simulator (flat arrays, no allocation in loops).

Rank rule, identical to the stable descending sort of the reference: element i of a group
outranks j when ``s[i] > s[j]`` or (``s[i] == s[j]`` and ``i < j``); keep i iff fewer than
N elements outrank it.  O(M^2) per group, which for M <= 32 beats sorting.
"""

from __future__ import annotations

import numba
import numpy as np

from accelsim.masks.reference import check_scores
from accelsim.patterns import Pattern

__all__ = ["topn_mask_numba"]


@numba.njit(cache=True)
def _mark_top(scores, start, width, keep, out):
    """Set out[start:start+width] to the keep-mask of scores[start:start+width]."""
    for i in range(width):
        si = scores[start + i]
        rank = 0
        for j in range(width):
            sj = scores[start + j]
            if sj > si or (sj == si and j < i):
                rank += 1
                if rank >= keep:
                    break
        out[start + i] = rank < keep


@numba.njit(cache=True)
def _nm_mask_flat(scores, m, n, out):
    """scores float64 [G*m] flat -> out bool [G*m], top-n per consecutive group of m."""
    for g in range(scores.size // m):
        _mark_top(scores, g * m, m, n, out)


@numba.njit(cache=True)
def _row_topk_flat(scores, k_row, keep, out):
    """Per row of k_row elements keep ``keep`` (stable mergesort on negated scores)."""
    rows = scores.size // k_row
    for r in range(rows):
        base = r * k_row
        order = np.argsort(-scores[base : base + k_row], kind="mergesort")
        for i in range(k_row):
            out[base + i] = False
        for i in range(keep):
            out[base + order[i]] = True


def topn_mask_numba(scores: np.ndarray, pattern: "Pattern | str") -> np.ndarray:
    """Bool keep-mask of ``scores`` [..., K]; validated wrapper around the Numba kernels."""
    pattern = Pattern.parse(pattern)
    scores = check_scores(scores, pattern)
    shape = scores.shape
    if pattern.kind == "dense":
        return np.ones(shape, dtype=bool)
    flat = np.ascontiguousarray(scores, dtype=np.float64).ravel()
    out = np.empty(flat.size, dtype=np.bool_)
    k = shape[-1]
    if pattern.kind == "unstructured":
        _row_topk_flat(flat, k, pattern.kept_per_row(k), out)
    else:
        _nm_mask_flat(flat, pattern.m, pattern.n, out)
    return out.reshape(shape)
