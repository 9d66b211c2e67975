"""Activation, weight and dual-side sparsity side by side, from the results table.

A sweep may hold workloads of three kinds (``Workload.operand``): activation-sparse traces,
weight-pruned traces (their weight masks) and dual-side traces (both masks). Each kind runs on
the cores built for it (``Design.sparse_operand``), so the families meet only through their
reference designs: the presets a space ``include``s, which share one array, precision, node and
memory system and differ only in what they skip. Sampled designs are named
``<family>-<8 hex digits of their id>``; every other name is a reference design.

One row per (mode, reference design, workload): its accuracy (perplexity change vs dense on
that workload's traces), cycles, area and energy per token, and its speedup and energy ratio
over the dense reference design in the same mode (the preset named ``dense``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from accelsim.results import Table

__all__ = ["OperandRow", "operand_rows", "has_several_operands"]

_SAMPLED = re.compile(r"-[0-9a-f]{8}$")


@dataclass(frozen=True)
class OperandRow:
    """One reference design on one workload in one mode (units in the names)."""

    mode: str
    design_name: str
    family: str  # largest_pattern column: "8:16", "w2:4", "8:16+w2:4", ...
    operand: str  # what the core skips: activations, weights, both
    workload_id: str
    ppl_delta: float
    cycles_per_token: float
    area_mm2: float
    energy_per_token_j: float
    energy_onchip_per_token_j: float
    speedup_vs_dense: float  # dense reference cycles per token / this design's (NaN without one)
    energy_vs_dense: float  # this design's energy per token / the dense reference's


def has_several_operands(t: Table) -> bool:
    """True when the table holds rows of more than one kind of sparse operand."""
    return "sparse_operand" in t and len(set(t["sparse_operand"].astype(str))) > 1


def operand_rows(t: Table) -> list[OperandRow]:
    """The reference designs' rows, ordered by mode, operand and family (see the module docstring)."""
    if "design_name" not in t or len(t) == 0:
        return []
    names = t["design_name"].astype(str)
    ref = np.array([not _SAMPLED.search(n) for n in names])
    operand = t["sparse_operand"].astype(str) if "sparse_operand" in t else np.full(len(t), "activations")
    tokens = t["tokens"].astype(float)
    onchip = t["energy_onchip_j"].astype(float) / tokens if "energy_onchip_j" in t else np.full(len(t), np.nan)
    ppl = t["ppl_delta"].astype(float) if "ppl_delta" in t else np.full(len(t), np.nan)
    out = []
    for mode in sorted(set(t["mode"].astype(str)), key=lambda m: (m != "prefill", m)):
        in_mode = ref & (t["mode"].astype(str) == mode)
        dense = np.flatnonzero(in_mode & (names == "dense"))
        d_cyc = float(t["cycles_per_token"][dense[0]]) if len(dense) else float("nan")
        d_e = float(t["energy_per_token_j"][dense[0]]) if len(dense) else float("nan")
        order = sorted(np.flatnonzero(in_mode), key=lambda i: (operand[i], str(t["largest_pattern"][i]), names[i], str(t["workload_id"][i])))
        for i in order:
            cyc, e = float(t["cycles_per_token"][i]), float(t["energy_per_token_j"][i])
            out.append(OperandRow(mode, names[i], str(t["largest_pattern"][i]), operand[i], str(t["workload_id"][i]), float(ppl[i]),
                                  cyc, float(t["area_mm2"][i]), e, float(onchip[i]), d_cyc / cyc, e / d_e))  # fmt: skip
    return out
