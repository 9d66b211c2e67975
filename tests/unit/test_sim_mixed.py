"""Layer-adaptive traces (layers under different patterns) in the simulator and the cost model.

Golden: a mixed trace's layers run one after another, so its cycles, counts and energy must equal the
sums over the uniform traces its groups came from, each simulated and priced on its own (an independent
path through ``simulate``'s uniform rules).
"""

import pytest

from accelsim.cost import price
from accelsim.patterns import Pattern
from accelsim.sim import presets, simulate
from accelsim.synthetic import synthetic_trace
from accelsim.traces import Trace

A_SHAPES = [(64, 256, 128), (64, 512, 128)]
B_SHAPES = [(64, 256, 256)]


def _parts():
    a = synthetic_trace(A_SHAPES, pattern="8:16", seed=1, names=["l0.q", "l1.q"], run_id="a")
    b = synthetic_trace(B_SHAPES, pattern="2:4", seed=2, names=["l0.down"], run_id="b")
    return a, b


def _mixed():
    a, b = _parts()
    # interleaved layer order, as a model's layers would be
    layers = (a.layers[0], b.layers[0], a.layers[1])
    return Trace("mixed", layers, manifest={"config": {"pattern": "8:16"}})


@pytest.mark.numba
@pytest.mark.parametrize("preset", ["flex-sized-8:16", "ampere-2:4", "dense", "nm-16:32"])
@pytest.mark.parametrize("mode", ["prefill", "decode"])
def test_mixed_trace_is_the_sum_of_its_groups(preset, mode):
    design = presets[preset]
    a, b = _parts()
    ra, rb = simulate(design, a, mode=mode), simulate(design, b, mode=mode)
    rm = simulate(design, _mixed(), mode=mode)
    assert rm.cycles == ra.cycles + rb.cycles
    assert rm.counts.macs_issued == ra.counts.macs_issued + rb.counts.macs_issued
    assert rm.cycles_by_cause == {c: ra.cycles_by_cause[c] + rb.cycles_by_cause[c] for c in ra.cycles_by_cause}
    assert [row["name"] for row in rm.per_layer] == ["l0.q", "l0.down", "l1.q"]
    assert set(rm.run_patterns) == {ra.run_pattern, rb.run_pattern}
    cm, ca, cb = price(rm, design), price(ra, design), price(rb, design)
    assert cm.energy_j == pytest.approx(ca.energy_j + cb.energy_j, rel=1e-12)
    assert cm.energy_range_j[1] == pytest.approx(ca.energy_range_j[1] + cb.energy_range_j[1], rel=1e-12)
    assert cm.area_mm2 == pytest.approx(ca.area_mm2, rel=1e-12)


@pytest.mark.numba
def test_flexible_core_runs_each_layer_in_its_own_pattern():
    rm = simulate(presets["flex-sized-8:16"], _mixed())
    assert set(rm.run_patterns) == {Pattern.parse("8:16"), Pattern.parse("2:4")}
    # a uniform trace keeps the old single-result shape
    a, _ = _parts()
    assert simulate(presets["flex-sized-8:16"], a).parts == ()
