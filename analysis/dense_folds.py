"""Dense folds: accelsim's dense cycles against SCALE-Sim's closed form and ZigZag (issue 9; docs/hardware-anchors.md,
"Dense folds against ZigZag and SCALE-Sim").

Two arrays, weight-stationary, int8, 1 GHz, the Llama-7B qkvo layer: prefill ``2048 x 4096 x 4096`` and decode
``T = 1``.

* ``peer-128``: 128 x 128 MACs (the setup the issue's 15-18 % / 5 % came from), with accelsim's default 256 KiB
  activation buffer, and with a 1 MiB one (the peers' SRAM size) to show what the token blocks cost.
* ``dense``: accelsim's ``dense`` preset: 16 x 16 PEs of 8-lane dot products (128 K-rows x 16 columns).

Every row gives accelsim's cycles, cut by hand into folds x (tokens per fold + fill and drain), and with
``weight_double_buffer`` (``accelsim_dbuf``: the fill once per call, each fold max(tokens, weight delivery)), SCALE-Sim v3's WS
closed form ``folds x (2R + C + T - 2) - 1`` (R rows on K, C columns on O; Raj et al., ISPASS 2025, matched by its
runs), and ZigZag 3.9.1 (``zigzag-dse`` on PyPI; Mei et al., IEEE TC 2021) when a Python that has it is named by
``ZIGZAG_PYTHON``. ZigZag runs in that Python's process, from YAML written here: the same MAC array, a weight
register per MAC, an activation SRAM and a weight SRAM of accelsim's sizes, and DRAM at the design's bandwidth. The
rows are printed, and with ``--out`` written as JSON (atomically).

    ZIGZAG_PYTHON=/tmp/zzvenv/bin/python .venv/bin/python analysis/dense_folds.py --out analysis/data/dense_folds.json
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PREFILL, DECODE = (2048, 4096, 4096), (1, 4096, 4096)

# ZigZag's inputs.  Energies are placeholders (only cycles are compared); bandwidths in bits per cycle.
_ZZ_HW = """name: {name}
memories:
  reg_W: {{size: 8, r_cost: 0.02, w_cost: 0.02, area: 0, latency: 1, operands: [I2], served_dimensions: [],
    ports: [{{name: r_port_1, type: read, bandwidth_min: 8, bandwidth_max: 8, allocation: ["I2, tl"]}},
            {{name: w_port_1, type: write, bandwidth_min: 8, bandwidth_max: 8, allocation: ["I2, fh"]}}]}}
  reg_O: {{size: 32, r_cost: 0.02, w_cost: 0.02, area: 0, latency: 1, operands: [O], served_dimensions: [D1],
    ports: [{{name: r_port_1, type: read, bandwidth_min: 32, bandwidth_max: 32, allocation: ["O, tl"]}},
            {{name: r_port_2, type: read, bandwidth_min: 32, bandwidth_max: 32, allocation: ["O, th"]}},
            {{name: w_port_1, type: write, bandwidth_min: 32, bandwidth_max: 32, allocation: ["O, fh"]}},
            {{name: w_port_2, type: write, bandwidth_min: 32, bandwidth_max: 32, allocation: ["O, fl"]}}]}}
  sram_W: {{size: {w_bits}, r_cost: 50, w_cost: 55, area: 0, latency: 1, operands: [I2], served_dimensions: [D1, D2],
    ports: [{{name: r_port_1, type: read, bandwidth_min: 64, bandwidth_max: {w_bw}, allocation: ["I2, tl"]}},
            {{name: w_port_1, type: write, bandwidth_min: 64, bandwidth_max: {w_bw}, allocation: ["I2, fh"]}}]}}
  sram_I: {{size: {io_bits}, r_cost: 50, w_cost: 55, area: 0, latency: 1, operands: [I1], served_dimensions: [D1, D2],
    ports: [{{name: r_port_1, type: read, bandwidth_min: 64, bandwidth_max: {io_bw}, allocation: ["I1, tl"]}},
            {{name: w_port_1, type: write, bandwidth_min: 64, bandwidth_max: {io_bw}, allocation: ["I1, fh"]}}]}}
  sram_O: {{size: {o_bits}, r_cost: 50, w_cost: 55, area: 0, latency: 1, operands: [O], served_dimensions: [D1, D2],
    ports: [{{name: r_port_1, type: read, bandwidth_min: 64, bandwidth_max: {o_bw}, allocation: ["O, tl", "O, th"]}},
            {{name: w_port_1, type: write, bandwidth_min: 64, bandwidth_max: {o_bw}, allocation: ["O, fh", "O, fl"]}}]}}
  dram: {{size: 10000000000, r_cost: 700, w_cost: 750, area: 0, latency: 1, operands: [I1, I2, O], served_dimensions: [D1, D2],
    ports: [{{name: rw_port_1, type: read_write, bandwidth_min: 64, bandwidth_max: {dram_bw},
              allocation: ["I1, fh", "I1, tl", "I2, fh", "I2, tl", "O, fh", "O, tl", "O, fl", "O, th"]}}]}}
