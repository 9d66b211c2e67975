"""The memory hierarchy and the chip around the core: several cores, a shared on-chip level (an L2), and a
fixed per-call overhead (issue 9, item 1).

The kernels (and their twin) time one core running a whole layer against DRAM.  When a design sets any of
``Design.cores``, ``l2_kib`` / ``l2_bw_bytes_per_cycle``, ``launch_overhead_us`` or ``bw_efficiency``
(``Design.hierarchical``), :func:`apply_hierarchy` re-times each layer from the kernel's per-layer causes and
counts; both engines go through it, so the twin stays exact.  A design with none of them is untouched (its
kernel DRAM roofline stands).

Rules, per traced layer ``Y[T, O] = X[T, K] W[K, O]`` (one call; decode: T calls of one token):

* **Cores.** The parallel units of a call are its (token block, O-tile) pairs (every K-tile of a unit
  accumulates into the same outputs, so a unit stays on one core); ``cores`` cores take them in waves, so
  the on-chip cycles (every cause but the memory ones) become ``onchip x ceil(U / cores) / U`` (wave
  quantisation: 12 O-tiles on 132 cores use 12 of them); a fill the kernel charged once per call
  (``Design.weight_double_buffer``) is not divided: each core fills its own pipeline once per call (the whole
  fill, an upper bound by the part a weight-bound first fold hides under its weight load).  A GPU library kernel fixes its own unit, the CTA
  tile (``cta_tokens x cta_outputs``), and may run a persistent grid on fewer cores than the chip has
  (``cta_slots``): then ``U = ceil(T / cta_tokens) x ceil(O / cta_outputs)`` and the waves are
  ``ceil(U / cta_slots)`` (cuSPARSELt's default fp16 kernel on an H200: 256 x 128 tiles on 120 CTAs, so 128
  tiles take two waves, the second 7 % full).  The causes keep their proportions; rounding goes
  to ``compute``.  ``compute_efficiency`` (a kernel's achieved fraction of the core's rate) divides them.
* **Traffic into the cores** (``l2_read_bytes``).  The split that moves the fewest bytes: as few cores per
  token block as keep every core busy, ``s = min(O-tiles, ceil(cores / blocks))`` (decode: one block per
  call), each over its own O-tiles, and ``g = ceil(min(cores, U) / s)`` groups of them on different blocks.
  Each of the ``s`` cores of a block reads the block's activations; weights are read by each group once
  when a core's share (``1 / s`` of the layer's weights) fits its weight buffer, else as the kernel reloads
  them (per token block).  Outputs are written once (``l2_write_bytes``, with the DRAM fills).
* **DRAM behind a shared level of L bytes**: the activations once (the cores read a token block at about
  the same time, so the level catches the duplicates), the weights once when they fit in L (reuse across
  token blocks), else once per round of the ``g`` groups (``ceil(blocks / g)`` times: groups running at
  the same time stream the same weights, one DRAM read serves them; a later round misses again, as a cyclic
  stream larger than an LRU cache does); the outputs once.
  Without a shared level the cores read DRAM directly (DRAM traffic = traffic into the cores).  Operands left
  in the level by a previous call are not modelled (each call starts cold).
* **Time.** ``l2 = l2 bytes / l2_bw``, ``dram = max(DRAM reads / read_bw, (reads + writes) / dram_bw)``, where
  ``read_bw = dram_bw x bw_efficiency`` capped by ``core_dram_gb_per_s`` (below): stores are posted (a core sends
  them and goes on; no round trip holds one of its outstanding requests), so the two load-side limits bind the reads
  only, and the writes share the nominal bandwidth with them
  (chip totals, per cycle of the achievable clock); the call takes ``max(onchip per core, l2, dram)``, the
  excess over on-chip charged to ``dram`` or ``l2_bw``, whichever is slower; plus ``launch_overhead_us``
  per call (cause ``launch``).  Decode re-times the layer's T steps together (layer totals, not per step).

``core_dram_gb_per_s`` caps the read bandwidth by the units in flight: ``min(read_bw, min(U, slots) x core_dram)``.  One
core pulls at most its outstanding requests per memory latency (Little's law), so a call with few units cannot
stream at the chip's rate (cuSPARSELt's 32 tiles of a 4096 x 4096 layer at T <= 256 on an H200).

``bw_efficiency`` is the fraction of the nominal DRAM bandwidth a core's kernel sustains on its loads; a GPU library
kernel reaches a fraction of peak that depends on how it fetches its operands (the presets say where theirs comes
from).
"""

from __future__ import annotations

import math

import numpy as np

from accelsim.sim import counts as C

__all__ = ["apply_hierarchy", "HierarchyInputs"]

