"""The cost model: prices a simulator's action counts as energy and a design as area.

Front door: ``price(result, design) -> Cost``.  Components (one class each, with sources)
live in components.py, technology scaling in scaling.py.  No constant here reaches a
simulator kernel: the simulator only counts.
"""

from accelsim.cost.components import (
    DRAM,
    SRAM,
    Adder,
    CompactionUnit,
    MedianUnit,
    MetadataDecoder,
    Multiplier,
    Register,
    Selector,
    VarianceUnit,
)  # fmt: skip
from accelsim.cost.price import Cost, inventory, price
from accelsim.cost.scaling import scale_area, scale_energy

__all__ = [
    "price", "Cost", "inventory", "scale_area", "scale_energy", "Multiplier", "Adder", "Register", "SRAM", "Selector",
    "MetadataDecoder", "CompactionUnit", "VarianceUnit", "MedianUnit", "DRAM",
]  # fmt: skip
