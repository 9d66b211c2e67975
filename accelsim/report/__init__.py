"""Reports of a sweep: figures (one function each), a computed verdict, and ``analysis/<name>/report.md``.

Front door: ``write_report(results_dir, out_dir=None)`` or ``python -m accelsim.report results/<name>``.
"""

from accelsim.report.report import write_report

__all__ = ["write_report"]
