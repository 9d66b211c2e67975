"""Weight masks in traces and dual-side capture, end to end on the tiny Llama (issue 8, item 5).

The stored weight masks are checked against an independent recomputation: the NumPy specification
``accelsim.masks.topn_mask`` on |W| of the same randomly initialised model (tests/support/capture_tiny.py).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from accelsim.capture import CaptureConfig, capture  # noqa: E402
from accelsim.capture.run import format_table  # noqa: E402
from accelsim.masks import topn_mask  # noqa: E402
from accelsim.patterns import Pattern  # noqa: E402
from accelsim.traces import load_trace  # noqa: E402
from tests.support.capture_tiny import corpus_file, tiny_llama, tiny_loaded  # noqa: E402


def _cfg(tmp_path, **kw):
    base = dict(model="tiny-llama", dataset=str(corpus_file(tmp_path)), patterns=("dense", "2:4"), seq_len=32,
                eval_tokens=96, calib_tokens=64, trace_tokens=40, out=tmp_path / "traces", progress=False,
                weight_criteria=("magnitude",))
    return CaptureConfig(**{**base, **kw})


def _weights():
    """name -> W [O, K] of the model capture loads (same seed, before any pruning)."""
    return {n: m.weight.detach().numpy().copy() for n, m in tiny_llama(0).named_modules() if isinstance(m, torch.nn.Linear)}


def test_weight_run_stores_the_masks_pruning_applied(tmp_path):
    paths = capture(_cfg(tmp_path, sparsify=("weights",), patterns=("dense", "2:4", "4:8"), trace_filter=("layers.1.",)), tiny_loaded())
    assert len(paths) == 3
    dense = load_trace(paths[0])
    assert dense.weight_pattern is None and not any(ly.weight_mask is not None for ly in dense.layers)
    w = _weights()
    for p, pat in zip(paths[1:], ("2:4", "4:8")):
        tr = load_trace(p)
        assert tr.sparsify == "weights" and str(tr.weight_pattern) == pat and tr.has_weight_masks
        assert tr.manifest.config.weight_criterion.name == "magnitude"
        assert {ly.name.split(".")[2] for ly in tr.layers} == {"1"}  # only the traced layers carry weight masks
        assert len(tr.layers) == 7
        for ly in tr.layers:
            assert str(ly.weight_pattern) == pat and str(ly.pattern) == "dense" and ly.mask().all()
            keep = ly.weight_keep()
            assert keep.shape == (ly.out_features, ly.in_features)
            assert keep.mean() == Pattern.parse(pat).density
            np.testing.assert_array_equal(keep, topn_mask(np.abs(w[ly.name]), Pattern.parse(pat)))
        assert tr.manifest.extra["weight_density"] == Pattern.parse(pat).density


def test_dual_side_run_stores_and_applies_both_masks(tmp_path):
    cfg = _cfg(tmp_path, sparsify=("activations", "weights", "both"), trace_values=True)
    paths = capture(cfg, tiny_loaded())
    dense, act, wt, both = (load_trace(p, load_values=True) for p in paths)
    assert (act.sparsify, wt.sparsify, both.sparsify) == ("activations", "weights", "both")
    assert "_both_2of4_magnitude_none_w2of4_magnitude_" in both.run_id
    c = both.manifest.config
    assert str(c.pattern) == "2:4" and str(c.weight_pattern) == "2:4" and c.weight_criterion.name == "magnitude"
    assert "pruned first" in both.manifest.protocol["sparsified"]
    w = _weights()
    acts, boths = ({ly.name: ly for ly in t.layers} for t in (act, both))
    for ly in both.layers:
        # the weight side: the same masks as the weight-only run, and the NumPy spec of |W|
        np.testing.assert_array_equal(ly.weight_mask, {x.name: x for x in wt.layers}[ly.name].weight_mask)
        np.testing.assert_array_equal(ly.weight_keep(), topn_mask(np.abs(w[ly.name]), Pattern.parse("2:4")))
        # the activation side: exact 2:4 of the stored inputs (magnitude criterion)
        m = ly.mask()
        assert str(ly.pattern) == "2:4" and (m.reshape(m.shape[0], -1, 4).sum(-1) == 2).all()
        np.testing.assert_array_equal(m, topn_mask(np.abs(ly.values.astype(np.float32)), Pattern.parse("2:4")))
    # Both sides are applied: layer 0's first input does not depend on any weight of the blocks, later inputs do.
    first = "model.layers.0.self_attn.q_proj"
    np.testing.assert_array_equal(boths[first].mask_packed, acts[first].mask_packed)
    later = "model.layers.1.self_attn.q_proj"
    assert not np.array_equal(boths[later].values, acts[later].values)
    assert act.layers[0].weight_mask is None
    ppl = {t.sparsify: t.accuracy.perplexity for t in (act, wt, both)}
    assert ppl["both"] != ppl["activations"] and ppl["both"] != ppl["weights"]
    assert both.accuracy.dense_perplexity == dense.accuracy.perplexity
    table = format_table(paths)
    row = [ln for ln in table.splitlines() if ln.startswith("2:4") and " both " in ln]
    assert len(row) == 1 and "2:4 magnitude" in row[0]


def test_dual_side_config_and_resume(tmp_path):
    with pytest.raises(ValueError, match="sparse weight pattern"):
        _cfg(tmp_path, sparsify=("both",), weight_pattern="dense")
    with pytest.raises(ValueError, match="unknown --sparsify"):
        _cfg(tmp_path, sparsify=("bogus",))
    cfg = _cfg(tmp_path, sparsify=("both",), patterns=("dense", "8:16"), weight_pattern="4:8", weight_criteria=("magnitude", "wanda"))
    runs = cfg.runs()
    assert [(r.sparsify, r.pattern, r.weight_pattern, r.weight_criterion) for r in runs] == [
        ("activations", "dense", "", ""), ("both", "8:16", "4:8", "magnitude"), ("both", "8:16", "4:8", "wanda")]
    ids = [r.run_id(cfg) for r in runs]
    assert len(set(ids)) == 3
    # the ids of activation and weight runs do not depend on the dual-side settings
    other = _cfg(tmp_path, sparsify=("activations", "weights"), weight_pattern="2:4")
    same = _cfg(tmp_path, sparsify=("activations", "weights"), weight_pattern="4:8")
    assert [r.run_id(other) for r in other.runs()] == [r.run_id(same) for r in same.runs()]
    paths = capture(_cfg(tmp_path, sparsify=("both",), patterns=("dense", "8:16"), weight_pattern="4:8", eval_tokens=64), tiny_loaded())
    tr = load_trace(paths[1])
    assert str(tr.weight_pattern) == "4:8" and all(ly.weight_keep().mean() == 0.5 for ly in tr.layers)
    assert all(str(ly.pattern) == "8:16" for ly in tr.layers)
