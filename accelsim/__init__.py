"""accelsim: which N:M activation-sparsity patterns should accelerators support, and at what cost.

Public front doors (imported lazily so that ``import accelsim`` stays cheap and never
pulls in torch): ``Pattern``, ``Design``, ``presets``, ``simulate``, ``price``,
``synthetic_trace``, ``load_trace``, ``load_results`` (a sweep's table), ``pareto_mask`` and
``write_report``.  The stages and what crosses each boundary: docs/architecture.md.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "Pattern": "accelsim.patterns",
    "parse_pattern": "accelsim.patterns",
    "Design": "accelsim.sim",
    "presets": "accelsim.sim",
    "simulate": "accelsim.sim",
    "prepare": "accelsim.sim",
    "price": "accelsim.cost",
    "synthetic_trace": "accelsim.synthetic",
    "load_trace": "accelsim.traces",
    "save_trace": "accelsim.traces",
    "Trace": "accelsim.traces",
    "LayerTrace": "accelsim.traces",
    "load_results": "accelsim.results",
    "Table": "accelsim.results",
    "pareto_mask": "accelsim.results",
    "write_report": "accelsim.report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'accelsim' has no attribute {name!r}")


def __dir__():
    return __all__
