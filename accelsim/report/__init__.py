"""Reports of a sweep: findings computed from the results table, a verdict worded from them, figures, and ``report.md``.

Front door: ``write_report(results_dir, out_dir=None, compare=("8:16", "2:4"))`` or
``python -m accelsim.report results/<name> [--compare 8:16,2:4]``.  The report reads only
:mod:`accelsim.results`; ``findings.find`` gives the numbers, ``verdict.verdict_lines`` the words.
"""

import importlib

__all__ = ["write_report", "find", "Findings"]
# loaded on first use: ``python -m accelsim.report --help`` imports this package first and must not load matplotlib
_EXPORTS = {"write_report": "accelsim.report.report", "find": "accelsim.report.findings", "Findings": "accelsim.report.findings"}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'accelsim.report' has no attribute {name!r}")
