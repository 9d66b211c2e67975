"""Activation-, weight- and dual-side-sparse cores in one sweep: each runs the traces of the operand
it skips, and the report sets their reference designs side by side.

Goldens: the pairing rule (``Workload.accepts``) and the closed forms of exact N:M masks on the
reference presets: a 2:4 core on exact 2:4 masks (activations or weights) runs the compute
cycles of dense halved; a dual-side core never runs more cycles than either single side
(docs/sparse-core-model.md, sections 1 and 5).
"""

import dataclasses

import pytest

from accelsim.explore import SweepConfig, run_sweep
from accelsim.manifest import Accuracy
from accelsim.report import write_report
from accelsim.report.operands import operand_rows
from accelsim.results import load_results
from accelsim.synthetic import synthetic_trace
from accelsim.traces import Trace, save_trace

SHAPES = [(64, 256, 128), (64, 256, 64)]
PPL = {"dense": 10.0, "act-2:4": 16.0, "act-8:16": 13.0, "wt-2:4": 18.0, "both": 20.0}
SPEC = """
name = "operands"
base = "dense"
include = ["dense", "ampere-2:4", "flex-8:16-window", "ampere-w2:4", "dual-8:16-w2:4"]
[sampling]
method = "grid"
[axes]
largest_pattern = ["2:4"]
"""


def _save(root, tag, trace, ppl):
    m = trace.manifest
    config = dataclasses.replace(m.config, model="toy", dataset="toy", settings={**m.config.settings, "seq_len": 64})
    m = dataclasses.replace(m, config=config, accuracy=Accuracy(perplexity=ppl, tokens_scored=128, dense_perplexity=PPL["dense"]))
    return save_trace(Trace(run_id=tag, layers=trace.layers, manifest=m), root / tag)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("operands")
    traces = root / "traces"
    _save(traces, "dense", synthetic_trace(SHAPES, pattern="dense", seed=1), PPL["dense"])
    _save(traces, "act-2:4", synthetic_trace(SHAPES, pattern="2:4", seed=1), PPL["act-2:4"])
    _save(traces, "act-8:16", synthetic_trace(SHAPES, pattern="8:16", seed=1), PPL["act-8:16"])
    _save(traces, "wt-2:4", synthetic_trace(SHAPES, pattern="dense", weight_pattern="2:4", seed=1), PPL["wt-2:4"])
    _save(traces, "both", synthetic_trace(SHAPES, pattern="8:16", weight_pattern="2:4", seed=1), PPL["both"])
    spec = root / "operands.toml"
    spec.write_text(SPEC)
    out = root / "results"
    run_sweep(SweepConfig(str(spec), (str(traces),), str(out), jobs=1, progress=False))
    return out


def test_each_core_runs_the_traces_of_the_operand_it_skips(sweep):
    t = load_results(sweep)
    for name, operand, trace in (("ampere-w2:4", "weights", "wt-2:4"), ("dual-8:16-w2:4", "both", "both"), ("flex-8:16-window", "activations", "act-8:16")):
        rows = t.where(t["design_name"] == name)
        assert len(rows) == 1, name  # one workload, one mode
        assert set(rows["sparse_operand"]) == {operand}
        assert set(rows["trace_run_id"]) == {trace}
        assert float(rows["ppl_delta"][0]) == pytest.approx(PPL[trace] - PPL["dense"])


def test_reference_designs_side_by_side(sweep):
    rows = {r.design_name: r for r in operand_rows(load_results(sweep))}
    assert {"dense", "ampere-2:4", "flex-8:16-window", "ampere-w2:4", "dual-8:16-w2:4"} <= set(rows)
    assert rows["dense"].speedup_vs_dense == pytest.approx(1.0)
    # exact 2:4 masks on a 2:4 core: the same compute cycles whether the activations or the weights are
    # sparse (stalls differ: compressed weights halve the weight traffic)
    t = load_results(sweep)
    compute = {n: float(t["cycles.compute"][list(t["design_name"]).index(n)]) for n in ("ampere-w2:4", "ampere-2:4")}
    assert compute["ampere-w2:4"] == compute["ampere-2:4"]
    assert rows["ampere-w2:4"].cycles_per_token <= rows["ampere-2:4"].cycles_per_token
    assert rows["ampere-2:4"].speedup_vs_dense > 1.5
    # the dual-side core (its own lane groups and clock) is compared, not asserted: same-design bounds are unit tests
    assert rows["dual-8:16-w2:4"].speedup_vs_dense > 1.0
    assert rows["dual-8:16-w2:4"].ppl_delta == pytest.approx(PPL["both"] - PPL["dense"])


def test_report_has_the_operand_section(sweep, tmp_path):
    text = write_report(sweep, tmp_path / "report").read_text()
    section = text.split("## Activation, weight and dual-side sparsity", 1)[1].split("\n## ", 1)[0]
    for name in ("ampere-w2:4", "dual-8:16-w2:4", "flex-8:16-window"):
        assert f"`{name}`" in section