operational_array: {{unit_energy: 0.2, unit_area: 1, dimensions: [D1, D2], sizes: [{rows}, {cols}], systolic_dimensions: [D1, D2]}}
"""
_ZZ_MAP = """- name: default
  spatial_mapping: {{D1: ["C, {rows}"], D2: ["K, {cols}"]}}
  memory_operand_links: {{O: O, W: I2, I: I1}}
"""
_ZZ_RUN = """import json, sys, logging
logging.disable(logging.CRITICAL)
from zigzag.api import get_hardware_performance_zigzag
wl = [{"id": 0, "operator_type": "Gemm", "equation": "O[b][k]+=I[b][c]*W[c][k]", "loop_dims": ["B", "C", "K"],
       "loop_sizes": [int(a) for a in sys.argv[3:6]], "operand_precision": {"I": 8, "W": 8, "O": 32, "O_final": 8},
       "operand_source": {"I": 0, "W": 0}}]
e, lat, cmes = get_hardware_performance_zigzag(wl, sys.argv[1], sys.argv[2], opt="latency", dump_folder=sys.argv[6],
                                               loma_show_progress_bar=False)
c = cmes[0][0]
from importlib.metadata import version
print(json.dumps({"zigzag_dse": version("zigzag-dse"), "cycles": c.latency_total2, "ideal": c.ideal_cycle, "ideal_temporal": c.ideal_temporal_cycle,
                  "computation": c.latency_total0, "onloading": c.latency_total1 - c.latency_total0,
                  "offloading": c.latency_total2 - c.latency_total1, "systolic_drain": c.systolic_drain_cycle}))
