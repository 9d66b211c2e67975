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


def test_manifest_v3_round_trip(tmp_path):
    """Writing a Manifest and reading it back gives the same typed object, schema 3."""
    tr = Trace("run-a", _trace(np.random.default_rng(3)).layers, {
        "config": {"pattern": "8:16", "criterion": "wanda", "mitigation": "D-PTS", "model": "m", "seq_len": 512},
        "accuracy": {"perplexity": 12.5, "nll": 2.5, "tokens_scored": 511, "dense_perplexity": 10.0},
        "versions": {"numpy": "2"}, "seed": 3, "layer_stats": {"x": {"rel_l2": 0.1}}})  # fmt: skip
    save_trace(tr, tmp_path / "r")
    m = read_manifest(tmp_path / "r")
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["schema_version"] == SCHEMA_VERSION == 3
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


# --- weight masks (schema 3) ------------------------------------------------------------------------------------


def _weighted_trace(rng, k=48, wpattern="2:4", pattern="8:16"):
    tr = _trace(rng, k=k, pattern=pattern)
    layers = []
    for ly in tr.layers:
        w = rng.standard_normal((ly.out_features, k)).astype(np.float32)
        layers.append(dataclasses.replace(ly, weight_mask=pack_mask(topn_mask(np.abs(w), wpattern)), weight_pattern=wpattern))
    return Trace("run-a", tuple(layers), manifest={"config": {"pattern": pattern, "sparsify": "both", "weight_pattern": wpattern,
                                                             "weight_criterion": "magnitude"}})


def test_weight_masks_round_trip(tmp_path):
    tr = _weighted_trace(np.random.default_rng(7))
    save_trace(tr, tmp_path / "r")
    assert (tmp_path / "r" / "weight_masks.safetensors").is_file() and is_complete_trace(tmp_path / "r")
    back = load_trace(tmp_path / "r")
    assert back.sparsify == "both" and str(back.weight_pattern) == "2:4" and back.has_weight_masks
    assert back.manifest.config.weight_criterion.name == "magnitude"
    for a, b in zip(tr.layers, back.layers):
        assert b.weight_mask.shape == (a.out_features, 6) and str(b.weight_pattern) == "2:4"
        np.testing.assert_array_equal(a.weight_mask, b.weight_mask)
        assert (b.weight_keep().reshape(a.out_features, -1, 4).sum(-1) == 2).all()
        np.testing.assert_array_equal(a.mask_packed, b.mask_packed)
    raw = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert raw["layers"][0]["weight_pattern"] == "2:4" and raw["config"]["weight_pattern"] == "2:4"
    one = load_trace(tmp_path / "r", layers=[tr.layers[1].name])  # a subset loads its own weight mask
    np.testing.assert_array_equal(one.layers[0].weight_mask, tr.layers[1].weight_mask)
    save_trace(back, tmp_path / "again")
    assert read_manifest(tmp_path / "again") == read_manifest(tmp_path / "r")


def test_trace_without_weight_masks_reads_as_dense_weights(tmp_path):
    save_trace(_trace(np.random.default_rng(8)), tmp_path / "r")
    assert not (tmp_path / "r" / "weight_masks.safetensors").exists()
    raw = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert all("weight_pattern" not in e for e in raw["layers"]) and "weight_pattern" not in raw["config"]
    for version in (1, 2):  # older schemas, the same keys
        raw["schema_version"] = version
        (tmp_path / "r" / "manifest.json").write_text(json.dumps(raw))
        tr = load_trace(tmp_path / "r")
        assert tr.weight_pattern is None and not tr.has_weight_masks and tr.sparsify == "activations"
        ly = tr.layers[0]
        assert ly.weight_mask is None and ly.weight_keep().all() and ly.weight_keep().shape == (ly.out_features, ly.in_features)


