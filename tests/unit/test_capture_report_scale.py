"""The scale study's margin statistics (analysis/capture_report_scale.py) on rows whose answer is known by hand."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "analysis"))
from capture_report_scale import margins, scale_lines, trend  # noqa: E402


def _rows(model, dense, two4, eight16, params, noise=None):
    """Rows with per-window NLLs: a constant per pattern, plus an optional per-window offset shared by the patterns."""
    n = 8
    off = np.zeros(n) if noise is None else np.asarray(noise)
    out = []
    for pat, v in (("dense", dense), ("2:4", two4), ("8:16", eight16)):
        w = list(v + off)
        out.append(dict(model=model, pattern=pat, sparsify="activations", criterion="magnitude", mitigation="none",
                        window_nll=w, parameters=params, vs_dense=math.exp(np.mean(w) - dense - off.mean()) - 1,
                        vs_dense_lo=None, vs_dense_hi=None))
    return out


def test_margins_equal_the_hand_values_and_shared_window_noise_cancels():
    # dense 1.0, 2:4 2.0, 8:16 1.5 nats: ln ratio 0.5, 8:16 removes half of the 2:4 increase.  A window offset shared by
    # every pattern (a hard window is hard for all) must leave a paired statistic without spread.
    rows = _rows("a", 1.0, 2.0, 1.5, 100, noise=np.linspace(-0.5, 0.5, 8))
    g = margins(rows, "a")
    assert g["log_ratio"][0] == pytest.approx(0.5) and g["recovered"][0] == pytest.approx(0.5)
    assert np.ptp(g["log_ratio"][1]) == pytest.approx(0.0, abs=1e-12)
    assert np.ptp(g["recovered"][1]) == pytest.approx(0.0, abs=1e-12)


def test_trend_sign_and_support():
    rows = _rows("small", 1.0, 2.0, 1.5, 100) + _rows("big", 1.0, 1.4, 1.1, 1000)
    t = trend(rows, "small", "big", "recovered")  # big: 8:16 removes 0.3/0.4 = 75 %, small 50 %
    assert t["value"] == pytest.approx(0.25) and t["supported"] and t["lo"] > 0
    t = trend(rows, "small", "big", "log_ratio")  # 0.3 vs 0.5 nats: the ratio shrinks
    assert t["value"] == pytest.approx(-0.2) and t["supported"] and t["hi"] < 0
    text = "\n".join(scale_lines(rows, ["big", "small"], ("2:4", "8:16")))
    assert "**grows** with size" in text and "**shrinks** with size" in text


def test_noisy_margins_are_not_called_a_trend():
    rng = np.random.default_rng(3)
    rows = (_rows("small", 1.0, 2.0, 1.5, 100) + _rows("big", 1.0, 2.0, 1.5, 1000))
    for r in rows:  # independent noise per run, same mean margins: no trend may be claimed
        if r["pattern"] != "dense":
            r["window_nll"] = list(np.asarray(r["window_nll"]) + rng.normal(0, 0.3, 8))
    t = trend(rows, "small", "big", "log_ratio")
    assert t["lo"] < 0 < t["hi"] and not t["supported"]
