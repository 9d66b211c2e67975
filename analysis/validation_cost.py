"""Cost-model anchors of issue 15: published breakdowns the cost model is checked against.

``cost_anchors()`` returns one dict per anchor (anchor, reference, accelsim, error, tolerance, pass, source,
note); ``python analysis/validation_cost.py`` prints them as a table (reference | accelsim | error | pass).  Each number is computed now through ``accelsim.cost.price`` on Designs that represent the
published setup (assumptions in the note).  ``error`` is relative (accelsim / reference - 1) except for
the S2TA share, whose error and tolerance are in percentage points.  The lead folds these into
analysis/validation.py; tests/unit/test_cost_anchors.py asserts the tolerances.
"""

from __future__ import annotations

from accelsim.cost import price
from accelsim.cost.components import BenesNetwork
from accelsim.cost.primitives import WIRE_PJ_PER_BIT_MM
from accelsim.cost.scaling import scale_energy
from accelsim.cost.sram import SRAM
from accelsim.sim import Design, presets, simulate
from accelsim.synthetic import synthetic_trace

__all__ = ["cost_anchors", "s2ta_mac_share", "sta_area_ratio", "sigma_ratios"]

S2TA = "Liu et al., S2TA, HPCA 2022, arXiv:2107.07983, Fig. 1"
HOROWITZ_1MB = 'M. Horowitz, "Computing\'s energy problem", ISSCC 2014 (1 MB SRAM, 100 pJ per 64-bit access, 45 nm)'
STA = "Liu, Whatmough, Mattina, Systolic Tensor Array, IEEE CAL 2020, arXiv:2005.08098 (abstract)"
SIGMA = "Qin et al., SIGMA, HPCA 2020 (abstract; comparison as summarised at alastairreid.github.io/RelatedWork/papers/qin:hpca:2020)"
# STA's abstract: the tensor array cuts circuit area by as much as 2.08x and STA-DBB by 3.14x, both against the same
# scalar SA at iso-throughput (INT8), so STA-DBB's array is 2.08 / 3.14 of the dense tensor array's area.
STA_AREA, STA_DBB_AREA, STA_POWER = 2.08, 3.14, 1.36
# The tensor-PE family the STA anchor searches: A = C and B in {2, 4, 8} (A x B x C up to 8 x 8 x 8); STA's abstract
# does not name the shape behind 2.08x ("as much as": the best of its family), so the anchor is the family's best.
STA_FAMILY = tuple((a, b, a) for a in (1, 2, 4, 8) for b in (2, 4, 8))
_ARRAY = ("multiplier", "adder", "register", "array_wiring", "selector", "metadata_decoder")


def s2ta_mac_share() -> float:
    """MAC (multiplier + accumulate adder) share of on-chip energy, dense INT8 scalar-PE systolic array, 50 % zeros gated."""
    d = Design(name="s2ta-sa-zvcg", pe_rows=32, pe_cols=64, lanes_per_pe=1)
    c = price(simulate(d, synthetic_trace([(2048, 4096, 4096)], density=0.5, seed=0)), d)
    e = c.energy_by_component_j
    return (e["multiplier"] + e["adder"]) / c.energy_onchip_j


def _array_mm2(d: Design, trace, bound: str = "nominal") -> float:
    a = price(simulate(d, trace), d, bound=bound).area_by_component_mm2
    return sum(a[c] for c in _ARRAY)


def _tensor(shape, **kw) -> Design:
    """2048 INT8 multipliers as tensor PEs of A x B x C on a near-square grid of B-lane dot-product units."""
    a, b, c = shape
    units = 2048 // b
    rows = 1 << (units.bit_length() - 1) // 2
    return Design(name=f"sta-{a}x{b}x{c}", pe_rows=rows, pe_cols=units // rows, lanes_per_pe=b, tensor_pe_rows=a,
                  tensor_pe_cols=c, dataflow="output_stationary", **kw)  # fmt: skip


def sta_area_ratio(shape=None, bound: str = "nominal") -> float:
    """Array area (multipliers, adders, registers, wiring) of a scalar-PE SA over an A x B x C tensor-PE array at equal
    multipliers, both output-stationary INT8 (STA accumulates in the PE); ``shape`` None: the best of STA_FAMILY."""
    tr = synthetic_trace([(64, 1024, 256)], pattern="dense")
    scalar = Design(name="sa", pe_rows=32, pe_cols=64, lanes_per_pe=1, dataflow="output_stationary")
    a_s = _array_mm2(scalar, tr, bound)
    shapes = STA_FAMILY if shape is None else (shape,)
    return max(a_s / _array_mm2(_tensor(s), tr, bound) for s in shapes)


