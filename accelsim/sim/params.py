"""Run and layer parameters of an activation-sparse core: what the kernels are told about a run.

``run_params`` sizes a run (lane group, chunk, token block, tile; the mapping rules of ``accelsim.sim.simulate``);
``layer_params`` fills the int64 parameter array of ``kernels.layer_timing`` (indexed by ``counts.P_*``) for one
layer.  The metadata bits and decode steps per group are shared with the weight-sparse and dual-side cores
(``accelsim.sim.weight_params``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.patterns import DENSE, Pattern
from accelsim.sim import walk
from accelsim.sim.chunks import TABLE_MAX_MH, full_reach
from accelsim.sim.counts import LAYER_PARAMS
from accelsim.sim.design import Design
from accelsim.sim.prepared import PreparedLayer

__all__ = ["RunParams", "run_params", "layer_params", "decode_steps_per_group", "chunk_kind"]


@dataclass(frozen=True)
class RunParams:
    """Kernel parameters for one design, run pattern, mode and token count.

    n, mh, reach: lane group, chunk (operand budget) and selector reach of the run; m: the run
    pattern's own group (compaction, metadata); groups_per_tile: chunks per tile; kind: how the
    kernel reads a chunk (``walk.KIND_*``); bits_per_pass: metadata bits of one chunk;
    decode_cyc: decoder cycles per chunk-cycle.
    """

    n: int
    m: int
    mh: int
    reach: int
    tb: int
    groups_per_tile: int
    cyc_per_pass: int
    lockstep: int
    sparse: int
    bits_per_pass: int
    decode_cyc: int
    fill: int
    kind: int

    @property
    def full_reach(self) -> bool:
        """The reach never costs a cycle (``chunks.full_reach``): the kernels skip the ideal count."""
        return full_reach(self.n, self.mh, self.reach) if self.sparse else True


def _bits_per_group(design: Design, p: Pattern, m: int) -> int:
    """Metadata bits of one group of the run pattern (unstructured: a bitmap over its segment)."""
    if p.kind == "nm":
        return p.metadata_bits_per_group(design.metadata_format)
    return m if p.kind == "unstructured" else 0


def decode_steps_per_group(design: Design, p: Pattern) -> int:
    """Decoder steps per group: 1 for index and bitmask codes and for combinatorial codes of at most
    8 bits (a table); N for longer combinatorial codes (serial unranking, Knuth TAOCP 4A 7.2.1.3)."""
    if p.kind == "nm" and design.metadata_format == "combinatorial" and p.metadata_bits_per_group("combinatorial") > 8:
        return p.n
    return 1


def chunk_kind(nh: int, mh: int, reach: int) -> int:
    """How the kernel reads a chunk of mh channels (walk.KIND_*)."""
    if mh <= TABLE_MAX_MH:
        return {4: walk.KIND_NIBBLE, 8: walk.KIND_BYTE, 16: walk.KIND_WORD}.get(mh, walk.KIND_TABLE)
    return walk.KIND_POPCOUNT if full_reach(nh, mh, reach) else walk.KIND_GREEDY


def run_params(design: Design, pattern: Pattern, mode: str, t_rows: int) -> RunParams:
    """Lane group, chunk, block and tile sizes (see module docstring)."""
    p = pattern
    n, mh, reach = design.lane_mapping(p)
    m = p.m if p.kind == "nm" else mh
    sparse = int(p.kind != "dense")
    ws = design.dataflow == "weight_stationary"
    column = design.pe_rows * design.lanes_per_pe
    bpe = design.bytes_per_element
    bits_pg = _bits_per_group(design, p, m)
    slice_bytes = column * bpe  # one token's activation slice in the buffer (double-buffered)
    if sparse and design.compressed_activations:
        slice_bytes = max(1, -(-(column * (bpe * 8 * p.density * m + bits_pg)) // (8 * m)))
        slice_bytes = int(slice_bytes)
    if ws:
        gpt, cpp = column // n, 1
        tb = max(1, min(max(t_rows, 1), design.act_buffer_kib * 1024 // (2 * slice_bytes)))
    else:
        gpt, cpp = max(1, design.lanes_per_pe // n), max(1, n // design.lanes_per_pe)
        tb = max(1, min(max(t_rows, 1), design.pe_rows))
    if mode == "decode":
        tb = 1
    bits = -(-bits_pg * mh // m) if sparse else 0
    dec = max(1, -(-decode_steps_per_group(design, p) * mh // (m * design.resolved_decode_groups_per_cycle)))
    fill = design.pe_rows + design.pe_cols - 2 + design.selector_pipeline_stages
    return RunParams(n, m, mh, reach, tb, gpt, cpp, int(not ws), sparse, bits, dec, fill, chunk_kind(n, mh, reach))


def _out_kept(p: Pattern, o: int) -> int:
    """Outputs of one token kept at the run pattern's density (the next layer's compacted input)."""
    if p.kind == "nm":
        return o // p.m * p.n + min(p.n, o % p.m)
    return p.kept_per_row(o)


def layer_params(layer: PreparedLayer, rp: RunParams, design: Design, decode: bool, pattern: Pattern = DENSE) -> np.ndarray:
    """The int64 parameter array of ``kernels.layer_timing`` (indexed by ``counts.P_*``)."""
    bpe = design.bytes_per_element
    bits_pg = _bits_per_group(design, pattern, rp.m)
    values = {
        "t_rows": layer.t, "k": layer.k, "o": layer.o, "tb": rp.tb, "groups": -(-layer.k // rp.m), "n": rp.n,
        "cyc_per_pass": rp.cyc_per_pass, "fill": rp.fill, "pe_cols": design.pe_cols, "bytes_per_element": bpe,
        "weight_bw": design.weight_bw_bytes_per_cycle, "meta_bw": design.metadata_bw_bits_per_cycle,
        "bits_per_pass": rp.bits_per_pass, "decode_cyc": rp.decode_cyc,
        "compaction_gpc": design.compaction_groups_per_cycle, "banks": design.buffer_banks, "sparse": rp.sparse,
        "ws": int(rp.lockstep == 0), "decode": int(decode),
        "weights_fit": int(layer.k * layer.o * bpe <= design.weight_buffer_kib * 1024),
        "union_all": layer.union_all if rp.sparse else layer.k,
        "compressed": int(design.compressed_activations and rp.sparse),
        "in_meta_bits": -(-layer.k // rp.m) * bits_pg if rp.sparse else 0,
        "out_kept": _out_kept(pattern, layer.o) if rp.sparse else layer.o,
        "out_meta_bits": -(-layer.o // rp.m) * bits_pg if rp.sparse else 0,
        "weight_dbuf": int(design.weight_double_buffer and rp.lockstep == 0),
    }  # fmt: skip
    return np.array([values[name] for name in LAYER_PARAMS], dtype=np.int64)
