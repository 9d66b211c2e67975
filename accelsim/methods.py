"""Registries of the selection criteria and error-mitigation methods (capture, sim and cost share them).

A name enters the program once, at a boundary (CLI flag, TOML, manifest JSON), through
:func:`criterion` or :func:`mitigation`; everything after holds the registry entry.

The hardware a mitigation needs (priced by ``accelsim.cost``) is stated here, so the
simulator never matches method names:

* VAR rescales each token by ``sqrt(Var x / Var x_sparse)``: a variance unit (two fused
  accumulate passes per element, x and the pruned x).
* D-PTS subtracts each token's median before pruning and adds it back after: a median unit
  plus a rank-1 epilogue (``eta_t * rowsum(W)``, O MACs per token).
* S-PTS and L-PTS use a stored shift (per layer / per channel): the epilogue only.

Sources: the N:M activation-sparsity study, arXiv 2509.22166, and its public code
(github.com/On-Point-RND/Structured-Sparse-Activations-Inference) for VAR, D-PTS, S-PTS, L-PTS
and CLACT; Amber-Pruner, arXiv 2508.02128; Wanda, arXiv 2306.11695 (see docs/methods.md).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Criterion", "Mitigation", "CRITERIA", "MITIGATIONS", "criterion", "mitigation", "MITIGATION_UNITS", "units_needed"]

# Hardware units a design may include for mitigations (accelsim.sim.Design.mitigation_units).
MITIGATION_UNITS = ("var", "median")


@dataclass(frozen=True)
class Criterion:
    """How elements of a group are ranked. ``needs_weights``: the score uses W's column norms.

    unit: the ``Design.mitigation_units`` entry a core needs to compute the score (None: the selector's
    compare path suffices).  No registered criterion names one: the cost model prices no unit for them.
    """

    name: str
    needs_weights: bool
    description: str
    unit: str | None = None

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Mitigation:
    """A post-training error-mitigation method and the hardware it needs.

    unit: the ``Design.mitigation_units`` entry that must be present to run it (None: no unit);
    variance_passes: fused accumulate ops per input element per token (VAR: x and pruned x);
    median_passes: compare passes per element per token of a streaming median (D-PTS);
    epilogue: adds a rank-1 correction of O MACs per token (the shift methods);
    calibrated: needs a calibration pass before evaluation (S-PTS, L-PTS).
    """

    name: str
    unit: str | None = None
    variance_passes: int = 0
    median_passes: int = 0
    epilogue: bool = False
    calibrated: bool = False
    description: str = ""

    def __str__(self) -> str:
        return self.name


CRITERIA: dict[str, Criterion] = {
    c.name: c
    for c in (
        Criterion("magnitude", False, "|x|"),
        Criterion("amber", True, "|x| times the robustly normalised weight-column norm (Amber-Pruner)"),
        Criterion("clact", False, "|x| times the batch column norm over the token norm (CLACT)"),
        Criterion("wanda", True, "|x| times the weight-column L2 norm (Wanda)"),
    )
}

MITIGATIONS: dict[str, Mitigation] = {
    m.name: m
    for m in (
        Mitigation("none", description="no correction"),
        Mitigation("var", unit="var", variance_passes=2, description="per-token variance rescale"),
        Mitigation("dpts", unit="median", median_passes=2, epilogue=True, description="dynamic per-token median shift"),
        Mitigation("spts", unit="median", epilogue=True, calibrated=True, description="static per-layer shift"),
        Mitigation("lpts", unit="median", epilogue=True, calibrated=True, description="learned per-channel shift"),
    )
}


def criterion(name: "str | Criterion") -> Criterion:
    """The registry entry for ``name`` (case-insensitive); ValueError naming the choices."""
    if isinstance(name, Criterion):
        return name
    key = str(name).strip().lower()
    if key not in CRITERIA:
        raise ValueError(f"unknown criterion {name!r}; choose one of {tuple(CRITERIA)}")
    return CRITERIA[key]


def mitigation(name: "str | Mitigation | None") -> Mitigation:
    """The registry entry for ``name`` (case-insensitive, '-' ignored: 'D-PTS' = 'dpts'; None = 'none')."""
    if isinstance(name, Mitigation):
        return name
    key = "none" if name is None else str(name).strip().lower().replace("-", "")
    if key not in MITIGATIONS:
        raise ValueError(f"unknown mitigation {name!r}; choose one of {tuple(MITIGATIONS)}")
    return MITIGATIONS[key]


def units_needed(criterion_name: "str | Criterion | None", mitigation_name: "str | Mitigation | None") -> tuple[str, ...]:
    """The ``Design.mitigation_units`` a core must have to run a trace of this criterion and mitigation
    (None: not stated, needs nothing); sorted, without duplicates."""
    units = {mitigation(mitigation_name).unit}
    if criterion_name is not None:
        units.add(criterion(criterion_name).unit)
    return tuple(sorted(u for u in units if u is not None))
