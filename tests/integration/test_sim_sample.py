"""The simulator on the committed real sample trace (captured from SmolLM2, 8:16)."""

from pathlib import Path

import pytest

from accelsim.cost import price
from accelsim.sim import presets, simulate
from accelsim.traces import load_trace

SAMPLE = Path(__file__).resolve().parents[2] / "traces" / "sample" / "smollm2-135m-8of16"


@pytest.mark.numba
@pytest.mark.skipif(not SAMPLE.is_dir(), reason="sample trace not present")
def test_sample_trace_twin_and_invariants():
    full = load_trace(SAMPLE)
    first = load_trace(SAMPLE, layers=[full.layers[0].name])
    for name, d in presets.items():
        for mode in ("prefill", "decode"):
            fast = simulate(d, first, mode=mode)
            assert fast == simulate(d, first, mode=mode, engine="reference"), (name, mode)
            assert sum(fast.cycles_by_cause.values()) == fast.cycles
            assert 0 < fast.pe_utilization <= 1
            # Kept channels of a real 8:16 trace: exactly half of T x K per layer, times O.
            ly = first.layers[0]
            assert fast.macs_useful == ly.tokens * ly.in_features // 2 * ly.out_features
    r = simulate(presets["flex-8:16-window"], full)
    assert str(r.run_pattern) == "8:16" and r.tokens == full.layers[0].tokens
    assert price(r, presets["flex-8:16-window"]).energy_j > 0
