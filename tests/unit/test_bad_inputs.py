"""Adversarial inputs to the trace format, the explorer and the report (issue 10): each must end in one clear
error naming the bad value, or be ignored on purpose; never a traceback from deep inside, a hang, or a wrong number.

The capture-side cases live in ``tests/integration/test_bad_inputs_capture.py``; the CLI, pool and Dask cases in
``tests/integration/test_bad_inputs_explore.py``.
"""

import json
import os
import stat
import struct

import numpy as np
import pytest

from accelsim.explore import SweepConfig, SweepError, discover_workloads
from accelsim.io import atomic_write_text
from accelsim.manifest import ManifestError, validate_manifest
from accelsim.results import Table
from accelsim.traces import TraceError, load_trace, read_manifest, save_trace
from tests.support.explore_standin import make_trace, make_trace_set


@pytest.fixture()
def trace(tmp_path):
    return make_trace(tmp_path / "t" / "r", "2:4", perplexity=14.0, dense_perplexity=10.0)


def _edit(path, fn):
    p = path / "manifest.json"
    m = json.loads(p.read_text())
    m = fn(m)
    p.write_text(json.dumps(m))


def _set(*keys, value):
    def fn(m):
        d = m
        for k in keys[:-1]:
            d = d[k]
        d[keys[-1]] = value
        return m

    return fn


BAD_MANIFESTS = [
    # (edit, words the one-line error must contain)
    (_set("accuracy", "perplexity", value=float("nan")), "accuracy.perplexity is nan"),
    (_set("accuracy", "perplexity", value=float("inf")), "accuracy.perplexity is inf"),
    (_set("accuracy", "perplexity", value=-40.0), "accuracy.perplexity is -40.0"),
    (_set("accuracy", "dense_perplexity", value=float("-inf")), "accuracy.dense_perplexity is -inf"),
    (_set("accuracy", "nll", value=float("nan")), "accuracy.nll is nan"),
    (_set("accuracy", "tokens_scored", value=-1), "accuracy.tokens_scored is -1"),
    (_set("layers", 0, "O", value=1e15), "O is 1000000000000000.0"),
    (_set("layers", 0, "O", value=10**15), "O is 1000000000000000"),
    (_set("layers", 0, "T", value=10**12), "T is 1000000000000"),
    (_set("layers", 0, "T", value=1e12), "T is 1000000000000.0"),
    (_set("layers", 0, "T", value=-5), "T is -5"),
    (_set("layers", 0, "K", value="64"), "K is '64'"),
    (_set("layers", 0, "tokens_stored", value=0), "tokens_stored is 0"),
    (_set("layers", 0, "tokens_stored", value=17), "tokens_stored is 17"),  # more rows than tokens seen (T=16)
    (_set("layers", 0, "pattern", value=5), "pattern is int 5"),
    (_set("config", "pattern", value=5), "config.pattern is int 5"),
    (_set("layers", 0, "name", value=None), "layers[0].name is None"),
    (_set("layers", 1, "name", value="layer0"), "'layer0' appears twice"),
    (_set("config", value=["a"]), "config is list"),
    (_set("accuracy", value="good"), "accuracy is str"),
    (_set("layers", value=[1, 2]), "layers[0] is int"),
    (lambda m: [m], "a JSON list"),
    (lambda m: 5, "a JSON int"),
]


@pytest.mark.parametrize("edit,words", BAD_MANIFESTS, ids=[w for _, w in BAD_MANIFESTS])
def test_bad_manifest_is_refused_at_read_with_the_field_named(trace, edit, words):
    _edit(trace, edit)
    for read in (read_manifest, load_trace):
        with pytest.raises(TraceError) as e:
            read(trace)
        msg = str(e.value)
        assert words in msg and "\n" not in msg, msg


def test_schema_accepts_what_save_trace_writes_and_the_committed_sample(trace):
    validate_manifest(json.loads((trace / "manifest.json").read_text()))
    for p in sorted((os.path.dirname(__file__) + "/../../traces/sample",)):
        for d in os.listdir(p):
            read_manifest(os.path.join(p, d))


def test_save_trace_refuses_a_manifest_the_reader_would_refuse(tmp_path, trace):
    tr = load_trace(trace)
    bad = tr.manifest.__class__.from_dict({**tr.manifest.to_dict(), "accuracy": {"perplexity": float("nan")}})
    with pytest.raises(TraceError, match="accuracy.perplexity is nan"):
        save_trace(tr.__class__(tr.run_id, tr.layers, bad), tmp_path / "out")
    assert not (tmp_path / "out").exists() and not any(p.name.startswith(".out") for p in tmp_path.iterdir())


def test_validate_manifest_names_the_type():
    with pytest.raises(ManifestError, match="JSON list"):
        validate_manifest([])


# ---------------------------------------------------------------- safetensors headers


def _rewrite_header(path, fn):
    data = path.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    header, extra = fn(header, len(data) - 8 - n)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    path.write_bytes(struct.pack("<Q", len(h)) + h + data[8 + n :] + extra)


