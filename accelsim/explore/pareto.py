"""Pareto fronts over a table of objectives (pure NumPy).

A point ``p`` dominates ``q`` when it is no worse in every objective and strictly
better in at least one (the usual definition, e.g. Deb, *Multi-Objective Optimization
using Evolutionary Algorithms*, 2001, def. 2.5).  Equal points do not dominate each other,
so duplicates on the front are all kept.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["pareto_mask"]


def _orient(points: np.ndarray, minimize: "bool | Sequence[bool]") -> np.ndarray:
    d = points.shape[1]
    if isinstance(minimize, (bool, np.bool_)):
        signs = np.full(d, 1.0 if minimize else -1.0)
    else:
        flags = list(minimize)
        if len(flags) != d:
            raise ValueError(f"minimize has {len(flags)} flags but points have {d} objectives (columns)")
        signs = np.array([1.0 if bool(f) else -1.0 for f in flags])
    return points * signs


def pareto_mask(points: "np.ndarray | Sequence[Sequence[float]]", minimize: "bool | Sequence[bool]" = True) -> np.ndarray:
    """Which points are not dominated by any other point.

    points: float [n, d], one row per design point, one column per objective.
    minimize: one bool for all objectives, or one per column (False = maximise that column).
    Returns bool [n], True on the Pareto front.  Raises ValueError on NaN or a bad shape.

    Simple cull: visit points in lexicographic order and drop everything the visited
    point dominates.  Dominance is transitive, so each dominated point is dropped by some
    front point; cost O(n * front size * d).
    """
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError(f"points must be a 2-D array [n, d], got shape {p.shape}")
    n = p.shape[0]
    if n == 0:
        return np.zeros(0, dtype=bool)
    if np.isnan(p).any():
        bad = np.argwhere(np.isnan(p))[0]
        raise ValueError(f"points contain NaN (first at row {bad[0]}, column {bad[1]}); drop or fill those rows first")
    q = _orient(p, minimize)
    keep = np.ones(n, dtype=bool)
    for i in np.lexsort(q.T[::-1]):
        if not keep[i]:
            continue
        dominated = np.all(q[i] <= q, axis=1) & np.any(q[i] < q, axis=1)
        keep[dominated] = False
    return keep
