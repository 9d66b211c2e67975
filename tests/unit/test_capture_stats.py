"""Bootstrap intervals over evaluation windows (accelsim.capture.stats)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from accelsim.capture.stats import Interval, paired_difference, perplexity_interval, relative_change, same_windows, supported


def test_perplexity_interval_holds_the_point_and_is_seeded():
    nll = np.random.default_rng(0).normal(3.5, 0.3, 32)
    iv = perplexity_interval(nll)
    assert math.isclose(iv.value, math.exp(nll.mean()))
    assert iv.lo < iv.value < iv.hi and iv.windows == 32
    assert perplexity_interval(nll) == iv  # same seed, same interval
    assert "[" in iv.fmt() and iv.fmt().startswith(f"{iv.value:.3f}")


def test_one_window_has_no_interval():
    iv = perplexity_interval([3.0])
    assert iv.lo is None and iv.hi is None and not supported(iv) and iv.fmt() == f"{math.exp(3):.3f}"


def test_paired_difference_cancels_shared_noise():
    rng = np.random.default_rng(1)
    base = rng.normal(3.5, 0.5, 16)  # windows differ a lot ...
    worse = base + 0.05 + rng.normal(0, 0.005, 16)  # ... but b is worse on every one
    iv = paired_difference(worse, base)
    assert iv.value > 0 and supported(iv) and iv.lo > 0
    rel = relative_change(worse, base)
    assert math.isclose(rel.value, math.exp(worse.mean() - base.mean()) - 1) and rel.supported
    same = paired_difference(base, base)
    assert same.value == 0 and not supported(same)
    noisy = paired_difference(base + rng.normal(0, 0.3, 16), base)  # no consistent direction
    assert not noisy.supported or abs(noisy.value) > 0


def test_too_few_windows_support_nothing():
    iv = paired_difference([3.1, 3.3], [3.0, 3.2])
    assert iv.lo > 0 and not supported(iv)  # two windows: 3 distinct resamples, no claim


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        perplexity_interval([])
    with pytest.raises(ValueError):
        perplexity_interval([1.0, float("nan")])
    with pytest.raises(ValueError, match="same windows"):
        paired_difference([1.0, 2.0], [1.0])


def test_same_windows_and_formatting():
    assert same_windows({"window_nll": [1, 2], "window_starts": [0, 9]}, {"window_nll": [3, 4], "window_starts": [0, 9]})
    assert not same_windows({"window_nll": [1, 2], "window_starts": [0, 9]}, {"window_nll": [3, 4], "window_starts": [0, 8]})
    assert not same_windows({}, {"window_nll": [1]})
    assert Interval(0.123, 0.1, 0.15, 4).fmt(".1f", pct=True) == "+12.3% [+10.0, +15.0]"
