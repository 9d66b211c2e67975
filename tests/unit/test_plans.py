"""Layer-adaptive plans: glob resolution, the text form, and the planner against brute force.

The goldens are independent: brute force enumerates every combination (the definition of the
optimum), the exact Pareto DP must equal it, and the greedy must be feasible and never beat it.
"""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.patterns import Pattern
from accelsim.plans import Option, Plan, PlanError, choose_plan, greedy_front, load_plan

P = Pattern.parse
LAYERS = [f"model.layers.{i}.{m}" for i in range(3) for m in ("self_attn.q_proj", "mlp.down_proj")]


def test_first_matching_rule_wins_and_default_fills():
    plan = Plan.from_mapping({"model.layers.0.*": "dense", "*.down_proj": "4:16"}, default="8:16")
    got = plan.resolve(LAYERS)
    assert got["model.layers.0.mlp.down_proj"] == P("dense")  # the earlier rule wins over *.down_proj
    assert got["model.layers.2.mlp.down_proj"] == P("4:16")
    assert got["model.layers.1.self_attn.q_proj"] == P("8:16")
    assert plan.patterns == tuple(sorted({P("dense"), P("4:16"), P("8:16")}))
    assert not plan.is_uniform and Plan.uniform("2:4").is_uniform


def test_rule_matching_nothing_is_an_error_naming_the_glob():
    plan = Plan.from_mapping({"*.down_prj": "4:16"}, default="8:16")
    with pytest.raises(PlanError, match=r"down_prj"):
        plan.resolve(LAYERS)
    assert plan.resolve(LAYERS, strict=False)["model.layers.0.mlp.down_proj"] == P("8:16")


@pytest.mark.parametrize("bad, match", [
    ({"default": "8:16", "layers": {"*.q_proj": "3:2"}}, r"q_proj"),
    ({"default": "9:x"}, r"default"),
    ({"defualt": "8:16"}, r"defualt"),
    ({"layers": {"": "2:4"}}, r"empty"),
])
def test_bad_plans_name_the_bad_value(bad, match):
    with pytest.raises(PlanError, match=match):
        Plan.from_dict(bad)


def test_text_forms_round_trip(tmp_path):
    plan = Plan.from_mapping({"model.layers.0.*": "dense", "*.down_proj": "12:16"}, default="8:16")
    (tmp_path / "p.json").write_text(plan.to_json())
    (tmp_path / "p.toml").write_text('default = "8:16"\n[layers]\n"model.layers.0.*" = "dense"\n"*.down_proj" = "12:16"\n')
    assert load_plan(tmp_path / "p.json") == plan
    assert load_plan(tmp_path / "p.toml") == plan
    (tmp_path / "bad.toml").write_text("default = [")
    with pytest.raises(PlanError, match="not valid TOML"):
        load_plan(tmp_path / "bad.toml")
    with pytest.raises(PlanError, match="does not exist"):
        load_plan(tmp_path / "missing.toml")
    assert json.loads(plan.to_json())["layers"]["*.down_proj"] == "12:16"


# ------------------------------------------------------------------ planner
PATS = [P("dense"), P("12:16"), P("8:16"), P("4:16")]


def _options(costs, losses):
    return {f"l{i}": [Option(PATS[j], c, lo) for j, (c, lo) in enumerate(zip(cs, ls))]
            for i, (cs, ls) in enumerate(zip(costs, losses))}


def test_hand_case_greedy_exact_brute_agree():
    # Two layers; layer 0 is insensitive (sparsify it fully), layer 1 is sensitive (keep it dense).
    # By hand with loss budget 0.5: l0 -> 4:16 (loss 0.1, cost 25), l1 -> dense (cost 100): total 125.
    opts = _options([[100, 75, 50, 25], [100, 75, 50, 25]], [[0, 0.02, 0.05, 0.1], [0, 1.0, 2.0, 4.0]])
    for solver in ("greedy", "exact", "brute"):
        pt = choose_plan(opts, loss_budget=0.5, solver=solver)
        assert pt.assign == {"l0": P("4:16"), "l1": P("dense")}, solver
        assert pt.cost == 125 and pt.loss == pytest.approx(0.1)
    assert pt.plan.resolve(["l0", "l1"]) == pt.assign
    # Reverse, least loss within cost 150: any sparse l1 costs >= 1.0 loss, so keep l1 dense (100)
    # and spend the remaining 50 on l0 -> 8:16 (loss 0.05); every solver must find it.
    for solver in ("greedy", "exact", "brute"):
        pt = choose_plan(opts, cost_budget=150, solver=solver)
        assert pt.assign == {"l0": P("8:16"), "l1": P("dense")} and pt.loss == pytest.approx(0.05), solver
    assert choose_plan(opts, loss_budget=-1.0, solver="exact") is None


def test_greedy_front_runs_from_least_loss_to_cheapest():
    opts = _options([[100, 75, 50, 25]] * 3, [[0, 0.1, 0.3, 0.9], [0, 0.2, 0.5, 1.0], [0, 0.05, 0.2, 2.0]])
    path = greedy_front(opts)
    assert path[0].cost == 300 and path[0].loss == 0
    assert path[-1].cost == 75
    assert all(b.cost <= a.cost and b.loss >= a.loss for a, b in zip(path, path[1:]))


values = st.floats(0.0, 100.0, allow_nan=False, width=32)


@st.composite
def option_tables(draw):
    n_layers = draw(st.integers(1, 5))
    n_opts = draw(st.integers(1, 4))
    costs = [[draw(values) for _ in range(n_opts)] for _ in range(n_layers)]
    losses = [[draw(st.floats(-1.0, 10.0, allow_nan=False, width=32)) for _ in range(n_opts)] for _ in range(n_layers)]
    return _options(costs, losses)


@settings(max_examples=150, deadline=None)
@given(option_tables(), st.floats(-2.0, 40.0), st.booleans())
def test_exact_equals_brute_and_greedy_is_feasible_never_better(opts, budget, by_loss):
    kw = {"loss_budget": budget} if by_loss else {"cost_budget": budget * 10}
    brute = choose_plan(opts, solver="brute", **kw)
    exact = choose_plan(opts, solver="exact", **kw)
    greedy = choose_plan(opts, solver="greedy", **kw)
    if brute is None:
        assert exact is None and greedy is None
        return
    assert exact is not None
    key = (lambda p: p.cost) if by_loss else (lambda p: p.loss)
    assert key(exact) == pytest.approx(key(brute), abs=1e-6)
    if greedy is not None:  # greedy may miss a feasible plan only in the cost-budget direction
        if by_loss:
            assert greedy.loss <= budget + 1e-9
        else:
            assert greedy.cost <= budget * 10 + 1e-9
        assert key(greedy) >= key(brute) - 1e-6
    else:
        assert not by_loss


def test_bad_planner_input():
    opts = _options([[1, 2]], [[0, 1]])
    with pytest.raises(PlanError, match="exactly one"):
        choose_plan(opts)
    with pytest.raises(PlanError, match="solver"):
        choose_plan(opts, loss_budget=1, solver="annealing")
    with pytest.raises(PlanError, match="cost"):
        Option(P("2:4"), float("nan"), 0.0)
    with pytest.raises(PlanError, match="twice"):
        choose_plan({"l": [Option(P("2:4"), 1, 0), Option(P("2:4"), 2, 0)]}, loss_budget=1)
