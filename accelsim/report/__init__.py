"""Reports of a sweep: findings computed from the results table, a verdict worded from them, figures, and ``report.md``.

Front door: ``write_report(results_dir, out_dir=None, compare=("8:16", "2:4"))`` or
``python -m accelsim.report results/<name> [--compare 8:16,2:4]``.  The report reads only
:mod:`accelsim.results`; ``findings.find`` gives the numbers, ``verdict.verdict_lines`` the words.
"""

from accelsim.report.findings import Findings, find
from accelsim.report.report import write_report

__all__ = ["write_report", "find", "Findings"]