_MEMORY = (C.CAUSE_DRAM, C.CAUSE_L2_BW, C.CAUSE_LAUNCH)


class HierarchyInputs:
    """What :func:`apply_hierarchy` needs to know about one layer beyond the kernel's outputs.

    t, o: tokens and outputs; tb: tokens per block; w_once: bytes of the layer's weights read once (the
    rows any token keeps on an activation core; compressed values plus metadata on a weight core);
    weight_fetch: the kernel's weight bytes from above the core (once or per block); act_in: the kernel's
    activation bytes from above the core (once over the layer); fill_once: fill and drain cycles the kernel
    charged once per call rather than per fold (double-buffered weights: fill x calls), which every core pays.
    """

    __slots__ = ("t", "o", "tb", "w_once", "weight_fetch", "act_in", "fill_once")

    def __init__(self, t: int, o: int, tb: int, w_once: int, weight_fetch: int, act_in: int, fill_once: int = 0) -> None:
        self.t, self.o, self.tb = int(t), int(o), int(tb)
        self.w_once, self.weight_fetch, self.act_in = int(w_once), int(weight_fetch), int(act_in)
        self.fill_once = int(fill_once)


def apply_hierarchy(design, h: HierarchyInputs, decode: bool, cause: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
    """(cause, kernel counts, {l2_read_bytes, l2_write_bytes}) of one layer re-timed by the module's rules.

    cause and counts are the kernel's (or the twin's) arrays for the layer; new arrays are returned.
    """
    cause = np.array(cause, dtype=np.int64)
    counts = np.array(counts, dtype=np.int64)
    cores = design.cores
    n_ot = -(-h.o // design.pe_cols)
    nb = -(-h.t // h.tb)
    # waves: a call's parallel units (the core's own tiles, or the kernel's CTA tiles when the design names them) over
    # the cores it occupies at once; the traffic split below stays on the core's own tiles
    tm, tn = design.cta_tokens or h.tb, design.cta_outputs or design.pe_cols
    units = -(-h.o // tn) * (1 if decode else -(-h.t // tm))
    waves = -(-units // min(cores, design.cta_slots or cores))
    for i in _MEMORY:
        cause[i] = 0
    onchip = int(cause.sum())
    # A fill paid once per call (double-buffered weights) is paid by every core, not split among them.
    once = min(h.fill_once, onchip)
    per_core = math.ceil((onchip - once) * waves / (units * design.compute_efficiency)) + once
    if per_core != onchip:
        scaled = [int(c) * waves // units for c in cause]
        scaled[C.CAUSE_COMPUTE] += per_core - sum(scaled)
        cause = np.array(scaled, dtype=np.int64)
    spread = min(n_ot, -(-cores // (1 if decode else nb)))  # cores sharing one token block (over its O-tiles)
    groups = -(-min(cores, n_ot * (1 if decode else nb)) // spread)  # groups of cores working on different token blocks
    wbuf = design.weight_buffer_kib * 1024
    l2_w = h.w_once * groups if h.w_once <= wbuf * spread else h.weight_fetch
    out_bytes = int(counts[C.DRAM_WRITE_BYTES])
    into_cores = l2_w + h.act_in * spread
    cap = design.l2_kib * 1024
    if cap:
        dram_rd = (h.w_once if h.w_once <= cap else min(l2_w, h.w_once * -(-nb // groups))) + h.act_in
        l2 = {"l2_read_bytes": into_cores, "l2_write_bytes": out_bytes + dram_rd}
    else:
        dram_rd = into_cores
        l2 = {"l2_read_bytes": 0, "l2_write_bytes": 0}
    counts[C.DRAM_READ_BYTES] = dram_rd
    clk = design.achievable_clock_ghz
    read_bw = design.dram_bw_gb_per_s * design.bw_efficiency
    if design.core_dram_gb_per_s:  # few units in flight cannot fill the chip's DRAM bandwidth
        read_bw = min(read_bw, min(units, cores, design.cta_slots or cores) * design.core_dram_gb_per_s)
    # the load-side limits bind the reads; posted stores share only the nominal bandwidth (module docstring, Time)
    dram_cyc = max(math.ceil(dram_rd * clk / read_bw), math.ceil((dram_rd + out_bytes) * clk / design.dram_bw_gb_per_s))
    l2_cyc = math.ceil((into_cores + out_bytes) / design.l2_bw_bytes_per_cycle) if cap else 0
    over = max(0, max(dram_cyc, l2_cyc) - per_core)
    cause[C.CAUSE_DRAM if dram_cyc >= l2_cyc else C.CAUSE_L2_BW] = over
    calls = h.t if decode else 1
    cause[C.CAUSE_LAUNCH] = calls * round(design.launch_overhead_us * 1e3 * clk)
    return cause, counts, l2
