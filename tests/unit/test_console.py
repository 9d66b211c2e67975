"""The explore console summary (best design per family, front size, premium; a warning when nothing is feasible)
and the fast --help of the CLIs (nothing heavy imported before the arguments parse)."""

import subprocess
import sys

import pytest

from accelsim.explore import SweepConfig, run_sweep
from accelsim.report.console import summary_lines
from tests.support.explore_standin import BACKEND, make_trace_set

SPACE = """
name = "toy"
[axes]
largest_pattern = ["dense", "2:4", "8:16"]
pe_array = [4, 8]
{constraints}
"""
PPL = {"dense": 10.0, "2:4": 14.0, "8:16": 12.0}


def _sweep(tmp_path, constraints=""):
    make_trace_set(tmp_path / "traces", PPL)
    spec = tmp_path / "toy.toml"
    spec.write_text(SPACE.format(constraints=constraints))
    out = tmp_path / "out"
    run_sweep(SweepConfig(str(spec), (str(tmp_path / "traces"),), str(out), jobs=1, progress=False), backend=BACKEND)
    return out


def test_summary_names_the_best_design_per_family_and_the_premium(tmp_path):
    lines = summary_lines(_sweep(tmp_path))
    head = [ln for ln in lines if not ln.startswith("  ")]
    # one workload, mode prefill; all 6 on the front: the 2 array sizes trade area for cycles, the 3 families accuracy for area
    assert len(head) == 1 and "(prefill): 6 feasible designs of 6, 6 on the Pareto front" in head[0]
    rows = {ln.split()[0]: ln.split() for ln in lines if ln.startswith("  ") and ln.split()[0] in PPL and "premium" not in ln}
    assert set(rows) == {"dense", "2:4", "8:16"}
    assert rows["8:16"][1].startswith("8:16-") and float(rows["8:16"][2]) == pytest.approx(2.0)  # 12 - 10
    assert float(rows["2:4"][2]) == pytest.approx(4.0)
    # stand-in area per multiplier 1e-4 + 1e-5 M: 8:16 over 2:4 = 2.6 / 1.4 - 1 = +85.7 % on the 2 matched array sizes
    premium = next(ln for ln in lines if "premium" in ln)
    assert "2 matched pairs" in premium and "area +85.7 %" in premium and "+2.000" in premium
    assert "range" not in premium  # the stand-in cost model has no low/high corners: no range is claimed
    assert not any(ln.startswith("warning:") for ln in lines)


def test_summary_warns_when_no_design_is_feasible(tmp_path):
    lines = summary_lines(_sweep(tmp_path, "[constraints]\nmax_area_mm2 = 1e-9"))
    warn = [ln for ln in lines if ln.startswith("warning:")]
    assert len(warn) == 1 and "no design is feasible" in warn[0] and "max_area_mm2" in warn[0]


CHECK = """
import runpy, sys
sys.argv = ["x", "--help"]
try:
    runpy.run_module("accelsim.{mod}", run_name="__main__")
except SystemExit:
    pass
print("heavy:" + ",".join(m for m in ("numpy", "numba", "matplotlib", "torch") if m in sys.modules))
"""


@pytest.mark.parametrize("mod", ["explore", "report"])
def test_help_imports_nothing_heavy(mod):
    out = subprocess.run([sys.executable, "-c", CHECK.format(mod=mod)], capture_output=True, text=True, check=True)
    assert "usage: python -m accelsim." + mod in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "heavy:"  # none of numpy, numba, matplotlib, torch


def test_report_cli_default_pair_is_the_findings_default():
    from accelsim.report.__main__ import DEFAULT_COMPARE as cli
    from accelsim.report.findings import DEFAULT_COMPARE

    assert cli == DEFAULT_COMPARE


def test_short_workload_label_cuts_paths_and_defaults():
    import numpy as np

    from accelsim.report.console import short_workload
    from accelsim.results import Table

    def t(**cols):
        return Table({k: np.array([v], dtype=object) for k, v in cols.items()})

    row = t(model="HuggingFaceTB/SmolLM2-135M-Instruct", dataset="/home/me/corpora/my_text.txt", criterion="wanda",
            mitigation="none", sparsify="activations", workload_id="x")  # fmt: skip
    assert short_workload(row) == "SmolLM2-135M-Instruct, my_text, wanda"  # no absolute path, no '//' join
    assert short_workload(t(model="Qwen/Qwen2.5-0.5B", dataset="brown", workload_id="x")) == "Qwen2.5-0.5B, brown"
    both = t(model="smollm2-135m", dataset="brown", criterion="magnitude", mitigation="lpts", sparsify="both-w2:4", workload_id="x")
    assert short_workload(both) == "smollm2-135m, brown, magnitude, lpts, both-w2:4"
    assert short_workload(t(model="none", dataset="none", criterion="none", mitigation="none", sparsify="activations",
                            workload_id="none/none/none/none/activations")) == "synthetic traces"  # fmt: skip
    # a workload holding every method: the criterion and mitigation are the design's, not the workload's
    every = t(model="smollm2-135m", dataset="brown", criterion="wanda", mitigation="var", method="wanda/var", sparsify="both-w2:4",
              workload_id="x")  # fmt: skip
    assert short_workload(every) == "smollm2-135m, brown, both-w2:4"
