"""Trace directories: round trip, atomic replacement, and clear errors on corrupt input."""

import dataclasses
import json

import numpy as np
import pytest

from accelsim.masks import pack_mask, topn_mask
from accelsim.methods import MITIGATIONS
from accelsim.patterns import Pattern
from accelsim.traces import (
    SCHEMA_VERSION,
    LayerTrace,
    Manifest,
    Trace,
    TraceError,
    is_complete_trace,
    load_trace,
    read_manifest,
    save_trace,
)


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
    assert back.run_id == "run-a" and back.pattern == Pattern(kind="nm", n=8, m=16) and back.accuracy.perplexity == 12.5
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
    assert str(load_trace(tmp_path / "r").layers[0].pattern) == "2:4"
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


def test_manifest_v2_round_trip(tmp_path):
    """Writing a Manifest and reading it back gives the same typed object, schema 2."""
    tr = Trace("run-a", _trace(np.random.default_rng(3)).layers, {
        "config": {"pattern": "8:16", "criterion": "wanda", "mitigation": "D-PTS", "model": "m", "seq_len": 512},
        "accuracy": {"perplexity": 12.5, "nll": 2.5, "tokens_scored": 511, "dense_perplexity": 10.0},
        "versions": {"numpy": "2"}, "seed": 3, "layer_stats": {"x": {"rel_l2": 0.1}}})  # fmt: skip
    save_trace(tr, tmp_path / "r")
    m = read_manifest(tmp_path / "r")
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["schema_version"] == SCHEMA_VERSION == 2
    assert m.config.mitigation is MITIGATIONS["dpts"] and m.config.criterion.needs_weights
    assert m.config.get("seq_len") == 512 and m.seed == 3 and m.extra == {"layer_stats": {"x": {"rel_l2": 0.1}}}
    assert m.accuracy.tokens_scored == 511 and [e.T for e in m.layers] == [105, 103]
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.seed = 4  # type: ignore[misc]
    assert load_trace(tmp_path / "r").mitigation.name == "dpts"
    save_trace(load_trace(tmp_path / "r"), tmp_path / "again")  # a read manifest writes back unchanged
    assert read_manifest(tmp_path / "again") == m


def test_manifest_v1_is_read_and_keys_kept(tmp_path):
    """Version-1 manifests (the committed sample, older captures) read with the same keys written back."""
    save_trace(_trace(np.random.default_rng(4)), tmp_path / "r")
    raw = json.loads((tmp_path / "r" / "manifest.json").read_text())
    raw.update(schema_version=1, seconds=7.0)
    raw["config"].update(criterion="magnitude", mitigation="none", sparsify="activations", trace_filter=["layers.0."])
    (tmp_path / "r" / "manifest.json").write_text(json.dumps(raw))
    m = read_manifest(tmp_path / "r")
    assert m.schema_version == 1 and is_complete_trace(tmp_path / "r")
    assert m.to_dict() == raw and m.extra == {"seconds": 7.0}
    assert str(load_trace(tmp_path / "r").pattern) == "8:16"


def test_manifest_rejects_unknown_method(tmp_path):
    save_trace(_trace(np.random.default_rng(5)), tmp_path / "r")
    raw = json.loads((tmp_path / "r" / "manifest.json").read_text())
    raw["config"]["mitigation"] = "bogus"
    (tmp_path / "r" / "manifest.json").write_text(json.dumps(raw))
    with pytest.raises(TraceError, match="unknown mitigation 'bogus'"):
        read_manifest(tmp_path / "r")


def test_trace_pattern_falls_back_to_layers():
    ly = _trace(np.random.default_rng(6), pattern="2:4").layers
    assert str(Trace("t", ly).pattern) == "2:4" and Trace("t", ly).mitigation.name == "none"
    assert str(Trace("t", ()).pattern) == "dense"
    assert Manifest().pattern == Pattern.parse("dense")
