"""Trace directories: round trip, atomic replacement, and clear errors on corrupt input."""

import json

import numpy as np
import pytest

from accelsim.masks import pack_mask, topn_mask
from accelsim.traces import LayerTrace, Trace, TraceError, is_complete_trace, load_trace, save_trace


def _trace(rng, k=48, pattern="8:16", with_values=False):
    layers = []
    for i, (t, o) in enumerate([(5, 32), (3, 16)]):
        x = rng.standard_normal((t, k)).astype(np.float32)
        mask = topn_mask(np.abs(x), pattern)
        layers.append(LayerTrace(f"model.layers.{i}.mlp.up_proj", k, o, pattern, pack_mask(mask), tokens_total=100 + t,
                                 values=x.astype(np.float16) if with_values else None))
    return Trace("run-a", tuple(layers), manifest={"config": {"pattern": pattern}, "accuracy": {"perplexity": 12.5}})


def test_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    tr = _trace(rng, with_values=True)
    save_trace(tr, tmp_path / "run-a")
    assert is_complete_trace(tmp_path / "run-a")
    back = load_trace(tmp_path / "run-a", load_values=True)
    assert back.run_id == "run-a" and back.pattern == "8:16" and back.accuracy == {"perplexity": 12.5}
    for a, b in zip(tr.layers, back.layers):
        assert (a.name, a.shape, a.tokens_total, a.pattern) == (b.name, b.shape, b.tokens_total, b.pattern)
        assert np.array_equal(a.mask_packed, b.mask_packed)
        assert np.array_equal(a.mask(), b.mask())
        assert np.array_equal(a.values, b.values)
    assert load_trace(tmp_path / "run-a", layers=[tr.layers[1].name]).layers[0].name == tr.layers[1].name


def test_save_replaces_existing_and_leaves_no_temp(tmp_path):
    rng = np.random.default_rng(1)
    save_trace(_trace(rng), tmp_path / "r")
    save_trace(_trace(rng, pattern="2:4"), tmp_path / "r")
    assert load_trace(tmp_path / "r").layers[0].pattern == "2:4"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def _corrupt(path, how):
    m = json.loads((path / "manifest.json").read_text())
    if how == "incomplete":
        m["complete"] = False
    elif how == "schema":
        m["schema_version"] = 99
    elif how == "shape":
        m["layers"][0]["K"] = 64
    elif how == "missing-layer":
        m["layers"][0]["name"] = "nope"
    (path / "manifest.json").write_text(json.dumps(m))
    if how == "truncated-tensors":
        data = (path / "masks.safetensors").read_bytes()
        (path / "masks.safetensors").write_bytes(data[: len(data) // 2])
    if how == "bad-json":
        (path / "manifest.json").write_text("{not json")


@pytest.mark.parametrize(
    "how,message",
    [("incomplete", "incomplete"), ("schema", "schema_version"), ("shape", "manifest says"),
     ("missing-layer", "has no mask tensor"), ("truncated-tensors", "cannot read tensors"), ("bad-json", "not valid JSON")],
)
def test_corrupt_traces_are_rejected(tmp_path, how, message):
    save_trace(_trace(np.random.default_rng(2)), tmp_path / "r")
    _corrupt(tmp_path / "r", how)
    with pytest.raises(TraceError, match=message):
        load_trace(tmp_path / "r")


def test_not_a_trace(tmp_path):
    with pytest.raises(TraceError, match="not a trace directory"):
        load_trace(tmp_path)
    assert not is_complete_trace(tmp_path)


def test_layer_validation():
    with pytest.raises(TraceError, match="needs 2"):
        LayerTrace("x", 16, 4, "2:4", np.zeros((3, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="unknown sparsity pattern"):
        LayerTrace("x", 16, 4, "2/4", np.zeros((3, 2), dtype=np.uint8))
