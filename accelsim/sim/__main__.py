"""``python -m accelsim.sim``: simulate and price one design on one trace, print the counts.

    python -m accelsim.sim --preset flex-8:16-window --trace traces/sample/smollm2-135m-8of16
    python -m accelsim.sim --preset ampere-2:4 --synthetic 2048,4096,4096 --pattern 8:16 --mode decode
    python -m accelsim.sim --preset ampere-w2:4 --synthetic 256,4096,4096 --pattern dense --weight-pattern 2:4
    python -m accelsim.sim --preset dual-8:16-w2:4 --synthetic 256,4096,4096 --pattern 8:16 --weight-pattern 2:4
    python -m accelsim.sim --preset flex-8:16-window --synthetic tests/data/scalesim_smollm2_block_gemm.csv --pattern 8:16
    python -m accelsim.sim --export-accelergy flex-8:16-window --out flex.yaml
    python -m accelsim.sim --list-presets

--synthetic takes T,K,O of one GEMM or a SCALE-Sim topology CSV (``Layer, M, N, K,`` rows).  --export-accelergy
writes the design's components, counts, per-action energies (ERT) and areas (ART) in Accelergy's YAML shape
(accelsim.interop.accelergy) to --out, or prints it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class SimConfig:
    preset: str
    mode: str
    trace: str | None
    synthetic: tuple[int, int, int] | None
    pattern: str | None
    density: float | None
    as_json: bool
    weight_pattern: str | None = None
    topology: str | None = None


def _parse(argv) -> SimConfig | None:
    p = argparse.ArgumentParser(prog="python -m accelsim.sim", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="flex-8:16-window", help="design preset (--list-presets names them)")
    p.add_argument("--mode", default="prefill", choices=("prefill", "decode"))
    src = p.add_mutually_exclusive_group()
    src.add_argument("--trace", help="trace directory (from python -m accelsim.capture)")
    src.add_argument("--synthetic", help="T,K,O of one synthetic GEMM, or a SCALE-Sim topology CSV (with --pattern or --density)")
    p.add_argument("--pattern", help='synthetic exact N:M masks, e.g. "8:16"')
    p.add_argument("--density", type=float, help="synthetic Bernoulli masks of this density")
    p.add_argument("--weight-pattern", help='synthetic exact N:M weight masks too, e.g. "2:4" (weight-sparse and dual-side presets)')
    p.add_argument("--json", action="store_true", help="print the result and cost as JSON")
    p.add_argument("--list-presets", action="store_true")
    p.add_argument("--export-accelergy", metavar="DESIGN", help="write preset DESIGN in Accelergy's YAML shape and exit")
    p.add_argument("--out", help="file for --export-accelergy (default: print to stdout)")
    a = p.parse_args(argv)
    from accelsim.sim import presets

    if a.export_accelergy:
        if a.export_accelergy not in presets:
            p.error(f"--export-accelergy: unknown design {a.export_accelergy!r}; choose from {', '.join(sorted(presets))}")
        _export(presets[a.export_accelergy], a.out)
        return None
    if a.list_presets:
        for name, d in sorted(presets.items()):
            wts = f" sparse_operand={d.sparse_operand} weights={','.join(map(str, d.weight_patterns))}" if d.weight_patterns else ""
            print(f"{name:20s} patterns={','.join(map(str, d.patterns))}{wts} selector={d.selector} mux_fanin={d.mux_fanin} {d.precision}")
        return None
    if a.preset not in presets:
        p.error(f"unknown preset {a.preset!r}; choose from {', '.join(sorted(presets))}")
    shape, topology = None, None
    if a.synthetic and a.synthetic.lower().endswith(".csv"):
        topology = a.synthetic
        if (a.pattern is None) == (a.density is None):
            p.error("--synthetic needs exactly one of --pattern or --density")
    elif a.synthetic:
        try:
            shape = tuple(int(v) for v in a.synthetic.split(","))
            assert len(shape) == 3
        except (ValueError, AssertionError):
            p.error(f"--synthetic needs T,K,O (three integers), got {a.synthetic!r}")
        if (a.pattern is None) == (a.density is None):
            p.error("--synthetic needs exactly one of --pattern or --density")
    elif not a.trace:
        p.error("give --trace DIR or --synthetic T,K,O")
    return SimConfig(a.preset, a.mode, a.trace, shape, a.pattern, a.density, a.json, a.weight_pattern, topology)


def _export(design, out: str | None) -> None:
    import yaml

    from accelsim.interop.accelergy import accelergy_export, write_accelergy

    if out:
        print(f"accelergy: {write_accelergy(design, out)}")
    else:
        print(yaml.safe_dump(accelergy_export(design), sort_keys=False), end="")


def main(argv=None) -> int:
    cfg = _parse(argv)
    if cfg is None:
        return 0
    from accelsim.cost import price
    from accelsim.sim import presets, simulate
    from accelsim.synthetic import synthetic_trace
    from accelsim.traces import TraceError, load_trace

    try:
        shapes = cfg.topology if cfg.topology else [cfg.synthetic]
        trace = (load_trace(cfg.trace) if cfg.trace else
                 synthetic_trace(shapes, pattern=cfg.pattern, density=cfg.density, weight_pattern=cfg.weight_pattern))
        design = presets[cfg.preset]
        res = simulate(design, trace, mode=cfg.mode)
    except (TraceError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    cost = price(res, design)
    if cfg.as_json:
        out = {"design": cfg.preset, "mode": cfg.mode, "run_pattern": str(res.run_pattern), "sparse_operand": res.sparse_operand,
               "weight_pattern": str(res.weight_pattern) if res.weight_pattern else None, "cycles": res.cycles,
               "cycles_by_cause": res.cycles_by_cause, "pe_utilization": res.pe_utilization, "actions": res.actions,
               "energy_j": cost.energy_j, "area_mm2": cost.area_mm2, "energy_by_component_j": cost.energy_by_component_j,
               "area_by_component_mm2": cost.area_by_component_mm2}  # fmt: skip
        print(json.dumps(out, indent=2))
        return 0
    wside = f" with {res.weight_pattern} weights" if res.weight_pattern else ""
    print(f"{cfg.preset} on {trace.run_id} ({cfg.mode}): runs {res.run_pattern}{wside}, {res.cycles:,} cycles "
          f"({res.seconds * 1e3:.3f} ms at {design.clock_ghz} GHz), PE utilization {res.pe_utilization:.3f}")  # fmt: skip
    print("cycles by cause: " + ", ".join(f"{k} {v:,}" for k, v in res.cycles_by_cause.items()))
    print(f"energy {cost.energy_j * 1e3:.4f} mJ ({cost.energy_per_token_j * 1e6:.2f} uJ/token), area {cost.area_mm2:.3f} mm2 at {design.tech_nm} nm")
    for comp in cost.energy_by_component_j:
        e, a = cost.energy_by_component_j[comp], cost.area_by_component_mm2[comp]
        if e or a:
            print(f"  {comp:18s} {e * 1e6:12.3f} uJ {a:9.4f} mm2  {res.actions.get(comp, {})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
