"""Layer-adaptive plans through a real sweep and the report (issue 12): the real simulator and cost model, on
synthetic traces where the plan runs one layer sparser (2:8) than uniform 8:16, so it is cheaper by construction."""

import pytest

from accelsim.cost import price
from accelsim.explore import SweepConfig, load_results, run_sweep
from accelsim.report import write_report
from accelsim.sim import presets, simulate
from accelsim.traces import load_trace
from tests.support.plan_traces import plan_set

PPL = {"dense": 10.0, "2:4": 14.0, "4:8": 13.0, "8:16": 12.0}
FLEX = "flex-sized-8:16"  # 2:4, 4:8, 8:16 and 2:8: runs the plan below
DESIGNS = [presets[FLEX], presets["ampere-2:4"], presets["dense"]]


def _sweep(tmp_path, plan_ppl: float):
    traces = plan_set(tmp_path / "traces", PPL, {"lean": (("2:8", "8:16"), plan_ppl)})
    out = tmp_path / "results" / "plans"
    run_sweep(SweepConfig(DESIGNS, (str(traces),), str(out), jobs=1, progress=False))
    return traces, out, write_report(out, tmp_path / "analysis").read_text()


@pytest.mark.numba
def test_plan_cheaper_at_equal_perplexity_is_reported_as_beating_uniform_8_16(tmp_path):
    traces, out, report = _sweep(tmp_path, PPL["8:16"])
    t = load_results(out)
    flex = t.where(t["design_name"] == FLEX)
    # equal perplexity: the chooser keeps the uniform trace (ties rank uniform first); the report still compares the plan
    assert list(flex["plan"]) == [""] and list(flex["run_patterns"]) == ["8:16"]
    assert "## Layer-adaptive plans" in report and f"on `{FLEX}`" in report
    section = report[report.index("## Layer-adaptive plans"):]
    assert "plan `lean` (2:8+8:16) needs" in section and "none of the" not in section
    # the plan's cycles in the table agree with a direct simulate + price of its trace on the core
    res = simulate(presets[FLEX], load_trace(traces / "plan-lean"), mode="prefill")
    assert {str(p) for p in res.run_patterns} == {"2:8", "8:16"}
    assert f"{res.cycles / res.tokens:.4g}" in section
    assert price(res, presets[FLEX]).energy_j > 0
    assert (tmp_path / "analysis" / "plans_prefill.png").is_file()


@pytest.mark.numba
def test_a_more_accurate_plan_is_chosen_by_the_flexible_core_only(tmp_path):
    _, out, report = _sweep(tmp_path, PPL["8:16"] - 0.5)  # most accurate: the flexible core chooses it
    t = load_results(out)
    flex = t.where(t["design_name"] == FLEX)
    assert list(flex["plan"]) == ["lean"] and list(flex["run_patterns"]) == ["2:8+8:16"]
    assert list(t.where(t["design_name"] == "ampere-2:4")["plan"]) == [""]  # no 8:16, no 2:8: cannot run it
    assert "plan `lean` (2:8+8:16) needs" in report


@pytest.mark.numba
def test_no_plan_beats_uniform_8_16_when_every_plan_is_less_accurate(tmp_path):
    _, _, report = _sweep(tmp_path, PPL["8:16"] + 0.5)
    assert "none of the 1 captured plans beats uniform 8:16" in report


def test_a_sweep_without_plans_has_no_plans_section(tmp_path):
    traces = plan_set(tmp_path / "traces", PPL, {})
    out = tmp_path / "results" / "uniform"
    run_sweep(SweepConfig([presets["ampere-2:4"], presets["dense"]], (str(traces),), str(out), jobs=1, progress=False))
    assert "Layer-adaptive plans" not in write_report(out, tmp_path / "analysis").read_text()
    assert set(load_results(out)["plan"]) == {""}


@pytest.mark.numba
def test_plans_design_option_names_the_core_or_fails_naming_the_value(tmp_path, capsys):
    from accelsim.report.__main__ import main

    _, out, _ = _sweep(tmp_path, PPL["8:16"])
    assert main([str(out), "--out", str(tmp_path / "a2"), "--plans-design", "no-such-core"]) == 2
    assert "'no-such-core'" in capsys.readouterr().err
    # a design of the sweep by name
    assert main([str(out), "--out", str(tmp_path / "a3"), "--plans-design", FLEX]) == 0
    assert f"on `{FLEX}`" in (tmp_path / "a3" / "report.md").read_text()


@pytest.mark.numba
def test_paired_intervals_judge_equal_perplexity_and_reach_the_table(tmp_path):
    import numpy as np

    from tests.support.plan_traces import save_plan, save_uniform

    rng = np.random.default_rng(0)
    base = np.log(10.0) + 0.3 * rng.standard_normal(16)  # per-window NLL of dense; the others pair with it window by window
    root = tmp_path / "traces"
    nll = {"dense": base, "8:16": base + 0.18, "2:4": base + 0.35}
    for i, (p, w) in enumerate(nll.items()):
        save_uniform(root, p, float(np.exp(w.mean())), float(np.exp(base.mean())), seed=i, window_nll=w)
    # worse than 8:16 by a hair in the point estimate, with window noise far larger: equal within the paired interval
    plan = nll["8:16"] + 0.002 + 0.05 * rng.standard_normal(16)
    save_plan(root, "lean", ("2:8", "8:16"), float(np.exp(plan.mean())), float(np.exp(base.mean())), window_nll=plan)
    out = tmp_path / "results"
    run_sweep(SweepConfig(DESIGNS, (str(root),), str(out), jobs=1, progress=False))
    report = write_report(out, tmp_path / "analysis").read_text()
    section = report[report.index("## Layer-adaptive plans"):]
    assert "plan `lean` (2:8+8:16) needs" in section and "paired 95 % interval" in section
    row = next(line for line in section.splitlines() if line.startswith("| `lean`"))
    assert row.count("[") == 2  # its perplexity interval and its paired difference vs uniform 8:16
