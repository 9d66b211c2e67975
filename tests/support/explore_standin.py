"""Test helpers for the explorer: a tiny stand-in simulator/cost model and trace sets on disk.

The stand-in lives here, in the tests only: it lets the explorer's plumbing (spec, store,
resume, Dask, report) be tested quickly and independently of the real simulator.  Its
numbers are a closed form (kept MACs / multipliers, area linear in multipliers and M), so
tests can predict them exactly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from accelsim.explore.points import Backend
from accelsim.masks import pack_mask, topn_mask
from accelsim.patterns import Pattern
from accelsim.traces import LayerTrace, Trace, save_trace

SELECTORS = ("naive", "window", "hierarchical")


@dataclass(frozen=True)
class StandInDesign:
    name: str = "custom"
    pe_rows: int = 16
    pe_cols: int = 16
    lanes_per_pe: int = 8
    patterns: tuple[str, ...] = ("dense",)
    selector: str = "naive"
    metadata_format: str = "bitmask"
    weight_bw_bytes_per_cycle: int = 64
    clock_ghz: float = 1.0

    def __post_init__(self):
        for f in ("pe_rows", "pe_cols", "lanes_per_pe", "weight_bw_bytes_per_cycle"):
            v = getattr(self, f)
            if not isinstance(v, int) or not 1 <= v <= 4096:
                raise ValueError(f"{f} must be an integer in [1, 4096], got {v!r}")
        if self.selector not in SELECTORS:
            raise ValueError(f"selector must be one of {SELECTORS}, got {self.selector!r}")
        if self.selector == "hierarchical" and self.max_m < 8:
            raise ValueError("selector 'hierarchical' needs a pattern with M >= 8")
        object.__setattr__(self, "patterns", tuple(str(Pattern.parse(p)) for p in self.patterns))

    @property
    def multipliers(self) -> int:
        return self.pe_rows * self.pe_cols * self.lanes_per_pe

    @property
    def max_m(self) -> int:
        ms = [Pattern.parse(p) for p in self.patterns]
        return max([64 if p.kind == "unstructured" else p.m for p in ms if p.kind != "dense"], default=0)

    def supports(self, pattern: str) -> bool:
        return str(Pattern.parse(pattern)) in self.patterns or Pattern.parse(pattern).kind == "dense"


@dataclass(frozen=True)
class StandInResult:
    cycles: int
    cycles_by_cause: dict
    macs_useful: int
    mac_slots: int
    pe_utilization: float
    actions: dict
    tokens: int
    run_pattern: str


@dataclass(frozen=True)
class StandInCost:
    energy_j: float
    area_mm2: float
    energy_by_component_j: dict
    area_by_component_mm2: dict


def prepare(trace: Trace) -> dict:
    layers = [(ly.tokens, ly.in_features, ly.out_features, int(ly.mask().sum())) for ly in trace.layers]
    return {"pattern": str(trace.pattern), "layers": layers}


def simulate(design: StandInDesign, prep: dict, *, mode: str = "prefill") -> StandInResult:
    """cycles = ceil(kept MACs / multipliers) per layer (+1 metadata cycle per layer if sparse)."""
    sparse = prep["pattern"] != "dense" and design.supports(prep["pattern"])
    compute = meta = useful = slots = 0
    tokens = prep["layers"][0][0]
    for t, k, o, kept in prep["layers"]:
        macs = (kept if sparse else t * k) * o
        c = -(-macs // design.multipliers)
        compute += c
        meta += 1 if sparse else 0
        useful += kept * o
        slots += c * design.multipliers
    cycles = compute + meta
    return StandInResult(
        cycles, {"compute": compute, "metadata_bw": meta, "weight_bw": 0}, useful, slots, useful / slots,
        {"mac": {"mult": useful}}, tokens, prep["pattern"] if sparse else "dense",
    )


def price(result: StandInResult, design: StandInDesign) -> StandInCost:
    """area = 1e-4 mm2 per multiplier + 1e-5 mm2 per multiplier per unit of M; 1 pJ per MAC slot."""
    a_mac = 1e-4 * design.multipliers
    a_sel = 1e-5 * design.multipliers * design.max_m
    e_mac = 1e-12 * result.mac_slots
    e_buf = 0.5e-12 * result.mac_slots
    return StandInCost(e_mac + e_buf, a_mac + a_sel, {"mac": e_mac, "buffer": e_buf}, {"mac": a_mac, "selector": a_sel})


BACKEND = Backend(StandInDesign, prepare, simulate, price, {"dense": StandInDesign(name="dense")})


def make_trace(out: Path, pattern: str, *, perplexity: float, dense_perplexity: float | None = None,
               model: str = "toy", criterion: str = "magnitude", mitigation: str = "none", seed: int = 0,
               shapes=((16, 64, 32), (16, 32, 48)), config: dict | None = None) -> Path:
    """Save a small trace whose masks are top-N of random scores under ``pattern``."""
    rng = np.random.default_rng(seed)
    layers = []
    for i, (t, k, o) in enumerate(shapes):
        scores = np.abs(rng.standard_normal((t, k))).astype(np.float32)
        layers.append(LayerTrace(f"layer{i}", k, o, pattern, pack_mask(topn_mask(scores, Pattern.parse(pattern)))))
    manifest = {
        "config": {"model": model, "dataset": "toytext", "pattern": pattern, "criterion": criterion,
                   "mitigation": mitigation, "sparsify": "activations", "seed": seed, **(config or {})},
        "accuracy": {"perplexity": perplexity, "nll": float(np.log(perplexity)), "tokens_scored": 512, "dense_perplexity": dense_perplexity},
        "protocol": {"dataset": "toytext", "split": "test", "seq_len": 16, "windows": 32, "tokens_scored": 512, "sparsified": "all linears"},
        "model_info": {"id": model},
    }
    return save_trace(Trace(f"{model}-{pattern.replace(':', '_')}-{criterion}-{out.parent.name}", tuple(layers), manifest), out)


def make_trace_set(root: Path, ppl: dict[str, float], **kw) -> list[Path]:
    """One trace per pattern in ``ppl`` (pattern -> perplexity), e.g. {"dense": 10, "2:4": 14}."""
    return [make_trace(root / p.replace(":", "_"), p, perplexity=v, seed=i, **kw) for i, (p, v) in enumerate(ppl.items())]


def replace(design, **kw):
    return dataclasses.replace(design, **kw)
