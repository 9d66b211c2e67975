"""The sparse-tensor-core simulator: it counts cycles, stalls and events; it never prices.

Front door::

    from accelsim.sim import Design, presets, simulate, prepare
    result = simulate(presets["flex-8:16-window"], trace, mode="prefill")

See simulate.py for the mapping rules and the rule for which pattern a design runs a trace
in (params.py sizes a run, derived.py derives counts, result.py holds SimResult), counts.py for
the named counts and kernel parameters, kernels.py for the Numba kernels, weights.py for the
weight-sparse and dual-side cores, reference.py for their slow NumPy twin and prepared.py for
the caches of prepared traces.
"""

from accelsim.sim.counts import CAUSES, Counts
from accelsim.sim.design import Design
from accelsim.sim.prepared import PreparedTrace, TraceCache, prepare
from accelsim.sim.presets import get_preset, presets
from accelsim.sim.simulate import MODES, SimResult, simulate

__all__ = ["Design", "presets", "get_preset", "simulate", "prepare", "PreparedTrace", "TraceCache", "SimResult", "MODES",
           "Counts", "CAUSES"]  # fmt: skip
