"""Validate the simulator and cost model against closed forms, published anchors and GPU measurements.

    NUMBA_NUM_THREADS=1 .venv/bin/python analysis/validation.py        # writes analysis/validation.md

Sections follow docs/hardware-anchors.md section 7 (numbers quoted from there, with their
sources and tags) and its section 3 (SCALE-Sim's closed form).  Every model number below is computed by
running accelsim.sim.simulate / accelsim.cost.price now; nothing is typed in.  GPU
measurements are read at run time from analysis/data/h100_semistructured.json or
analysis/data/h200_semistructured.json when present (keys T|M, K, O|N, dense_ms, sparse_ms,
...; graph-replay times preferred).  Runtime: about a minute on one core.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
from pathlib import Path

import numpy as np

from accelsim.cost import SRAM, Multiplier, price
from accelsim.cost.components import DRAM, Adder
from accelsim.patterns import Pattern
from accelsim.sim import Design, presets, simulate
from accelsim.synthetic import synthetic_trace
from accelsim.traces import LayerTrace, Trace, atomic_write_json

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
AMPLE = dict(metadata_bw_bits_per_cycle=1 << 24, weight_bw_bytes_per_cycle=1 << 24, compaction_groups_per_cycle=1 << 16,
             dram_bw_gb_per_s=1e6)  # fmt: skip


def _table(rows: list[list], head: list[str]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _random_nm_packed(t: int, k: int, n: int, m: int, rng) -> np.ndarray:
    """Exact N:M masks, uniform over the C(M, N) subsets of each group, packed (M in 4, 8 only).

    Same distribution as top-N of i.i.d. scores (exchangeability), but cheap at 16k x 16k.
    """
    from itertools import combinations

    codes = np.array([sum(1 << i for i in c) for c in combinations(range(m), n)], dtype=np.uint8)
    pick = codes[rng.integers(0, len(codes), size=(t, k // m), dtype=np.int64)]
    if m == 8:
        return pick
    return (pick[:, 0::2] | (pick[:, 1::2] << 4)).astype(np.uint8)


def _gemm_trace(t: int, k: int, o: int, pattern: str, seed: int = 0) -> Trace:
    p = Pattern.parse(pattern)
    if p.is_nm and p.m in (4, 8):
        packed = _random_nm_packed(t, k, p.n, p.m, np.random.default_rng(seed))
        return Trace(f"gemm-{t}x{k}x{o}", (LayerTrace("gemm", k, o, pattern, packed),), {"config": {"pattern": pattern}})
    return synthetic_trace([(t, k, o)], pattern=pattern, seed=seed)


# ----------------------------------------------------------------------------- closed forms
def peak_ratios() -> tuple[str, dict]:
    base = presets["dense"].replace(**AMPLE)
    rows, rec = [], {}
    for pat in ("2:4", "4:8", "8:16", "16:32", "1:4", "2:8", "4:16"):
        tr = synthetic_trace([(512, 4096, 1024)], pattern=pat, seed=0)
        dense = simulate(base, tr).cycles
        ample = dense / simulate(base.replace(patterns=(pat,)), tr).cycles
        real_d = simulate(presets["dense"], tr).cycles
        real = real_d / simulate(presets["dense"].replace(patterns=(pat,)), tr).cycles
        ideal = Pattern.parse(pat).ideal_speedup
        rec[pat] = {"ideal": ideal, "ample_bw": ample, "default_bw": real}
        rows.append([pat, f"{ideal:.2f}x", f"{ample:.3f}x", f"{real:.3f}x"])
    text = _table(rows, ["pattern", "published / closed form M/N", "model, ample bandwidth", "model, default bandwidths"])
    return text, rec


def metadata_bits() -> tuple[str, dict]:
    rows, rec = [], {}
    for pat in ("2:4", "4:8", "8:16", "16:32", "1:4", "2:8", "4:16"):
        p = Pattern.parse(pat)
        tr = synthetic_trace([(4, 256, 8)], pattern=pat, seed=0)
        got = {}
        for fmt in ("index", "bitmask", "combinatorial"):
            d = Design(pe_rows=2, pe_cols=2, lanes_per_pe=16, patterns=(pat,), metadata_format=fmt)
            got[fmt] = simulate(d, tr).actions["metadata_buffer"]["write_bits"] / (4 * 256 // p.m)
        rec[pat] = got
        rows.append([pat, int(got["combinatorial"]), int(got["index"]), int(got["bitmask"]), f"{p.entropy_bits_per_element():.2f}"])
    nv = {}
    for prec in ("int8", "fp16"):
        d = Design(precision=prec, patterns=("2:4",), metadata_format="index")
        r = simulate(d, synthetic_trace([(16, 512, 16)], pattern="2:4"))
        nv[prec] = (r.actions["metadata_buffer"]["write_bits"] / 8) / (16 * 512 * d.bytes_per_element)
    rec["nvidia_fraction"] = nv
    text = _table(rows, ["N:M", "combinatorial bits/group", "index", "bitmask", "entropy bits/element"])
    text += (
        f"\n\nNVIDIA 2:4 metadata bytes per dense operand byte (hardware-anchors §7.8: 1/8 INT8, 1/16 FP16): "
        f"model INT8 1/{1 / nv['int8']:.0f}, FP16 1/{1 / nv['fp16']:.0f}."
    )
    return text, rec


TABLE_5_4 = {0.50: (1.52, 1.47, 1.43, 1.40), 0.40: (1.70, 1.70, 1.75, 1.83),
             0.30: (1.85, 1.89, 1.95, 1.99), 0.25: (1.90, 1.95, 1.99, 2.00)}  # fmt: skip


def bernoulli_table() -> tuple[str, dict]:
    rows, rec = [], {}
    t, k, o = 256, 4096, 256
    for dens, pub in TABLE_5_4.items():
        tr = synthetic_trace([(t, k, o)], density=dens, seed=1)
        row, rrow = [f"{dens:.2f}"], {}
        for (n, m), p in zip(((2, 4), (4, 8), (8, 16), (16, 32)), pub):
            one = Design(pe_rows=1, pe_cols=1, lanes_per_pe=n, patterns=(f"{n}:{m}",), **AMPLE)
            s1 = (t * k / n) * o / simulate(one, tr).cycles  # dense: t*k/n cycles per output column (pe_cols = 1)
            flex = presets["dense"].replace(patterns=(f"{n}:{m}",), **AMPLE)
            s2 = simulate(presets["dense"].replace(**AMPLE), tr).cycles / simulate(flex, tr).cycles
            rrow[f"{n}:{m}"] = {"published": p, "one_lane_group": s1, "array_16x16x8": s2}
            row.append(f"{p:.2f} / {s1:.2f} / {s2:.2f}")
        rec[dens] = rrow
        rows.append(row)
    text = _table(rows, ["density", "2:4", "4:8", "8:16", "16:32"])
    text = "Cells: published / model with one lane group per tile (the table's assumption) / model on the 16x16x8 array.\n\n" + text
    return text, rec


def scalesim_closed_form() -> tuple[str, dict]:
    # docs/hardware-anchors.md §3: SCALE-Sim v3 (arXiv 2504.15377) WS cycles = folds x (2R + C + T - 2) - 1 (measured 38,879 for 2048x512x512 dense
    # on 128x128 and 19,439 for 2:4).  Our WS folds cost T + R + C - 2 (weights double-buffered).
    d = Design(pe_rows=128, pe_cols=128, lanes_per_pe=1, act_buffer_kib=1024, **AMPLE)
    rows, rec = [], {}
    for pat, measured in (("dense", 38879), ("2:4", 19439)):
        tr = synthetic_trace([(2048, 512, 512)], pattern=pat, seed=0)
        dd = d if pat == "dense" else d.replace(patterns=("2:4",))
        cyc = simulate(dd, tr).cycles
        kt = 128 * (2 if pat == "2:4" else 1)
        folds = math.ceil(512 / kt) * math.ceil(512 / 128)
        scale = folds * (2 * 128 + 128 + 2048 - 2) - 1
        rec[pat] = {"scalesim_measured": measured, "scalesim_formula": scale, "model": cyc}
        rows.append([pat, f"{measured:,}", f"{scale:,}", f"{cyc:,}", f"{folds} x 128 = {folds * 128:,}"])
    text = _table(rows, ["2048x512x512 WS 128x128", "SCALE-Sim measured", "SCALE-Sim formula", "model", "difference explained by weight preload R per fold"])
    return text, rec


# -------------------------------------------------------------------------- published anchors
def _load_gpu() -> tuple[list[dict], dict, str | None]:
    for name in ("h100_semistructured.json", "h200_semistructured.json"):
        path = DATA / name
        if path.is_file():
            doc = json.loads(path.read_text())
            recs = doc.get("records", doc) if isinstance(doc, dict) else doc
            return list(recs), (doc.get("meta", {}) if isinstance(doc, dict) else {}), name
    return [], {}, None


def gpu_comparison() -> tuple[str, dict]:
    recs, meta, name = _load_gpu()
    base = presets["h100-sm-2:4"]
    dense_d = base.replace(patterns=("dense",))
    ample_d, ample_dense = base.replace(**AMPLE), base.replace(patterns=("dense",), **AMPLE)
    # What-if for the missing L2: a weight buffer that holds all of W, so W is read from HBM once.
    onchip_d = base.replace(weight_buffer_kib=1 << 20)
    onchip_dense = onchip_d.replace(patterns=("dense",))
    sms = 132
    shapes = sorted({(int(r.get("T", r.get("M", 0))), int(r["K"]), int(r.get("O", r.get("N", 0)))) for r in recs}) or [
        (2048, 4096, 4096), (3072, 10240, 3072), (8192, 8192, 8192)]  # fmt: skip
    model = {}
    for t, k, o in shapes:
        tr = _gemm_trace(t, k, o, "2:4", seed=0)
        rs, rd = simulate(base, tr), simulate(dense_d, tr)
        cs, cd = simulate(ample_d, tr), simulate(ample_dense, tr)
        ws, wd = simulate(onchip_d, tr), simulate(onchip_dense, tr)
        model[(t, k, o)] = {
            "speedup": rd.cycles / rs.cycles,
            "speedup_compute_only": cd.cycles / cs.cycles,
            "speedup_w_on_chip": wd.cycles / ws.cycles,
            "dense_ms": rd.cycles / sms / (base.clock_ghz * 1e9) * 1e3,
            "sparse_bound": max(rs.cycles_by_cause, key=rs.cycles_by_cause.get),
            "compaction_stall": rs.cycles_by_cause["compaction"],
        }
    tr1 = _gemm_trace(1, 4096, 4096, "2:4")
    gemv = simulate(dense_d, tr1, mode="decode").cycles / simulate(base, tr1, mode="decode").cycles
    rows = []
    for r in recs:
        key = (int(r.get("T", r.get("M", 0))), int(r["K"]), int(r.get("O", r.get("N", 0))))
        m = model[key]
        dg, sg = r.get("dense_graph_ms"), r.get("sparse_graph_ms")
        meas = dg / sg if dg and sg else r.get("speedup")
        comp = r.get("sparse_with_compress_ms")
        rows.append([r.get("dtype", "?"), "x".join(map(str, key)), f"{r['dense_ms']:.3f}", f"{m['dense_ms']:.3f}",
                     f"{meas:.2f}x", f"{r['dense_ms'] / comp:.2f}x" if comp else "-", f"{m['speedup']:.2f}x",
                     f"{m['speedup_w_on_chip']:.2f}x", f"{m['speedup_compute_only']:.2f}x", m["sparse_bound"]])  # fmt: skip
    if recs:
        text = (
            f"Measurements: `analysis/data/{name}` ({meta.get('gpu', '?')}, torch {meta.get('torch', '?')}; "
            f"{meta.get('protocol', '')}; {meta.get('operand', '')}).  Measured speedup = dense / sparse time of "
            "CUDA-graph replays where recorded (no host overhead), else the eager ratio.  Model: the `h100-sm-2:4` preset "
            "(one SM: 2048 FP16 MAC/clk, a 1/132 share of H100's 3.35 TB/s HBM3, 1.83 GHz), whole GEMM on one SM, time / 132 SMs; "
            "the H200 has the same GH100 compute with 4.8 TB/s HBM3e, so the model's memory bound is pessimistic for it.\n\n"
        )
        text += _table(rows, ["dtype", "TxKxO", "dense ms measured", "dense ms model", "2:4 speedup measured",
                              "eager speedup incl. online compression", "model speedup", "model, W on chip (L2 what-if)",
                              "model, compute only", "model bound by"])  # fmt: skip
    else:
        text = (
            "No GPU measurement file (analysis/data/h100_semistructured.json or h200_semistructured.json) was found; "
            "only model predictions are shown.\n\n"
        )
        text += _table([["x".join(map(str, s)), f"{v['speedup']:.2f}x", f"{v['speedup_w_on_chip']:.2f}x", f"{v['speedup_compute_only']:.2f}x"]
                        for s, v in model.items()], ["TxKxO", "model speedup", "W on chip", "compute only"])  # fmt: skip
    text += f"\n\nBatch-1 GEMV 1x4096x4096 (anchor: about 1.0x on A100): model {gemv:.2f}x."
    return text, {"shapes": {"x".join(map(str, s)): v for s, v in model.items()}, "gemv": gemv, "file": name}


def vegeta() -> tuple[str, dict]:
    base = presets["dense"]
    rows, rec = [], {}
    for label, pat, trace_pat, pub in (("4:4 (dense)", "dense", "dense", 1.09), ("2:4", "2:4", "2:4", 2.20), ("1:4", "1:4", "1:4", 3.74)):
        tr = synthetic_trace([(1024, 4096, 1024)], pattern=trace_pat, seed=0)
        d = base if pat == "dense" else base.replace(patterns=(pat,))
        s = simulate(base, tr).cycles / simulate(d, tr).cycles
        rec[label] = {"published": pub, "model": s}
        rows.append([label, f"{pub:.2f}x", f"{s:.2f}x"])
    tr = synthetic_trace([(1024, 4096, 1024)], density=0.05, seed=0)
    d95 = base.replace(patterns=("unstructured:0.05",))
    s95 = simulate(base, tr).cycles / simulate(d95, tr).cycles
    rec["95% unstructured"] = {"published": 3.28, "model": s95}
    rows.append(["95 % unstructured (Bernoulli, crossbar over 160-channel segments)", "3.28x", f"{s95:.2f}x"])
    return _table(rows, ["VEGETA N:4 engine vs dense", "published", "model (16x16x8 int8, default bandwidths)"]), rec


def s2ta_energy() -> tuple[str, dict]:
    tr = synthetic_trace([(2048, 4096, 4096)], density=0.5, seed=0)
    d = presets["dense"]
    r = simulate(d, tr)
    c = price(r, d)
    e = c.energy_by_component_j
    on_chip = c.energy_j - e["dram"]
    mac = e["multiplier"] + e["adder"]
    buffers = e["act_buffer"] + e["weight_buffer"] + e["register"]
    tr_nm = synthetic_trace([(2048, 4096, 4096)], pattern="8:16", seed=0)
    ds = presets["flex-8:16-window"]
    rs, rd = simulate(ds, tr_nm), simulate(d, tr_nm)
    cs, cd = price(rs, ds), price(rd, d)
    rec = {"mac_share_on_chip": mac / on_chip, "buffer_share_on_chip": buffers / on_chip,
           "speedup_8_16_vs_gated_dense": rd.cycles / rs.cycles, "energy_ratio_8_16_vs_gated_dense": cd.energy_j / cs.energy_j,
           "energy_ratio_on_chip": (cd.energy_j - cd.energy_by_component_j["dram"]) / (cs.energy_j - cs.energy_by_component_j["dram"])}  # fmt: skip
    rows = [
        ["MAC share of on-chip energy, dense INT8 array, 50 % zeros (gated)", "~20 %", f"{100 * rec['mac_share_on_chip']:.0f} %"],
        ["buffers + registers share", "~80 %", f"{100 * rec['buffer_share_on_chip']:.0f} %"],
        ["speed, activation 8:16 vs zero-gated dense (S2TA: joint W+A DBB)", "> 2x", f"{rec['speedup_8_16_vs_gated_dense']:.2f}x"],
        ["energy, same (incl. DRAM / on-chip only)", "> 2x", f"{rec['energy_ratio_8_16_vs_gated_dense']:.2f}x / {rec['energy_ratio_on_chip']:.2f}x"],
    ]
    return _table(rows, ["S2TA anchor (2048x4096x4096 prefill)", "published", "model"]), rec


def sta_area() -> tuple[str, dict]:
    tr = synthetic_trace([(64, 1024, 256)], pattern="dense")
    tensor = presets["dense"]  # 16 x 16 PEs x 8 lanes
    scalar = Design(name="scalar", pe_rows=32, pe_cols=64, lanes_per_pe=1)  # 2048 scalar PEs
    a_t = price(simulate(tensor, tr), tensor).area_by_component_mm2
    a_s = price(simulate(scalar, tr), scalar).area_by_component_mm2
    logic = ("multiplier", "adder", "register")
    ratio = sum(a_s[c] for c in logic) / sum(a_t[c] for c in logic)
    rec = {"array_area_ratio_scalar_over_tensor": ratio}
    rows = [["array area, scalar-PE SA / tensor-PE (8-lane) at equal multipliers", "2.08x", f"{ratio:.2f}x"]]
    return _table(rows, ["STA anchor", "published", "model"]), rec


def sigma_area() -> tuple[str, dict]:
    tr = synthetic_trace([(512, 4096, 1024)], density=0.5, seed=0)
    d, u = presets["dense"], presets["unstructured-sigma"]
    rd, ru = simulate(d, tr), simulate(u, tr)
    cd, cu = price(rd, d), price(ru, u)
    logic = ("multiplier", "adder", "register", "selector", "metadata_decoder", "compaction")
    a_ratio = sum(cu.area_by_component_mm2[c] for c in logic) / sum(cd.area_by_component_mm2[c] for c in logic)
    total_ratio = cu.area_mm2 / cd.area_mm2
    p_ratio = (cu.energy_j / ru.cycles) / (cd.energy_j / rd.cycles)
    rec = {"compute_area_ratio": a_ratio, "total_area_ratio": total_ratio, "power_ratio": p_ratio}
    rows = [["area vs TPU-like at equal multipliers (compute logic / incl. SRAM)", "+38 %",
             f"{100 * (a_ratio - 1):+.0f} % / {100 * (total_ratio - 1):+.0f} %"],
            ["power (energy per cycle) on 50 % Bernoulli activations", "~2x", f"{p_ratio:.2f}x"]]  # fmt: skip
    return _table(rows, ["SIGMA anchor", "published", "model"]), rec


def energy_sanity() -> tuple[str, dict]:
    mac = Multiplier("int8").energy_pj() + Adder("int8").energy_pj()
    srams = {kb: SRAM(kb).energy_pj_per_bit() * 64 for kb in (8, 32, 256)}
    dram = DRAM().pj_per_bit
    rec = {"int8_mac_pj": mac, "sram_64b_pj": srams, "dram_pj_per_bit": dram,
           "sram_over_mac": srams[32] / mac, "dram64_over_mac": 64 * dram / mac}  # fmt: skip
    rows = [["int8 MAC (mult + int32 accumulate), 45 nm", "0.2-0.6 pJ", f"{mac:.2f} pJ"],
            ["64-bit SRAM read, 8 / 32 / 256 KB", "10-36 pJ", " / ".join(f"{v:.0f}" for v in srams.values()) + " pJ"],
            ["DRAM", "8-40 pJ/bit", f"{dram:.1f} pJ/bit"],
            ["memory access / MAC (32 KB SRAM 64 b)", "5-50x (hardware-anchors §7.7; Horowitz: 87x for 32 KB)", f"{srams[32] / mac:.0f}x"]]  # fmt: skip
    return _table(rows, ["energy anchor", "published", "model"]), rec


SECTIONS = [
    ("1. Peak ratio at equal multipliers (docs/hardware-anchors.md §7.1)", peak_ratios,
     "Reproduced exactly (512x4096x1024, int8, 16x16x8).  Even with the default bandwidths the ratio is exact here: in the "
     "weight-stationary dataflow the next weight tile loads while the current one computes, and an N:M core runs half "
     "(or a quarter) as many folds of the same length, fill and drain included.  It falls below M/N when K is not a "
     "multiple of the sparse tile (tile quantisation), when the operand streams or DRAM bind (section 5), or on natural "
     "sparsity (section 3)."),
    ("2. Metadata bits (docs/hardware-anchors.md §5.2, §7.8)", metadata_bits,
     "Counted by the simulator from the masks it streams (metadata bits written per group); they equal the closed forms exactly."),
    ("3. Bernoulli activations on N:M engines (docs/hardware-anchors.md §5.4)", bernoulli_table,
     "With one lane group per tile the model is the table's formula (M/N)/E[ceil(x/N)] evaluated on sampled masks, so it "
     "reproduces the table within sampling error.  On a real 16x16x8 array the lane groups of a tile share a token "
     "block and wait for the slowest (max over lane groups of their summed passes), which costs a few per cent more; "
     "the table is an upper bound for such arrays."),
    ("4. SCALE-Sim's closed form (docs/hardware-anchors.md §3; SCALE-Sim v3, arXiv:2504.15377)", scalesim_closed_form,
     "Our weight-stationary folds stream T tokens with R + C - 2 cycles of fill and drain and load the next weights "
     "under double buffering; SCALE-Sim also charges R cycles of weight preload per fold.  The difference is exactly "
     "folds x R in both cases, and like SCALE-Sim the model gives 2:4 = 4:8 = 8:16 on exact masks at equal density; unlike "
     "it, the model separates them on natural sparsity (section 3) and in the selector/metadata costs."),
    ("5. Real GPU: torch semi-structured 2:4 vs dense (docs/hardware-anchors.md §7.2; measured by analysis/gpu/)", gpu_comparison,
     "Miss, explained; the model brackets the measurements but does not predict them.  With the per-SM preset as it "
     "stands (a 1/132 share of HBM, no L2) every shape is DRAM-bound because the weights are re-read for every "
     "activation block that fits the 128 KiB buffer, so dense and 2:4 take the same time (1.00x); the dense times "
     "it predicts are close to the measured ones only because that bound happens to sit near cuBLAS's ~70 % of peak.  "
     "With operand bandwidth unconstrained the datapath gives 2.00x.  The H200 measurements (CUDA-graph replays, FP16) "
     "lie between: 1.07-1.57x for T >= 2048, below 1x for T <= 512.  The what-if column holds all of W on chip (a "
     "stand-in for Hopper's 50 MB L2, which the model lacks): large GEMMs become compute-bound at 2x, and small T "
     "falls towards 1x because reading W once from HBM then binds - the measured trend, though the model never goes "
     "below 1x since nothing in it makes the sparse path slower.  Also missing: kernel-level efficiency (metadata loaded "
     "through the register file, fewer tile shapes, scheduling), which is why the sparse kernel sits further from "
     "its peak than the dense one and why BF16 gains less than FP16.  Online compression is a separate kernel on the "
     "GPU (the eager column: about as long as the GEMM), whereas the modelled compaction unit works in line and does "
     "not bind at these shapes (it is priced in area and energy instead).  The batch-1 GEMV anchor (about 1x on a "
     "weight-sparse GPU kernel) is not reproduced by design: the modelled activation-sparse core fetches only the "
     "weight rows the token keeps, so decode is 2x."),
    ("6. VEGETA (docs/hardware-anchors.md §7.3)", vegeta,
     "Partly reproduced.  The model's 4:4 is dense (1.00x); VEGETA's 1.09x comes from its CPU-engine pipeline, which is "
     "not modelled.  2:4 and 1:4 give exactly M/N here; VEGETA's 2.20x and 3.74x come from engine effects (register-file "
     "bandwidth, pipeline) absent from the model.  The 95 % row is not comparable: the modelled crossbar core selects "
     "from 160-channel segments (fan-in 160 per lane), far more flexible than VEGETA's 4-wide structured engine "
     "approximating unstructured sparsity row-wise, so it skips more (5.8x vs 3.28x)."),
    ("7. S2TA (docs/hardware-anchors.md §7.4)", s2ta_energy,
     "Miss on the energy split, explained.  The model charges one operand-register read per issued MAC and reads the "
     "SRAM buffers once per fold (weights stationary in the array, activations re-streamed once per 16-column output "
     "tile), so buffer energy per MAC is small and the MAC datapath is about half of on-chip energy; S2TA's 80 % buffer "
     "share reflects operand SRAM/register-file traffic at every PE of its INT8 array, which the model does not count.  "
     "Speed: S2TA's >2x comes from joint weight and activation DBB sparsity; the model has activation sparsity only, so "
     "it is bounded by 2x at 50 %.  Energy gains are smaller than the speedup because gated MACs already cost 3 % of a "
     "MAC and DRAM traffic is unchanged in prefill."),
    ("8. STA tensor PE vs scalar PE (docs/hardware-anchors.md §7.5)", sta_area,
     "Miss: the model's area has no systolic pipeline registers or inter-PE wiring per scalar PE beyond one operand "
     "register and one accumulator, so it under-states what a tensor PE saves (STA's 2.08x)."),
    ("9. SIGMA flexibility cost (docs/hardware-anchors.md §7.6)", sigma_area,
     "Partly reproduced.  The unstructured core is priced as a per-lane 16:1 crossbar, 16x the stationary-weight "
     "registers (candidates per lane), bitmap decoders and a compaction network: the compute logic grows by about half, "
     "in the range of SIGMA's +38 %, but with buffers included (which SIGMA's comparison also has) the model's growth "
     "is smaller.  Power is under-stated: SIGMA's Benes distribution and forwarding adder (FAN) networks switch on "
     "every operand, whereas the model charges only the mux path per issued product."),
    ("10. Energy sanity (docs/hardware-anchors.md §7.7)", energy_sanity,
     "Reproduced for the MAC, small SRAMs and DRAM.  The 256 KB SRAM read (53 pJ) is above the anchor's 36 pJ because "
     "the model interpolates Horowitz's 32 KB and 1 MB points, while the 36 pJ is Sparseloop's wide 512-bit SMEM; a "
     "banked buffer is priced at its bank size (16 KiB banks: 14 pJ).  Memory/MAC is 67x, between the anchor's range "
     "and Horowitz's own 87x."),
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(HERE / "validation.md"))
    args = ap.parse_args(argv)
    parts = ["# accelsim validation: closed forms, published anchors, GPU measurements", "",
             "Generated by `NUMBA_NUM_THREADS=1 .venv/bin/python analysis/validation.py`; every model number is computed "
             "by the simulator and cost model at generation time.  Anchors are quoted from "
             "[docs/hardware-anchors.md](../docs/hardware-anchors.md) (its section numbers and tags [V]/[R]/[D]; "
             "the targets are its section 7, each naming its public source), peers from its section 3.", ""]  # fmt: skip
    records = {}
    for title, fn, note in SECTIONS:
        print(f"... {title}", flush=True)
        text, rec = fn()
        parts += [f"## {title}", "", text, "", note, ""]
        records[title] = rec
    import numba

    parts += ["## Provenance", "", f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}; "
              "synthetic masks with fixed seeds (0 or 1); presets from `accelsim.sim.presets`.", ""]  # fmt: skip
    out = Path(args.out)
    tmp = out.with_suffix(".md.tmp")
    tmp.write_text("\n".join(parts))
    tmp.replace(out)
    atomic_write_json(out.with_suffix(".json"), {str(k): v for k, v in records.items()})
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
