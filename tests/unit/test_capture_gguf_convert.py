"""The tensor-by-tensor GGUF converter (large offline models): names, shapes and values of a tiny written GGUF."""

from __future__ import annotations

import json

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
pytest.importorskip("safetensors")

from accelsim.capture.models import _hf_name, _safetensors_sha256, gguf_to_safetensors, list_models  # noqa: E402


def _write(path, tensors):
    w = gguf.GGUFWriter(str(path), "qwen2")
    for name, arr in tensors.items():
        w.add_tensor(name, arr)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def test_tiny_gguf_round_trips_in_shards(tmp_path):
    rng = np.random.default_rng(0)
    t = {"token_embd.weight": rng.normal(size=(10, 8)).astype(np.float32),
         "blk.0.attn_q.weight": rng.normal(size=(8, 8)).astype(np.float32),
         "blk.0.attn_q.bias": rng.normal(size=(8,)).astype(np.float32),
         "blk.0.ffn_down.weight": rng.normal(size=(8, 16)).astype(np.float32),
         "output_norm.weight": np.ones(8, np.float32)}
    _write(tmp_path / "m.gguf", t)
    out = tmp_path / "ckpt"
    out.mkdir()
    shapes = gguf_to_safetensors(tmp_path / "m.gguf", out, shard_bytes=600)  # forces several shards
    index = json.loads((out / "model.safetensors.index.json").read_text())["weight_map"]
    assert len(set(index.values())) > 1 and set(index) == {_hf_name(n) for n in t}
    from safetensors.numpy import load_file

    got = {}
    for f in set(index.values()):
        got.update(load_file(str(out / f)))
    for name, arr in t.items():
        np.testing.assert_array_equal(got[_hf_name(name)], arr)
        assert shapes[_hf_name(name)] == arr.shape
    assert got["model.layers.0.mlp.down_proj.weight"].shape == (8, 16)  # [out, in] as transformers stores it
    assert len(_safetensors_sha256(out)) == 64


def test_unknown_tensor_names_are_refused():
    with pytest.raises(RuntimeError, match="no transformers name"):
        _hf_name("blk.0.attn_qkv.weight")


def test_the_15b_entry_is_registered_offline():
    spec = list_models()["qwen2.5-coder-1.5b"]
    assert spec.architecture == "qwen2" and spec.offline["convert"] == "tensorwise" and spec.context_length == 32768
    assert len(spec.offline["packages"]) == len(spec.offline["gguf_members"]) == 22
