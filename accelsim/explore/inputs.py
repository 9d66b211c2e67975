"""What a sweep takes besides TOML specs and trace directories: ``Design`` objects and traces built in Python.

``run_sweep`` accepts, as its space, a spec path or built-in name, a :class:`~accelsim.explore.spec.Space`, or a
list of ``Design`` objects (:func:`space_from_designs`); and, as its traces, trace directories or in-memory
``Trace`` objects (``synthetic_trace``, ``accelsim.interop.scalesim_trace``).  Workers load traces by path, so an
in-memory trace is written once under ``<out>/traces/`` (:func:`trace_paths`), named by a hash of its masks and
manifest: the same trace reuses its directory and a resumed sweep sees the same fingerprints.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any, Sequence

from accelsim.explore.designs import design_id, design_label
from accelsim.explore.expand import SpecError
from accelsim.explore.spec import CONSTRAINTS, MODES, Space, load_space

__all__ = ["space_from_designs", "resolve_space", "trace_paths"]

TRACES_SUBDIR = "traces"


def space_from_designs(designs: Sequence, name: str = "designs", modes: Sequence[str] = ("prefill",),
                       constraints: dict[str, float] | None = None) -> Space:  # fmt: skip
    """A :class:`Space` holding exactly ``designs`` (duplicates by :func:`design_id` dropped, order kept).

    A design keeps its own name when it has one (not the Design default "custom") and it is unique; otherwise it is
    named like a sampled design, ``<family>-<8 hex digits of its id>``.
    """
    designs = list(designs)
    if not designs:
        raise SpecError("the space holds no design; pass at least one Design")
    bad = [m for m in modes if m not in MODES]
    if not modes or bad:
        raise SpecError(f"modes {list(modes)!r}: allowed a non-empty list of {', '.join(MODES)}")
    constraints = dict(constraints or {})
    unknown = sorted(set(constraints) - set(CONSTRAINTS))
    if unknown:
        raise SpecError(f"constraint {unknown[0]!r} is not one of {', '.join(CONSTRAINTS)}")
    kept, ids, names = [], set(), [getattr(d, "name", "custom") for d in designs]
    for d, n in zip(designs, names):
        if not dataclasses.is_dataclass(d) or not hasattr(d, "patterns"):
            raise SpecError(f"space entry {d!r} is not a Design")
        did = design_id(d)
        if did in ids:
            continue
        ids.add(did)
        if n == "custom" or names.count(n) > 1:
            d = dataclasses.replace(d, name=f"{design_label(d)}-{did[:8]}")
        kept.append(d)
    resolved: dict[str, Any] = {
        "name": name, "description": f"{len(kept)} designs given in Python", "base": None, "include": [],
        "sampling": {"method": "given", "budget": len(kept), "seed": None, "combinations": len(kept)},
        "evaluation": {"modes": list(modes)}, "fixed": {}, "axes": {}, "constraints": constraints,
        "designs": len(kept), "rejected": 0, "excluded_by_max_multipliers": 0,
        "design_ids": [design_id(d) for d in kept],  # the sweep's fingerprint covers exactly these designs
        "source": "python",
    }  # fmt: skip
    return Space(name, resolved["description"], tuple(kept), tuple(modes), constraints, resolved)


def resolve_space(space, *, design_cls=None, presets=None) -> Space:
    """A :class:`Space` from a spec path or built-in name, a Space, or a sequence of Designs."""
    if isinstance(space, Space):
        return space
    if isinstance(space, (str, Path)):
        return load_space(space, design_cls=design_cls, presets=presets)
    if isinstance(space, Sequence) or hasattr(space, "__iter__"):
        return space_from_designs(list(space))
    raise SpecError(f"space {space!r} is neither a TOML path, a built-in name, a Space nor a list of Designs")


def _trace_digest(trace) -> str:
    h = hashlib.sha256(json.dumps(trace.manifest.to_dict(), sort_keys=True, default=str).encode())
    for ly in trace.layers:
        h.update(ly.name.encode() + b"\0" + ly.mask_packed.tobytes())
        if ly.weight_mask is not None:
            h.update(b"w" + ly.weight_mask.tobytes())
    return h.hexdigest()[:12]


def trace_paths(traces, out: "str | Path") -> tuple[str, ...]:
    """Trace paths for the sweep: paths as given; each in-memory Trace saved once under ``<out>/traces/``."""
    from accelsim.traces import MANIFEST, Trace, save_trace

    if isinstance(traces, (str, Path, Trace)):
        traces = (traces,)
    paths = []
    for t in traces:
        if isinstance(t, (str, Path)):
            paths.append(str(t))
        elif isinstance(t, Trace):
            d = Path(out) / TRACES_SUBDIR / f"{t.run_id}-{_trace_digest(t)}"
            if not (d / MANIFEST).is_file():
                save_trace(t, d)
            paths.append(str(d))
        else:
            raise SpecError(f"traces entry {t!r} is neither a trace directory nor a Trace")
    if not paths:
        raise SpecError("no traces given; pass trace directories or Trace objects")
    return tuple(paths)
