"""Run parameters of a weight-sparse or dual-side core: :class:`WeightRunParams` and ``weight_run_params``.

The rules they size (lane group, chunk, token block, tile; metadata bits and decode cycles of the activation and
weight codes) are in the doc of ``accelsim.sim.weights`` (docs/sparse-core-model.md, section 5); the activation
side's bits and decode steps per group are ``accelsim.sim.params``'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.patterns import Pattern
from accelsim.sim.params import _bits_per_group, decode_steps_per_group, run_params

__all__ = ["SPARSE_OPERANDS", "WeightRunParams", "weight_run_params"]

SPARSE_OPERANDS = ("activations", "weights", "both")


@dataclass(frozen=True)
class WeightRunParams:
    """Parameters of a weight-only (mode "weights") or dual-side (mode "both") run of one layer set.

    n, mh, reach: lane group, chunk, selector reach; tb: tokens per block; cpt: chunks per tile; cyc_per_pass,
    lockstep (1: output-stationary), fill: as ``params.RunParams``.  act_sparse: the activation side is
    sparse (a dual-side run whose activation pattern the design runs; else the activations are dense and their
    mask is ignored); act_m, act_bits_pc, act_dec_cyc: the activation pattern's group, metadata bits per chunk
    and decoder cycles per chunk-cycle (0 when dense).  w_m, w_bits_pc, w_bits_pg, w_dec_cyc: the same for the
    weight pattern (w_bits_pg per group of w_m).
    """

    mode: str
    n: int
    mh: int
    reach: int
    tb: int
    cpt: int
    cyc_per_pass: int
    lockstep: int
    fill: int
    act_sparse: int
    act_m: int
    act_bits_pc: int
    act_dec_cyc: int
    w_m: int
    w_bits_pg: int
    w_bits_pc: int
    w_dec_cyc: int
    balance: int = 0  # Design.lane_balance on a weight-stationary core: a column's lane groups share its work

    @property
    def full_reach(self) -> bool:
        return self.reach >= self.mh


def weight_run_params(design, act_pattern: Pattern, weight_pattern: Pattern, sim_mode: str, t_rows: int,
                      lanes: tuple[int, int, int] | None = None, mode: str | None = None) -> WeightRunParams:  # fmt: skip
    """WeightRunParams of ``design`` (its ``sparse_operand`` mode, or ``mode``) for one activation and weight pattern.

    lanes: (nh, mh, r) to use (default: the design's lane mapping of the activation pattern when it is
    sparse, else of the weight pattern).
    """

    mode = mode or getattr(design, "sparse_operand", "weights")
    if mode not in ("weights", "both"):
        raise ValueError(f"weight_run_params is for weight-sparse and dual-side runs, got sparse_operand={mode!r}")
    act_sparse = int(mode == "both" and act_pattern.kind != "dense")
    if weight_pattern.kind == "dense":
        raise ValueError("weight pattern 'dense' is not a weight-sparse pattern; give N:M or unstructured:D")
    n, mh, r = lanes or design.lane_mapping(act_pattern if act_sparse else weight_pattern)
    ws = design.dataflow == "weight_stationary"
    column = design.pe_rows * design.lanes_per_pe
    bpe = design.bytes_per_element
    if ws:
        cpt, cpp = column // n, 1
        if act_sparse:  # the activation buffer holds the run's (possibly compressed) activation slices
            tb = run_params(design, act_pattern, "prefill", t_rows).tb
        else:
            tb = max(1, min(max(t_rows, 1), design.act_buffer_kib * 1024 // (2 * column * bpe)))
    else:
        cpt, cpp = max(1, design.lanes_per_pe // n), max(1, n // design.lanes_per_pe)
        tb = max(1, min(max(t_rows, 1), design.pe_rows))
    if sim_mode == "decode":
        tb = 1
    rate = design.resolved_decode_groups_per_cycle
    am = act_pattern.m if act_pattern.kind == "nm" else mh
    a_bits = -(-_bits_per_group(design, act_pattern, am) * mh // am) if act_sparse else 0
    a_dec = max(1, -(-decode_steps_per_group(design, act_pattern) * mh // (am * rate))) if act_sparse else 0
    wm = weight_pattern.m if weight_pattern.is_nm else mh  # unstructured: one bitmap of mh bits per chunk
    w_pg = _bits_per_group(design, weight_pattern, wm)
    w_bits = -(-w_pg * mh // wm)
    w_dec = max(1, -(-decode_steps_per_group(design, weight_pattern) * mh // (wm * rate)))
    fill = design.pe_rows + design.pe_cols - 2 + design.selector_pipeline_stages
    return WeightRunParams(mode, n, mh, r, tb, cpt, cpp, int(not ws), fill, act_sparse, am if act_sparse else 0, a_bits,
                           a_dec, wm, w_pg, w_bits, w_dec, int(bool(getattr(design, "lane_balance", False)) and ws))  # fmt: skip
