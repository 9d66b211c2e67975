"""Selector depth and the achievable clock (docs/sparse-core-model.md, section 3).

An ``r:1`` multiplexer of 2:1 cells is ``ceil(log2 r)`` levels deep; one level costs about
2.5 FO4 inverter delays (2-3 FO4 per 2:1 stage: D. Wang, "Revisiting the FO4 metric", 2002).
The datapath is assumed to have room for two levels (a 4:1 selector) at the design's
``clock_ghz``: NVIDIA runs 2:4 sparse tensor cores at the dense clock (A100 whitepaper: 624
sparse vs 312 dense FP16 TFLOPS at one clock).  Each further level adds its delay to the clock
period, or (``selector_pipelined``) one pipeline stage per clock period of extra delay.

FO4 per node: 7 nm 4.96 ps (the predictive-technology FO4 of the FPGA'21 scaled-technology
study, EPFL-LAP ``fpga21-scaled-tech``, S. Nikolić et al., FPGA 2021, Table 6); the other nodes scale it by
Stillmaker & Baas's delay ratios 45 : 14 : 7 nm = 1 : 0.361 : 0.259 (B. Stillmaker and B. Baas,
Integration 58, 2017).  28 and 16 nm are not nodes of that table: their ratios are
interpolated log-log in feature size between 45 and 14 nm [derived].
"""

from __future__ import annotations

import math

__all__ = ["FO4_PS", "FO4_PER_MUX2_LEVEL", "SLACK_LEVELS", "mux_levels", "extra_selector_ps", "achievable_clock_ghz",
           "pipeline_stages"]  # fmt: skip

_FO4_7NM_PS = 4.96  # EPFL-LAP fpga21-scaled-tech (Nikolić et al., FPGA 2021), Table 6: 7 nm, nominal Vdd
_DELAY_RATIO_SB = {45: 1.0, 14: 0.361, 7: 0.259}  # Stillmaker & Baas 2017, delay relative to 45 nm


def _ratio(node: int) -> float:
    if node in _DELAY_RATIO_SB:
        return _DELAY_RATIO_SB[node]
    # [derived] log-log interpolation in feature size between 45 and 14 nm (28 nm: 0.661, 16 nm: 0.406)
    t = math.log(45 / node) / math.log(45 / 14)
    return _DELAY_RATIO_SB[14] ** t


#: FO4 inverter delay in ps per tabulated node: 45 nm 19.15, 28 nm 12.66 [derived], 16 nm 7.77 [derived], 7 nm 4.96.
FO4_PS = {node: _FO4_7NM_PS * _ratio(node) / _DELAY_RATIO_SB[7] for node in (45, 28, 16, 7)}
FO4_PER_MUX2_LEVEL = 2.5  # D. Wang, "Revisiting the FO4 metric" (2002): 2-3 FO4 per 2:1 stage
SLACK_LEVELS = 2  # a 4:1 selector fits the dense clock (A100: 2:4 sparse at the dense clock)


def mux_levels(reach: int, selector: str) -> int:
    """2:1 levels on a selector's path: ceil(log2 reach); hierarchical: two stages of ceil(sqrt(reach)) inputs."""
    if reach <= 1:
        return 0
    if selector == "hierarchical":
        return 2 * math.ceil(math.log2(math.ceil(math.sqrt(reach))))
    return math.ceil(math.log2(reach))


def extra_selector_ps(levels: int, tech_nm: int) -> float:
    """Delay (ps) of the levels beyond the ``SLACK_LEVELS`` the dense pipeline absorbs."""
    return max(0, levels - SLACK_LEVELS) * FO4_PER_MUX2_LEVEL * FO4_PS[tech_nm]


def achievable_clock_ghz(clock_ghz: float, levels: int, tech_nm: int, pipelined: bool) -> float:
    """The clock the design runs at: the nominal clock, slowed by unpipelined extra selector levels."""
    if pipelined:
        return float(clock_ghz)
    return 1e3 / (1e3 / clock_ghz + extra_selector_ps(levels, tech_nm))


def pipeline_stages(clock_ghz: float, levels: int, tech_nm: int, pipelined: bool) -> int:
    """Pipeline stages a pipelined selector adds: one per clock period of extra delay (0 if none)."""
    extra = extra_selector_ps(levels, tech_nm)
    if not pipelined or extra <= 0:
        return 0
    return math.ceil(extra / (1e3 / clock_ghz))
