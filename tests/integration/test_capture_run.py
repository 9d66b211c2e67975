"""End to end on the tiny Llama: traces round-trip, resume, --force, corrupt traces, weight pruning, CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from accelsim.capture import CaptureConfig, capture  # noqa: E402
from accelsim.capture.__main__ import build_parser, main  # noqa: E402
from accelsim.capture.weight_pruning import pruned_weights, weight_mask  # noqa: E402
from accelsim.masks import topn_mask  # noqa: E402
from accelsim.patterns import Pattern  # noqa: E402
from accelsim.traces import TraceError, is_complete_trace, load_trace  # noqa: E402
from tests.support.capture_tiny import corpus_file, tiny_llama, tiny_loaded  # noqa: E402


def _cfg(tmp_path, **kw):
    base = dict(model="tiny-llama", dataset=str(corpus_file(tmp_path)), patterns=("dense", "2:4"), seq_len=32,
                eval_tokens=96, calib_tokens=64, trace_tokens=40, out=tmp_path / "traces", progress=False)
    return CaptureConfig(**{**base, **kw})


def test_capture_writes_traces_that_round_trip(tmp_path):
    cfg = _cfg(tmp_path, trace_values=True)
    paths = capture(cfg, tiny_loaded())
    assert len(paths) == 2 and all(is_complete_trace(p) for p in paths)
    dense, sparse = (load_trace(p, load_values=True) for p in paths)
    assert len(sparse.layers) == 14
    ly = {x.name: x for x in sparse.layers}["model.layers.0.mlp.down_proj"]
    assert ly.shape == (40, 64, 32) and ly.tokens_total == 96  # 3 windows of 32 tokens, 40 rows stored
    m = ly.mask()
    assert (m.reshape(40, -1, 4).sum(-1) == 2).all()  # exactly 2 of every 4 kept
    # The stored mask is the NumPy reference mask of the stored activation values (magnitude criterion).
    np.testing.assert_array_equal(m, topn_mask(np.abs(ly.values.astype(np.float32)), Pattern.parse("2:4")))
    assert all(x.mask().all() for x in dense.layers)
    acc, man = sparse.accuracy, sparse.manifest
    assert acc.tokens_scored == 3 * 31 and acc.dense_perplexity == dense.accuracy.perplexity
    assert math.isclose(acc.perplexity, math.exp(acc.nll))
    assert str(man.config.pattern) == "2:4" and man.config.sparsify == "activations"
    assert man.protocol["windows"] == 3 and man.model_info["weights_sha256"] == "random-init"
    assert "torch" in man.versions and man.seed == 0
    st = man.extra["layer_stats"]["model.layers.1.self_attn.q_proj"]
    assert 0 < st["rel_l2"] < 2 and -1 <= st["cosine"] <= 1


def test_resume_skips_complete_runs_and_force_redoes(tmp_path, monkeypatch):
    cfg = _cfg(tmp_path)
    capture(cfg, tiny_loaded())
    calls = []
    import accelsim.capture.run as run_mod

    real = run_mod._run_one
    monkeypatch.setattr(run_mod, "_run_one", lambda s, r: calls.append(r.pattern) or real(s, r))
    capture(cfg, tiny_loaded())
    assert calls == []  # everything complete: nothing recomputed
    capture(CaptureConfig(**{**cfg.__dict__, "force": True}), tiny_loaded())
    assert calls == ["dense", "2:4"]


def test_half_written_run_is_redone(tmp_path, monkeypatch):
    cfg = _cfg(tmp_path)
    paths = capture(cfg, tiny_loaded())
    man = json.loads((paths[1] / "manifest.json").read_text())
    man["complete"] = False  # as if interrupted
    (paths[1] / "manifest.json").write_text(json.dumps(man))
    assert not is_complete_trace(paths[1])
    capture(cfg, tiny_loaded())
    assert is_complete_trace(paths[1])


def test_corrupt_traces_rejected(tmp_path):
    paths = capture(_cfg(tmp_path), tiny_loaded())
    p = paths[1]
    (p / "masks.safetensors").write_bytes((p / "masks.safetensors").read_bytes()[:100])
    with pytest.raises(TraceError):
        load_trace(p)
    man = json.loads((paths[0] / "manifest.json").read_text())
    man["layers"][0]["K"] = 48  # shape mismatch against the stored tensor
    (paths[0] / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(TraceError, match="manifest says"):
        load_trace(paths[0])


def test_trace_filter_stores_only_chosen_layers(tmp_path):
    paths = capture(_cfg(tmp_path, trace_filter=("layers.1.mlp",)), tiny_loaded())
    names = [ly.name for ly in load_trace(paths[1]).layers]
    assert names == ["model.layers.1.mlp.gate_proj", "model.layers.1.mlp.up_proj", "model.layers.1.mlp.down_proj"]


def test_weight_mask_matches_numpy_and_weights_are_restored():
    model = tiny_llama()
    name = "model.layers.0.mlp.up_proj"
    w0 = dict(model.named_modules())[name].weight.detach().clone()
    norms = torch.linspace(0.5, 2.0, w0.shape[1])
    m = weight_mask(w0, Pattern.parse("2:4"), "wanda", norms)
    want = topn_mask((np.abs(w0.numpy()) * norms.numpy()[None, :]).astype(np.float32), Pattern.parse("2:4"))
    np.testing.assert_array_equal(m.numpy(), want)
    with pruned_weights(model, [name], Pattern.parse("2:4"), "magnitude") as kept:
        w = dict(model.named_modules())[name].weight
        assert kept[name] == 0.5 and (w == 0).float().mean() >= 0.5
        np.testing.assert_array_equal(w.detach().numpy() != 0, topn_mask(np.abs(w0.numpy()), Pattern.parse("2:4")))
    assert torch.equal(dict(model.named_modules())[name].weight, w0)


def test_weight_runs_and_mitigation_runs_complete(tmp_path):
    cfg = _cfg(tmp_path, mitigations=("spts", "lpts"), sparsify=("activations", "weights"), lpts_steps=3)
    paths = capture(cfg, tiny_loaded())
    mans = [load_trace(p).manifest for p in paths]
    kinds = [(m.config.sparsify, m.config.criterion.name, m.config.mitigation.name) for m in mans]
    assert kinds == [("activations", "magnitude", "none"), ("activations", "magnitude", "spts"),
                     ("activations", "magnitude", "lpts"), ("weights", "magnitude", "none"), ("weights", "wanda", "none")]
    assert mans[3].extra["weight_density"] == 0.5 and all(str(ly.pattern) == "dense" for ly in mans[3].layers)
    assert all(m.accuracy.perplexity > 0 for m in mans)


def test_cli_help_explains_every_flag(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    for action in build_parser()._actions:
        assert action.help, f"flag {action.option_strings} has no help"
    assert "--eval-tokens" in text and "--preset" in text


def test_cli_bad_values_give_clear_errors(capsys):
    assert main(["--patterns", "3:2"]) == 2
    assert "3:2" in capsys.readouterr().err
    assert main(["--criterion", "bogus"]) == 2
    assert "bogus" in capsys.readouterr().err


def test_unknown_model_lists_registry(tmp_path):
    from accelsim.capture.models import resolve_model

    with pytest.raises(ValueError, match="smollm2-135m"):
        resolve_model("no-such-model")
