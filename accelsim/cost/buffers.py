"""The on-chip buffer components: activation, weight and metadata storage (SRAMs of ``accelsim.cost.sram``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from accelsim.cost.base import Action, Component
from accelsim.cost.sram import SRAM

__all__ = ["ActBuffer", "WeightBuffer", "MetadataBuffer"]

@dataclass(frozen=True)
class _DesignBuffer(SRAM, Component):
    """An SRAM buffer sized by a Design field (``kib_field`` KiB in ``buffer_banks`` banks), one per core."""

    kib_field: ClassVar[str]
    source = SRAM.source

    @classmethod
    def count(cls, design) -> int:
        return design.cores

    @classmethod
    def of(cls, design, run=None):
        return cls(getattr(design, cls.kib_field), design.buffer_banks)


@dataclass(frozen=True)
class ActBuffer(_DesignBuffer):
    """The activation buffer (an SRAM of ``act_buffer_kib`` in ``buffer_banks`` banks)."""

    name = "act_buffer"
    actions = (Action("read_bytes", "act_read_bytes"), Action("write_bytes", "act_write_bytes"))
    kib_field = "act_buffer_kib"


@dataclass(frozen=True)
class WeightBuffer(_DesignBuffer):
    """The weight buffer (an SRAM of ``weight_buffer_kib`` in ``buffer_banks`` banks)."""

    name = "weight_buffer"
    actions = (Action("read_bytes", "wbuf_read_bytes"), Action("write_bytes", "wbuf_write_bytes"))
    kib_field = "weight_buffer_kib"


@dataclass(frozen=True)
class MetadataBuffer(SRAM, Component):
    """Metadata storage: activation metadata priced per bit in the activation buffer's SRAM, which holds it,
    and the compressed weights' metadata (weight-sparse and dual-side cores) in the weight buffer's SRAM,
    stored beside the kept weights (so it adds no area of its own: count 0)."""

    name = "metadata_buffer"
    actions = (Action("read_bits", "meta_read_bits"), Action("write_bits", "meta_write_bits"),
               Action("weight_read_bits", "wmeta_read_bits"), Action("weight_write_bits", "wmeta_write_bits"))  # fmt: skip
    flexibility = True
    source = SRAM.source

    weight_kib: float = 0.0  # the weight buffer holding the weights' metadata

    @classmethod
    def count(cls, design) -> int:
        return 0

    @classmethod
    def of(cls, design, run=None):
        return cls(design.act_buffer_kib, design.buffer_banks, design.weight_buffer_kib)

    def energy_pj(self, action: str = "read_bits") -> float:
        if action.startswith("weight_"):
            return SRAM(self.weight_kib or self.kib, self.banks).energy_pj(action)
        return SRAM.energy_pj(self, action)
