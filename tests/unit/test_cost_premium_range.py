"""The 8:16-over-2:4 premium across the cost model's corners: explore rows carry low/high columns, findings the range."""

import numpy as np

from accelsim.report.findings import matched_pairs
from accelsim.report.verdict import verdict_lines  # noqa: F401  (the verdict words these numbers)
from accelsim.results import Table


def _table():
    # two matched pairs (8:16 vs 2:4); corner columns priced with both designs at the same corner
    return Table({
        "largest_pattern": np.array(["8:16", "2:4", "8:16", "2:4"]), "pe_rows": np.array([4, 4, 8, 8]),
        "area_mm2": np.array([1.04, 1.0, 2.08, 2.0]), "energy_per_token_j": np.array([1.01, 1.0, 2.02, 2.0]),
        "cycles_per_token": np.ones(4), "ppl_delta": np.array([1.0, 2.0, 1.0, 2.0]),
        "area_mm2_low": np.array([0.515, 0.5, 1.03, 1.0]), "area_mm2_high": np.array([2.12, 2.0, 4.24, 4.0]),
        "energy_per_token_j_low": np.array([0.505, 0.5, 1.01, 1.0]), "energy_per_token_j_high": np.array([2.04, 2.0, 4.08, 4.0]),
    })  # fmt: skip


def test_premium_range_is_the_median_ratio_at_each_corner():
    p = matched_pairs(_table(), ["pe_rows"], "8:16", "2:4")
    assert len(p) == 2 and p.has_corners
    r = p.premium_range()
    np.testing.assert_allclose(r["area"], (0.03, 0.06))
    np.testing.assert_allclose(r["energy"], (0.01, 0.02))
