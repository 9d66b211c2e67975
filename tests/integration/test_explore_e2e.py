"""End to end with the real simulator and cost model: synthetic traces -> CLI sweep -> report."""


import numpy as np
import pytest

from accelsim.cost import price
from accelsim.explore import design_id, load_results, load_space
from accelsim.explore.__main__ import main
from accelsim.explore.designs import design_label
from accelsim.sim import Design, presets, simulate
from accelsim.synthetic import synthetic_trace
from accelsim.traces import Trace, load_trace, save_trace

PPL = {"dense": 20.0, "2:4": 31.0, "4:8": 29.0, "8:16": 27.5, "16:32": 26.8, "unstructured:0.5": 26.0}
SHAPES = [(32, 128, 96), (32, 96, 128)]


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    for i, (p, ppl) in enumerate(PPL.items()):
        tr = synthetic_trace(SHAPES, density=0.5, seed=i) if p.startswith("unstructured") else synthetic_trace(SHAPES, pattern=p, seed=i)
        m = tr.manifest.to_dict()
        m["config"].update(model="synthetic-toy", dataset="none", criterion="magnitude", pattern=p)
        m["accuracy"] = {"perplexity": ppl, "nll": float(np.log(ppl)), "tokens_scored": 0, "dense_perplexity": PPL["dense"]}
        save_trace(Trace(f"toy-{p.replace(':', '_')}", tr.layers, m), root / p.replace(":", "_"))
    return root


def test_cli_sweep_and_report_with_the_real_simulator(traces, tmp_path, capsys):
    out, analysis = tmp_path / "results" / "quick", tmp_path / "analysis"
    argv = ["--space", "quick", "--traces", str(traces), "--out", str(out), "--jobs", "1", "--no-progress", "--report", "--analysis-dir", str(analysis)]
    assert main(argv) == 0
    t = load_results(out)
    space = load_space("quick")
    assert len(t) == len(space.designs) == len(set(t["design_id"]))
    # every row agrees with a direct simulate + price of the same design on the trace it says it ran
    for i in range(0, len(t), 7):
        d = next(x for x in space.designs if design_id(x) == t["design_id"][i])
        res = simulate(d, load_trace(traces / t["trace_pattern"][i].replace(":", "_")), mode="prefill")
        cost = price(res, d)
        assert t["cycles"][i] == res.cycles
        assert t["energy_j"][i] == pytest.approx(cost.energy_j, rel=1e-12) and t["area_mm2"][i] == pytest.approx(cost.area_mm2, rel=1e-12)
        assert sum(t[f"cycles.{c}"][i] for c in res.cycles_by_cause) == t["cycles"][i]
    # the pattern choice follows the supported set: nested 8:16 support runs the 8:16 trace
    assert set(t["trace_pattern"][t["largest_pattern"] == "8:16"]) == {"8:16"}
    assert set(t["trace_pattern"][t["largest_pattern"] == "dense"]) == {"dense"}
    np.testing.assert_allclose(t["ppl_delta"], t["perplexity"] - PPL["dense"])
    report = (analysis / "quick" / "report.md").read_text()
    assert "**Cost of 8:16 over 2:4**" in report and (analysis / "quick" / "accuracy_vs_area_prefill.png").is_file()
    # a second run finds everything done
    assert main(argv[:-3]) == 0
    assert "(0 new)" in capsys.readouterr().out


def test_cli_on_a_dask_cluster_matches_the_local_run(traces, tmp_path):
    distributed = pytest.importorskip("distributed")
    base = ["--space", "quick", "--traces", str(traces), "--no-progress"]
    assert main([*base, "--out", str(tmp_path / "local"), "--jobs", "1"]) == 0
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None) as c:
        assert main([*base, "--out", str(tmp_path / "dask"), "--scheduler", c.scheduler_address]) == 0
    local, dask = load_results(tmp_path / "local"), load_results(tmp_path / "dask")
    key = lambda t: sorted(zip(t["design_id"], t["cycles"].tolist(), t["energy_j"].tolist()))  # noqa: E731
    assert len(dask) == len(local) and key(dask) == key(local)


def test_builtin_spaces_resolve_against_the_real_design():
    flex = load_space("flex-nm")
    included = flex.resolved["include"]
    sampled = [d for d in flex.designs if d.name not in included and not d.mitigation_units]
    assert len(sampled) == 1000  # budget counts valid, distinct sampled designs; included presets come on top
    # [variants]: every sampled 2:4 and 8:16 core once more with the VAR unit and once with the median unit
    twins = [d for d in flex.designs if d.mitigation_units]
    fam = [d for d in sampled if design_label(d) in ("2:4", "8:16")]
    assert sorted(d.mitigation_units for d in twins) == sorted([("median",)] * len(fam) + [("var",)] * len(fam))
    assert flex.resolved["variants"]["designs_added"] == len(twins)
    assert {d.name for d in flex.designs} >= set(included)
    assert {d.sparse_operand for d in flex.designs} == {"activations", "weights", "both"}
    labels = {str(d.patterns[-1]) for d in flex.designs}
    assert {"2:4", "4:8", "8:16", "16:32", "unstructured:0.5", "dense"} <= labels
    assert all(isinstance(d, Design) for d in flex.designs)
    assert load_space("quick").resolved["base"] in presets


def test_cli_reports_bad_input(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[axes]\nselector = ['naive', 'telepathic']\n")
    assert main(["--space", str(bad), "--traces", str(tmp_path), "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    assert "telepathic" in capsys.readouterr().err
    assert main(["--space", "nope", "--traces", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "built-ins: flex-nm" in capsys.readouterr().err
