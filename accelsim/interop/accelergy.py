"""A design's cost model in Accelergy's YAML shape: the architecture tree, and energy / area reference tables.

Accelergy (Wu, Emer, Sze, ICCAD 2019; accelergy.mit.edu) describes an accelerator as a tree of components, each with
a ``name`` (``multiplier[0..1023]`` for 1,024 of them), a ``class`` and ``attributes``, and reports per-action
energies in an ERT (energy reference table) and per-instance areas in an ART (area reference table).  The export
writes the same three parts from accelsim's own cost model (``accelsim.cost.components``), at the design's node and
at the nominal corner of every constant (``low``/``high`` in each entry give the range of ``accelsim.cost.ranges``):

``architecture``  version, and one subtree ``system`` (the DRAM, off chip) holding ``chip`` (everything else), each
                  component with class (accelsim's component class), count, and attributes (its sizing fields,
                  technology, whether it is flexibility hardware, its source);
``ERT``           one table per component: its actions, each with ``energy`` in pJ per action and ``accelsim_count``,
                  the simulator count (``accelsim.sim.counts.Counts`` field) the action is;
``ART``           one table per component: ``area`` in um^2 per instance (times ``count`` for the component's area);
``accelsim``      the design's name, node, units and the leakage power density (static energy is charged per second,
                  not per action).

So ``energy_by_component_j[c] == sum(ERT energy x result.counts.<accelsim_count>) x 1e-12`` and
``area_by_component_mm2[c] == ART area x count x 1e-6`` for any ``result`` that ran the export's ``run`` pattern
(default: the design's widest), which ``tests/unit/test_interop.py`` checks against ``price``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from accelsim.io import atomic_write_text

__all__ = ["accelergy_export", "write_accelergy", "VERSION"]

VERSION = 0.3  # the Accelergy input/output format version whose shape this follows (subtree/local, ERT/ART tables)


def _plain(v):
    """``v`` as a plain YAML scalar or list (a ``Ranged`` constant is a float subclass: its nominal value)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    return str(v)


def _attributes(model, comp, design) -> dict:
    attrs = {}
    for f in dataclasses.fields(model) if dataclasses.is_dataclass(model) else ():
        attrs[f.name] = _plain(getattr(model, f.name))
    attrs["technology"] = f"{design.tech_nm}nm"
    attrs["flexibility_hardware"] = bool(comp.flexibility)
    attrs["source"] = comp.source
    return attrs


def _corners(fn) -> dict:
    """``fn()`` at the nominal, low and high corner of the cost model's constants."""
    from accelsim.cost.ranges import corner

    out = {}
    for c, key in (("nominal", "value"), ("low", "low"), ("high", "high")):
        with corner(c):
            out[key] = float(fn())
    return out


def accelergy_export(design, run=None) -> dict:
    """The Accelergy-shaped description of ``design`` (a dict ready for ``yaml.safe_dump``; see the module docstring).

    run: the pattern the per-action energies are for (a pattern string or ``Pattern``; default the design's widest):
    a few components (the metadata decoder) cost per action what the pattern being run needs.
    """
    from accelsim.cost.components import COMPONENTS, Component
    from accelsim.cost.scaling import scale_area, scale_energy
    from accelsim.patterns import Pattern

    run = Pattern.parse(run) if isinstance(run, str) else run
    tech = design.tech_nm
    chip, system, ert, art, leak = [], [], [], [], None
    for comp in COMPONENTS:
        model, count = comp.of(design), comp.count(design)
        if model is None:
            continue
        if not comp.actions and not count:  # leakage: no actions, no area of its own; reported as a density below
            if type(model).static_w is not Component.static_w:
                leak = _corners(lambda m=model: m.static_w(1.0))
            continue
        if not count and not comp.off_chip and model.area_um2 > 0:  # sized but not built (e.g. no L2): absent
            continue
        running = comp.of(design, run) or model
        name = f"{comp.name}[0..{count - 1}]" if count > 1 else comp.name
        node = {"name": name, "class": type(model).__name__, "count": int(count), "attributes": _attributes(model, comp, design)}
        (system if comp.off_chip else chip).append(node)
        path = f"system.{name}" if comp.off_chip else f"system.chip.{name}"
        scale_e = (lambda e: scale_energy(e, tech)) if comp.node_scaled else (lambda e: e)
        actions = []
        for a in comp.actions:
            e = _corners(lambda a=a, r=running, f=scale_e: f(r.energy_pj(a.name)))
            actions.append({"name": a.name, "arguments": None, "energy": e["value"], "energy_low": e["low"], "energy_high": e["high"],
                            "accelsim_count": a.count})  # fmt: skip
        ert.append({"name": path, "actions": actions})
        area = _corners(lambda m=model: scale_area(m.area_um2, tech))
        art.append({"name": path, "area": area["value"], "area_low": area["low"], "area_high": area["high"], "count": int(count)})
    arch = {"version": VERSION, "subtree": [{"name": "system", "attributes": {"technology": f"{tech}nm", "clock_ghz": float(design.clock_ghz)},
                                              "local": system, "subtree": [{"name": "chip", "local": chip}]}]}  # fmt: skip
    meta = {"design": design.name, "tech_nm": int(tech), "run_pattern": str(run) if run is not None else "widest supported",
            "units": {"energy": "pJ per action", "area": "um^2 per instance", "leakage": "W per mm^2 of on-chip area"},
            "leakage_w_per_mm2": leak, "generator": "accelsim.interop.accelergy"}  # fmt: skip
    return {"architecture": arch, "ERT": {"version": VERSION, "tables": ert}, "ART": {"version": VERSION, "tables": art}, "accelsim": meta}


def write_accelergy(design, path: "str | Path", run=None) -> Path:
    """Write :func:`accelergy_export` of ``design`` as YAML to ``path`` (atomically); returns the path."""
    import yaml

    path = Path(path)
    header = f"# {design.name}: components, per-action energies (ERT) and areas (ART) in Accelergy's shape; accelsim cost model\n"
    atomic_write_text(path, header + yaml.safe_dump(accelergy_export(design, run), sort_keys=False, default_flow_style=False))
    return path
