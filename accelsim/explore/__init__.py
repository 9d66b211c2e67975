"""Design-space exploration: sweep designs x traces, store a tidy table, find Pareto fronts.

Front door::

    from accelsim.explore import SweepConfig, run_sweep, load_results, pareto_mask
    run_sweep(SweepConfig(space="quick", traces=("traces/sample",), out="results/quick"))

or ``python -m accelsim.explore --space quick --traces traces/sample --out results/quick --report``.
"""

import importlib

# Exports load on first use: ``python -m accelsim.explore --help`` imports this package first and must not pay for
# the simulator, NumPy-heavy modules or Dask before it has parsed its arguments.
_EXPORTS = {
    "Backend": "points", "default_backend": "points", "SweepConfig": "run", "SweepError": "run", "SweepSummary": "run",
    "run_sweep": "run", "Space": "spec", "SpecError": "spec", "builtin_spaces": "spec", "design_id": "spec",
    "load_space": "spec", "nested_patterns": "spec", "space_from_designs": "inputs", "ResultStore": "store",
    "StoreError": "store", "Table": "store", "load_meta": "store", "load_results": "store", "Workload": "workloads",
    "discover_workloads": "workloads", "pareto_mask": "results",
}  # fmt: skip

__all__ = [
    "Backend",
    "Workload",
    "default_backend",
    "discover_workloads",
    "pareto_mask",
    "SweepConfig",
    "SweepError",
    "SweepSummary",
    "run_sweep",
    "Space",
    "SpecError",
    "builtin_spaces",
    "design_id",
    "load_space",
    "nested_patterns",
    "ResultStore",
    "StoreError",
    "Table",
    "load_meta",
    "load_results",
    "space_from_designs",
]


def __getattr__(name: str):
    if name in _EXPORTS:
        mod = "accelsim.results" if _EXPORTS[name] == "results" else f"accelsim.explore.{_EXPORTS[name]}"
        return getattr(importlib.import_module(mod), name)
    raise AttributeError(f"module 'accelsim.explore' has no attribute {name!r}")