def test_masks_declaring_a_tensor_the_manifest_does_not_list_are_refused(trace):
    def add(h, end):  # a small, well-formed extra tensor: old readers loaded it silently
        h["smuggled"] = {"dtype": "U8", "shape": [4, 4], "data_offsets": [end, end + 16]}
        return h, bytes(16)

    _rewrite_header(trace / "masks.safetensors", add)
    with pytest.raises(TraceError, match=r"declares mask \['smuggled'\] that the manifest does not list"):
        load_trace(trace)


def test_masks_declaring_a_huge_tensor_are_refused_before_allocating(trace):
    def add(h, end):  # 64 GiB declared in a file of a few KB
        h["model.huge"] = {"dtype": "U8", "shape": [2**20, 2**16], "data_offsets": [end, end + 2**36]}
        return h, b""

    _rewrite_header(trace / "masks.safetensors", add)
    with pytest.raises(TraceError, match="outside the .* data bytes of the file"):
        load_trace(trace)


def test_mask_whose_header_shape_differs_from_the_manifest_is_refused(trace):
    def grow(h, end):  # layer0 said to hold 10x the rows, data range past the end of the file
        e = h["layer0"]
        e["shape"] = [e["shape"][0] * 10, e["shape"][1]]
        e["data_offsets"] = [e["data_offsets"][0], e["data_offsets"][0] + e["shape"][0] * e["shape"][1]]
        return h, b""

    _rewrite_header(trace / "masks.safetensors", grow)
    with pytest.raises(TraceError, match="layer0"):
        load_trace(trace)


@pytest.mark.parametrize("head", [b"", b"\x01\x02", struct.pack("<Q", 2**62), struct.pack("<Q", 4) + b"[1]x"])
def test_garbage_masks_file_is_refused(trace, head):
    (trace / "masks.safetensors").write_bytes(head)
    with pytest.raises(TraceError, match="cannot read tensors|not a JSON object|not JSON"):
        load_trace(trace)


# ---------------------------------------------------------------- discovery, rows, settings


def test_hidden_leftover_temp_directory_does_not_shadow_the_trace(tmp_path):
    make_trace_set(tmp_path / "tr", {"dense": 10.0, "2:4": 14.0})
    real = tmp_path / "tr" / "2_4"
    # an interrupted save: the complete-looking temp sibling of the same run, with other numbers
    leftover = tmp_path / "tr" / ".2_4.tmp-abc123"
    make_trace(leftover, "2:4", perplexity=99.0, seed=7)
    m = json.loads((leftover / "manifest.json").read_text())
    m["run_id"] = json.loads((real / "manifest.json").read_text())["run_id"]
    (leftover / "manifest.json").write_text(json.dumps(m))
    (wl,) = discover_workloads([tmp_path / "tr"])
    (t,) = [t for t in wl.traces if str(t.pattern) == "2:4"]
    assert t.path == str(real.resolve()) and t.perplexity == 14.0


@pytest.mark.parametrize("field,value", [("chunk", -1), ("jobs", -2), ("chunk", 1.5), ("worker_wait_s", float("nan"))])
def test_sweep_config_refuses_negative_or_odd_settings(field, value):
    with pytest.raises(SweepError, match=f"{field} must be"):
        SweepConfig("quick", ("t",), "out", **{field: value})


@pytest.mark.parametrize("addr", ["nonsense", "tcp://", "tcp://host:99999", "http://host:8786", "tcp://host:port"])
def test_sweep_config_refuses_a_malformed_scheduler_address(addr):
    with pytest.raises(SweepError, match="is not a Dask scheduler address"):
        SweepConfig("quick", ("t",), "out", scheduler=addr)


def test_results_table_takes_integers_wider_than_int64():
    t = Table.from_rows([{"macs": 2**70}, {"macs": 1}])
    assert t["macs"].dtype == np.float64 and t["macs"][0] == float(2**70)


def test_verdict_never_prints_nan():
    from accelsim.report.verdict import signed

    assert signed(float("nan")) == "not measured" and signed(-0.25) == "-0.250"


# ---------------------------------------------------------------- permissions


def test_files_and_trace_directories_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "f.txt", "x")
        d = make_trace(tmp_path / "t" / "r", "2:4", perplexity=14.0)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE(d.stat().st_mode) == 0o755
    assert stat.S_IMODE((d / "manifest.json").stat().st_mode) == 0o644


# ---------------------------------------------------------------- NaN scores: every mask twin behaves like the NumPy spec


@pytest.mark.parametrize("row", [[1.0, float("nan"), 3.0, 2.0], [float("nan")] * 4])
def test_nan_scores_raise_in_every_twin(row):
    torch = pytest.importorskip("torch")
    from accelsim.masks import topn_mask
    from accelsim.masks.torch_twin import topn_mask_torch

    scores = np.array([row, [4.0, 3.0, 2.0, 1.0]], dtype=np.float32)
    with pytest.raises(ValueError, match="NaN"):
        topn_mask(scores, "2:4")
    for numba in (True, False):
        with pytest.raises(ValueError, match="NaN"):
            topn_mask_torch(torch.from_numpy(scores), "2:4", use_numba_on_cpu=numba)
    with pytest.raises(ValueError, match="NaN"):
        topn_mask_torch(torch.from_numpy(scores), "unstructured:0.5")
