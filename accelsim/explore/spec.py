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

Convenience axes: ``largest_pattern`` expands to every nested pattern of the same density
that the largest one contains (``"8:16"`` -> ``("2:4", "4:8", "8:16")``: a core that selects N of M also runs N/2 of M/2,
since two N/2:M/2 groups are one N:M group), ``pe_array`` sets a square array.  Every key and value is checked against the
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
import random
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from accelsim.explore.designs import collapse_dense, design_id, largest_pattern_label, nested_patterns
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

TOP_KEYS = ("name", "description", "base", "sampling", "evaluation", "fixed", "axes", "constraints")
SAMPLING_KEYS = ("method", "budget", "seed")
EVALUATION_KEYS = ("modes",)
METHODS = ("grid", "random")
MODES = ("prefill", "decode")
CONVENIENCE_AXES = ("largest_pattern", "pe_array")
RANGE_KEYS = ("start", "stop", "step", "factor")
#: constraint key -> (row column, "max" | "min"); max_multipliers is checked before simulating.
CONSTRAINTS = {
    "max_area_mm2": ("area_mm2", "max"),
    "max_power_w": ("power_w", "max"),
    "max_energy_per_token_j": ("energy_per_token_j", "max"),
    "min_tokens_per_s": ("tokens_per_s", "min"),
    "max_multipliers": ("multipliers", "max"),
}


class SpecError(ValueError):
    """A space spec is malformed: the message names the key, the value and what is allowed."""


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


# ----------------------------------------------------------------- parsing
def _check_keys(table: Any, where: str, allowed) -> dict:
    if not isinstance(table, dict):
        raise SpecError(f"{where} must be a table, got {type(table).__name__}: {table!r}")
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise SpecError(f"unknown key {unknown[0]!r} in {where}; allowed: {', '.join(allowed)}")
    return table


def _expand_range(key: str, r: dict) -> list:
    _check_keys(r, f"[axes] {key} (a range)", RANGE_KEYS)
    if "start" not in r or "stop" not in r or ("step" in r) == ("factor" in r):
        raise SpecError(f"[axes] {key}: a range needs start, stop and exactly one of step (linear) or factor (geometric), got {r}")
    start, stop = r["start"], r["stop"]
    nums = [start, stop, r.get("step", r.get("factor"))]
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in nums):
        raise SpecError(f"[axes] {key}: range start/stop/step/factor must be numbers, got {r}")
    if stop < start:
        raise SpecError(f"[axes] {key}: range stop {stop} is below start {start}")
    as_int = all(isinstance(x, int) for x in nums)
    out, x, i = [], start, 0
    if "step" in r:
        if r["step"] <= 0:
            raise SpecError(f"[axes] {key}: step must be > 0, got {r['step']}")
        while start + i * r["step"] <= stop * (1 + 1e-12):
            out.append(start + i * r["step"])
            i += 1
    else:
        if r["factor"] <= 1 or start <= 0:
            raise SpecError(f"[axes] {key}: a geometric range needs start > 0 and factor > 1, got {r}")
        while x <= stop * (1 + 1e-12):
            out.append(x)
            x = x * r["factor"]
    return [int(v) for v in out] if as_int else [float(v) for v in out]


def _axis_values(key: str, raw: Any) -> list:
    values = _expand_range(key, raw) if isinstance(raw, dict) else raw
    if not isinstance(values, list) or not values:
        raise SpecError(f"[axes] {key} must be a non-empty list or a range table {{start, stop, step|factor}}, got {raw!r}")
    return values


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
    if key not in names or key == "name":
        allowed = [n for n in names if n != "name"] + list(CONVENIENCE_AXES)
        raise SpecError(f"unknown key {key!r} in {where}; allowed: {', '.join(allowed)}")
    default = next(f for f in dataclasses.fields(design_cls) if f.name == key).default
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SpecError(f"{where} {key} = {value!r}: must be a list of strings, e.g. {list(default) or ['...']}")
        if key == "patterns":
            try:
                value = [str(Pattern.parse(v)) for v in value]
            except ValueError as e:
                raise SpecError(f"{where} patterns = {value!r}: {e}") from None
        return {key: tuple(value)}
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if default is not dataclasses.MISSING and type(value) is not type(default):
        raise SpecError(f"{where} {key} = {value!r}: must be a {type(default).__name__} (default {default!r})")
    return {key: value}


def _default_design_cls():
    from accelsim.sim import Design

    return Design


def _presets():
    from accelsim.sim import presets

    return presets


