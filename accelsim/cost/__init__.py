"""The cost model: prices a simulator's counts as energy and a design as area.

Front door: ``price(result, design) -> Cost``.  Components (one class each, with sources)
live in components.py and are listed in its ``COMPONENTS``; ``flexibility_components()``
names those that are flexibility hardware.  Technology scaling lives in scaling.py.  No
constant here reaches a simulator kernel: the simulator only counts.
"""

from accelsim.cost.components import (
    COMPONENTS,
    DRAM,
    SRAM,
    ActBuffer,
    Action,
    Adder,
    CompactionUnit,
    Component,
    MedianUnit,
    MetadataBuffer,
    MetadataDecoder,
    Multiplier,
    Register,
    Selector,
    VarianceUnit,
    WeightBuffer,
    actions_of,
    flexibility_components,
    offchip_components,
)  # fmt: skip
from accelsim.cost.price import Cost, inventory, price
from accelsim.cost.scaling import scale_area, scale_energy

__all__ = [
    "price", "Cost", "inventory", "scale_area", "scale_energy", "COMPONENTS", "Component", "Action", "actions_of",
    "flexibility_components", "offchip_components", "Multiplier", "Adder", "Register", "SRAM", "ActBuffer", "WeightBuffer", "MetadataBuffer",
    "Selector", "MetadataDecoder", "CompactionUnit", "VarianceUnit", "MedianUnit", "DRAM",
]  # fmt: skip