def sta_power_ratio(shape, bound: str = "nominal") -> float:
    """Array power (multipliers, adders, registers, wires) of the scalar-PE SA over the tensor-PE array at
    iso-throughput, i.e. the ratio of their array energy per issued MAC, on random dense INT8 operands."""
    tr = synthetic_trace([(256, 1024, 256)], density=1.0, seed=0)
    scalar = Design(name="sa", pe_rows=32, pe_cols=64, lanes_per_pe=1, dataflow="output_stationary")

    def per_mac(d):
        r = simulate(d, tr)
        e = price(r, d, bound=bound).energy_by_component_j
        return sum(e[c] for c in _ARRAY) / r.counts.macs_issued

    return per_mac(scalar) / per_mac(_tensor(shape))


def sta_dbb_area_ratio(shape=(4, 8, 4), bound: str = "nominal") -> float:
    """Array area of STA-DBB (4/8 DBB weights: 4 multipliers per 8-long dot product, an 8:1 mux per multiplier picking
    the activation by the weight's index, plus the metadata decode) over the dense tensor array at iso-throughput."""
    a, b, c = shape
    tr = synthetic_trace([(64, 1024, 256)], pattern="4:8", weight_pattern="4:8")
    dense = _tensor(shape)
    dbb = dense.replace(name="sta-dbb", lanes_per_pe=b // 2, sparse_operand="weights", weight_patterns=("4:8",))
    rd, rb = simulate(dense, tr), simulate(dbb, tr)
    assert rd.cycles == rb.cycles, "iso-throughput"
    return _array_mm2(dbb, tr, bound) / _array_mm2(dense, tr, bound)


def sigma_ratios() -> dict[str, float]:
    """SIGMA-like (unstructured) vs TPU-like (dense) at equal multipliers and clock.  Area: whole chip and compute
    logic.  Power: both engines at full activity (a dense GEMM: every multiplier busy, the basis of a PPA table);
    also on a 50 % sparse GEMM, and the low/high corners (the high one prices the Flex-DPE laid out as a strip)."""
    base = presets["dense"].replace(precision="fp16", tech_nm=28)
    d, u = base, presets["unstructured-sigma"].replace(precision="fp16", tech_nm=28)
    logic = _ARRAY + ("compaction", "benes", "fan")
    out = {}
    for key, density in (("power", 1.0), ("power_sparse", 0.5)):
        tr = synthetic_trace([(512, 4096, 1024)], density=density, seed=0)
        rd, ru = simulate(d, tr), simulate(u, tr)
        c = {b: (price(rd, d, bound=b), price(ru, u, bound=b)) for b in ("nominal", "low", "high")}
        ratio = {b: (cu.energy_onchip_j / ru.seconds) / (cd.energy_onchip_j / rd.seconds) for b, (cd, cu) in c.items()}
        out[key], out[key + "_low_high"] = ratio["nominal"], (ratio["low"], ratio["high"])
        cd, cu = c["nominal"]
        if density == 1.0:
            out["total_area"] = cu.area_mm2 / cd.area_mm2
            out["compute_area"] = sum(cu.area_by_component_mm2[k] for k in logic) / sum(cd.area_by_component_mm2[k] for k in logic)
            out["total_area_low_high"] = tuple(c[b][1].area_mm2 / c[b][0].area_mm2 for b in ("low", "high"))
            out["benes_share_of_power"] = cu.energy_by_component_j["benes"] / cu.energy_onchip_j
            b = BenesNetwork.of(u)
            wire_j = scale_energy(ru.counts.macs_issued * b.width * b.path_mm * WIRE_PJ_PER_BIT_MM * 1e-12, u.tech_nm)
            out["power_switches_only"] = (cu.energy_onchip_j - wire_j) / ru.seconds / (cd.energy_onchip_j / rd.seconds)
    return out


def _row(anchor, reference, accelsim, tolerance, source, note, points=False):
    error = (accelsim - reference) * 100 if points else accelsim / reference - 1
    return dict(anchor=anchor, reference=reference, accelsim=accelsim, error=error, tolerance=tolerance,
                **{"pass": bool(abs(error) <= tolerance)}, source=source, note=note)  # fmt: skip


def cost_anchors() -> list[dict]:
    sig = sigma_ratios()
    sta = {s: sta_area_ratio(s) for s in STA_FAMILY}
    best = max(sta, key=sta.get)
    sta_lo, sta_hi = (sta_area_ratio(best, b) for b in ("low", "high"))
    dbb_lo, dbb_hi = (sta_dbb_area_ratio(bound=b) for b in ("low", "high"))
    pw_lo, pw_hi = (sta_power_ratio(best, b) for b in ("low", "high"))
    return [
        _row("S2TA: MAC share of on-chip energy, dense INT8 systolic array, 50 % zeros", 0.20, s2ta_mac_share(), 5.0, S2TA,
             "error and tolerance in percentage points.  Setup: 32x64 scalar-PE weight-stationary INT8 array (2048 MACs, "
             "zero-value clock gating), 256+512 KiB buffers, 45 nm, 2048x4096x4096 GEMM, activations 50 % zeros (Bernoulli).  "
             "What closed the miss: per-MAC pipeline-register traffic (operand + 32-bit partial sum clocked into the next "
             "PE), inter-PE wire energy by PE pitch, and leakage for the run's seconds.", points=True),
        _row("STA: array area, scalar-PE SA over tensor-PE array at equal multipliers", STA_AREA, sta[best], 0.10, STA,
             f"Setup: 2048 INT8 multipliers, output-stationary (STA accumulates in the PE), scalar 32x64x1 PEs vs A x B x C "
             f"tensor PEs (Design.tensor_pe_rows/cols; accelsim/cost/pe.py: operand pipeline registers only at tensor-PE "
             f"boundaries, A x C accumulators, B-long adder trees); multipliers + adders + registers + wiring.  STA's "
             f"2.08x is 'as much as', the best of its family; the model's best over A = C, B in {{2, 4, 8}} is "
             f"{best[0]}x{best[1]}x{best[2]} at {sta[best]:.2f}x (4x4x4 {sta[(4, 4, 4)]:.2f}x, 2x2x2 {sta[(2, 2, 2)]:.2f}x; "
             f"registers shrink monotonically with the block, so the best is the largest: the family's bound is the "
             f"assumption).  Low/high corners {sta_lo:.2f}x/{sta_hi:.2f}x (the register-area range moves it most): the "
             f"nominal passes at the edge of its tolerance, the corners do not."),
        _row("STA: array power, scalar-PE SA over tensor-PE array at iso-throughput", STA_POWER, sta_power_ratio(best), 0.20,
             STA, f"Same designs as the area row, {best[0]}x{best[1]}x{best[2]} (its best shape); power at iso-throughput = "
             "array energy per issued MAC (multipliers, adders, registers, wires; the simulator's output-stationary "
             "timing differs between the two grids, so buffer and DRAM energy are left out), random dense INT8 operands.  "
             f"4x4x4 {sta_power_ratio((4, 4, 4)):.2f}x.  Low/high corners {pw_lo:.2f}x/{pw_hi:.2f}x.  Tolerance 20 %, the "
             "issue's tolerance for power anchors.  What the tensor PE saves here is pipeline-register clocking; its "
             "wider units carry operands farther per MAC (wire grows with the unit's side)."),
        _row("STA-DBB: array area over the dense tensor array at iso-throughput (selector check)", STA_AREA / STA_DBB_AREA,
             sta_dbb_area_ratio(), 0.10, STA,
             "Reference 2.08 / 3.14 (both of STA's abstract ratios are against the same SA at iso-throughput).  Setup: "
             "4x8x4 dense tensor PEs vs the same grid with 4/8 DBB weights (sparse_operand='weights', weight pattern 4:8): "
             "half the multipliers, an 8:1 mux of 2:1 cells and its 3 select flip-flops per multiplier (Selector), "
             "the activation chunk of 8 in the pipeline registers, the weight-metadata decoder; same cycles on a 4:8 "
             f"GEMM.  Low/high corners {dbb_lo:.3f}/{dbb_hi:.3f}.  This is the model's published check of its "
             "selector and metadata hardware from gates (no published N:M mux area in isolation was found)."),
        _row("SIGMA: area over a TPU-like array at equal multipliers (whole chip)", 1.38, sig["total_area"], 0.10, SIGMA,
             "Basis: the comparison is of the two engines' PPA (power, performance, area) at equal multipliers and clock, "
             "i.e. the whole design with its on-chip buffers (SIGMA's own 65.10 mm^2 and 22.33 W are whole-chip figures; "
             "16384 fp16 multipliers and fp32 adders alone are ~28 mm^2 at 28 nm by the model's cells).  Setup: "
             "unstructured-sigma preset vs dense, both FP16 (fp32 accumulate) 16x16x8 at 28 nm with 256+512 KiB buffers; "
             "the SIGMA-like design is priced with its Benes distribution network (one 128-port Flex-DPE per array column: "
             "13 stages of 64 2x2 switches, two 2:1 mux cells per bit each, replacing the per-lane selector) and its FAN "
             "(forwarding muxes, 32-bit level registers and vecID comparators per adder node; the adders are the Adder "
             "component both designs have), no systolic operand/partial-sum hops.  "
             f"Compute logic only: {sig['compute_area']:.2f}x; low/high corners {sig['total_area_low_high'][0]:.2f}x/"
             f"{sig['total_area_low_high'][1]:.2f}x.  Still short on either basis: counted from gates the networks are "
             "~10 % of the compute logic; +38 % needs about 3.5x more.  SIGMA's own block breakdown (its paper's area and "
             "power by block) was searched for and not found in any public text reachable here (docs/cost-model.md, "
             "'Still missing'), so which block the model lacks (controller, bitmap SRAM, global distribution) is not "
             "known, and no block is added without a source."),
        _row("SIGMA: power over a TPU-like array at equal multipliers", 2.0, sig["power"], 0.20, SIGMA,
             "Power = on-chip energy / seconds with every multiplier busy (dense 512x4096x1024 GEMM): the basis of a PPA "
             "comparison at equal clock and peak throughput.  The Flex-DPE is floorplanned as a square of its 128 lanes "
             "with Z-order ports (accelsim/cost/networks.py), the layout that keeps a butterfly's wires short; the "
             f"high corner is a strip along one array column: corners {sig['power_low_high'][0]:.2f}x/"
             f"{sig['power_low_high'][1]:.2f}x.  The Benes network is {sig['benes_share_of_power']:.0%} of the SIGMA-like "
             f"design's on-chip energy, mostly wire; switches only {sig['power_switches_only']:.2f}x.  On a 50 % sparse "
             f"GEMM (SIGMA skips the zeros, so more work per second) {sig['power_sparse']:.2f}x.  SIGMA's floorplan is "
             "not published: the square layout is the model's assumption, stated, not fitted."),
        _row("SRAM: energy per 64-bit read of a 1 MB SRAM at 45 nm (pJ), beyond the CACTI table", 100.0,
             SRAM(1024).energy_pj_per_access(), 0.10, HOROWITZ_1MB,
             "The SRAM model reads its energy and area from a published CACTI 7 table (40 nm, 448 B to 100 KB, 1 to 32 "
             "banks; accelsim/cost/sram.py) and reproduces each of its rows exactly (tests/unit/test_cost_sram.py).  "
             "Above 100 KB it extends the table with the slope of Horowitz's 32 KB -> 1 MB points; his 1 MB point is "
             "then an independent check of where the two sources meet.  Tolerance 10 %, the issue's area tolerance."),
    ]  # fmt: skip


def _fmt(x: float) -> str:
    return f"{x:.3f}"


def table(rows: list[dict]) -> str:
    """The anchors as a Markdown table: anchor | reference | accelsim | error | tolerance | pass."""
    lines = ["| anchor | reference | accelsim | error | tolerance | pass |", "|---|---|---|---|---|---|"]
    for r in rows:
        pts = r["anchor"].startswith("S2TA")
        err = f"{r['error']:+.1f} pt" if pts else f"{r['error']:+.1%}"
        tol = f"{r['tolerance']:.0f} pt" if pts else f"{r['tolerance']:.0%}"
        lines.append(f"| {r['anchor']} | {_fmt(r['reference'])} | {_fmt(r['accelsim'])} | {err} | {tol} | "
                     f"{'yes' if r['pass'] else 'no'} |")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(cost_anchors()))
