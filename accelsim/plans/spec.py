"""Layer-adaptive plans: which pattern each sparsified linear layer runs.

A :class:`Plan` is an ordered list of rules ``(glob, Pattern)`` and a default pattern.  A layer
takes the pattern of the first rule whose glob matches its full module name (``fnmatch``
syntax, e.g. ``"model.layers.*.mlp.down_proj"`` or ``"*.self_attn.*"``), else the default.
Rules are kept in the order written so that a specific rule placed before a general one wins,
as in a ``.gitignore`` read top to bottom.

The text form (a TOML table or a JSON object) is::

    default = "8:16"
    [layers]
    "model.layers.0.*" = "dense"
    "*.mlp.down_proj" = "4:16"

Capture, the trace and the simulator all see a plan resolved to ``{layer name: Pattern}``
(:meth:`Plan.resolve`), so nothing downstream has to know about globs.
"""

from __future__ import annotations

import fnmatch
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from accelsim.patterns import DENSE, Pattern

__all__ = ["Plan", "PlanError", "load_plan"]


class PlanError(ValueError):
    """A plan that cannot be read or does not fit the model's layers."""


@dataclass(frozen=True)
class Plan:
    """Per-layer patterns: ordered ``rules`` of (fnmatch glob, Pattern) and a ``default`` Pattern."""

    rules: tuple[tuple[str, Pattern], ...] = ()
    default: Pattern = DENSE

    def __post_init__(self) -> None:
        if not isinstance(self.default, Pattern):
            raise PlanError(f"plan default must be a Pattern, got {self.default!r}")
        seen = set()
        for rule in self.rules:
            if not (isinstance(rule, tuple) and len(rule) == 2 and isinstance(rule[0], str) and isinstance(rule[1], Pattern)):
                raise PlanError(f"plan rule {rule!r} must be a (glob string, Pattern) pair")
            glob = rule[0]
            if not glob.strip():
                raise PlanError("a plan rule has an empty layer glob; write a module name or a glob such as '*.mlp.down_proj'")
            if glob in seen:
                raise PlanError(f"layer glob {glob!r} appears twice in the plan; keep one rule per glob")
            seen.add(glob)

    # ----------------------------------------------------------------- building
    @classmethod
    def uniform(cls, pattern: "str | Pattern") -> "Plan":
        """Every layer in one pattern (what capture did before plans existed)."""
        return cls((), Pattern.parse(pattern))

    @classmethod
    def from_mapping(cls, mapping: dict, default: "str | Pattern | None" = None) -> "Plan":
        """From ``{glob: pattern}`` (insertion order kept) and an optional default (dense if absent)."""
        if not isinstance(mapping, dict):
            raise PlanError(f"plan layers must be a table of glob = pattern, got {type(mapping).__name__}")
        rules = []
        for glob, pat in mapping.items():
            try:
                rules.append((str(glob), Pattern.parse(pat)))
            except (TypeError, ValueError) as exc:
                raise PlanError(f"plan rule {glob!r}: {exc}") from None
        try:
            dflt = DENSE if default is None else Pattern.parse(default)
        except (TypeError, ValueError) as exc:
            raise PlanError(f"plan default: {exc}") from None
        return cls(tuple(rules), dflt)

    @classmethod
    def from_dict(cls, d: dict) -> "Plan":
        """From the text form's parsed table: ``{"default": ..., "layers": {glob: pattern}}``."""
        if not isinstance(d, dict):
            raise PlanError(f"a plan must be a table with 'default' and 'layers', got {type(d).__name__}")
        unknown = set(d) - {"default", "layers"}
        if unknown:
            raise PlanError(f"unknown plan key(s) {sorted(unknown)}; a plan has 'default' and 'layers'")
        return cls.from_mapping(d.get("layers", {}), d.get("default"))

    def to_dict(self) -> dict:
        return {"default": str(self.default), "layers": {g: str(p) for g, p in self.rules}}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    # ------------------------------------------------------------------ queries
    def pattern_for(self, layer: str) -> Pattern:
        """The pattern of one layer: the first matching rule's, else the default."""
        for glob, pat in self.rules:
            if fnmatch.fnmatchcase(layer, glob):
                return pat
        return self.default

    def resolve(self, layers: "list[str] | tuple[str, ...]", strict: bool = True) -> dict[str, Pattern]:
        """``{layer: Pattern}`` for the given layer names.

        strict: a rule that matches none of ``layers`` is an error (a typo in a glob would
        otherwise silently leave layers at the default).
        """
        out = {name: self.pattern_for(name) for name in layers}
        if strict:
            for glob, _ in self.rules:
                if not any(fnmatch.fnmatchcase(name, glob) for name in layers):
                    example = layers[0] if layers else "(no layers)"
                    raise PlanError(f"plan rule {glob!r} matches none of the model's {len(layers)} sparsified layers "
                                    f"(e.g. {example!r}); fix the glob or remove the rule")
        return out

    @property
    def patterns(self) -> tuple[Pattern, ...]:
        """Every pattern the plan may use, sorted (the set a core must support to run it)."""
        return tuple(sorted({self.default, *(p for _, p in self.rules)}))

    @property
    def is_uniform(self) -> bool:
        return len(self.patterns) == 1

    def __str__(self) -> str:
        if not self.rules:
            return str(self.default)
        return ", ".join(f"{g}={p}" for g, p in self.rules) + f", default={self.default}"


def load_plan(path: "str | Path") -> Plan:
    """Read a plan from a ``.toml`` or ``.json`` file (text only; nothing is unpickled)."""
    p = Path(path)
    if not p.is_file():
        raise PlanError(f"plan file {str(p)!r} does not exist; write a TOML or JSON plan (see accelsim.plans.spec)")
    try:
        text = p.read_text(encoding="utf-8")
        data = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PlanError(f"plan file {str(p)!r} is not valid {'JSON' if p.suffix.lower() == '.json' else 'TOML'}: {exc}") from None
    return Plan.from_dict(data)
