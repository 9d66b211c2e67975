"""Uncertainty of the cost model: every constant carries a low/high range from its sources.

A constant is a :class:`Ranged` (nominal, low, high, source).  Components read constants
through :func:`at`, which returns the value at the *corner* being priced: "nominal" (default),
"low" (every constant at the low end of its range) or "high" (every constant at the high
end).  ``price(result, design, bound=...)`` prices at one corner; ``Cost.energy_range_j`` and
``Cost.area_range_mm2`` hold the low and high corners.  Both designs of a compared pair are
priced at the same corner, so a ratio's range is what the model's sources leave open when
they err together; it is not a confidence interval.

Where two public sources disagree, the range spans them; where one source states its own
spread (Horowitz's DRAM 1.3-2.6 nJ per 64 bits), that spread; where one source gives one
number, a stated rule (written next to the constant) gives the range.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["Ranged", "at", "corner", "CORNERS", "current_corner"]

CORNERS = ("nominal", "low", "high")
_CORNER: ContextVar[str] = ContextVar("accelsim_cost_corner", default="nominal")


class Ranged(float):
    """A constant with its range: a float equal to its nominal value (so plain arithmetic still works),
    with ``low <= nominal <= high`` and ``source`` naming where the ends come from; ``at(x)`` reads the corner."""

    __slots__ = ("low", "high", "source")

    def __new__(cls, nominal: float, low: float, high: float, source: str = ""):
        if not (low <= nominal <= high):
            raise ValueError(f"Ranged needs low <= nominal <= high, got {low}, {nominal}, {high}")
        obj = super().__new__(cls, nominal)
        obj.low, obj.high, obj.source = float(low), float(high), source
        return obj

    @property
    def nominal(self) -> float:
        return float(self)

    def __repr__(self) -> str:
        return f"Ranged({float(self)!r}, {self.low!r}, {self.high!r})"

    def scaled(self, k: float) -> "Ranged":
        """The same range multiplied by ``k`` (a derived constant keeps its source's spread)."""
        return Ranged(float(self) * k, self.low * k, self.high * k, self.source)


def current_corner() -> str:
    return _CORNER.get()


def at(x) -> float:
    """The value of ``x`` at the current corner (a plain number is returned unchanged)."""
    if isinstance(x, Ranged):
        c = _CORNER.get()
        return float(x) if c == "nominal" else getattr(x, c)
    return x


@contextmanager
def corner(name: str):
    """Price at a corner: ``with corner("low"): ...``."""
    if name not in CORNERS:
        raise ValueError(f"corner must be one of {CORNERS}, got {name!r}")
    token = _CORNER.set(name)
    try:
        yield
    finally:
        _CORNER.reset(token)
