"""Interoperation with the tools architects already use.

* :mod:`accelsim.interop.accelergy`: a design's components, counts, per-action energies and areas in Accelergy's
  YAML shape (``accelergy_export``, ``write_accelergy``; ``python -m accelsim.sim --export-accelergy DESIGN``).
* :mod:`accelsim.interop.scalesim`: GEMM shapes from a SCALE-Sim topology CSV (``read_topology``), so a user's
  workload becomes a synthetic trace (``synthetic_trace("my_topology.csv", pattern="8:16")``).
"""

from accelsim.interop.scalesim import TopologyError, read_topology

__all__ = ["accelergy_export", "write_accelergy", "read_topology", "TopologyError"]


def accelergy_export(design, run=None):  # noqa: D103 - documented in accelsim.interop.accelergy
    from accelsim.interop.accelergy import accelergy_export as _export

    return _export(design, run)


def write_accelergy(design, path, run=None):  # noqa: D103 - documented in accelsim.interop.accelergy
    from accelsim.interop.accelergy import write_accelergy as _write

    return _write(design, path, run)
