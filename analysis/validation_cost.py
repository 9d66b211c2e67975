"""Cost-model anchors of issue 15: published breakdowns the cost model is checked against.

``cost_anchors()`` returns one dict per anchor (anchor, reference, accelsim, error, tolerance, source,
note); each number is computed now through ``accelsim.cost.price`` on Designs that represent the
published setup (assumptions in the note).  ``error`` is relative (accelsim / reference - 1) except for
the S2TA share, whose error and tolerance are in percentage points.  The lead folds these into
analysis/validation.py; tests/unit/test_cost_anchors.py asserts the tolerances.
"""

from __future__ import annotations

from accelsim.cost import price
from accelsim.cost.components import BenesNetwork
from accelsim.cost.primitives import WIRE_PJ_PER_BIT_MM
from accelsim.cost.scaling import scale_energy
from accelsim.sim import Design, presets, simulate
from accelsim.synthetic import synthetic_trace

__all__ = ["cost_anchors", "s2ta_mac_share", "sta_area_ratio", "sigma_ratios"]

S2TA = "Liu et al., S2TA, HPCA 2022, arXiv:2107.07983, Fig. 1"
STA = "Liu, Whatmough, Mattina, Systolic Tensor Array, IEEE CAL 2020, arXiv:2005.08098 (abstract)"
SIGMA = "Qin et al., SIGMA, HPCA 2020 (abstract; comparison as summarised at alastairreid.github.io/RelatedWork/papers/qin:hpca:2020)"


def s2ta_mac_share() -> float:
    """MAC (multiplier + accumulate adder) share of on-chip energy, dense INT8 scalar-PE systolic array, 50 % zeros gated."""
    d = Design(name="s2ta-sa-zvcg", pe_rows=32, pe_cols=64, lanes_per_pe=1)
    c = price(simulate(d, synthetic_trace([(2048, 4096, 4096)], density=0.5, seed=0)), d)
    e = c.energy_by_component_j
    return (e["multiplier"] + e["adder"]) / c.energy_onchip_j


def sta_area_ratio() -> float:
    """Array area (multipliers, adders, registers, wiring) of a scalar-PE SA over a tensor-PE array, equal multipliers."""
    tr = synthetic_trace([(64, 1024, 256)], pattern="dense")
    tensor, scalar = presets["dense"], Design(name="scalar", pe_rows=32, pe_cols=64, lanes_per_pe=1)
    a_t = price(simulate(tensor, tr), tensor).area_by_component_mm2
    a_s = price(simulate(scalar, tr), scalar).area_by_component_mm2
    logic = ("multiplier", "adder", "register", "array_wiring")
    return sum(a_s[c] for c in logic) / sum(a_t[c] for c in logic)


def sigma_ratios() -> dict[str, float]:
    """SIGMA-like (unstructured) vs TPU-like (dense) at equal multipliers: whole-chip area, compute-logic area, power;
    also the power ratio without the Benes network's wire energy (switches only) and the low/high corners."""
    tr = synthetic_trace([(512, 4096, 1024)], density=0.5, seed=0)
    base = presets["dense"].replace(precision="fp16", tech_nm=28)
    d, u = base, presets["unstructured-sigma"].replace(precision="fp16", tech_nm=28)
    rd, ru = simulate(d, tr), simulate(u, tr)
    cd, cu = price(rd, d), price(ru, u)
    logic = ("multiplier", "adder", "register", "selector", "metadata_decoder", "compaction", "array_wiring", "benes", "fan")
    pd, pu = cd.energy_onchip_j / rd.seconds, cu.energy_onchip_j / ru.seconds
    b = BenesNetwork.of(u)
    wire_j = scale_energy(ru.counts.macs_issued * b.width * b.path_mm * WIRE_PJ_PER_BIT_MM * 1e-12, u.tech_nm)
    lo = [price(rd, d, bound="low"), price(ru, u, bound="low")]
    hi = [price(rd, d, bound="high"), price(ru, u, bound="high")]
    return {
        "total_area": cu.area_mm2 / cd.area_mm2,
        "compute_area": sum(cu.area_by_component_mm2[c] for c in logic) / sum(cd.area_by_component_mm2[c] for c in logic),
        "power": pu / pd,
        "power_switches_only": (cu.energy_onchip_j - wire_j) / ru.seconds / pd,
        "total_area_low_high": (lo[1].area_mm2 / lo[0].area_mm2, hi[1].area_mm2 / hi[0].area_mm2),
        "power_low_high": tuple((c[1].energy_onchip_j / ru.seconds) / (c[0].energy_onchip_j / rd.seconds) for c in (lo, hi)),
        "benes_share_of_power": cu.energy_by_component_j["benes"] / cu.energy_onchip_j,
    }


