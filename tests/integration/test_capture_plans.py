"""Layer-adaptive plans in capture (issue 12) on the tiny Llama: each layer runs its plan's pattern, the trace
records it, a uniform plan measures exactly what the uniform run measures, and the simulator runs the mixed trace."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from accelsim.capture import CaptureConfig, capture  # noqa: E402
from accelsim.patterns import Pattern  # noqa: E402
from accelsim.plans import PlanError  # noqa: E402
from accelsim.traces import load_trace  # noqa: E402
from tests.support.capture_tiny import corpus_file, tiny_loaded  # noqa: E402

P = Pattern.parse


def _cfg(tmp_path, plans, **kw):
    base = dict(model="tiny-llama", dataset=str(corpus_file(tmp_path)), patterns=("dense", "2:4"), seq_len=32,
                eval_tokens=96, calib_tokens=64, trace_tokens=40, out=tmp_path / "traces", progress=False, plans=plans)
    return CaptureConfig(**{**base, **kw})


def _plan(tmp_path, name, text):
    p = tmp_path / f"{name}.toml"
    p.write_text(text)
    return str(p)


def test_each_layer_runs_its_plan_pattern(tmp_path):
    plan = _plan(tmp_path, "mix", 'default = "2:4"\n[layers]\n"model.layers.0.*" = "dense"\n"*.mlp.*" = "8:16"\n')
    paths = capture(_cfg(tmp_path, (plan,)), tiny_loaded())
    assert len(paths) == 3 and "_plan-mix_magnitude_none_" in paths[2].name
    dense, mixed = load_trace(paths[0]), load_trace(paths[2])
    by = {ly.name: ly for ly in mixed.layers}
    assert by["model.layers.0.mlp.up_proj"].pattern == P("dense") and by["model.layers.0.mlp.up_proj"].mask().all()
    up = by["model.layers.1.mlp.down_proj"]  # K = 64: 8 of every 16 kept
    assert up.pattern == P("8:16") and (up.mask().reshape(up.tokens, -1, 16).sum(-1) == 8).all()
    q = by["model.layers.1.self_attn.q_proj"]
    assert q.pattern == P("2:4") and (q.mask().reshape(q.tokens, -1, 4).sum(-1) == 2).all()
    assert mixed.manifest.config.settings["plan"]["layers"]["*.mlp.*"] == "8:16"
    assert mixed.accuracy.dense_perplexity == dense.accuracy.perplexity
    assert "plan" in mixed.manifest.protocol
    from accelsim.capture.table import format_table

    assert "plan mix " in format_table(paths)  # the console table names the plan, not its default pattern


def test_uniform_plan_measures_what_the_uniform_run_measures(tmp_path):
    plan = _plan(tmp_path, "all24", 'default = "2:4"\n')
    paths = capture(_cfg(tmp_path, (plan,)), tiny_loaded())
    uniform, planned = load_trace(paths[1]), load_trace(paths[2])
    assert planned.accuracy.nll == pytest.approx(uniform.accuracy.nll, rel=1e-6)
    for a, b in zip(uniform.layers, planned.layers):
        assert (a.mask() == b.mask()).all()


@pytest.mark.numba
def test_mixed_trace_simulates_each_group_in_its_pattern(tmp_path):
    from accelsim.sim import presets, simulate

    plan = _plan(tmp_path, "mix", 'default = "2:4"\n[layers]\n"*.mlp.*" = "8:16"\n')
    paths = capture(_cfg(tmp_path, (plan,), patterns=("dense",)), tiny_loaded())
    res = simulate(presets["flex-sized-8:16"], load_trace(paths[-1]))
    assert set(res.run_patterns) == {P("2:4"), P("8:16")}


def test_plan_errors_name_the_problem(tmp_path):
    with pytest.raises(PlanError, match="does not exist"):
        _cfg(tmp_path, (str(tmp_path / "nope.toml"),))
    bad = _plan(tmp_path, "typo", 'default = "2:4"\n[layers]\n"*.mlp.dwn_proj" = "8:16"\n')
    with pytest.raises(PlanError, match="dwn_proj"):
        capture(_cfg(tmp_path, (bad,)), tiny_loaded())


def test_sensitivity_measures_each_group_alone(tmp_path):
    import json

    from accelsim.capture.sensitivity import measure_sensitivity, parent_groups
    from accelsim.plans.options import read_sensitivity

    cfg = _cfg(tmp_path, (), patterns=("dense", "2:4", "8:16"), calib_tokens=64)
    res = measure_sensitivity(cfg, tmp_path / "sens.json", tiny_loaded())
    assert set(res["groups"]) == {f"model.layers.{i}.{m}.*" for i in (0, 1) for m in ("self_attn", "mlp")}
    assert res["protocol"]["split"] == "calibration part" and res["protocol"]["tokens"] == 2 * 31
    assert read_sensitivity(tmp_path / "sens.json")["groups"]["model.layers.1.mlp.*"][P("2:4")] == res["groups"]["model.layers.1.mlp.*"]["2:4"]
    # Independent check of one entry: a plan that sparsifies only that group, evaluated on the calibration windows
    # through the capture's own perplexity path, gives the same NLL increase.
    from accelsim.capture.data import load_corpus, token_windows
    from accelsim.capture.hooks import LayerConfig, LayerState, sparsified
    from accelsim.capture.perplexity import perplexity
    from accelsim.methods import criterion, mitigation

    lm = tiny_loaded()
    corpus = load_corpus(cfg.dataset)
    ids = token_windows(lm.tokenizer, corpus.calib_text, cfg.seq_len, cfg.calib_windows, lm.spec.add_bos, "calibration")
    names = parent_groups([n for n, m in lm.model.named_modules() if n.endswith("_proj")])["model.layers.0.self_attn.*"]
    states = {n: LayerState(LayerConfig(n, P("8:16"), criterion("magnitude"), mitigation("none"))) for n in names}
    base = perplexity(lm.model, ids, progress=False)["nll"]
    with sparsified(lm.model, states):
        alone = perplexity(lm.model, ids, progress=False)["nll"]
    assert res["groups"]["model.layers.0.self_attn.*"]["8:16"] == pytest.approx(alone - base, rel=1e-6, abs=1e-9)
    assert json.loads((tmp_path / "sens.json").read_text())["dense_nll"] == pytest.approx(base, rel=1e-9)
