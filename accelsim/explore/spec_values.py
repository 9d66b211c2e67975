"""Spec values to ``Design`` keyword arguments: the [fixed] and [axes] sections and the convenience axes.

``largest_pattern``, ``pe_array``, ``operand`` and ``sizing`` expand to Design fields (see the doc of
``accelsim.explore.spec``); every other key must be a Design field, its value of the field's type.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from accelsim.explore.designs import nested_patterns
from accelsim.explore.expand import SpecError, axis_values
from accelsim.patterns import Pattern

__all__ = ["CONVENIENCE_AXES"]

CONVENIENCE_AXES = ("largest_pattern", "pe_array", "operand", "sizing")


def _coerce(design_cls, key: str, value: Any, where: str) -> dict[str, Any]:
    """Map one spec key/value to Design keyword arguments (expands convenience axes)."""
    names = [f.name for f in dataclasses.fields(design_cls)]
    if key == "largest_pattern":
        try:
            return {"patterns": nested_patterns(value)}
        except (TypeError, ValueError) as e:
            raise SpecError(f"{where} largest_pattern = {value!r}: {e}") from None
    if key == "pe_array":
        return {"pe_rows": value, "pe_cols": value}
    if key == "operand":
        return _operand_kwargs(value, where)
    if key == "sizing":
        return _sizing_kwargs(value, where)
    if key not in names or key == "name":
        allowed = [n for n in names if n != "name"] + list(CONVENIENCE_AXES)
        raise SpecError(f"unknown key {key!r} in {where}; allowed: {', '.join(allowed)}")
    default = next(f for f in dataclasses.fields(design_cls) if f.name == key).default
    if isinstance(default, tuple):
        return {key: _coerce_strings(key, value, default, where)}
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if default is not dataclasses.MISSING and type(value) is not type(default):
        raise SpecError(f"{where} {key} = {value!r}: must be a {type(default).__name__} (default {default!r})")
    return {key: value}


def _operand_kwargs(value: Any, where: str) -> dict[str, Any]:
    """``operand = "activations" | "weights-2:4" | "both-2:4"``: what the core skips, and the weight pattern."""
    if value == "activations":
        return {"sparse_operand": "activations", "weight_patterns": ()}
    kind, _, wpat = str(value).partition("-")
    if kind not in ("weights", "both") or not wpat:
        raise SpecError(f'{where} operand = {value!r}: use "activations", "weights-<N:M>" or "both-<N:M>" (e.g. "both-2:4")')
    try:
        p = Pattern.parse(wpat)
    except ValueError as e:
        raise SpecError(f"{where} operand = {value!r}: {e}") from None
    return {"sparse_operand": kind, "weight_patterns": (str(p),)}


def _sizing_kwargs(value: Any, where: str) -> dict[str, Any]:
    """``sizing = "widest" | "<N:M>"``: the operand path sized for the widest supported pattern
    (lane group and operand budget left to the Design's defaults) or for N:M (lane group N,
    operand budget M: docs/sparse-core-model.md section 1)."""
    if value == "widest":
        return {"lane_group": 0, "operand_budget": 0}
    try:
        p = Pattern.parse(value)
    except (TypeError, ValueError) as e:
        raise SpecError(f'{where} sizing = {value!r}: use "widest" or an N:M pattern ({e})') from None
    if p.kind != "nm":
        raise SpecError(f'{where} sizing = {value!r}: use "widest" or an N:M pattern such as "2:4"')
    return {"lane_group": p.n, "operand_budget": p.m}


def _coerce_strings(key: str, value: Any, default: tuple, where: str) -> tuple[str, ...]:
    """A tuple-of-strings Design field; ``patterns`` entries are parsed and written canonically."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecError(f"{where} {key} = {value!r}: must be a list of strings, e.g. {list(default) or ['...']}")
    if key == "patterns":
        try:
            value = [str(Pattern.parse(v)) for v in value]
        except ValueError as e:
            raise SpecError(f"{where} patterns = {value!r}: {e}") from None
    return tuple(value)


def _fixed_kwargs(design_cls, fixed: dict) -> dict[str, Any]:
    """Design keyword arguments of the [fixed] section, in its order."""
    out: dict[str, Any] = {}
    for k, v in fixed.items():
        out.update(_coerce(design_cls, k, v, "[fixed]"))
    return out


def _axes_kwargs(design_cls, axes_raw: dict, fixed_fields: set[str]) -> dict[str, list[dict]]:
    """Axis -> one Design-kwargs dict per value; each Design field is set by one axis, and not also by [fixed]."""
    axes: dict[str, list[dict]] = {}
    owner: dict[str, str] = {}  # Design field -> the axis that sets it
    for k, raw in axes_raw.items():
        axes[k] = [_coerce(design_cls, k, v, f"[axes] {k}:") for v in axis_values(k, raw)]
        for f in axes[k][0]:
            if f in fixed_fields:
                raise SpecError(f"[axes] {k} sets {f!r}, which [fixed] also sets; keep it in one")
            if f in owner:
                raise SpecError(f"[axes] {owner[f]} and [axes] {k} both set {f!r}; use one")
            owner[f] = k
    return axes
