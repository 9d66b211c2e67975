"""Design points as the explorer sees them: nested pattern sets, family labels and stable ids."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from accelsim.patterns import Pattern

__all__ = ["nested_patterns", "largest_pattern_label", "design_label", "design_id", "collapse_dense"]

_NESTED_MS = (4, 8, 16, 32, 64)


# ----------------------------------------------------------------- patterns
def nested_patterns(largest: str) -> tuple[str, ...]:
    """The supported-pattern set implied by its largest member (a core that selects N of M also runs N/2 of M/2).

    "dense" -> ("dense",); "N:M" -> every N/2^j : M/2^j with M/2^j >= 4, ascending
    ("8:16" -> ("2:4", "4:8", "8:16")); "unstructured:D" -> every N:M with M in 4..64 and
    density exactly D, then the unstructured pattern itself (any such mask is a valid
    unstructured mask of density D).
    """
    p = Pattern.parse(largest)
    if p.kind == "dense":
        return ("dense",)
    if p.kind == "nm":
        out, n, m = [], p.n, p.m
        while True:
            out.append(f"{n}:{m}")
            if n % 2 or m % 2 or m // 2 < 4:
                break
            n, m = n // 2, m // 2
        return tuple(reversed(out))
    d = p.unstructured_density
    nm = [f"{round(d * m)}:{m}" for m in _NESTED_MS if abs(d * m - round(d * m)) < 1e-9 and round(d * m) >= 1]
    return (*nm, str(p))


def largest_pattern_label(patterns) -> str:
    """Label of a supported-pattern set by its widest member: "2:4", "8:16", "unstructured" or "dense"."""
    parsed = [Pattern.parse(p) for p in patterns]
    if any(p.kind == "unstructured" for p in parsed):
        return "unstructured"
    nm = [p for p in parsed if p.kind == "nm"]
    if not nm:
        return "dense"
    top = max(nm, key=lambda p: (p.m, p.n))
    return f"{top.n}:{top.m}"


def design_label(design) -> str:
    """The family a design is reported under: its widest activation pattern ("8:16"), its widest
    weight pattern for a weight-sparse core ("w2:4"), both for a dual-side core ("8:16+w2:4")."""
    act = largest_pattern_label(design.patterns)
    operand = getattr(design, "sparse_operand", "activations")
    if operand == "activations":
        return act
    wt = "w" + largest_pattern_label(getattr(design, "weight_patterns", ()) or ("dense",))
    return wt if operand == "weights" else f"{act}+{wt}"


# --------------------------------------------------------------- design id
def _canonical(value: Any) -> Any:
    if isinstance(value, (tuple, list, frozenset, set)):
        return sorted(str(v) for v in value)  # supported sets: order carries no meaning
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def design_id(design) -> str:
    """Stable 12-hex id: SHA-256 of the design's fields except its display name."""
    d = {f.name: _canonical(getattr(design, f.name)) for f in dataclasses.fields(design) if f.name != "name"}
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]


# Fields that mean nothing on a dense-only core (no selector, metadata, lane groups or compaction).
_SPARSE_ONLY = ("selector", "metadata_format", "lane_group", "operand_budget", "selector_reach", "selector_pipelined",
                "compressed_activations", "metadata_decode_groups_per_cycle", "mitigation_units")


def collapse_dense(design_cls, d):
    """A dense-only design has no selector and no metadata: reset those fields to the class
    defaults so that their axes do not multiply identical hardware (same id, deduplicated).
    A weight-sparse core keeps its activations dense: its activation patterns collapse to dense."""
    if getattr(d, "sparse_operand", "activations") == "weights" and tuple(map(str, d.patterns)) != ("dense",):
        return dataclasses.replace(d, patterns=("dense",))
    if tuple(map(str, d.patterns)) != ("dense",) or getattr(d, "sparse_operand", "activations") != "activations":
        return d
    defaults = {f.name: f.default for f in dataclasses.fields(design_cls) if f.name in _SPARSE_ONLY}
    return dataclasses.replace(d, **defaults) if defaults else d