def parse_space(doc: dict, *, source: str = "<spec>", design_cls=None, presets=None) -> Space:
    """Resolve a parsed TOML document into a :class:`Space` (see the module docstring)."""
    design_cls = design_cls or _default_design_cls()
    _check_keys(doc, f"{source} (top level)", TOP_KEYS)
    name = doc.get("name", Path(source).stem)
    sampling = _check_keys(doc.get("sampling", {}), "[sampling]", SAMPLING_KEYS)
    method = sampling.get("method", "grid")
    if method not in METHODS:
        raise SpecError(f"[sampling] method = {method!r}; allowed: {', '.join(METHODS)}")
    budget, seed = sampling.get("budget", 1000), sampling.get("seed", 0)
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
        raise SpecError(f"[sampling] budget = {budget!r}; must be an integer >= 1")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise SpecError(f"[sampling] seed = {seed!r}; must be an integer")
    evaluation = _check_keys(doc.get("evaluation", {}), "[evaluation]", EVALUATION_KEYS)
    modes = evaluation.get("modes", ["prefill"])
    if not isinstance(modes, list) or not modes or any(m not in MODES for m in modes):
        raise SpecError(f"[evaluation] modes = {modes!r}; allowed: a non-empty list of {', '.join(MODES)}")
    constraints = _check_keys(doc.get("constraints", {}), "[constraints]", tuple(CONSTRAINTS))
    for k, v in constraints.items():
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0:
            raise SpecError(f"[constraints] {k} = {v!r}; must be a positive number")

    base_kwargs: dict[str, Any] = {}
    base = doc.get("base")
    if base is not None:
        presets = presets if presets is not None else _presets()
        if base not in presets:
            raise SpecError(f"base = {base!r} is not a preset; allowed: {', '.join(sorted(presets))}")
        base_kwargs = {f.name: getattr(presets[base], f.name) for f in dataclasses.fields(presets[base]) if f.name != "name"}
    fixed = doc.get("fixed", {})
    _check_keys(fixed, "[fixed]", list(fixed))
    for k, v in fixed.items():
        base_kwargs.update(_coerce(design_cls, k, v, "[fixed]"))
    axes_raw = doc.get("axes", {})
    _check_keys(axes_raw, "[axes]", list(axes_raw))
    axes: dict[str, list[dict]] = {}
    fixed_fields = {f for k, v in fixed.items() for f in _coerce(design_cls, k, v, "[fixed]")}
    owner: dict[str, str] = {}  # Design field -> the axis that sets it
    for k, raw in axes_raw.items():
        axes[k] = [_coerce(design_cls, k, v, f"[axes] {k}:") for v in _axis_values(k, raw)]
        for f in axes[k][0]:
            if f in fixed_fields:
                raise SpecError(f"[axes] {k} sets {f!r}, which [fixed] also sets; keep it in one")
            if f in owner:
                raise SpecError(f"[axes] {owner[f]} and [axes] {k} both set {f!r}; use one")
            owner[f] = k

    keys = list(axes)
    sizes = [len(axes[k]) for k in keys]
    total = 1
    for s in sizes:
        total *= s
    if method == "grid":
        if total > budget:
            raise SpecError(f"grid has {total} combinations, above [sampling] budget = {budget}; raise budget or use method = \"random\"")
        picks = iter(range(total))
    else:
        picks = _random_order(total, seed)

    max_mult = constraints.get("max_multipliers", float("inf"))
    designs, seen, rejected, excluded = [], set(), [], 0
    ok_values: dict[tuple[str, int], bool] = {}
    first_error: dict[tuple[str, int], str] = {}
    for flat in picks:
        if method == "random" and len(designs) == budget:
            break
        idx, rem = [], flat
        for s in reversed(sizes):  # mixed-radix decode; the last axis varies fastest
            idx.append(rem % s)
            rem //= s
        idx.reverse()
        kwargs = dict(base_kwargs)
        for k, i in zip(keys, idx):
            kwargs.update(axes[k][i])
        try:
            d = design_cls(**kwargs)
        except (TypeError, ValueError) as e:
            rejected.append(({k: axes_raw_value(axes, k, i) for k, i in zip(keys, idx)}, str(e)))
            for k, i in zip(keys, idx):
                ok_values.setdefault((k, i), False)
                first_error.setdefault((k, i), str(e))
            continue
        for k, i in zip(keys, idx):
            ok_values[(k, i)] = True
        d = collapse_dense(design_cls, d)
        did = design_id(d)
        if d.multipliers > max_mult:
            excluded += 1
        elif did not in seen:
            seen.add(did)
            designs.append(dataclasses.replace(d, name=f"{largest_pattern_label(d.patterns)}-{did[:8]}"))
    never = [(k, i) for (k, i), ok in ok_values.items() if not ok]
    if never:
        k, i = never[0]
        raise SpecError(f"[axes] {k} = {axes_raw_value(axes, k, i)!r} is never a valid design: {first_error[(k, i)]}")
    if not designs and excluded:
        raise SpecError(f"[constraints] max_multipliers = {constraints['max_multipliers']} excludes every design")
    if not designs:
        reason = rejected[0][1] if rejected else "no combinations"
        raise SpecError(f"{source}: the space holds no valid design ({reason})")
    resolved = {
        "name": name,
        "description": doc.get("description", ""),
        "base": base,
        "sampling": {"method": method, "budget": budget, "seed": seed, "combinations": total},
        "evaluation": {"modes": list(modes)},
        "fixed": {k: list(v) if isinstance(v, tuple) else v for k, v in base_kwargs.items()},
        "axes": {k: [axes_raw_value(axes, k, i) for i in range(len(axes[k]))] for k in keys},
        "constraints": dict(constraints),
        "designs": len(designs),
        "rejected": len(rejected),
        "excluded_by_max_multipliers": excluded,
    }
    return Space(name, resolved["description"], tuple(designs), tuple(modes), dict(constraints), resolved, tuple(rejected))


def _random_order(total: int, seed: int):
    """Combination indices in a seeded random order without repetition (lazy for huge spaces)."""
    rng = random.Random(seed)
    if total <= 1 << 20:
        order = list(range(total))
        rng.shuffle(order)
        yield from order
        return
    seen: set[int] = set()
    while len(seen) < total:
        i = rng.randrange(total)
        if i not in seen:
            seen.add(i)
            yield i


def axes_raw_value(axes: dict[str, list[dict]], key: str, i: int) -> Any:
    """The spec-level value of axis ``key`` at index ``i`` (undoes convenience expansion)."""
    kw = axes[key][i]
    if key == "largest_pattern":
        return kw["patterns"][-1]
    if key == "pe_array":
        return kw["pe_rows"]
    v = kw[key]
    return list(v) if isinstance(v, tuple) else v


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
    try:
        doc = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{path}: not valid TOML: {e}") from None
    space = parse_space(doc, source=str(path), design_cls=design_cls, presets=presets)
    return dataclasses.replace(space, resolved={**space.resolved, "source": str(path), "toml": path.read_text()})
