"""Issue 11 on the tiny Llama (CPU): dtypes, batching, spread windows with per-window NLL, intervals in the table,
and the library front door's checks before loading."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from accelsim.capture import CaptureConfig, capture  # noqa: E402
from accelsim.capture.data import token_windows  # noqa: E402
from accelsim.capture.run import format_table  # noqa: E402
from accelsim.masks import topn_mask, topn_mask_torch  # noqa: E402
from accelsim.patterns import Pattern  # noqa: E402
from accelsim.traces import load_trace, read_manifest  # noqa: E402
from tests.support.capture_tiny import ByteTokenizer, corpus_file, tiny_loaded  # noqa: E402


def _cfg(tmp_path, **kw):
    base = dict(model="tiny-llama", dataset=str(corpus_file(tmp_path)), patterns=("dense", "2:4"), seq_len=32,
                eval_tokens=128, calib_tokens=64, trace_tokens=40, out=tmp_path / "traces", progress=False)
    return CaptureConfig(**{**base, **kw})


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("pattern", ["2:4", "8:16", "16:32", "unstructured:0.5"])
@pytest.mark.parametrize("numba", [True, False])
def test_half_precision_masks_equal_the_numpy_spec_on_the_same_values(dtype, pattern, numba):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(64, 256, generator=g).to(dtype)
    x[:, 5:9] = x[:, 4:5]  # ties, which half precision makes common
    s = x.abs()
    got = topn_mask_torch(s, pattern, use_numba_on_cpu=numba)
    want = topn_mask(s.float().numpy(), Pattern.parse(pattern))  # the spec on exactly the same values
    np.testing.assert_array_equal(got.numpy(), want)


def test_library_capture_checks_seq_len_against_the_loaded_model(tmp_path, monkeypatch):
    import accelsim.capture.run as run_mod

    monkeypatch.setattr(run_mod, "_run_one", lambda *a: pytest.fail("ran before the check"))
    with pytest.raises(ValueError, match="context length"):  # the tiny model's max_position_embeddings is 256
        capture(_cfg(tmp_path, seq_len=512, eval_tokens=512), tiny_loaded())


def test_library_capture_checks_corpus_size_before_loading(tmp_path, monkeypatch):
    import accelsim.capture.run as run_mod

    small = tmp_path / "small.txt"
    small.write_text("a short text\n" * 20)
    monkeypatch.setattr(run_mod, "load_model", lambda *a, **k: pytest.fail("loaded the model before checking the corpus"))
    with pytest.raises(ValueError, match="fewer than"):
        capture(_cfg(tmp_path, model="smollm2-135m", dataset=str(small), seq_len=512, eval_tokens=4096))


def test_spread_windows_cover_the_split_and_are_seeded():
    text = "".join(chr(97 + (i * 7) % 26) for i in range(20_000))
    tok = ByteTokenizer()
    starts: list[int] = []
    w = token_windows(tok, text, 32, 8, False, placement="spread", seed=0, starts_out=starts)
    assert w.shape == (8, 32) and starts == sorted(set(starts)) and max(starts) > 10_000  # not the opening only
    ids = torch.tensor(tok(text)["input_ids"])
    for row, st in zip(w, starts):
        assert torch.equal(row, ids[st : st + 32])
    again: list[int] = []
    token_windows(tok, text, 32, 8, False, placement="spread", seed=0, starts_out=again)
    other: list[int] = []
    token_windows(tok, text, 32, 8, False, placement="spread", seed=1, starts_out=other)
    assert again == starts and other != starts
    first: list[int] = []
    token_windows(tok, text, 32, 3, False, placement="start", starts_out=first)
    assert first == [0, 32, 64]


def test_manifest_keeps_per_window_nll_and_the_table_prints_intervals(tmp_path):
    paths = capture(_cfg(tmp_path), tiny_loaded())
    dense, sparse = (read_manifest(p) for p in paths)
    for m in (dense, sparse):
        nll = m.extra["window_nll"]
        assert len(nll) == 4 and math.isclose(sum(nll) / 4, m.accuracy.nll, rel_tol=1e-12)
        assert m.extra["window_starts"] == dense.extra["window_starts"] and len(m.extra["window_seconds"]) == 4
    assert m.protocol["placement"].startswith("windows at seeded random places") and m.protocol["dtype"] == "float32"
    table = format_table(paths)
    row = next(ln for ln in table.splitlines() if ln.startswith("2:4"))
    assert row.count("[") == 2  # perplexity and vs dense both carry an interval
    assert "bootstrap" in table


def test_batched_and_half_precision_runs(tmp_path):
    one = capture(_cfg(tmp_path), tiny_loaded())
    two = capture(_cfg(tmp_path, batch_size=2), tiny_loaded())
    assert {p.name for p in one}.isdisjoint(p.name for p in two)  # batch size is in the run id (it can change CLACT)
    for a, b in zip(one, two):
        ta, tb = load_trace(a), load_trace(b)
        assert math.isclose(ta.accuracy.perplexity, tb.accuracy.perplexity, rel_tol=1e-4)
        assert "2 window(s) per forward pass" in tb.manifest.protocol["batch"]
    bf = capture(_cfg(tmp_path, dtype="bfloat16", trace_values=True), tiny_loaded())
    tb = load_trace(bf[1], load_values=True)
    assert tb.manifest.model_info["dtype"] == "bfloat16" and tb.manifest.config.settings["dtype"] == "bfloat16"
    assert math.isclose(tb.accuracy.perplexity, load_trace(one[1]).accuracy.perplexity, rel_tol=0.05)
    ly = tb.layers[0]
    m = ly.mask()
    assert (m.reshape(m.shape[0], -1, 4).sum(-1) == 2).all()
    # bf16 values are exact in float16 here (small activations), so the stored mask is the spec's on the stored values
    np.testing.assert_array_equal(m, topn_mask(np.abs(ly.values.astype(np.float32)), Pattern.parse("2:4")))


def test_cuda_refused_without_a_gpu(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match="no CUDA GPU"):
        capture(_cfg(tmp_path, device="cuda"), tiny_loaded())


@pytest.mark.parametrize("mitigation", ["none", "dpts"])
def test_shared_masks_change_nothing(tmp_path, monkeypatch, mitigation):
    """q/k/v (and gate/up) share one mask computation; turning sharing off gives identical masks and perplexity."""
    import accelsim.capture.hooks as hooks

    cfg = _cfg(tmp_path, mitigations=(mitigation,), criteria=("clact",))
    shared = [load_trace(p) for p in capture(cfg, tiny_loaded())]
    calls = []
    real = hooks.LayerState.transform
    monkeypatch.setattr(hooks.LayerState, "transform", lambda self, m, x: calls.append(1) or real(self, m, x))
    monkeypatch.setattr(hooks, "_input_only", lambda state: None)
    alone = [load_trace(p) for p in capture(_cfg(tmp_path, mitigations=(mitigation,), criteria=("clact",), force=True), tiny_loaded())]
    assert len(calls) == 14 * 4  # 14 layers x 4 windows, every layer on its own
    for a, b in zip(shared, alone):
        assert a.accuracy.perplexity == b.accuracy.perplexity
        for la, lb in zip(a.layers, b.layers):
            np.testing.assert_array_equal(la.mask_packed, lb.mask_packed)
