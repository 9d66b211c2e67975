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
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from accelsim.explore.designs import design_id, largest_pattern_label, nested_patterns
from accelsim.explore.expand import SpecError, check_keys, combination_count, combination_order
from accelsim.explore.spec_enumeration import _check_found, _enumerate, _include_presets, _resolved
from accelsim.explore.spec_sections import (
    CONSTRAINTS,
    METHODS,  # noqa: F401  (re-exported)
    MODES,  # noqa: F401  (re-exported)
    _free_table,
    _parse_constraints,
    _parse_modes,
    _parse_sampling,
    _preset_kwargs,
)
from accelsim.explore.spec_values import CONVENIENCE_AXES, _axes_kwargs, _coerce, _fixed_kwargs  # noqa: F401  (re-exported)
from accelsim.explore.variants import parse_variants, variant_designs

# The parts live in modules of their own and are re-exported here: the small sections ([sampling], [evaluation],
# [constraints], base: spec_sections.py), spec values to Design kwargs ([fixed], [axes]: spec_values.py) and the
# walk over the combinations (spec_enumeration.py).  This module keeps the front door: parse_space, load_space.
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


def _default_design_cls():
    from accelsim.sim import Design

    return Design


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
