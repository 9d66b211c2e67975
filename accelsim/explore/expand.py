"""Axis expansion and combination enumeration for design-space specs (:mod:`accelsim.explore.spec`).

An axis is a list of values or a range table ``{start, stop, step | factor}``; a space is the
cross product of its axes, enumerated by a flat index in mixed radix (the last axis varies
fastest), either in order (grid) or in a seeded random order without repetition (random).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

__all__ = ["RANGE_KEYS", "SpecError", "check_keys", "expand_range", "axis_values", "combination_count", "combination_order",
           "random_order", "decode_index", "axis_spec_value"]

RANGE_KEYS = ("start", "stop", "step", "factor")
#: most values one range axis may expand to (counted before expanding: a larger one is an error naming its size).
MAX_AXIS_VALUES = 10_000
#: the largest [sampling] budget: at most this many designs are ever built from one spec.
MAX_BUDGET = 1_000_000
#: random sampling stops after this many draws in a row that add no new valid design (all refused or duplicates).
MAX_FRUITLESS_DRAWS = 20_000


class SpecError(ValueError):
    """A space spec is malformed: the message names the key, the value and what is allowed (re-exported by spec)."""


def check_keys(table: Any, where: str, allowed) -> dict:
    """``table`` itself if it is a dict whose keys are all in ``allowed``; SpecError naming the first unknown key."""
    if not isinstance(table, dict):
        raise SpecError(f"{where} must be a table, got {type(table).__name__}: {table!r}")
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise SpecError(f"unknown key {unknown[0]!r} in {where}; allowed: {', '.join(allowed)}")
    return table


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _check_range_table(key: str, r: dict) -> None:
    check_keys(r, f"[axes] {key} (a range)", RANGE_KEYS)
    if "start" not in r or "stop" not in r or ("step" in r) == ("factor" in r):
        raise SpecError(f"[axes] {key}: a range needs start, stop and exactly one of step (linear) or factor (geometric), got {r}")
    if not all(_is_number(x) for x in (r["start"], r["stop"], r.get("step", r.get("factor")))):
        raise SpecError(f"[axes] {key}: range start/stop/step/factor must be numbers, got {r}")
    if not all(math.isfinite(x) for x in (r["start"], r["stop"], r.get("step", r.get("factor")))):
        raise SpecError(f"[axes] {key}: range start/stop/step/factor must be finite numbers, got {r}")
    if r["stop"] < r["start"]:
        raise SpecError(f"[axes] {key}: range stop {r['stop']} is below start {r['start']}")


def _too_many(key: str, r: dict, n: float) -> None:
    if n > MAX_AXIS_VALUES:
        raise SpecError(f"[axes] {key}: range {r} has {n:.4g} values, above the limit of {MAX_AXIS_VALUES} per axis; "
                        "use a larger step or factor, or list the values")


def _linear(key: str, start, stop, step) -> list:
    if step <= 0:
        raise SpecError(f"[axes] {key}: step must be > 0, got {step}")
    _too_many(key, {"start": start, "stop": stop, "step": step}, math.floor((stop - start) / step) + 1)
    out, i = [], 0
    while start + i * step <= stop * (1 + 1e-12):
        out.append(start + i * step)
        i += 1
    return out


def _geometric(key: str, r: dict) -> list:
    start, stop, factor = r["start"], r["stop"], r["factor"]
    if factor <= 1 or start <= 0:
        raise SpecError(f"[axes] {key}: a geometric range needs start > 0 and factor > 1, got {r}")
    _too_many(key, r, math.floor(math.log(stop / start) / math.log(factor)) + 1 if stop >= start else 1)
    out, x = [], start
    while x <= stop * (1 + 1e-12):
        out.append(x)
        x = x * factor
    return out


def expand_range(key: str, r: dict) -> list:
    """The values of range table ``r`` of axis ``key``: ints when start, stop and step/factor are all ints."""
    _check_range_table(key, r)
    as_int = all(isinstance(x, int) for x in (r["start"], r["stop"], r.get("step", r.get("factor"))))
    out = _linear(key, r["start"], r["stop"], r["step"]) if "step" in r else _geometric(key, r)
    return [int(v) for v in out] if as_int else [float(v) for v in out]


def axis_values(key: str, raw: Any) -> list:
    """The spec values of axis ``key``: its list, or its range table expanded; SpecError if empty or neither."""
    values = expand_range(key, raw) if isinstance(raw, dict) else raw
    if not isinstance(values, list) or not values:
        raise SpecError(f"[axes] {key} must be a non-empty list or a range table {{start, stop, step|factor}}, got {raw!r}")
    return values


def combination_count(sizes: list[int]) -> int:
    """Size of the cross product of axes with ``sizes`` values (1 for no axes)."""
    total = 1
    for s in sizes:
        total *= s
    return total


def combination_order(total: int, method: str, budget: int, seed: int) -> Iterator[int]:
    """Flat combination indices in sweep order: grid in order (refused above ``budget``), random shuffled."""
    if budget > MAX_BUDGET:
        raise SpecError(f"[sampling] budget = {budget} is above the limit of {MAX_BUDGET} designs; sample fewer")
    if method == "grid":
        if total > budget:
            raise SpecError(f"grid has {total} combinations, above [sampling] budget = {budget}; raise budget or use method = \"random\"")
        return iter(range(total))
    return random_order(total, seed)


def random_order(total: int, seed: int) -> Iterator[int]:
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


def decode_index(flat: int, sizes: list[int]) -> list[int]:
    """Mixed-radix decode of a flat index into one value index per axis (the last axis varies fastest)."""
    idx, rem = [], flat
    for s in reversed(sizes):
        idx.append(rem % s)
        rem //= s
    idx.reverse()
    return idx


def axis_spec_value(axes: dict[str, list[dict]], key: str, i: int) -> Any:
    """The spec-level value of axis ``key`` at index ``i`` (undoes convenience expansion)."""
    kw = axes[key][i]
    if key == "largest_pattern":
        return kw["patterns"][-1]
    if key == "pe_array":
        return kw["pe_rows"]
    if key == "operand":
        return kw["sparse_operand"] + (f"-{kw['weight_patterns'][0]}" if kw["weight_patterns"] else "")
    if key == "sizing":
        return "widest" if kw["lane_group"] == 0 else f"{kw['lane_group']}:{kw['operand_budget']}"
    v = kw[key]
    return list(v) if isinstance(v, tuple) else v
