"""The small sections of a space spec ([sampling], [evaluation], [constraints], ``base``), parsed and checked.

Each parser takes the TOML document (a dict) and returns the section's values after defaults, or raises a
:class:`~accelsim.explore.expand.SpecError` naming the key, the value and what is allowed.  The spec format is
in the doc of ``accelsim.explore.spec``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from accelsim.explore.expand import SpecError, check_keys

__all__ = ["CONSTRAINTS", "MODES", "METHODS"]

SAMPLING_KEYS = ("method", "budget", "seed")
EVALUATION_KEYS = ("modes",)
METHODS = ("grid", "random")
MODES = ("prefill", "decode")
#: constraint key -> (row column, "max" | "min"); max_multipliers is checked before simulating.
CONSTRAINTS = {
    "max_area_mm2": ("area_mm2", "max"),
    "max_power_w": ("power_w", "max"),
    "max_energy_per_token_j": ("energy_per_token_j", "max"),
    "min_tokens_per_s": ("tokens_per_s", "min"),
    "max_multipliers": ("multipliers", "max"),
}


@dataclass(frozen=True)
class _Sampling:
    method: str
    budget: int
    seed: int


def _parse_sampling(doc: dict) -> _Sampling:
    """[sampling]: method (grid | random), budget (>= 1), seed (an integer)."""
    sampling = check_keys(doc.get("sampling", {}), "[sampling]", SAMPLING_KEYS)
    method = sampling.get("method", "grid")
    if method not in METHODS:
        raise SpecError(f"[sampling] method = {method!r}; allowed: {', '.join(METHODS)}")
    budget, seed = sampling.get("budget", 1000), sampling.get("seed", 0)
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
        raise SpecError(f"[sampling] budget = {budget!r}; must be an integer >= 1")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise SpecError(f"[sampling] seed = {seed!r}; must be an integer")
    return _Sampling(method, budget, seed)


def _parse_modes(doc: dict) -> list[str]:
    """[evaluation] modes: a non-empty list of simulate modes."""
    evaluation = check_keys(doc.get("evaluation", {}), "[evaluation]", EVALUATION_KEYS)
    modes = evaluation.get("modes", ["prefill"])
    if not isinstance(modes, list) or not modes or any(m not in MODES for m in modes):
        raise SpecError(f"[evaluation] modes = {modes!r}; allowed: a non-empty list of {', '.join(MODES)}")
    return modes


def _parse_constraints(doc: dict) -> dict[str, float]:
    """[constraints]: known keys of :data:`CONSTRAINTS`, each a positive finite number."""
    constraints = check_keys(doc.get("constraints", {}), "[constraints]", tuple(CONSTRAINTS))
    for k, v in constraints.items():
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v <= 0:
            raise SpecError(f"[constraints] {k} = {v!r}; must be a positive finite number (leave the key out for no limit)")
    return constraints


def _preset_kwargs(base: str | None, presets) -> dict[str, Any]:
    """Design keyword arguments of preset ``base`` (all fields but the name); {} without a base."""
    if base is None:
        return {}
    presets = presets if presets is not None else _presets()
    if base not in presets:
        raise SpecError(f"base = {base!r} is not a preset; allowed: {', '.join(sorted(presets))}")
    return {f.name: getattr(presets[base], f.name) for f in dataclasses.fields(presets[base]) if f.name != "name"}


def _free_table(doc: dict, key: str) -> dict:
    """Section ``key`` of the spec ([fixed], [axes]): a table whose keys are checked later, one by one."""
    table = doc.get(key, {})
    if not isinstance(table, dict):
        raise SpecError(f"{key} = {table!r} must be a table [{key}] of Design fields, got {type(table).__name__}")
    return table


def _presets():
    from accelsim.sim import presets

    return presets
