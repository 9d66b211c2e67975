"""Evaluate design points: one (design, workload, mode) -> one row (simulate, price, join accuracy).

Trace statistics that no design field changes are computed once per process by
``accelsim.sim.prepare`` and kept in an explicit :class:`accelsim.sim.prepared.TraceCache` (one per process
and backend, keyed by trace path and evaluated layers), so a chunk of designs reuses them; a sweep run
in-process clears it when done.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

from accelsim.explore.designs import design_label
from accelsim.explore.spec import CONSTRAINTS, design_id
from accelsim.explore.workloads import GROUP_KEYS, Workload
from accelsim.traces import load_trace

__all__ = ["Backend", "default_backend", "process_cache", "clear_process_caches", "evaluate_chunk", "evaluate_trace", "design_columns"]


@dataclass(frozen=True)
class Backend:
    """The simulator and cost model the explorer drives (``accelsim.sim``/``accelsim.cost`` by default)."""

    design_cls: type
    prepare: Callable
    simulate: Callable
    price: Callable
    presets: dict


def default_backend() -> Backend:
    from accelsim import cost, sim

    return Backend(sim.Design, sim.prepare, sim.simulate, cost.price, dict(sim.presets))


_CACHES: dict[Callable, Any] = {}  # this process's accelsim.sim.TraceCache per backend.prepare


def process_cache(backend: Backend):
    """This process's :class:`accelsim.sim.prepared.TraceCache` for ``backend`` (pool workers each hold their own)."""
    from accelsim.sim.prepared import TraceCache

    cache = _CACHES.get(backend.prepare)
    if cache is None:
        cache = _CACHES[backend.prepare] = TraceCache(prepare=backend.prepare, load=load_trace)
    return cache


def clear_process_caches() -> None:
    """Free the prepared traces of this process (a sweep run in-process calls it when done)."""
    for cache in _CACHES.values():
        cache.clear()
    _CACHES.clear()


def design_columns(design) -> dict[str, Any]:
    """Every Design field as a flat column (sets as "a|b"), plus id, label and derived sizes."""
    cols: dict[str, Any] = {"design_id": design_id(design), "design_name": design.name}
    for f in dataclasses.fields(design):
        if f.name == "name":
            continue
        v = getattr(design, f.name)
        cols[f.name] = "|".join(map(str, v)) if isinstance(v, tuple) else v
    cols["largest_pattern"] = design_label(design)
    cols["multipliers"] = int(design.multipliers)
    cols["max_m"] = int(design.max_m)
    return cols


def design_from_row(row: dict, design_cls):
    """The Design a results row describes: the inverse of :func:`design_columns` (tuples come back from "a|b")."""
    kw = {}
    for f in dataclasses.fields(design_cls):
        if f.name == "name" or f.name not in row or row[f.name] is None:
            continue
        v = row[f.name]
        default = f.default if f.default is not dataclasses.MISSING else None
        if isinstance(default, tuple):
            v = tuple(x for x in str(v).split("|") if x)
        kw[f.name] = v
    return design_cls(name=str(row.get("design_name", "design")), **kw)


def _feasible(row: dict, constraints: dict) -> bool:
    ok = True
    for key, limit in constraints.items():
        col, kind = CONSTRAINTS[key]
        ok &= row[col] <= limit if kind == "max" else row[col] >= limit
    return bool(ok)


