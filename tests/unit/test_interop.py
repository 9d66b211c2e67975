"""Interop on real files: an Accelergy-shaped YAML read back with a YAML parser and checked against ``price``; SCALE-Sim
topology CSVs in the formats its repository documents (tests/data/)."""

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from accelsim.cost import price
from accelsim.interop import TopologyError, read_topology
from accelsim.interop.accelergy import write_accelergy
from accelsim.sim import presets, simulate
from accelsim.sim.__main__ import main as sim_main
from accelsim.synthetic import synthetic_trace

DATA = Path(__file__).resolve().parents[1] / "data"
GEMM = DATA / "scalesim_smollm2_block_gemm.csv"  # one SmolLM2-135M block (hidden 576, MLP 1536, 3 KV heads of 64), 64 tokens
CONV = DATA / "scalesim_small_conv.csv"


def _tables(doc, key):
    return {re.sub(r"\[.*\]$", "", t["name"]).split(".")[-1]: t for t in doc[key]["tables"]}


@pytest.mark.parametrize("preset", ["flex-8:16-window", "ampere-2:4", "dual-8:16-w2:4", "flex-8:16-window@7"])
def test_accelergy_yaml_reproduces_price(tmp_path, preset):
    name, _, node = preset.partition("@")
    design = presets[name] if not node else dataclasses.replace(presets[name], tech_nm=int(node))  # node scaling exercised
    path = write_accelergy(design, tmp_path / "d.yaml")
    doc = yaml.safe_load(path.read_text())
    assert doc["architecture"]["subtree"][0]["name"] == "system"
    chip = doc["architecture"]["subtree"][0]["subtree"][0]
    assert chip["name"] == "chip" and all({"name", "class", "attributes"} <= set(c) for c in chip["local"])
    widest = max((p for p in design.patterns if p.is_nm), key=lambda p: p.m, default=None)
    trace = synthetic_trace([(32, 256, 128), (32, 512, 64)], pattern=str(widest) if widest else "dense",
                            weight_pattern="2:4" if design.weight_patterns else None)  # fmt: skip
    res = simulate(design, trace, mode="prefill")
    cost = price(res, design)
    ert, art = _tables(doc, "ERT"), _tables(doc, "ART")
    assert set(ert) == set(art) and {"multiplier", "adder"} <= set(ert)
    for name, table in ert.items():  # energy = sum over actions of (energy per action x the simulator's count)
        e_pj = sum(a["energy"] * getattr(res.counts, a["accelsim_count"]) for a in table["actions"])
        assert e_pj * 1e-12 == pytest.approx(cost.energy_by_component_j[name], rel=1e-9, abs=1e-18), name
        assert art[name]["area"] * art[name]["count"] * 1e-6 == pytest.approx(cost.area_by_component_mm2[name], rel=1e-9, abs=1e-15), name
    missing = {c for c, a in cost.area_by_component_mm2.items() if a > 0} - set(art)
    assert not missing, f"components with area that the export leaves out: {missing}"
    for a in (a for t in ert.values() for a in t["actions"]):
        assert a["energy_low"] <= a["energy"] <= a["energy_high"]
    leak = doc["accelsim"]["leakage_w_per_mm2"]["value"]
    onchip_mm2 = sum(a for c, a in cost.area_by_component_mm2.items() if c != "dram")
    assert leak * onchip_mm2 * res.seconds == pytest.approx(cost.energy_by_component_j["leakage"], rel=1e-9)


def test_export_cli_writes_the_file_and_refuses_an_unknown_design(tmp_path, capsys):
    assert sim_main(["--export-accelergy", "ampere-2:4", "--out", str(tmp_path / "a.yaml")]) == 0
    assert yaml.safe_load((tmp_path / "a.yaml").read_text())["accelsim"]["design"] == "ampere-2:4"
    with pytest.raises(SystemExit):
        sim_main(["--export-accelergy", "no-such-design"])
    assert "'no-such-design'" in capsys.readouterr().err


def test_scalesim_gemm_topology_becomes_layers():
    # GEMM rows are M (rows), N (output columns), K (reduction): accelsim's (T, K, O) = (M, K, N)
    assert read_topology(GEMM) == [("q_proj", 64, 576, 576), ("k_proj", 64, 576, 192), ("v_proj", 64, 576, 192),
                                   ("o_proj", 64, 576, 576), ("gate_proj", 64, 576, 1536), ("up_proj", 64, 576, 1536),
                                   ("down_proj", 64, 1536, 576)]  # fmt: skip
    t = synthetic_trace(GEMM, pattern="8:16", tokens=16)
    assert [ly.name for ly in t.layers] == ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    assert {ly.mask_packed.shape[0] for ly in t.layers} == {16} and t.layers[-1].in_features == 1536
    assert t.manifest.config.model == "scalesim-scalesim_smollm2_block_gemm"


def test_scalesim_conv_topology_lowers_by_im2col():
    # conv1: 18x18 input, 3x3 filter, stride 1 -> 16x16 = 256 output pixels, K = 3*3*16; conv2 stride 2 -> 7x7
    assert read_topology(CONV) == [("conv1", 256, 144, 32), ("conv2", 49, 288, 64), ("fc", 1, 256, 10)]


@pytest.mark.parametrize(("text", "message"), [
    ("Layer, M, N, K,\nq, 64, x, 5,\n", r":2: layer 'q': N = 'x' is not an integer"),
    ("Layer, M, N, K,\nq, 64, 0, 5,\n", r"N = 0 must be >= 1"),
    ("Layer, M, N, K,\nq, 64, 8,\n", r"'q' has 2 of the 3 numbers"),
    ("Layer, M, N, K,\nq, 1, 2, 3,\nq, 1, 2, 3,\n", r":3: layer name 'q' is empty or repeated"),
    ("name, a, b\nq, 1, 2\n", r"header 'name,a,b' is neither"),
    ("Layer, M, N, K,\n", r"at least one layer"),
    ("L, H, W, R, S, C, F, St,\nc, 2, 2, 3, 3, 1, 1, 1,\n", r"filter 3x3 is larger than the input map 2x2"),
])  # fmt: skip
def test_bad_topology_lines_name_the_value(tmp_path, text, message):
    p = tmp_path / "t.csv"
    p.write_text(text)
    with pytest.raises(TopologyError, match=message):
        read_topology(p)
