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
        if d.sparse_operand != "activations":  # weight and dual-side cores need weight masks (tests/unit/test_sim_weights.py)
            with pytest.raises(ValueError, match="stores no weight masks"):
                simulate(d, first)
            continue
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


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="sample trace not present")
def test_sample_trace_operand_path_sizing_and_reach():
    # Model v2 (docs/sparse-core-model.md, section 1) on real SmolLM2 8:16 masks.  Measured (prefill, decode):
    # flex-sized-2:4 1,416,768 / 26,542,080 cycles; flex-sized-8:16 926,640 / 25,712,640.  An 8-lane, 16-channel
    # lane group with a window of reach 5 (sized for 4:8) 1,514,808 / 26,533,332 (operand_reach 588,168 / 820,692);
    # with the default 9:1 window or a naive 16:1 mux 926,640 / 25,712,640.
    from accelsim.sim import prepare

    prep = prepare(load_trace(SAMPLE))
    sized24, sized816 = presets["flex-sized-2:4"], presets["flex-sized-8:16"]
    window5 = sized816.replace(name="flex-8:16-window-4:8", selector="window", selector_reach=5)
    window9 = sized816.replace(name="flex-8:16-window", selector="window")
    for mode in ("prefill", "decode"):
        r24, r816 = simulate(sized24, prep, mode=mode), simulate(sized816, prep, mode=mode)
        assert str(r24.run_pattern) == str(r816.run_pattern) == "8:16"
        assert r24.cycles > r816.cycles  # 8:16 kept positions spread unevenly over chunks of 4
        w5, w9 = simulate(window5, prep, mode=mode), simulate(window9, prep, mode=mode)
        assert w5.cycles > r816.cycles and w5.cycles_by_cause["operand_reach"] > 0  # masks the window does not fit
        assert w9.cycles == r816.cycles and r816.cycles_by_cause["operand_reach"] == 0  # the default window reaches all


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="sample trace not present")
def test_reprs_name_the_run_not_its_contents():
    """repr(trace) used to print every mask (38,137 characters); now one line each."""
    tr = load_trace(SAMPLE)
    r = simulate(presets["flex-sized-2:4"], tr)
    assert repr(tr) == f"Trace({tr.run_id!r}, pattern 8:16, {len(tr.layers)} layers, {sum(ly.tokens for ly in tr.layers)} mask rows)"
    assert len(repr(r)) < 300 and f"{r.cycles:,} cycles" in repr(r) and "ran 8:16" in repr(r)