def _row(design, wl: Workload, mode: str, constraints: dict, backend: Backend, cache) -> dict[str, Any]:
    ref = wl.choose(design)
    res = backend.simulate(design, cache.get(ref.path, layers=wl.layers), mode=mode)
    cost = backend.price(res, design)
    tokens = int(res.tokens)
    if tokens <= 0:
        raise ValueError(f"trace {ref.path} stores no token rows for the evaluated layers; recapture it with trace_tokens >= 1")
    # The achievable clock (model v2: a deep selector can slow it), not the nominal one.
    clock_ghz = float(getattr(res, "clock_ghz", design.clock_ghz))
    seconds = res.cycles / (clock_ghz * 1e9)
    ops = 2.0 * wl.macs_per_token * tokens  # dense-equivalent ops: comparable across patterns
    row = design_columns(design)
    row.update(dict(zip(GROUP_KEYS, wl.key)))
    # the method of the trace this design runs (a workload holds every captured one: Workload.choose)
    row.update(criterion=ref.criterion, mitigation=ref.mitigation, weight_criterion=ref.weight_criterion,
               method=ref.method, method_units="|".join(ref.units))
    ppl, ref_ppl = ref.perplexity, wl.dense_perplexity
    row.update(
        workload_id=wl.workload_id,
        eval_protocol=wl.protocol,
        mode=mode,
        trace_run_id=ref.run_id,
        trace_pattern=str(ref.pattern),
        run_pattern=str(res.run_pattern),
        # a layer-adaptive plan: its name and the patterns its layers ran in ("2:4+8:16"); "" and the one pattern otherwise
        plan=ref.plan,
        trace_patterns=ref.patterns_label,
        run_patterns="+".join(str(p) for p in getattr(res, "run_patterns", (res.run_pattern,))),
        perplexity=ppl,
        dense_perplexity=ref_ppl,
        ppl_delta=(ppl - ref_ppl) if ppl is not None and ref_ppl is not None else None,
        tokens_scored=ref.tokens_scored,
        # 95 % bootstrap intervals over the capture's evaluation windows (None when it recorded fewer than 2)
        perplexity_lo=ref.ppl_interval[0] if ref.ppl_interval else None,
        perplexity_hi=ref.ppl_interval[1] if ref.ppl_interval else None,
        ppl_delta_lo=ref.delta_interval[0] if ref.delta_interval else None,
        ppl_delta_hi=ref.delta_interval[1] if ref.delta_interval else None,
        tokens=tokens,
        cycles=int(res.cycles),
        cycles_per_token=res.cycles / tokens,
        energy_j=float(cost.energy_j),
        energy_per_token_j=cost.energy_j / tokens,
        energy_onchip_j=float(getattr(cost, "energy_onchip_j", cost.energy_j)),
        energy_offchip_j=float(getattr(cost, "energy_offchip_j", 0.0)),
        clock_ghz_achieved=clock_ghz,
        area_mm2=float(cost.area_mm2),
        # the cost model's low/high corners (accelsim.cost.ranges): every constant at the low or the high end of its range
        energy_j_low=float(getattr(cost, "energy_range_j", (cost.energy_j,) * 2)[0]),
        energy_j_high=float(getattr(cost, "energy_range_j", (cost.energy_j,) * 2)[1]),
        energy_per_token_j_low=float(getattr(cost, "energy_range_j", (cost.energy_j,) * 2)[0]) / tokens,
        energy_per_token_j_high=float(getattr(cost, "energy_range_j", (cost.energy_j,) * 2)[1]) / tokens,
        area_mm2_low=float(getattr(cost, "area_range_mm2", (cost.area_mm2,) * 2)[0]),
        area_mm2_high=float(getattr(cost, "area_range_mm2", (cost.area_mm2,) * 2)[1]),
        tokens_per_s=tokens / seconds,
        power_w=cost.energy_j / seconds,
        effective_tops=ops / seconds / 1e12,
        tops_per_w=ops / cost.energy_j / 1e12,
        tops_per_mm2=ops / seconds / 1e12 / cost.area_mm2,
        pe_utilization=float(res.pe_utilization),
        macs_useful=int(res.macs_useful),
        mac_slots=int(res.mac_slots),
    )
    for cause, c in res.cycles_by_cause.items():
        row[f"cycles.{cause}"] = int(c)
    for comp, e in cost.energy_by_component_j.items():
        row[f"energy_j.{comp}"] = float(e)
    for comp, a in cost.area_by_component_mm2.items():
        row[f"area_mm2.{comp}"] = float(a)
    row["feasible"] = _feasible(row, constraints)
    return row


def evaluate_trace(design, wl: Workload, ref, mode: str, backend: Backend | None = None, cache=None) -> dict[str, Any]:
    """The row of ``design`` running the trace ``ref`` of ``wl`` (whether or not ``Workload.choose`` would pick it), e.g.
    to compare every plan and uniform trace a core can run (``accelsim.report.plans``); no constraints are applied."""
    backend = backend or default_backend()
    cache = process_cache(backend) if cache is None else cache
    return _row(design, dataclasses.replace(wl, traces=(ref,)), mode, {}, backend, cache)


def evaluate_chunk(points, constraints: dict, backend: Backend | None = None, cache=None) -> list[dict[str, Any]]:
    """One row per (design, workload, mode) point of a chunk; runs in a worker process.

    cache: a TraceCache to reuse prepared traces from (default: :func:`process_cache` of the backend).
    """
    backend = backend or default_backend()
    cache = process_cache(backend) if cache is None else cache
    rows = []
    for d, wl, mode in points:
        try:
            rows.append(_row(d, wl, mode, constraints, backend, cache))
        except Exception as e:  # name the point: a bare traceback from a worker says nothing about which design
            raise RuntimeError(f"design {d.name} (id {design_id(d)}) on workload {wl.workload_id}, mode {mode}: {type(e).__name__}: {e}") from e
    return rows
