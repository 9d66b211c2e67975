"""Layer-adaptive plan traces in workloads (issue 12): grouping, and which designs may run them."""

import warnings

import pytest

from accelsim.explore.workloads import discover_workloads
from accelsim.patterns import Pattern
from tests.support.explore_standin import StandInDesign
from tests.support.plan_traces import plan_set

PPL = {"dense": 10.0, "2:4": 14.0, "8:16": 12.5}


@pytest.fixture(scope="module")
def workload(tmp_path_factory):
    root = plan_set(tmp_path_factory.mktemp("plans"), PPL, {"mix": (("2:4", "8:16"), 12.0)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the plan must not collide with the uniform 8:16 run of its default
        (wl,) = discover_workloads([root])
    return wl


def test_a_plan_trace_joins_its_workload_with_the_patterns_of_its_layers(workload):
    plan = next(t for t in workload.traces if t.plan)
    assert plan.plan == "mix" and plan.pattern == Pattern.parse("8:16")
    assert plan.patterns == (Pattern.parse("2:4"), Pattern.parse("8:16")) and plan.patterns_label == "2:4+8:16"
    assert sorted(t.patterns_label for t in workload.traces if not t.plan) == ["2:4", "8:16", "dense"]


def test_a_design_without_8_16_cannot_choose_a_2_4_plus_8_16_plan(workload):
    # the plan is the most accurate sparse trace, but one of its layers needs 8:16
    assert workload.choose(StandInDesign(patterns=("2:4",))).run_id == "toy-2_4"
    # nor one with 8:16 alone: no layer may fall back to another pattern
    assert workload.choose(StandInDesign(patterns=("8:16",))).run_id == "toy-8_16"
    # nor a dense core (it runs the dense trace)
    assert workload.choose(StandInDesign(patterns=("dense",))).run_id == "toy-dense"


def test_a_flexible_design_chooses_the_plan_when_it_is_the_most_accurate(workload):
    assert workload.choose(StandInDesign(patterns=("2:4", "8:16"))).plan == "mix"


def test_a_flexible_design_keeps_the_uniform_trace_when_the_plan_is_less_accurate(tmp_path):
    root = plan_set(tmp_path, PPL, {"mix": (("2:4", "8:16"), 13.0)})
    (wl,) = discover_workloads([root])
    assert wl.choose(StandInDesign(patterns=("2:4", "8:16"))).run_id == "toy-8_16"
