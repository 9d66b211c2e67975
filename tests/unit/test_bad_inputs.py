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


# ---------------------------------------------------------------- space specs: refused with one SpecError, never a hang


def _space(tmp_path, text: "str | bytes"):
    from accelsim.explore.spec import load_space
    from tests.support.explore_standin import StandInDesign

    p = tmp_path / "space.toml"
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return load_space(p, design_cls=StandInDesign, presets={})


BAD_SPACES = [
    # (spec, words the SpecError must contain)
    (bytes(range(128, 256)) * 4, "not a TOML text file (invalid UTF-8 byte 0x80 at offset 0)"),
    ("[axes]\npe_rows = { start = 1, stop = 1000000000000, step = 1 }", "has 1e+12 values, above the limit of 10000"),
    ("[axes]\nweight_bw_bytes_per_cycle = { start = 32, stop = 256, factor = 1.0000000001 }", "has 2.079e+10 values"),
    ("[axes]\nclock_ghz = { start = 0.5, stop = inf, step = 0.5 }", "must be finite numbers"),
    ("[constraints]\nmax_area_mm2 = nan", "max_area_mm2 = nan; must be a positive finite number"),
    ("[constraints]\nmax_power_w = inf", "max_power_w = inf; must be a positive finite number"),
    ("fixed = 3", "fixed = 3 must be a table [fixed]"),
    ("axes = [1, 2]", "axes = [1, 2] must be a table [axes]"),
    ("[sampling]\nbudget = 1000000000\n[axes]\npe_rows = [1, 2]", "budget = 1000000000 is above the limit of 1000000"),
]


@pytest.mark.parametrize("text,words", BAD_SPACES, ids=[w for _, w in BAD_SPACES])
def test_bad_space_spec_is_one_spec_error(tmp_path, text, words):
    from accelsim.explore.spec import SpecError

    with pytest.raises(SpecError) as e:
        _space(tmp_path, text)
    assert words in str(e.value) and "\n" not in str(e.value), str(e.value)


def test_random_sampling_with_no_valid_combination_stops_with_a_clear_error(tmp_path):
    """40,000 combinations, all refused (the stand-in's hierarchical selector needs M >= 8): stop after a bounded
    number of draws, saying how many of how many, instead of walking (or, for a huge space, hanging over) them all."""
    from accelsim.explore.expand import MAX_FRUITLESS_DRAWS
    from accelsim.explore.spec import SpecError

    spec = ('[sampling]\nmethod = "random"\nbudget = 5\n[fixed]\nselector = "hierarchical"\npatterns = ["2:4"]\n'
            "[axes]\npe_rows = { start = 1, stop = 200, step = 1 }\npe_cols = { start = 1, stop = 200, step = 1 }\n")
    with pytest.raises(SpecError, match=rf"random sampling drew {MAX_FRUITLESS_DRAWS} of 40000 combinations and none is a "
                                        r"valid design \(first refusal: selector 'hierarchical' needs"):
        _space(tmp_path, spec)
    huge = spec.replace("stop = 200", "stop = 4000") + "lanes_per_pe = { start = 1, stop = 4000, step = 1 }\n"
    with pytest.raises(SpecError, match=r"drew \d+ of 64000000000 combinations"):
        _space(tmp_path, huge)


# ---------------------------------------------------------------- capture checks before it loads anything large


def _no_load(monkeypatch):
    """Make any model load or capture run fail the test: the checks must come first."""
    pytest.importorskip("torch")
    import accelsim.capture.models as models

    def boom(*a, **k):
        raise AssertionError("the model was loaded before the inputs were checked")

    monkeypatch.setattr(models, "load_model", boom)
    monkeypatch.setitem(__import__("sys").modules, "accelsim.capture.run", None)  # importing it would mean capture started


def _local_model(tmp_path, max_positions=64):
    d = tmp_path / "tiny-model"
    d.mkdir()
    (d / "config.json").write_text(json.dumps({"model_type": "llama", "max_position_embeddings": max_positions}))
    return d


