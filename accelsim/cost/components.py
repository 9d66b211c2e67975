"""The cost components of a design, each declared once: one class per component.

A component class states

* ``name``: the key of ``Cost.energy_by_component_j`` / ``area_by_component_mm2`` and of
  ``SimResult.actions``;
* ``actions``: its actions, each naming the field of ``accelsim.sim.counts.Counts`` it is;
* ``count(design)``: how many instances the design has (0: absent; area is ``count x area_um2``), on the
  whole chip: a per-core component counts ``Design.cores`` times (DRAM and the shared level once);
* ``of(design, run=None)``: the instance sized for the design (``run``: the pattern the
  simulator ran, for components whose energy per action depends on it); None if absent;
* ``energy_pj(action)`` per action and ``area_um2`` per instance, at the 45 nm reference;
* ``flexibility``: True for hardware a design adds to run sparse patterns beyond dense;
* ``node_scaled``: False for off-chip parts (not made in the logic node);
* ``off_chip``: True for parts outside the chip (``Cost.energy_offchip_j`` sums them);
* ``source``: the public source of its numbers (paper, datasheet, URL).

``price`` loops over :data:`COMPONENTS` and nothing else.

The classes live in sibling modules by concern (``base``: Action, Component; ``datapath``; ``buffers``;
``selection``; ``periphery``; ``networks``: SIGMA's; ``hierarchy``: the shared level) and are re-exported here.
Adding a component: write its class in the module of its concern and list it in ``COMPONENTS``.  If an
action is a count the simulator does not produce yet, add that count to
``accelsim/sim/counts.py`` and fill it in the kernel (and its twin) or in
``_derived_counts`` (``accelsim/sim/derived.py``, the second file).
"""

from __future__ import annotations

# base first: cost/hierarchy.py imports Action and Component from this module while it is still loading
from accelsim.cost.base import Action, Component
from accelsim.cost.buffers import ActBuffer, MetadataBuffer, WeightBuffer
from accelsim.cost.datapath import Adder, ArrayWiring, Multiplier, Register
from accelsim.cost.hierarchy import SharedLevel
from accelsim.cost.networks import BenesNetwork, ForwardingAdderNetwork
from accelsim.cost.periphery import DRAM, Leakage, MedianUnit, VarianceUnit
from accelsim.cost.selection import CompactionUnit, MetadataDecoder, Selector
from accelsim.cost.sram import SRAM
from accelsim.sim.counts import Counts

__all__ = [
    "Action", "Component", "COMPONENTS", "actions_of", "flexibility_components", "offchip_components", "Multiplier", "Adder", "Register",
    "SRAM", "ActBuffer", "WeightBuffer", "MetadataBuffer", "Selector", "MetadataDecoder", "CompactionUnit",
    "VarianceUnit", "MedianUnit", "DRAM", "ArrayWiring", "Leakage", "BenesNetwork", "ForwardingAdderNetwork", "SharedLevel",
]  # fmt: skip

# The order is the order of Cost's per-component dicts and of SimResult.actions.
COMPONENTS: tuple[type[Component], ...] = (
    Multiplier, Adder, Selector, Register, MetadataDecoder, MetadataBuffer, ActBuffer, WeightBuffer, CompactionUnit,
    VarianceUnit, MedianUnit, DRAM, ArrayWiring, Leakage, BenesNetwork, ForwardingAdderNetwork,
    SharedLevel,  # issue 9: the shared level (L2)
)  # fmt: skip


def actions_of(counts: Counts, components=None) -> dict[str, dict[str, int]]:
    """component -> action -> count, read from ``counts`` as each component declares (default: COMPONENTS)."""
    return {c.name: {a.name: getattr(counts, a.count) for a in c.actions} for c in (COMPONENTS if components is None else components)}


def offchip_components(components=None) -> tuple[str, ...]:
    """Names of the components outside the chip (DRAM): the report draws them on their own axis."""
    return tuple(c.name for c in (COMPONENTS if components is None else components) if c.off_chip)


def flexibility_components(components=None) -> tuple[str, ...]:
    """Names of the components that are flexibility hardware (what supporting sparse patterns adds)."""
    return tuple(c.name for c in (COMPONENTS if components is None else components) if c.flexibility)