def _edit(path, fn):
    m = json.loads((path / "manifest.json").read_text())
    fn(m)
    (path / "manifest.json").write_text(json.dumps(m))


def _rewrite_weights(path, tensors):
    from safetensors.numpy import save_file

    save_file(tensors, str(path / "weight_masks.safetensors"))


@pytest.mark.parametrize("how,message", [
    ("truncated", "cannot read tensors"),
    ("oversized", "outside the"),
    ("wrong-shape", "manifest says"),
    ("wrong-dtype", "manifest says"),
    ("missing-tensor", "has no weight mask tensor"),
    ("missing-file", "weight_masks.safetensors is missing"),
    ("foreign-tensor", "does not list"),
    ("unannounced-file", "does not list"),
    ("high-bits", "bits set beyond"),
    ("bad-pattern", "weight_pattern"),
])  # fmt: skip
def test_corrupt_weight_masks_are_rejected(tmp_path, how, message):
    p = tmp_path / "r"
    tr = _weighted_trace(np.random.default_rng(9), k=44, pattern="2:4")  # K=44: 6 bytes, 4 unused bits in the last
    if how == "unannounced-file":
        save_trace(_trace(np.random.default_rng(9), k=44, pattern="2:4"), p)
    else:
        save_trace(tr, p)
    a, b = tr.layers
    wf = p / "weight_masks.safetensors"
    if how == "truncated":
        wf.write_bytes(wf.read_bytes()[:-7])
    elif how == "oversized":  # a header that declares far more bytes than the file holds: refused before allocating
        data = wf.read_bytes()
        n = int.from_bytes(data[:8], "little")
        head = json.loads(data[8 : 8 + n])
        head[a.name].update(shape=[2**20, 2**20], data_offsets=[0, 2**40])
        raw = json.dumps(head).encode()
        wf.write_bytes(len(raw).to_bytes(8, "little") + raw + data[8 + n :])
    elif how == "wrong-shape":
        _rewrite_weights(p, {a.name: np.zeros((a.out_features + 1, 6), np.uint8), b.name: b.weight_mask})
    elif how == "wrong-dtype":
        _rewrite_weights(p, {a.name: np.zeros((a.out_features, 3), np.uint16), b.name: b.weight_mask})
    elif how == "missing-tensor":
        _rewrite_weights(p, {b.name: b.weight_mask})
    elif how == "missing-file":
        wf.unlink()
        assert not is_complete_trace(p)
    elif how == "foreign-tensor":
        _rewrite_weights(p, {a.name: a.weight_mask, b.name: b.weight_mask, "other": b.weight_mask})
    elif how == "unannounced-file":
        _rewrite_weights(p, {a.name: a.weight_mask})
    elif how == "high-bits":
        wm = a.weight_mask.copy()
        wm[0, -1] |= 0x80
        _rewrite_weights(p, {a.name: wm, b.name: b.weight_mask})
    elif how == "bad-pattern":
        _edit(p, lambda m: m["layers"][0].update(weight_pattern="3/4"))
    with pytest.raises(TraceError, match=message):
        load_trace(p)


def test_weight_mask_validation_in_memory():
    mp = np.zeros((3, 2), np.uint8)
    with pytest.raises(TraceError, match="both weight_mask and weight_pattern"):
        LayerTrace("x", 16, 4, "2:4", mp, weight_mask=np.zeros((4, 2), np.uint8))
    with pytest.raises(TraceError, match=r"\[O, ceil\(K/8\)\]"):
        LayerTrace("x", 16, 4, "2:4", mp, weight_mask=np.zeros((2, 4), np.uint8), weight_pattern="2:4")
    from accelsim.manifest import ManifestError, validate_manifest

    d = Trace("t", (LayerTrace("x", 16, 4, "2:4", mp),), manifest={"config": {"sparsify": "bogus"}}).manifest.to_dict()
    with pytest.raises(ManifestError, match="config.sparsify"):
        validate_manifest(d)
