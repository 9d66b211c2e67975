"""Walking a space's combinations: the designs kept, the combinations refused, and the resolved spec.

``_enumerate`` builds the Design of each picked combination (grid order or random draws,
``accelsim.explore.expand``); ``_check_found`` refuses a value that is never valid or an empty space;
``_include_presets`` adds the spec's ``include`` presets; ``_resolved`` is the JSON-ready record of it all.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from accelsim.explore.designs import collapse_dense, design_id, design_label
from accelsim.explore.expand import MAX_FRUITLESS_DRAWS, SpecError, axis_spec_value, combination_count, decode_index
from accelsim.explore.spec_sections import _presets, _Sampling


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
