"""Intervals on perplexity: a percentile bootstrap over evaluation windows (NumPy only; no torch).

Capture stores the mean next-token NLL of every evaluation window in the manifest (``extra["window_nll"]``, with
``extra["window_starts"]``, the windows' token offsets).  Every window scores the same number of tokens, so the
perplexity of a resample of windows is exp(mean of their NLLs).  A 95 % interval is the 2.5 and 97.5 percentiles of
that statistic over ``reps`` resamples of the windows with replacement (Efron & Tibshirani, *An Introduction to the
Bootstrap*, 1993, ch. 13).  A difference between two runs on the same windows is bootstrapped **paired**: each
resample draws window indices once and uses them for both runs, so the noise the two runs share (a hard window is
hard for both) cancels.  A claim ("8:16 beats 2:4") is called supported only when its interval excludes zero and
rests on at least :data:`MIN_WINDOWS` windows.

Windows are few (2 in the quick preset, 32 at the default budget) and not independent draws from all English, so
the interval measures the spread over this text's windows, not over corpora; with fewer than 2 windows there is no
interval (None).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Interval", "REPS", "perplexity_interval", "paired_difference", "relative_change", "supported", "same_windows", "MIN_WINDOWS"]

REPS = 2000
LEVEL = 0.95
#: fewest windows for a claim to be called supported: a bootstrap over fewer has too few distinct resamples
#: (2 windows give 3) for its percentiles to mean much
MIN_WINDOWS = 8


@dataclass(frozen=True)
class Interval:
    """A point estimate and its bootstrap interval [lo, hi] (lo = hi = None when there are fewer than 2 windows)."""

    value: float
    lo: float | None = None
    hi: float | None = None
    windows: int = 0

    @property
    def supported(self) -> bool:
        """The interval excludes zero (a difference whose sign the windows support)."""
        return supported(self)

    def fmt(self, spec: str = ".3f", pct: bool = False) -> str:
        """``"87.315 [80.1, 95.2]"``; with pct, values x100 with a sign and a %: ``"+123.5% [+110.2, +140.0]"``."""
        k, sign = (100.0, "+") if pct else (1.0, "")
        unit = "%" if pct else ""
        head = f"{k * self.value:{sign}{spec}}{unit}"
        if self.lo is None or self.hi is None:
            return head
        return f"{head} [{k * self.lo:{sign}{spec}}, {k * self.hi:{sign}{spec}}]"


def _resamples(n: int, reps: int, seed: int) -> np.ndarray:
    """int [reps, n]: window indices drawn with replacement (the same for every statistic of one seed)."""
    return np.random.default_rng(seed).integers(0, n, size=(reps, n))


def _interval(point: float, boots: np.ndarray, n: int, level: float) -> Interval:
    a = (1 - level) / 2
    lo, hi = np.quantile(boots, [a, 1 - a])
    return Interval(float(point), float(lo), float(hi), n)


def perplexity_interval(window_nll, reps: int = REPS, seed: int = 0, level: float = LEVEL) -> Interval:
    """exp(mean NLL) of the windows and its percentile-bootstrap interval."""
    x = np.asarray(window_nll, dtype=np.float64)
    if x.ndim != 1 or x.size == 0 or not np.isfinite(x).all():
        raise ValueError("window_nll must be a non-empty list of finite per-window NLLs")
    point = math.exp(float(x.mean()))
    if x.size < 2:
        return Interval(point, None, None, int(x.size))
    return _interval(point, np.exp(x[_resamples(x.size, reps, seed)].mean(axis=1)), x.size, level)


def _paired(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(f"paired windows differ in number ({a.shape} vs {b.shape}); compare runs on the same windows")
    return a, b


def paired_difference(nll_a, nll_b, reps: int = REPS, seed: int = 0, level: float = LEVEL) -> Interval:
    """ppl(a) - ppl(b) on the same windows, bootstrapped paired by window (positive: a is worse)."""
    a, b = _paired(nll_a, nll_b)
    point = math.exp(a.mean()) - math.exp(b.mean())
    if a.size < 2:
        return Interval(point, None, None, int(a.size))
    idx = _resamples(a.size, reps, seed)
    return _interval(point, np.exp(a[idx].mean(axis=1)) - np.exp(b[idx].mean(axis=1)), a.size, level)


def relative_change(nll_a, nll_b, reps: int = REPS, seed: int = 0, level: float = LEVEL) -> Interval:
    """ppl(a) / ppl(b) - 1 on the same windows (e.g. a sparse run against dense), paired by window."""
    a, b = _paired(nll_a, nll_b)
    point = math.exp(a.mean() - b.mean()) - 1
    if a.size < 2:
        return Interval(point, None, None, int(a.size))
    idx = _resamples(a.size, reps, seed)
    return _interval(point, np.exp((a - b)[idx].mean(axis=1)) - 1, a.size, level)


def supported(iv: Interval) -> bool:
    """Whether the interval excludes zero; False when there is none or it rests on fewer than :data:`MIN_WINDOWS`."""
    return iv.lo is not None and iv.hi is not None and iv.windows >= MIN_WINDOWS and (iv.lo > 0 or iv.hi < 0)


def same_windows(extra_a: dict, extra_b: dict) -> bool:
    """Whether two manifests' ``extra`` record per-window NLLs on the same windows (so they can be paired)."""
    na, nb = extra_a.get("window_nll"), extra_b.get("window_nll")
    if not na or not nb or len(na) != len(nb):
        return False
    sa, sb = extra_a.get("window_starts"), extra_b.get("window_starts")
    return sa is None or sb is None or list(sa) == list(sb)