def _text(tmp_path, words=3000):
    p = tmp_path / "words.txt"
    p.write_text("\n".join(" ".join(["the cat sat on a mat"] * 10) for _ in range(words // 60)) + "\n")
    return p


def _cli(argv, capsys):
    from accelsim.capture.__main__ import main

    rc = main([*argv, "--no-progress"])
    return rc, capsys.readouterr().err


def test_seq_len_beyond_the_model_context_is_refused_before_loading(tmp_path, monkeypatch, capsys):
    _no_load(monkeypatch)
    m = _local_model(tmp_path, max_positions=64)
    rc, err = _cli(["--model", str(m), "--dataset", str(_text(tmp_path)), "--seq-len", "1000000", "--eval-tokens", "1000000",
                    "--patterns", "dense", "--out", str(tmp_path / "out")], capsys)
    assert rc == 2 and err.strip() == f"error: --seq-len 1000000 exceeds the context length of {m.name} (64 tokens); pass --seq-len 64 or less"
    assert not (tmp_path / "out").exists()


def test_context_length_comes_from_the_registry_toml_or_the_config(tmp_path):
    from accelsim.capture.models import ModelSpec, check_seq_len, config_context_length, context_length

    assert context_length(ModelSpec("x", "o/x", context_length=2048, source="registry")) == 2048
    assert config_context_length({"text_config": {"max_position_embeddings": 32768}}) == 32768
    assert config_context_length({"n_positions": 1024}) == 1024 and config_context_length({}) is None
    check_seq_len(ModelSpec("x", "o/x", source="registry"), 10**6)  # unknown before loading: nothing to check yet
    with pytest.raises(ValueError, match="--seq-len 4096 exceeds the context length of x \\(2048 tokens\\)"):
        check_seq_len(ModelSpec("x", "o/x", context_length=2048, source="registry"), 4096)


def test_hub_id_offline_is_one_line_naming_the_offline_models(tmp_path, monkeypatch, capsys):
    _no_load(monkeypatch)
    import accelsim.capture.models as models

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(models, "_hub_cached", lambda hub_id, filename="config.json": None)
    rc, err = _cli(["--model", "meta-llama/Llama-2-7b-hf", "--dataset", str(_text(tmp_path)), "--preset", "quick",
                    "--out", str(tmp_path / "out")], capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "'meta-llama/Llama-2-7b-hf'" in err and "cannot be reached" in err
    assert "smollm2-135m" in err and "local checkpoint directory" in err


def test_load_model_of_an_unreachable_hub_id_raises_one_clear_error(monkeypatch):
    pytest.importorskip("transformers")
    import accelsim.capture.models as models

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(models, "_hub_cached", lambda hub_id, filename="config.json": None)
    with pytest.raises(models.HubUnreachable, match="'no-such-owner/no-such-model' is a Hugging Face hub id, but the hub") as e:
        models.load_model(models.resolve_model("no-such-owner/no-such-model"), progress=False)
    assert e.value.__cause__ is None and (e.value.__context__ is None or e.value.__suppress_context__)


def test_dataset_too_short_for_eval_tokens_is_refused_before_loading(tmp_path, monkeypatch, capsys):
    _no_load(monkeypatch)
    m = _local_model(tmp_path, max_positions=4096)
    short = tmp_path / "short.txt"
    short.write_text("a few words of text\n" * 20)  # 400 bytes: fewer than 1024 tokens for any byte-level tokenizer
    rc, err = _cli(["--model", str(m), "--dataset", str(short), "--seq-len", "512", "--eval-tokens", "1024",
                    "--patterns", "dense", "--out", str(tmp_path / "out")], capsys)
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert "dataset short.txt: its evaluation part has" in err and "fewer than the 1024 tokens (2 windows x 512)" in err
    assert "lower --eval-tokens" in err
