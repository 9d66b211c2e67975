"""Design-space specs: a TOML file naming the axes to sweep over ``Design`` fields.

Example (the built-in spaces live in ``accelsim/explore/spaces/*.toml``)::

    name = "flex-nm"
    description = "largest supported N:M pattern x selector x metadata x array x bandwidth"
    base = "dense"                       # optional: a preset of accelsim.sim.presets to start from

    [sampling]
    method = "random"                    # "grid" (every combination) | "random" (budget designs)
    budget = 1000                        # grid: refuse if larger; random: valid, distinct designs drawn
    seed = 0

    [evaluation]
    modes = ["prefill"]                  # simulate modes: "prefill", "decode"

    [fixed]                              # Design fields held constant
    clock_ghz = 1.0

    [axes]                               # Design fields (or convenience axes) swept
    largest_pattern = ["2:4", "8:16", "unstructured:0.5"]    # -> patterns (nested set)
    pe_array = [8, 16, 32]                                    # -> pe_rows = pe_cols
    weight_bw_bytes_per_cycle = { start = 32, stop = 256, factor = 2 }
    act_buffer_kib = { start = 64, stop = 256, step = 64 }

    [constraints]
    max_area_mm2 = 20.0

    include = ["ampere-w2:4", "dual-8:16-w2:4"]   # optional, top level: presets added as they are

    [variants]                           # optional: each sampled design of these families again with these values
    families = ["8:16"]                  # (accelsim.explore.variants: twins that differ in one field only)
    mitigation_units = [["var"]]

Convenience axes: ``largest_pattern`` expands to every nested pattern of the same density
that the largest one contains (``"8:16"`` -> ``("2:4", "4:8", "8:16")``: a core that selects N of M also runs N/2 of M/2,
since two N/2:M/2 groups are one N:M group), ``pe_array`` sets a square array, ``operand`` what the core skips
(``"activations"``, ``"weights-2:4"``, ``"both-2:4"``: ``sparse_operand`` and ``weight_patterns``), ``sizing`` what its
operand path is sized for (``"widest"`` supported pattern, or an N:M such as ``"2:4"``: ``lane_group`` N and
``operand_budget`` M).  ``include`` adds named presets to the sampled designs (not counted in the budget).  Every key and value is checked against the
``Design`` dataclass; a bad one fails with the key, the value and what is allowed.
Combinations the Design refuses (e.g. a sorted-window selector with unstructured support)
are skipped and counted; a value that is never valid is an error.  A dense-only design has
no selector or metadata, so those axes collapse for it (duplicates share one design id).

Constraints: ``max_multipliers`` drops designs before simulation; ``max_area_mm2``,
``max_power_w``, ``max_energy_per_token_j`` and ``min_tokens_per_s`` mark each result row's
``feasible`` column (rows are kept; the report plots feasible ones).
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from accelsim.explore.designs import collapse_dense, design_id, design_label, largest_pattern_label, nested_patterns
from accelsim.explore.expand import (
    MAX_FRUITLESS_DRAWS,
    SpecError,
    axis_spec_value,
    axis_values,
    check_keys,
    combination_count,
    combination_order,
    decode_index,
)
from accelsim.explore.variants import parse_variants, variant_designs
from accelsim.patterns import Pattern

__all__ = [
    "Space",
    "SpecError",
    "load_space",
    "parse_space",
    "builtin_spaces",
    "nested_patterns",
    "largest_pattern_label",
    "design_id",
    "CONSTRAINTS",
]

TOP_KEYS = ("name", "description", "base", "include", "sampling", "evaluation", "fixed", "axes", "constraints", "variants")
SAMPLING_KEYS = ("method", "budget", "seed")
EVALUATION_KEYS = ("modes",)
METHODS = ("grid", "random")
MODES = ("prefill", "decode")
CONVENIENCE_AXES = ("largest_pattern", "pe_array", "operand", "sizing")
#: constraint key -> (row column, "max" | "min"); max_multipliers is checked before simulating.
CONSTRAINTS = {
    "max_area_mm2": ("area_mm2", "max"),
    "max_power_w": ("power_w", "max"),
    "max_energy_per_token_j": ("energy_per_token_j", "max"),
    "min_tokens_per_s": ("tokens_per_s", "min"),
    "max_multipliers": ("multipliers", "max"),
}


@dataclass(frozen=True)
class Space:
    """A resolved design space: the designs to evaluate and how.

    designs: validated Design instances, unique by :func:`design_id`, in sweep order.
    rejected: (combination, reason) for combinations the Design dataclass refused.
    resolved: JSON-ready dict of the spec after defaults (written beside the results).
    """

    name: str
    description: str
    designs: tuple
    modes: tuple[str, ...]
    constraints: dict[str, float]
    resolved: dict[str, Any]
    rejected: tuple[tuple[dict, str], ...] = field(default=(), repr=False)


# ----------------------------------------------------------------- spec sections
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


# ----------------------------------------------------------------- spec values -> Design kwargs
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


# ----------------------------------------------------------------- enumeration
@dataclass
class _Enumeration:
    """What walking the combinations found: kept designs (unique ids, sweep order) and what was dropped."""

    designs: list = field(default_factory=list)
    seen: set = field(default_factory=set)
    rejected: list = field(default_factory=list)
    excluded: int = 0
    ok_values: dict = field(default_factory=dict)  # (axis, value index) -> some design with it was valid
    first_error: dict = field(default_factory=dict)  # (axis, value index) -> the first refusal seen with it

    def refuse(self, picked: list[tuple[str, int]], spec_values: dict, reason: str) -> None:
        self.rejected.append((spec_values, reason))
        for ki in picked:
            self.ok_values.setdefault(ki, False)
            self.first_error.setdefault(ki, reason)

    def accept(self, picked: list[tuple[str, int]], design, max_multipliers: float) -> None:
        for ki in picked:
            self.ok_values[ki] = True
        did = design_id(design)
        if design.multipliers > max_multipliers:
            self.excluded += 1
        elif did not in self.seen:
            self.seen.add(did)
            self.designs.append(dataclasses.replace(design, name=f"{design_label(design)}-{did[:8]}"))

    def never_valid(self) -> tuple[str, int] | None:
        """The first (axis, value index) that no combination made valid, or None."""
        return next((ki for ki, ok in self.ok_values.items() if not ok), None)


def _enumerate(design_cls, base_kwargs: dict, axes: dict[str, list[dict]], picks, sampling: _Sampling,
               max_multipliers: float) -> _Enumeration:
    """Build the Design of each picked combination; random sampling stops at ``budget`` kept designs, or after
    :data:`MAX_FRUITLESS_DRAWS` draws in a row that add no new design (with none at all: SpecError)."""
    keys = list(axes)
    sizes = [len(axes[k]) for k in keys]
    found = _Enumeration()
    fruitless, draws = 0, 0
    for flat in picks:
        if sampling.method == "random":
            if len(found.designs) == sampling.budget:
                break
            if fruitless >= MAX_FRUITLESS_DRAWS:
                if not found.designs:
                    total = combination_count(sizes)
                    first = found.rejected[0][1] if found.rejected else "every one excluded by max_multipliers"
                    raise SpecError(f"random sampling drew {draws} of {total} combinations and none is a valid design "
                                    f"(first refusal: {first}); check [fixed] and [axes]")
                break  # valid designs are too rare to fill the budget: keep those found
            draws += 1
            before = len(found.designs)
        picked = list(zip(keys, decode_index(flat, sizes)))
        kwargs = dict(base_kwargs)
        for k, i in picked:
            kwargs.update(axes[k][i])
        try:
            d = design_cls(**kwargs)
        except (TypeError, ValueError) as e:
            found.refuse(picked, {k: axis_spec_value(axes, k, i) for k, i in picked}, str(e))
            fruitless += 1
            continue
        found.accept(picked, collapse_dense(design_cls, d), max_multipliers)
        if sampling.method == "random":
            fruitless = 0 if len(found.designs) > before else fruitless + 1
    return found


def _check_found(found: _Enumeration, axes: dict[str, list[dict]], constraints: dict, source: str) -> None:
    """Refuse a value that is never valid, a max_multipliers that excludes everything, or an empty space."""
    never = found.never_valid()
    if never:
        k, i = never
        raise SpecError(f"[axes] {k} = {axis_spec_value(axes, k, i)!r} is never a valid design: {found.first_error[never]}")
    if not found.designs and found.excluded:
        raise SpecError(f"[constraints] max_multipliers = {constraints['max_multipliers']} excludes every design")
    if not found.designs:
        reason = found.rejected[0][1] if found.rejected else "no combinations"
        raise SpecError(f"{source}: the space holds no valid design ({reason})")


def _resolved(doc: dict, name: str, sampling: _Sampling, total: int, modes: list, base_kwargs: dict,
              axes: dict[str, list[dict]], constraints: dict, found: _Enumeration) -> dict[str, Any]:
    """The JSON-ready spec after defaults, with what enumeration found (written beside the results)."""
    return {
        "name": name,
        "description": doc.get("description", ""),
        "base": doc.get("base"),
        "sampling": {"method": sampling.method, "budget": sampling.budget, "seed": sampling.seed, "combinations": total},
        "evaluation": {"modes": list(modes)},
        "fixed": {k: list(v) if isinstance(v, tuple) else v for k, v in base_kwargs.items()},
        "axes": {k: [axis_spec_value(axes, k, i) for i in range(len(axes[k]))] for k in axes},
        "constraints": dict(constraints),
        "designs": len(found.designs),
        "rejected": len(found.rejected),
        "excluded_by_max_multipliers": found.excluded,
    }


def _include_presets(found: "_Enumeration", names: Any, presets, source: str) -> None:
    """Append the named presets to the enumerated designs (duplicates of a sampled design are skipped)."""
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise SpecError(f"{source}: include = {names!r} must be a list of preset names")
    presets = presets if presets is not None else _presets()
    ids = {design_id(d) for d in found.designs}
    for n in names:
        if n not in presets:
            raise SpecError(f"{source}: include = {n!r} is not a preset; allowed: {', '.join(sorted(presets))}")
        d = presets[n]
        if design_id(d) not in ids:
            ids.add(design_id(d))
            found.designs.append(d)


def _default_design_cls():
    from accelsim.sim import Design

    return Design


def _presets():
    from accelsim.sim import presets

    return presets


def parse_space(doc: dict, *, source: str = "<spec>", design_cls=None, presets=None) -> Space:
    """Resolve a parsed TOML document into a :class:`Space` (see the module docstring)."""
    design_cls = design_cls or _default_design_cls()
    check_keys(doc, f"{source} (top level)", TOP_KEYS)
    name = doc.get("name", Path(source).stem)
    sampling = _parse_sampling(doc)
    modes = _parse_modes(doc)
    constraints = _parse_constraints(doc)
    base_kwargs = _preset_kwargs(doc.get("base"), presets)
    fixed = _fixed_kwargs(design_cls, _free_table(doc, "fixed"))
    base_kwargs.update(fixed)
    axes = _axes_kwargs(design_cls, _free_table(doc, "axes"), set(fixed))
    total = combination_count([len(v) for v in axes.values()])
    picks = combination_order(total, sampling.method, sampling.budget, sampling.seed)
    found = _enumerate(design_cls, base_kwargs, axes, picks, sampling, constraints.get("max_multipliers", float("inf")))
    _check_found(found, axes, constraints, source)
    variants = parse_variants(doc.get("variants"), lambda k, v, where: _coerce(design_cls, k, v, where), source)
    copies, refused = variant_designs(found.designs, variants)
    found.designs.extend(copies)
    found.rejected.extend(refused)
    _include_presets(found, doc.get("include", []), presets, source)
    resolved = _resolved(doc, name, sampling, total, modes, base_kwargs, axes, constraints, found)
    resolved["include"] = list(doc.get("include", []))
    if variants is not None:
        resolved["variants"] = {**variants.spec, "designs_added": len(copies)}
    return Space(name, resolved["description"], tuple(found.designs), tuple(modes), dict(constraints), resolved,
                 tuple(found.rejected))


def builtin_spaces() -> dict[str, Path]:
    """Built-in space name -> TOML path (``accelsim/explore/spaces/*.toml``)."""
    root = resources.files("accelsim.explore") / "spaces"
    return {Path(str(p)).stem: Path(str(p)) for p in root.iterdir() if str(p).endswith(".toml")}


def load_space(spec: "str | Path", *, design_cls=None, presets=None) -> Space:
    """Load a space from a TOML path or a built-in name (see :func:`builtin_spaces`)."""
    builtins = builtin_spaces()
    path = builtins.get(str(spec)) if str(spec) in builtins else Path(spec)
    if not path.is_file():
        raise SpecError(f"space {str(spec)!r} is neither a TOML file nor a built-in space; built-ins: {', '.join(sorted(builtins))}")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SpecError(f"{path}: not a TOML text file (invalid UTF-8 byte 0x{data[e.start]:02x} at offset {e.start}); "
                        "pass a .toml space spec") from None  # fmt: skip
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{path}: not valid TOML: {e}") from None
    space = parse_space(doc, source=str(path), design_cls=design_cls, presets=presets)
    return dataclasses.replace(space, resolved={**space.resolved, "source": str(path), "toml": text})
