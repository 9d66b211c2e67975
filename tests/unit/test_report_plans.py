"""The plans verdict (issue 12): which captured plans beat uniform 8:16 on cycles or energy at equal perplexity."""

import math

from accelsim.report.plans import BASE, PlanFindings, PlanPoint, plans_verdict


def _pt(label, plan, ppl, cycles, energy, vs=None):
    return PlanPoint(label, plan, label if not plan else "2:4+8:16", ppl, ppl - 10, math.nan, math.nan, math.nan, math.nan,
                     cycles, energy, vs)  # fmt: skip


def _fmt(j):
    return f"{j * 1e9:.3g} nJ"


def test_verdict_names_a_plan_that_is_cheaper_at_equal_perplexity():
    f = PlanFindings("w", "prefill", "flex", (_pt(BASE, "", 12.0, 1000, 2e-9), _pt("mix", "mix", 12.0, 800, 2.5e-9)))
    assert [p.label for p in f.winners("cycles_per_token")] == ["mix"] and f.winners("energy_per_token_j") == []
    v = plans_verdict(f, _fmt)
    assert "plan `mix`" in v and "800" in v and "1000" in v and "-20.0 %" in v and "none" not in v


def test_verdict_says_none_when_the_cheaper_plan_is_less_accurate():
    f = PlanFindings("w", "prefill", "flex", (_pt(BASE, "", 12.0, 1000, 2e-9), _pt("mix", "mix", 12.01, 800, 1e-9)))
    assert f.winners("cycles_per_token") == [] and "none of the 1 captured plans" in plans_verdict(f, _fmt)


def test_equal_perplexity_is_judged_by_the_paired_interval_when_there_is_one():
    base = _pt(BASE, "", 12.0, 1000, 2e-9)
    inside = _pt("a", "a", 12.3, 800, 2e-9, vs=(0.3, -0.1, 0.7))  # worse in the point estimate, but 0 is in the interval
    above = _pt("b", "b", 11.9, 700, 2e-9, vs=(-0.1, 0.05, 0.2))  # interval above 0 (contrived): not as good
    f = PlanFindings("w", "prefill", "flex", (base, inside, above))
    assert [p.label for p in f.winners("cycles_per_token")] == ["a"]


def test_results_without_plans_give_no_plan_findings(tmp_path):
    from accelsim.report.plans import plan_findings
    from accelsim.results import Table

    old = Table.from_rows([{"workload_id": "w", "mode": "prefill", "cycles": 1}])  # a row written before plans existed
    assert plan_findings(tmp_path, old, {"traces": [{"path": "/nowhere", "pattern": "8:16"}]}) == []