"""


def arrays() -> dict:
    from accelsim.sim.presets import presets

    base = presets["dense"]
    p128 = base.replace(name="peer-128", pe_rows=128, pe_cols=128, lanes_per_pe=1)
    return {"peer-128": p128, "peer-128, 1 MiB act": p128.replace(act_buffer_kib=1024), "dense": base}


def accelsim(design, shape: tuple, mode: str) -> dict:
    from accelsim import synthetic_trace
    from accelsim.sim import simulate

    t, k, o = shape
    r = simulate(design, synthetic_trace(shapes=[shape], pattern="dense", seed=0), mode=mode)
    rows_k = design.pe_rows * design.lanes_per_pe  # K positions one column covers
    tb = 1 if mode == "decode" else max(1, min(t, design.act_buffer_kib * 1024 // (2 * rows_k)))  # simulate.py's block
    folds = -(-t // tb) * -(-k // rows_k) * -(-o // design.pe_cols)
    dram = -(-(k * o + t * k + t * o) * design.clock_ghz // design.dram_bw_gb_per_s)  # int8: one byte each
    w = -(-rows_k * design.pe_cols // design.weight_bw_bytes_per_cycle)  # one fold's weights over the buffer's port
    return {"cycles": r.cycles, "folds": folds, "tokens_per_fold": tb, "fill_per_fold": design.pe_rows + design.pe_cols - 2,
            "weight_cycles_per_fold": w, "dram_roofline": int(dram),
            "causes": {c: v for c, v in r.cycles_by_cause.items() if v}}  # fmt: skip


def scalesim_ws(design, shape: tuple) -> dict:
    """SCALE-Sim's array has scalar MACs; a PE of L-lane dot products is read as one row covering L K-positions, so
    folds use the K it covers (pe_rows x lanes) and the fill uses its pipeline depth (pe_rows)."""
    t, k, o = shape
    r, c = design.pe_rows, design.pe_cols
    folds = -(-k // (r * design.lanes_per_pe)) * -(-o // c)
    return {"cycles": folds * (2 * r + c + t - 2) - 1, "folds": folds, "per_fold_overhead": 2 * r + c - 2}


def zigzag(design, shape: tuple) -> dict | None:
    py = os.environ.get("ZIGZAG_PYTHON")
    if not py:
        return None
    rows, cols = design.pe_rows * design.lanes_per_pe, design.pe_cols
    with tempfile.TemporaryDirectory() as tmp:
        hw, mp = Path(tmp) / "hw.yaml", Path(tmp) / "map.yaml"
        hw.write_text(_ZZ_HW.format(name=design.name.replace(" ", "_").replace(",", ""), rows=rows, cols=cols,
                                    w_bits=design.weight_buffer_kib * 8192, io_bits=design.act_buffer_kib * 8192,
                                    w_bw=design.weight_bw_bytes_per_cycle * 8, io_bw=rows * 8,
                                    o_bits=8 << 23, o_bw=cols * 32 * 2,
                                    dram_bw=int(design.dram_bw_gb_per_s / design.clock_ghz * 8)))  # fmt: skip
        mp.write_text(_ZZ_MAP.format(rows=rows, cols=cols))
        out = subprocess.run([py, "-c", _ZZ_RUN, str(hw), str(mp), *map(str, shape), str(Path(tmp) / "out")],
                             capture_output=True, text=True, timeout=600)  # fmt: skip
        if out.returncode:
            return {"error": out.stderr.strip().splitlines()[-1][:300]}
        return json.loads(out.stdout.strip().splitlines()[-1])


def rows() -> list[dict]:
    out = []
    for name, d in arrays().items():
        for case, shape, mode in (("prefill", PREFILL, "prefill"), ("decode", DECODE, "decode")):
            t, k, o = shape
            ideal = -(-t * k * o // (d.pe_rows * d.pe_cols * d.lanes_per_pe))
            out.append({"array": name, "case": case, "shape": list(shape), "ideal": ideal,
                        "accelsim": accelsim(d, shape, mode),
                        "accelsim_dbuf": accelsim(d.replace(weight_double_buffer=True), shape, mode),
                        "scalesim_ws": scalesim_ws(d, shape),
                        "zigzag": zigzag(d, shape)})  # fmt: skip
    return out


def main(argv: list[str]) -> int:
    rs = rows()
    for r in rs:
        a, s, z = r["accelsim"]["cycles"], r["scalesim_ws"]["cycles"], (r["zigzag"] or {}).get("cycles")
        zz = f"ZigZag {z:,.0f} (accelsim {a / z - 1:+.1%})" if z else f"ZigZag {r['zigzag']}"
        print(f"{r['array']:>20} {r['case']:>7}: ideal {r['ideal']:,}  accelsim {a:,} ({r['accelsim']['folds']:,} folds x "
              f"({r['accelsim']['tokens_per_fold']} + {r['accelsim']['fill_per_fold']}), DRAM roofline "
              f"{r['accelsim']['dram_roofline']:,})  SCALE-Sim WS {s:,} (accelsim {a / s - 1:+.1%})  {zz}")  # fmt: skip
        b = r["accelsim_dbuf"]
        zb = f" (ZigZag {b['cycles'] / z - 1:+.1%})" if z else ""
        tok, w = b["tokens_per_fold"], b["weight_cycles_per_fold"]  # first fold keeps the fill, the rest max(tokens, w)
        print(f"{'':>20} {'':>7}  weights double-buffered: accelsim {b['cycles']:,}{zb}, on chip max({b['fill_per_fold']} + "
              f"{tok}, {w}) + {b['folds'] - 1:,} x max({tok}, {w}), causes {b['causes']}")  # fmt: skip
    if "--out" in argv:
        from accelsim.io import atomic_write_json, provenance

        atomic_write_json(Path(argv[argv.index("--out") + 1]), {"provenance": provenance(), "rows": rs})
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main(sys.argv[1:]))
