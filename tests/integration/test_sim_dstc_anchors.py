"""DSTC anchors (issue 9, item 3): dstc-4:16 against Fig. 21 of the Dual-side Sparse Tensor Core (analysis/validation_dstc.py).

Tolerances: mean absolute relative error <= 10 % over the eight points (B dense and B at density 0.4), and
<= 10 % on each series; every point within 20 %.  Nothing is fitted per point.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "analysis"))
import validation_dstc as V  # noqa: E402


@pytest.fixture(scope="module")
def anchors():
    return V.dstc_anchors()


@pytest.mark.parametrize("i", range(8))
def test_each_fig21_point_within_tolerance(anchors, i):
    a = anchors[i]
    assert abs(a["error"]) <= V.POINT_TOLERANCE, a


@pytest.mark.parametrize("name", ["B dense", "B density 0.4", "all eight points"])
def test_mean_abs_error_within_ten_percent(anchors, name):
    a = next(x for x in anchors if x["anchor"].endswith(name) and "mean abs error" in x["anchor"])
    assert a["accelsim"] <= V.MAE_TOLERANCE, a


def test_latency_falls_with_density(anchors):
    b_dense, b_sparse = [a["accelsim"] for a in anchors[:4]], [a["accelsim"] for a in anchors[4:8]]
    assert b_dense == sorted(b_dense, reverse=True) and b_sparse == sorted(b_sparse, reverse=True)
    assert all(s < d for s, d in zip(b_sparse, b_dense))
