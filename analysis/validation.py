"""Validate the simulator and cost model against closed forms, published anchors and GPU measurements.

    NUMBA_NUM_THREADS=1 .venv/bin/python analysis/validation.py        # writes analysis/validation.md

Sections 1-6 follow docs/hardware-anchors.md section 7 (numbers quoted from there, with their
sources and tags) and its section 3 (SCALE-Sim's closed form); sections 7-11 come from the anchor
modules beside this file (validation_model_v2.py, validation_gpu.py with the H200 measurements
in analysis/data/h200_semistructured_v2.json, validation_gpu_heldout.py with the sessions no constant was
fitted on, validation_dstc.py, validation_cost.py; their figures are redrawn too), each row
with its tolerance and a test in tests/.  Every model number is computed by running
accelsim.sim.simulate / accelsim.cost.price now; nothing is typed in.  The summary table is also
written into README.md (between its validation markers).  Runtime: a few minutes on one core.
"""

from __future__ import annotations

import argparse
import math
import platform
from pathlib import Path

import numpy as np

from accelsim.cost import SRAM, Multiplier
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
     "multiple of the sparse tile (tile quantisation), when the operand streams or DRAM bind (section 8), when the operand path is sized for a narrower pattern (section 7), or on natural "
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
    ("5. VEGETA (docs/hardware-anchors.md §7.3)", vegeta,
     "Partly reproduced.  The model's 4:4 is dense (1.00x); VEGETA's 1.09x comes from its CPU-engine pipeline, which is "
     "not modelled.  2:4 and 1:4 give exactly M/N here; VEGETA's 2.20x and 3.74x come from engine effects (register-file "
     "bandwidth, pipeline) absent from the model.  The 95 % row is not comparable: the modelled crossbar core selects "
     "from 160-channel segments (fan-in 160 per lane), far more flexible than VEGETA's 4-wide structured engine "
     "approximating unstructured sparsity row-wise, so it skips more (5.8x vs 3.28x)."),
    ("6. Energy sanity (docs/hardware-anchors.md §7.7)", energy_sanity,
     "Reproduced for the MAC, small SRAMs and DRAM.  The 256 KB SRAM read (53 pJ) is above the anchor's 36 pJ because "
     "the model interpolates Horowitz's 32 KB and 1 MB points, while the 36 pJ is Sparseloop's wide 512-bit SMEM; a "
     "banked buffer is priced at its bank size (16 KiB banks: 14 pJ).  Memory/MAC is 67x, between the anchor's range "
     "and Horowitz's own 87x."),
]


# Anchor modules: rows {anchor, reference, accelsim, error, tolerance, source, note} computed at generation time.
ANCHOR_SECTIONS = [
    ("7. Sparse-core model v2 mechanisms (docs/sparse-core-model.md)", "validation_model_v2", "model_v2_anchors",
     "Closed forms written independently of the simulator (hypergeometric sums, FO4 arithmetic, byte counts)."),
    ("8. GPU: H200 2:4 vs dense, CUDA graphs (measured by analysis/gpu/)", "validation_gpu", "gpu_anchors",
     "Global constants only (accelsim.sim.presets.GPU_CALIBRATION): the sparse kernel's bandwidth and compute efficiency "
     "are fitted on the even-indexed Llama-7B points and checked on the odd-indexed ones; the launch overheads are the "
     "median single-call graph times of the SmolLM2 shapes, which are left out of the score (launch-bound, noisy).  "
     "Figure: [gpu/predicted_vs_measured.png](gpu/predicted_vs_measured.png)."),
    ("9. GPU, held out of every fit: the H200 v1 session and an H100 SXM session", "validation_gpu_heldout",
     "heldout_anchors",
     "No constant was fitted on these points: the presets of section 8 (for the H100, the same constants with its "
     "3.35 TB/s HBM) against a second H200 session (v1, the file issue 9 names; three shapes not in v2) and an H100 SXM "
     "session at 14 token counts.  Figure: [gpu/predicted_vs_measured_heldout.png](gpu/predicted_vs_measured_heldout.png)."),
    ("10. Dual-side and unstructured sparsity: DSTC Fig. 21", "validation_dstc", "dstc_anchors", ""),
    ("11. Area and energy anchors: S2TA, STA, SIGMA", "validation_cost", "cost_anchors",
     "Each anchor's setup and what is modelled are in its note; a miss is reported as measured, never fitted."),
]


