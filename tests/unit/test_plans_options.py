"""Planner inputs from the simulator, and the planned cost against the simulated cost of the assembled plan.

Independent check: the planner adds per-layer costs read from uniform traces; ``simulate`` on a trace
assembled from those traces' layers (sim/mixed.py) must give the same cycles, so a plan's predicted
hardware cost is what the simulator says for the plan itself.
"""

import json
from dataclasses import replace

import pytest

from accelsim.patterns import Pattern
from accelsim.plans import PlanError, choose_plan
from accelsim.plans.options import group_options, layer_costs, read_sensitivity
from accelsim.sim import presets, simulate
from accelsim.synthetic import synthetic_trace
from accelsim.traces import Trace

P = Pattern.parse
NAMES = ["b0.attn", "b0.mlp", "b1.attn", "b1.mlp"]
SHAPES = [(64, 256, 128), (64, 512, 256), (64, 256, 128), (64, 512, 256)]
N16 = replace(presets["flex-sized-8:16"], name="flex-n16", lane_group=4,
              patterns=tuple(P(p) for p in ("4:16", "8:16", "12:16")))


def _traces():
    return {p: synthetic_trace(SHAPES, pattern=p, seed=3, names=NAMES, run_id=f"u-{p}") for p in ("dense", "4:16", "8:16", "12:16", "2:4")}


@pytest.mark.numba
def test_layer_costs_are_the_per_layer_cycles_of_native_patterns():
    traces = _traces()
    costs = layer_costs(N16, traces.values())
    assert set(costs) == set(NAMES)
    assert set(costs["b0.mlp"]) == {P("dense"), P("4:16"), P("8:16"), P("12:16")}  # 2:4 is not native: not offered
    r = simulate(N16, traces["8:16"])
    assert costs["b1.mlp"][P("8:16")] == pytest.approx(r.per_layer[3]["cycles"] / r.tokens)


@pytest.mark.numba
def test_planned_cost_equals_simulated_cost_of_the_assembled_plan():
    traces = _traces()
    costs = layer_costs(N16, traces.values())
    groups = {"b0.*": {P("4:16"): 0.30, P("8:16"): 0.10, P("12:16"): 0.02},
              "b1.*": {P("4:16"): 0.05, P("8:16"): 0.01, P("12:16"): 0.00}}
    opts = group_options(costs, groups)
    pt = choose_plan(opts, loss_budget=0.12, solver="exact")
    assert pt is not None and pt.loss <= 0.12
    plan = pt.plan
    by_layer = plan.resolve(NAMES)
    layers = tuple(next(ly for ly in traces[str(by_layer[n])].layers if ly.name == n) for n in NAMES)
    mixed = Trace("plan", layers, manifest={"config": {"pattern": str(plan.default)}})
    r = simulate(N16, mixed)
    assert r.cycles / r.tokens == pytest.approx(pt.cost, rel=1e-12)
    assert len(set(by_layer.values())) > 1 or pt.cost < sum(costs[n][P("dense")] for n in NAMES)


def test_group_options_reject_layers_outside_or_in_two_groups():
    costs = {"b0.attn": {P("dense"): 1.0}, "b1.attn": {P("dense"): 1.0}}
    with pytest.raises(PlanError, match="matches 0"):
        group_options(costs, {"b0.*": {}})
    with pytest.raises(PlanError, match="matches 2"):
        group_options(costs, {"b*": {}, "*.attn": {}})
    with pytest.raises(PlanError, match="matches none"):
        group_options(costs, {"b*": {}, "c*": {}})


def test_sensitivity_file_errors(tmp_path):
    f = tmp_path / "s.json"
    f.write_text(json.dumps({"protocol": {"split": "calibration"}, "groups": {"b0.*": {"8:16": 0.1}}}))
    assert read_sensitivity(f)["groups"]["b0.*"][P("8:16")] == 0.1
    f.write_text(json.dumps({"groups": {"b0.*": {"9:4": 0.1}}}))
    with pytest.raises(PlanError, match="b0"):
        read_sensitivity(f)
    with pytest.raises(PlanError, match="does not exist"):
        read_sensitivity(tmp_path / "none.json")
