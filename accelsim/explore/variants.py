"""``[variants]`` of a space spec: copies of sampled designs with other values of a few fields.

An axis multiplies every design of a space and, under random sampling, spreads its values over
unrelated designs, so no two designs differ in that field alone.  A variant instead copies each
sampled design of the named families once per combination of the given values, leaving every other
field as sampled::

    [variants]
    families = ["2:4", "8:16"]                   # largest supported pattern of the designs copied
    mitigation_units = [["var"], ["median"]]     # each copy: one of these values (several keys: every combination)

Every copy has a twin without the change (the sampled design itself), so what a change costs and
buys is read off matched pairs; only the named families grow, so the sweep stays small.  Copies are
not counted in the sampling budget (like ``include``); one the Design refuses is skipped and counted.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any, Callable

from accelsim.explore.designs import design_id, design_label, largest_pattern_label
from accelsim.explore.expand import SpecError

__all__ = ["Variants", "parse_variants", "variant_designs"]


@dataclasses.dataclass(frozen=True)
class Variants:
    """families: labels (``design_label``) of the designs copied; values: one Design-kwargs dict per copy."""

    families: tuple[str, ...]
    values: tuple[dict[str, Any], ...]
    spec: dict  # the section as written, JSON-ready (for the resolved spec)


def _family(label: Any, where: str) -> str:
    if not isinstance(label, str):
        raise SpecError(f"{where} families: {label!r} must be a string such as \"8:16\"")
    if label.startswith("w") or "+w" in label:  # weight-sparse and dual-side families keep their label
        return label
    try:
        return largest_pattern_label([label])
    except (TypeError, ValueError) as e:
        raise SpecError(f"{where} families: {label!r} is not a pattern family ({e})") from None


def parse_variants(table: Any, coerce: Callable[[str, Any, str], dict], source: str = "<spec>") -> Variants | None:
    """The ``[variants]`` table (None when absent); ``coerce(key, value, where)`` maps one spec value to Design kwargs."""
    if table is None:
        return None
    where = f"{source}: [variants]"
    if not isinstance(table, dict):
        raise SpecError(f"{where} must be a table, got {type(table).__name__}: {table!r}")
    fams = table.get("families")
    if not isinstance(fams, list) or not fams:
        raise SpecError(f"{where} families = {fams!r}: give a non-empty list of largest supported patterns, e.g. [\"8:16\"]")
    axes = {k: v for k, v in table.items() if k != "families"}
    if not axes:
        raise SpecError(f"{where} names no field to vary; add one, e.g. mitigation_units = [[\"var\"]]")
    per_key = []
    for k, vals in axes.items():
        if not isinstance(vals, list) or not vals:
            raise SpecError(f"{where} {k} = {vals!r}: must be a non-empty list of values, one per copy")
        per_key.append([coerce(k, v, f"{where} {k}:") for v in vals])
    values = tuple({k: v for kw in combo for k, v in kw.items()} for combo in itertools.product(*per_key))
    return Variants(tuple(dict.fromkeys(_family(f, where) for f in fams)), values, dict(table))


def variant_designs(designs, variants: Variants | None) -> tuple[list, list[tuple[dict, str]]]:
    """(new designs, refused (values, reason)): copies of ``designs`` of the variant families, unique by id and
    distinct from every design given (a copy equal to a sampled design adds nothing)."""
    if variants is None:
        return [], []
    seen = {design_id(d) for d in designs}
    out, refused = [], []
    ok = [False] * len(variants.values)
    for d in designs:
        if design_label(d) not in variants.families:
            continue
        for i, kw in enumerate(variants.values):
            try:
                v = dataclasses.replace(d, **kw)
            except (TypeError, ValueError) as e:
                refused.append((kw, str(e)))
                continue
            ok[i] = True
            did = design_id(v)
            if did not in seen:
                seen.add(did)
                out.append(dataclasses.replace(v, name=f"{design_label(v)}-{did[:8]}"))
    never = next((kw for kw, good in zip(variants.values, ok) if not good), None)
    if refused and never is not None:  # a value no copy takes is a mistake in the spec, not a sampling accident
        reason = next(r for kw, r in refused if kw == never)
        raise SpecError(f"[variants] {_spec_value(never)} is never a valid design: {reason}")
    return out, refused


def _spec_value(kw: dict) -> str:
    return ", ".join(f"{k} = {list(v) if isinstance(v, tuple) else v!r}" for k, v in kw.items())
