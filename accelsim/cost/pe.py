"""What a PE's shape does to its registers, adders and wires: scalar-lane PEs and STA's tensor PEs.

A design's array is ``pe_rows x pe_cols`` dot-product units of ``B = lanes_per_pe`` lanes.  A tensor PE
(``Design.tensor_pe_rows`` = A, ``tensor_pe_cols`` = C; Liu, Whatmough, Mattina, "Systolic Tensor Array",
IEEE CAL 2020, arXiv:2005.08098) groups A x C of those units into one A x B x C block: operands are broadcast
inside the block, so operand pipeline registers sit only at its boundary.  Counted per tensor PE (derived, w the
operand width, ``cand`` the stationary-weight candidates per lane):

* the candidates (``cand = ceil(mh / nh)`` dense-operand elements per lane, docs/sparse-core-model.md section 1)
  sit on the dense operand: the weights on an activation-sparse core (``cw = cand``, ``ca = 1``), the
  activations on a weight-sparse or dual-side core (``ca = cand``, ``cw = 1``: the lane group is offered the
  chunk's ``mh`` activations and picks by the compressed weights' metadata);
* weight-stationary (activations flow along rows, partial sums down columns): every lane keeps its ``cw``
  stationary weights and a ``w``-bit shadow register the next tile loads into (not shared); the block passes
  A x B x ``ca`` activations to its right (shared by its C columns) and C 32-bit partial sums down (its A rows
  reduce into one partial sum per column, so the adder tree spans A x B products);
* output-stationary (activations along rows, weights down columns, outputs stay): the block passes C x B x
  ``cw`` weights down (shared by its A rows) and A x B x ``ca`` activations right (shared by its C columns), and
  keeps A x C 32-bit accumulators; each dot product's tree spans its B products.

A 1 x 1 block is the scalar-lane PE the model always had (same counts bit for bit).  Wires: an operand still
crosses every unit it reaches (a broadcast across the block spans the C units the hops would have), so the
wire energy per MAC is the 1 x 1 figure; what the block saves is registers and adders, where STA's area and
power reductions come from.
"""

from __future__ import annotations

__all__ = ["ACC_BITS", "width", "candidates", "weight_stationary", "register_bits", "hop_register_bits", "hop_wire_bits", "reduction_lanes"]

# Partial sums and accumulators are 32 bits: int32 for int8 products (Horowitz's 32-bit add), fp32 otherwise.
ACC_BITS = 32


def width(design) -> int:
    return 8 * design.bytes_per_element


def weight_stationary(design) -> bool:
    return design.dataflow == "weight_stationary"


def candidates(design) -> tuple[int, int]:
    """(cw, ca): dense-operand candidates per lane held as weights and as activations (see the module doc)."""
    cand = design.weight_candidates_per_lane
    return (cand, 1) if design.sparse_operand == "activations" else (1, cand)


def _block(design) -> tuple[int, int, int, int]:
    """(A, B, C, tensor PEs per core)."""
    a, b, c = design.pe_shape
    return a, b, c, design.pe_rows * design.pe_cols // (a * c)


def register_bits(design) -> int:
    """Flip-flop bits of one core's array: stationary weights, operand pipeline registers at the tensor-PE
    boundaries, partial sums or accumulators, and the per-lane registers of pipelined selector stages."""
    a, b, c, blocks = _block(design)
    w, (cw, ca) = width(design), candidates(design)
    if weight_stationary(design):
        per_block = a * b * c * (cw * w + w) + a * b * ca * w + c * ACC_BITS
    else:
        per_block = c * b * cw * w + a * b * ca * w + a * c * ACC_BITS
    return blocks * per_block + design.multipliers * w * design.selector_pipeline_stages


def hop_register_bits(design) -> float:
    """Pipeline-register bits clocked into the next tensor PE per issued MAC slot."""
    a, b, c, _ = _block(design)
    w, (cw, ca) = width(design), candidates(design)
    if weight_stationary(design):
        return ca * w / c + ACC_BITS / (a * b)
    return cw * w / a + ca * w / c


def hop_wire_bits(design) -> float:
    """Bits that cross one unit pitch of wire per issued MAC slot (independent of the block, see module doc)."""
    w, (cw, ca) = width(design), candidates(design)
    return ca * w + ACC_BITS / design.lanes_per_pe if weight_stationary(design) else (cw + ca) * w


def reduction_lanes(design) -> int:
    """Products one adder tree reduces before its 32-bit adder: A x B weight-stationary, B output-stationary."""
    a, b, _ = design.pe_shape
    return a * b if weight_stationary(design) else b