def _load_anchors(module: str, fn: str) -> list[dict] | None:
    """The rows of ``analysis/<module>.py``'s ``fn()``; None when that module is not in this checkout."""
    import importlib.util

    path = HERE / f"{module}.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(module, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rows = getattr(mod, fn)()
    if hasattr(mod, "figure"):  # the module's figure (analysis/gpu/*.png) is regenerated with its rows
        mod.figure()
    return rows


def _passes(r: dict) -> bool | None:
    """Within tolerance?  None when the row has no numeric tolerance (an explanation or a count)."""
    if "pass" in r:
        return bool(r["pass"])
    tol, err = r.get("tolerance"), r.get("error")
    if tol == "all points" and r.get("reference") is not None:  # a count that must be complete (e.g. signs right)
        return r.get("accelsim") == r.get("reference")
    if isinstance(tol, (int, float)) and isinstance(err, (int, float)):
        return abs(err) <= tol
    return None


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _anchor_table(rows: list[dict]) -> str:
    body = []
    for r in rows:
        ok = _passes(r)
        body.append([r["anchor"], _fmt(r.get("reference")), _fmt(r.get("accelsim")), _fmt(r.get("error")), _fmt(r.get("tolerance")),
                     {True: "yes", False: "**no**", None: "-"}[ok]])  # fmt: skip
    text = _table(body, ["anchor", "reference", "accelsim", "error", "tolerance", "within"])
    notes = [f"- *{r['anchor']}*: {r['note']} (source: {r.get('source', '-')})" for r in rows if r.get("note")]
    return text + ("\n\n" + "\n".join(notes) if notes else "")


README = HERE.parent / "README.md"
_START, _END = "<!-- validation:start -->", "<!-- validation:end -->"


def _readme_block(summary: list[dict]) -> None:
    """Replace the README's validation table (between the markers) with this run's summary."""
    if not README.is_file():
        return
    text = README.read_text()
    if _START not in text or _END not in text:
        return
    rows = [[r["anchor"], _fmt(r.get("reference")), _fmt(r.get("accelsim")), _fmt(r.get("error")), _fmt(r.get("tolerance")),
             {True: "yes", False: "no", None: "-"}[_passes(r)]] for r in summary]  # fmt: skip
    table = _table(rows, ["anchor", "reference", "accelsim", "error", "tolerance", "within"])
    head, rest = text.split(_START, 1)
    tail = rest.split(_END, 1)[1]
    README.write_text(f"{head}{_START}\n{table}\n{_END}{tail}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(HERE / "validation.md"))
    args = ap.parse_args(argv)
    parts = ["# accelsim validation: closed forms, published anchors, GPU measurements", "",
             "Generated by `NUMBA_NUM_THREADS=1 .venv/bin/python analysis/validation.py`; every model number is computed "
             "by the simulator and cost model at generation time.  Sections 1-6: anchors quoted from "
             "[docs/hardware-anchors.md](../docs/hardware-anchors.md) (its section numbers and tags [V]/[R]/[D]; "
             "the targets are its section 7, each naming its public source), peers from its section 3.  Sections 7-11: "
             "the anchor modules `analysis/validation_*.py`, each row with its source, tolerance and a test in `tests/`; "
             "a miss is reported as measured.", ""]  # fmt: skip
    records, summary = {}, []
    for title, fn, note in SECTIONS:
        print(f"... {title}", flush=True)
        text, rec = fn()
        parts += [f"## {title}", "", text, "", note, ""]
        records[title] = rec
    for title, module, fn, note in ANCHOR_SECTIONS:
        print(f"... {title}", flush=True)
        rows = _load_anchors(module, fn)
        if rows is None:
            parts += [f"## {title}", "", f"Not evaluated: `analysis/{module}.py` is not in this checkout.", ""]
            continue
        parts += [f"## {title}", "", note, "", _anchor_table(rows), ""] if note else [f"## {title}", "", _anchor_table(rows), ""]
        records[title] = rows
        summary += [r for r in rows if _passes(r) is not None and "T=" not in r["anchor"]]
    parts[4:4] = ["## Summary", "", "Anchors with a numeric tolerance (per-shape GPU points are in section 8).", "",
                  _anchor_table([{k: v for k, v in r.items() if k != "note"} for r in summary]), ""]
    import numba

    parts += ["## Provenance", "", f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}; "
              "synthetic masks with fixed seeds (0 or 1); presets from `accelsim.sim.presets`.", ""]  # fmt: skip
    out = Path(args.out)
    tmp = out.with_suffix(".md.tmp")
    tmp.write_text("\n".join(parts))
    tmp.replace(out)
    atomic_write_json(out.with_suffix(".json"), {str(k): v for k, v in records.items()})
    _readme_block(summary)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
