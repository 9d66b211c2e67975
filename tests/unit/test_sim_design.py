"""Design validation, derived properties and presets (no Numba)."""

import pytest

from accelsim.patterns import Pattern
from accelsim.sim import Design, presets
from accelsim.sim.presets import get_preset


@pytest.mark.parametrize(
    "field, value",
    [
        ("pe_rows", 0),
        ("pe_cols", -1),
        ("lanes_per_pe", 2.5),
        ("precision", "fp4"),
        ("dataflow", "row_stationary"),
        ("selector", "magic"),
        ("metadata_format", "rle"),
        ("metadata_bw_bits_per_cycle", 0),
        ("weight_bw_bytes_per_cycle", 0),
        ("act_buffer_kib", 0),
        ("weight_buffer_kib", 0),
        ("buffer_banks", 0),
        ("compaction_groups_per_cycle", 0),
        ("mitigation_units", ("var", "sqrt")),
        ("dram_bw_gb_per_s", 0.0),
        ("clock_ghz", float("nan")),
        ("tech_nm", 10),
    ],
)
def test_invalid_field_is_named(field, value):
    with pytest.raises(ValueError, match=field):
        Design(**{field: value})


def test_pattern_errors_name_the_field():
    with pytest.raises(ValueError, match="patterns"):
        Design(patterns=("2:5:1",))
    with pytest.raises(ValueError, match="patterns"):
        Design(patterns=())
    # 16 x 8 = 128 lanes per column cannot form lane groups of N = 3.
    with pytest.raises(ValueError, match="lanes_per_pe"):
        Design(patterns=("3:6",))
    # A sorted window needs N:M groups; an unstructured crossbar cannot use it.
    with pytest.raises(ValueError, match="selector"):
        Design(patterns=("unstructured:0.5",), selector="window")


def test_patterns_are_parsed_once_canonicalised_and_supported(monkeypatch):
    d = Design(patterns=(" 8:16", "2:4", Pattern("nm", n=8, m=16)))
    assert d.patterns == (Pattern("nm", n=8, m=16), Pattern("nm", n=2, m=4))  # duplicates dropped, order kept
    assert tuple(map(str, d.patterns)) == ("8:16", "2:4")
    assert d.supports("8:16") and d.supports(Pattern("nm", n=2, m=4)) and d.supports("dense") and not d.supports("4:8")
    assert d.replace(name="x") == d.replace(name="x", patterns=("8:16", "2:4"))  # strings and Patterns give one design

    def no_parse(*a, **k):
        raise AssertionError("Pattern.parse called after construction")

    monkeypatch.setattr(Pattern, "parse", no_parse)
    assert d.sparse_patterns == d.patterns and d.max_m == 16 and d.mux_fanin == 16 and d.weight_candidates_per_lane == 2
    assert d.supports(Pattern("nm", n=8, m=16)) is True


def test_mux_fanin_naive_window_hierarchical():
    # docs/hardware-anchors.md#46-selection-hardware
    # Naive M:1; sorted window (M-N+1):1 (the k-th kept index of a sorted group lies in M-N+1 positions).
    expect = {("2:4", "naive"): 4, ("2:4", "window"): 3, ("4:8", "window"): 5, ("8:16", "naive"): 16,
              ("8:16", "window"): 9, ("16:32", "window"): 17}  # fmt: skip
    for (p, sel), fanin in expect.items():
        assert Design(patterns=(p,), selector=sel).mux_fanin == fanin
    assert Design().mux_fanin == 1 and Design().max_m == 0
    flex = Design(patterns=("2:4", "4:8", "8:16"), selector="window")
    assert flex.mux_fanin == 9 and flex.max_m == 16
    # The unstructured core's crossbar spans a segment of lanes / density channels.
    assert Design(patterns=("unstructured:0.5",)).max_m == 16


def test_multipliers_and_candidates():
    d = Design(pe_rows=4, pe_cols=8, lanes_per_pe=2, patterns=("2:4",))
    assert d.multipliers == 64
    assert d.weight_candidates_per_lane == 2
    assert Design().weight_candidates_per_lane == 1


def test_presets_required_names_and_shared_array():
    for name in ("dense", "ampere-2:4", "flex-8:16-naive", "flex-8:16-window", "nm-16:32", "unstructured-sigma"):
        d = presets[name]
        assert isinstance(d, Design) and d.name == name
        assert d.multipliers == presets["dense"].multipliers
    assert presets["ampere-2:4"].metadata_format == "index"
    with pytest.raises(KeyError, match="known"):
        get_preset("tpu")


def test_design_is_frozen_and_replace_validates():
    d = presets["dense"]
    with pytest.raises(AttributeError):
        d.pe_rows = 3
    with pytest.raises(ValueError, match="buffer_banks"):
        d.replace(buffer_banks=0)
