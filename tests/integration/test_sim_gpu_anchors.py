"""GPU anchors (issue 9): h200 / h200-2:4 against the H200 CUDA-graph measurements (analysis/validation_gpu.py).

Tolerances: MAE <= 20 % on each half (calibration: even-indexed Llama-7B points; check: odd-indexed); the sign of
(speedup - 1) right on at least the 19 of 21 points it is right on today (target: all; the two misses,
T=2048 4096x4096 at 0.96 and T=512 4096x11008 at 1.02, lie within 4 % of 1).
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "analysis"))
import validation_gpu as V  # noqa: E402


@pytest.fixture(scope="module")
def rows():
    return V.rows()


@pytest.mark.parametrize("half", ["calibration", "check"])
def test_mae_per_half(rows, half):
    assert V.mae([r for r in rows if r["half"] == half]) <= V.MAE_TOLERANCE


def test_sign(rows):
    assert sum(r["sign_ok"] for r in rows) >= 19


def test_launch_overheads_match_presets():
    from accelsim.sim.presets import GPU_CALIBRATION

    d, s = V.launch_overheads_us()
    assert GPU_CALIBRATION["launch_overhead_us_dense"] == pytest.approx(d, abs=0.05)
    assert GPU_CALIBRATION["launch_overhead_us_sparse"] == pytest.approx(s, abs=0.05)
