"""NumPy reference masks: the specification the torch and Numba twins must match.

Rule (every twin follows it bit for bit):
* N:M - in every group of M consecutive elements along the last axis keep the N with
  the largest score.  Ties go to the lower index: element i outranks element j when
  ``s[i] > s[j]`` or ``s[i] == s[j] and i < j`` (a stable descending sort).  So an
  all-zero group keeps its first N positions.
* unstructured:D - per row of K elements keep k = floor(D * K + 0.5) by the same rule.
* dense - keep everything.

Scores must be finite real numbers (NaN has no order; it is rejected).  K not divisible
by M is an error; nothing is padded.
"""

from __future__ import annotations

import numpy as np

from accelsim.patterns import Pattern

__all__ = ["topn_mask", "apply_mask", "check_scores"]


def check_scores(scores: np.ndarray, pattern: Pattern) -> np.ndarray:
    """Validate scores for ``pattern``; returns them as an ndarray."""
    scores = np.asarray(scores)
    if scores.ndim < 1:
        raise ValueError(f"scores must have at least one axis [..., K], got a scalar of shape {scores.shape}")
    if not np.issubdtype(scores.dtype, np.floating) and not np.issubdtype(scores.dtype, np.integer):
        raise TypeError(f"scores must be real numbers, got dtype {scores.dtype}")
    k = scores.shape[-1]
    if pattern.is_nm and k % pattern.m:
        raise ValueError(
            f"last axis K={k} is not divisible by M={pattern.m} of pattern {pattern}; "
            f"N:M groups must tile K exactly (choose another pattern or module)"
        )
    if np.issubdtype(scores.dtype, np.floating) and np.isnan(scores).any():
        raise ValueError("scores contain NaN; masks are defined for finite scores only")
    return scores


def _keep_top(scores2d: np.ndarray, keep: int) -> np.ndarray:
    """[R, G] scores -> [R, G] bool mask keeping ``keep`` per row (stable, lower index wins)."""
    rows, width = scores2d.shape
    mask = np.zeros((rows, width), dtype=bool)
    if keep == 0 or rows == 0:
        return mask
    if keep >= width:
        mask[:] = True
        return mask
    # Stable sort of the negated scores = descending order with ties in index order.
    # Integers are widened so that negation cannot overflow.
    s = scores2d.astype(np.float64) if np.issubdtype(scores2d.dtype, np.integer) else scores2d
    order = np.argsort(-s, axis=1, kind="stable")[:, :keep]
    np.put_along_axis(mask, order, True, axis=1)
    return mask


def topn_mask(scores: np.ndarray, pattern: "Pattern | str") -> np.ndarray:
    """Boolean keep-mask of the same shape as ``scores`` ([..., K]) under ``pattern``."""
    pattern = Pattern.parse(pattern)
    scores = check_scores(scores, pattern)
    shape = scores.shape
    k = shape[-1]
    if pattern.kind == "dense":
        return np.ones(shape, dtype=bool)
    if pattern.kind == "unstructured":
        return _keep_top(scores.reshape(-1, k), pattern.kept_per_row(k)).reshape(shape)
    return _keep_top(scores.reshape(-1, pattern.m), pattern.n).reshape(shape)


def apply_mask(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Kept values unchanged, dropped values set to zero (same dtype as x)."""
    x = np.asarray(x)
    if x.shape != mask.shape:
        raise ValueError(f"mask shape {mask.shape} does not match values shape {x.shape}")
    return np.where(mask, x, np.zeros((), dtype=x.dtype))
