"""The base of the cost components: ``Action``, ``Component`` (the contract every component class states;
see ``accelsim.cost.components``), the sources several components cite, and small shared helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from accelsim.patterns import Pattern
from accelsim.sim.counts import COUNT_NAMES

__all__ = ["Action", "Component", "HOROWITZ", "ALADDIN", "SPARSELOOP"]

HOROWITZ = 'M. Horowitz, "Computing\'s energy problem (and what we can do about it)", ISSCC 2014, 45 nm, 0.9 V'
ALADDIN = "Aladdin 40 nm characterisation in Accelergy's library, github.com/Accelergy-Project/accelergy-library-plug-in"
SPARSELOOP = "Sparseloop (Wu et al., MICRO 2022, arXiv 2205.05826) artifact github.com/Accelergy-Project/micro22-sparseloop-artifact"


@dataclass(frozen=True)
class Action:
    """One action of a component: its name and the ``Counts`` field that counts it."""

    name: str
    count: str

    def __post_init__(self) -> None:
        if self.count not in COUNT_NAMES:
            raise ValueError(f"Action {self.name!r}: {self.count!r} is not a field of accelsim.sim.counts.Counts")


class Component:
    """Base of the component classes (see the module docstring for what each one states)."""

    name: ClassVar[str]
    actions: ClassVar[tuple[Action, ...]]
    flexibility: ClassVar[bool] = False
    node_scaled: ClassVar[bool] = True
    off_chip: ClassVar[bool] = False
    source: ClassVar[str]

    @classmethod
    def count(cls, design) -> int:
        raise NotImplementedError

    @classmethod
    def of(cls, design, run: Pattern | None = None) -> "Component | None":
        raise NotImplementedError

    def energy_pj(self, action: str) -> float:
        raise NotImplementedError

    @property
    def area_um2(self) -> float:
        raise NotImplementedError

    def static_w(self, chip_area_mm2: float) -> float:
        """Static power (W) this component draws while the chip of ``chip_area_mm2`` (on-chip area at the node) is
        powered; ``price`` charges it for the run's seconds.  0 except for :class:`Leakage`."""
        return 0.0


def _width(design) -> int:
    return 8 * design.bytes_per_element


def _unstructured(design) -> bool:
    """True for a SIGMA-like design: one whose supported patterns include ``unstructured:*``."""
    return any(p.kind == "unstructured" for p in design.selection_patterns)
