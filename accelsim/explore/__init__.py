"""Design-space exploration: sweep designs x traces, store a tidy table, find Pareto fronts.

Front door::

    from accelsim.explore import SweepConfig, run_sweep, load_results, pareto_mask
    run_sweep(SweepConfig(space="quick", traces=("traces/sample",), out="results/quick"))

or ``python -m accelsim.explore --space quick --traces traces/sample --out results/quick --report``.
"""

from accelsim.explore.points import Backend, default_backend
from accelsim.explore.run import SweepConfig, SweepError, SweepSummary, run_sweep
from accelsim.explore.spec import Space, SpecError, builtin_spaces, design_id, load_space, nested_patterns
from accelsim.explore.store import ResultStore, StoreError, Table, load_meta, load_results
from accelsim.explore.workloads import Workload, discover_workloads
from accelsim.results import pareto_mask

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
]