def _row(anchor, reference, accelsim, tolerance, source, note, points=False):
    error = (accelsim - reference) * 100 if points else accelsim / reference - 1
    return dict(anchor=anchor, reference=reference, accelsim=accelsim, error=error, tolerance=tolerance, source=source, note=note)


def cost_anchors() -> list[dict]:
    sig = sigma_ratios()
    return [
        _row("S2TA: MAC share of on-chip energy, dense INT8 systolic array, 50 % zeros", 0.20, s2ta_mac_share(), 5.0, S2TA,
             "error and tolerance in percentage points.  Setup: 32x64 scalar-PE weight-stationary INT8 array (2048 MACs, "
             "zero-value clock gating), 256+512 KiB buffers, 45 nm, 2048x4096x4096 GEMM, activations 50 % zeros (Bernoulli).  "
             "What closed the miss: per-MAC pipeline-register traffic (operand + 32-bit partial sum clocked into the next "
             "PE), inter-PE wire energy by PE pitch, and leakage for the run's seconds.", points=True),
        _row("STA: array area, scalar-PE SA over tensor-PE array at equal multipliers", 2.08, sta_area_ratio(), 0.10, STA,
             "Setup: 32x64x1 scalar PEs vs 16x16x8 tensor PEs (8-lane dot product along K), INT8, multipliers + adders + "
             "registers + wiring.  STA's 2.08x is its best tensor-PE shape (A x B x C, reusing each operand inside the PE); "
             "a Design can only express 1 x L x 1 PEs, which share the partial sum and the adder tree but not the operand "
             "pipeline registers, so this anchor is not reached by construction (needs a Design field for the PE shape)."),
        _row("SIGMA: area over a TPU-like array at equal multipliers (whole chip)", 1.38, sig["total_area"], 0.10, SIGMA,
             "Basis: the comparison is of the two engines' PPA (power, performance, area) at equal multipliers and clock, "
             "i.e. the whole design with its on-chip buffers (SIGMA's own 65.10 mm^2 and 22.33 W are whole-chip figures); "
             "the primary PDF was not readable here, so the basis is [R] (summary at alastairreid.github.io).  Setup: "
             "unstructured-sigma preset vs dense, both FP16 (fp32 accumulate) 16x16x8 at 28 nm with 256+512 KiB buffers; "
             "the SIGMA-like design is priced with its Benes distribution network (one 128-port Flex-DPE per array column: "
             "13 stages of 64 2x2 switches, two 2:1 mux cells per bit each, replacing the per-lane selector) and its FAN "
             "(forwarding muxes, 32-bit level registers and vecID comparators per adder node; the adders are the Adder "
             "component both designs have), no systolic operand/partial-sum hops.  "
             f"Compute logic only: {sig['compute_area']:.2f}x; low/high corners {sig['total_area_low_high'][0]:.2f}x/"
             f"{sig['total_area_low_high'][1]:.2f}x.  Still short: the fp32 adder per lane (Horowitz 4184 um^2) and the SRAM "
             "dilute the networks (~900 um^2 per lane at 45 nm); SIGMA's own breakdown is not available to say which "
             "of its blocks the model lacks (controller, bitmap SRAM, global distribution)."),
        _row("SIGMA: power over a TPU-like array at equal multipliers", 2.0, sig["power"], 0.20, SIGMA,
             "Power = on-chip energy / seconds on a 50 % Bernoulli-sparse 512x4096x1024 GEMM; same setup as the area row.  "
             f"The Benes network is {sig['benes_share_of_power']:.0%} of the SIGMA-like design's on-chip energy, almost all "
             "of it wire: in the standard Benes layout (ports along the column, stage s spanning 2^s ports) an operand "
             "crosses 3N/4 - 1 port pitches (2.7 mm at 45 nm for N = 128).  Switches only (no wire) the ratio would be "
             f"{sig['power_switches_only']:.2f}x; with the standard layout it is {sig['power']:.2f}x (corners "
             f"{sig['power_low_high'][0]:.2f}x/{sig['power_low_high'][1]:.2f}x).  SIGMA's ~2x lies between: its layout of "
             "the network (folded, shorter paths) is what the model does not know, and choosing one to hit 2x would be a fit."),
    ]  # fmt: skip


if __name__ == "__main__":
    for a in cost_anchors():
        print(f"{a['anchor']}: reference {a['reference']}, accelsim {a['accelsim']:.3f}, error {a['error']:+.3f}, tol {a['tolerance']}")
