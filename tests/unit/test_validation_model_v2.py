"""Each model-v2 validation anchor (analysis/validation_model_v2.py) within its tolerance.

The references there are closed forms written independently of the simulator (hypergeometric
sums, FO4 arithmetic, byte counts); a change to the model that breaks one fails here.
"""

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "analysis" / "validation_model_v2.py"
_spec = importlib.util.spec_from_file_location("validation_model_v2", _PATH)
V = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(V)


@pytest.mark.parametrize("fn", [V.operand_budget_cap, V.sized_for_2_4_runs_8_16, V.combinatorial_decode, V.selector_clock,
                                V.compressed_activation_bytes, V.weight_sparse_peak])  # fmt: skip
def test_anchor_within_tolerance(fn):
    row = fn()
    assert row["error"] <= row["tolerance"], row
