"""``python -m accelsim.plans`` end to end on saved synthetic traces and a hand-written sensitivity file."""

import json

import pytest

from accelsim.patterns import Pattern
from accelsim.plans import load_plan
from accelsim.plans.__main__ import main
from accelsim.plans.options import layer_costs
from accelsim.sim import presets
from accelsim.synthetic import synthetic_trace
from accelsim.traces import load_trace, save_trace

NAMES = ["model.layers.0.self_attn.q_proj", "model.layers.0.mlp.up_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.mlp.up_proj"]
SHAPES = [(32, 256, 128), (32, 256, 512), (32, 256, 128), (32, 256, 512)]


def _setup(tmp_path):
    for p in ("dense", "8:16", "2:8"):
        tr = synthetic_trace(SHAPES, pattern=p, seed=5, names=NAMES, run_id=f"run-{p.replace(':', 'of')}")
        save_trace(tr, tmp_path / "tr" / tr.run_id)
    groups = {f"model.layers.{i}.{part}.*": {"8:16": 0.01 * (i + 1), "2:8": 0.2 * (i + 1)} for i in (0, 1) for part in ("self_attn", "mlp")}
    sens = tmp_path / "sens.json"
    sens.write_text(json.dumps({"protocol": {"dataset": "brown", "split": "calibration", "tokens": 512, "seq_len": 256}, "groups": groups}))
    return sens


@pytest.mark.numba
def test_cli_writes_plans_that_fit_their_budget(tmp_path, capsys):
    sens = _setup(tmp_path)
    rc = main(["--sensitivity", str(sens), "--traces", str(tmp_path / "tr"), "--design", "flex-sized-8:16",
               "--budgets", "0,0.05,10", "--out", str(tmp_path / "plans")])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "uniform     8:16: predicted loss +0.0600" in printed and "uniform      2:8: predicted loss +1.2000" in printed
    zero = load_plan(tmp_path / "plans" / "plan-nll0.toml").resolve(NAMES)
    assert set(zero.values()) == {Pattern.parse("dense")}  # no budget: nothing may be sparsified
    mid = load_plan(tmp_path / "plans" / "plan-nll0.05.toml").resolve(NAMES)
    # 8:16 everywhere adds 0.01+0.01+0.02+0.02 = 0.06 > 0.05: layer 1 (0.02 each) cannot both go 8:16
    assert mid["model.layers.0.mlp.up_proj"] == Pattern.parse("8:16") and Pattern.parse("dense") in mid.values()
    big = load_plan(tmp_path / "plans" / "plan-nll10.toml").resolve(NAMES)
    # unlimited budget: every layer in one of its cheapest patterns (costs read independently from the simulator)
    costs = layer_costs(presets["flex-sized-8:16"], [load_trace(d) for d in sorted((tmp_path / "tr").iterdir())])
    for name, pat in big.items():
        assert costs[name][pat] == min(costs[name].values())


def test_cli_errors_are_one_line(tmp_path, capsys):
    sens = _setup(tmp_path)
    assert main(["--sensitivity", str(sens), "--traces", str(tmp_path / "tr"), "--design", "no-such", "--budgets", "0.1"]) == 2
    assert "unknown design 'no-such'" in capsys.readouterr().err
    assert main(["--sensitivity", str(tmp_path / "x.json"), "--traces", str(tmp_path / "tr"), "--design", "dense", "--budgets", "0.1"]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--sensitivity", str(sens), "--traces", str(tmp_path / "tr"), "--design", "dense", "--budgets", "x"])


@pytest.mark.numba
def test_match_budgets_scale_a_uniform_patterns_loss(tmp_path, capsys):
    sens = _setup(tmp_path)
    assert main(["--sensitivity", str(sens), "--traces", str(tmp_path / "tr"), "--design", "flex-sized-8:16",
                 "--match", "8:16@0.5,1", "--out", str(tmp_path / "plans")]) == 0
    out = capsys.readouterr().out
    assert "budget 0.0300" in out and "budget 0.0600" in out  # half and all of uniform 8:16's 0.06
    full = load_plan(tmp_path / "plans" / "plan-8of16x1.toml").resolve(NAMES)
    assert set(full.values()) == {Pattern.parse("8:16")}
    assert main(["--sensitivity", str(sens), "--traces", str(tmp_path / "tr"), "--design", "flex-sized-8:16",
                 "--match", "16:32@1", "--out", str(tmp_path / "plans")]) == 2
