"""The sparse-tensor-core simulator: it counts cycles, stalls and actions; it never prices.

Front door::

    from accelsim.sim import Design, presets, simulate, prepare
    result = simulate(presets["flex-8:16-window"], trace, mode="prefill")

See simulate.py for the mapping rules and the rule for which pattern a design runs a trace
in, kernels.py for the Numba kernels and reference.py for their slow NumPy twin.
"""

from accelsim.sim.design import Design
from accelsim.sim.prepared import PreparedTrace, prepare
from accelsim.sim.presets import get_preset, presets
from accelsim.sim.simulate import COMPONENT_ACTIONS, MODES, SimResult, simulate

__all__ = ["Design", "presets", "get_preset", "simulate", "prepare", "PreparedTrace", "SimResult", "MODES", "COMPONENT_ACTIONS"]
