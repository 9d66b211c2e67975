"""Sweeps with the stand-in simulator: workloads, per-token figures, resume, process pool and Dask."""

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.explore import SweepConfig, discover_workloads, load_results, run_sweep
from accelsim.explore.store import StoreError
from accelsim.patterns import Pattern
from accelsim.traces import TraceError
from tests.support.explore_standin import BACKEND, StandInDesign, make_trace_set, prepare, price, simulate

PPL = {"dense": 10.0, "2:4": 14.0, "4:8": 13.0, "8:16": 12.0, "16:32": 11.5, "unstructured:0.5": 11.0}
SPACE = """
name = "toy"
[axes]
largest_pattern = ["dense", "2:4", "8:16", "16:32", "unstructured:0.5"]
selector = ["naive", "window"]
pe_array = [4, 8]
[constraints]
max_area_mm2 = 0.1
"""


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    root = tmp_path_factory.mktemp("traces")
    make_trace_set(root / "mag", PPL)
    # a second criterion without its own dense trace: it joins the same workload and competes on accuracy
    make_trace_set(root / "clact", {"2:4": 13.5, "8:16": 11.8}, criterion="clact")
    return root


@pytest.fixture()
def space(tmp_path):
    p = tmp_path / "toy.toml"
    p.write_text(SPACE)
    return str(p)


def sweep(space, traces, out, on_chunk=None, **kw):
    kw.setdefault("jobs", 1)
    cfg = SweepConfig(space, (str(traces / "mag"), str(traces / "clact")), str(out), progress=False, **kw)
    return run_sweep(cfg, backend=BACKEND, on_chunk=on_chunk)


def rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "rows.jsonl").read_text().splitlines()]


def test_workloads_group_by_manifest_and_hold_every_criterion(traces):
    (wl,) = discover_workloads([traces / "mag", traces / "clact"])
    assert wl.key == ("toy", "toytext", "activations") and wl.dense_perplexity == 10.0
    assert sorted((str(t.pattern), t.method) for t in wl.traces if t.criterion == "clact") == [("2:4", "clact/none"), ("8:16", "clact/none")]
    assert len(wl.traces) == len(PPL) + 2
    # best supported sparse trace over both criteria, never dense unless nothing sparse is supported
    pick = wl.choose(StandInDesign(patterns=("2:4", "4:8", "8:16")))
    assert (str(pick.pattern), pick.criterion) == ("8:16", "clact")  # clact 11.8 beats magnitude 12.0
    narrow = wl.choose(StandInDesign(patterns=("2:4",)))
    assert (str(narrow.pattern), narrow.criterion) == ("2:4", "clact")  # 13.5 beats 14.0
    assert wl.choose(StandInDesign(patterns=("2:4", "4:8", "8:16", "16:32"))).pattern == Pattern.parse("16:32")
    assert wl.choose(StandInDesign()).pattern == Pattern.parse("dense") and wl.choose(StandInDesign()).method == "none/none"


def test_traces_with_different_layer_sets_are_compared_on_common_layers(tmp_path):
    make_trace_set(tmp_path / "a", {"dense": 10.0}, shapes=((16, 64, 32), (16, 32, 48), (16, 32, 16)))
    make_trace_set(tmp_path / "b", {"2:4": 12.0}, shapes=((8, 64, 32), (8, 32, 48)))
    with pytest.warns(UserWarning, match="evaluating the 2 layers common to all"):
        (wl,) = discover_workloads([tmp_path / "a", tmp_path / "b"])
    assert wl.layers == ("layer0", "layer1") and wl.macs_per_token == 64 * 32 + 32 * 48
    make_trace_set(tmp_path / "c", {"4:8": 12.0}, shapes=((8, 64, 16),))
    with pytest.raises(TraceError, match="layer layer0 is"):
        discover_workloads([tmp_path / "a", tmp_path / "c"])


def test_without_a_dense_trace_the_most_accurate_trace_runs(tmp_path):
    make_trace_set(tmp_path / "s", {"8:16": 12.0, "16:32": 11.5}, dense_perplexity=10.0)
    (wl,) = discover_workloads([tmp_path / "s"])
    assert wl.dense_perplexity == 10.0  # from the manifests' accuracy.dense_perplexity
    assert wl.choose(StandInDesign(patterns=("2:4",))).pattern == Pattern.parse("16:32")
    assert wl.choose(StandInDesign(patterns=("2:4", "4:8", "8:16"))).pattern == Pattern.parse("8:16")


def test_accuracy_is_compared_only_at_equal_protocol(tmp_path):
    for seq_len, ppl in ((512, 10.0), (128, 20.0)):
        make_trace_set(tmp_path / f"L{seq_len}", {"dense": ppl, "2:4": ppl + 3}, config={"seq_len": seq_len, "eval_tokens": 2048})
    wls = discover_workloads([tmp_path / "L512", tmp_path / "L128"])
    assert sorted((w.workload_id, w.dense_perplexity) for w in wls) == [
        ("toy/toytext/activations@L128-E2048", 20.0),
        ("toy/toytext/activations@L512-E2048", 10.0),
    ]


def test_rows_hold_design_accuracy_and_per_token_figures(space, traces, tmp_path):
    s = sweep(space, traces, tmp_path / "out")
    assert (s.designs, s.workloads) == (5 * 2 * 2 - 2, 1)  # dense-only designs have no selector: 2 duplicates merge
    t = load_results(tmp_path / "out")
    assert len(t) == s.points == s.designs
    i = int(np.flatnonzero(t["largest_pattern"] == "8:16")[0])
    d = StandInDesign(pe_rows=int(t["pe_rows"][i]), pe_cols=int(t["pe_cols"][i]), selector=str(t["selector"][i]), patterns=("2:4", "4:8", "8:16"))
    (wl,) = discover_workloads([traces / "mag", traces / "clact"])
    from accelsim.traces import load_trace

    ref = next(x for x in wl.traces if str(x.pattern) == "8:16" and x.criterion == "clact")
    assert (t["criterion"][i], t["mitigation"][i], t["method"][i]) == ("clact", "none", "clact/none")  # 11.8 beats 12.0
    res = simulate(d, prepare(load_trace(ref.path)), mode="prefill")
    cost = price(res, d)
    # independent closed forms: shapes are (16,64,32) and (16,32,48) -> 2*(64*32+32*48) ops per token
    ops = 2 * (64 * 32 + 32 * 48) * 16
    assert t["cycles"][i] == res.cycles and t["tokens"][i] == 16
    assert t["cycles_per_token"][i] == pytest.approx(res.cycles / 16)
    assert t["tokens_per_s"][i] == pytest.approx(16 / (res.cycles / 1e9))
    assert t["tops_per_w"][i] == pytest.approx(ops / cost.energy_j / 1e12)
    assert t["tops_per_mm2"][i] == pytest.approx(ops / (res.cycles / 1e9) / 1e12 / cost.area_mm2)
    assert t["ppl_delta"][i] == pytest.approx(1.8) and t["trace_pattern"][i] == "8:16"
    assert t["cycles.compute"][i] + t["cycles.metadata_bw"][i] + t["cycles.weight_bw"][i] == t["cycles"][i]
    assert t["patterns"][i] == "2:4|4:8|8:16" and t["multipliers"][i] == d.multipliers
    np.testing.assert_array_equal(t["feasible"], t["area_mm2"] <= 0.1)
    assert (tmp_path / "out" / "results.csv").read_text().count("\n") == len(t) + 1
    meta = json.loads((tmp_path / "out" / "sweep.json").read_text())
    assert meta["versions"]["numpy"] == np.__version__ and meta["spec"]["toml"] == SPACE
    assert {tr["pattern"] for tr in meta["traces"]} == set(PPL)


def test_interrupted_sweep_resumes_without_loss_or_duplicates(space, traces, tmp_path):
    sweep(space, traces, tmp_path / "ref")
    expected = {(r["design_id"], r["workload_id"], r["mode"]): r for r in rows(tmp_path / "ref")}

    class Stop(Exception):
        pass

    calls = []

    def stop_after_two(n):
        calls.append(n)
        if len(calls) == 2:
            raise Stop

    with pytest.raises(Stop):
        sweep(space, traces, tmp_path / "out", chunk=5, on_chunk=stop_after_two)
    stored = rows(tmp_path / "out")
    assert len(stored) == 10
    with open(tmp_path / "out" / "rows.jsonl", "a") as f:  # a crash in the middle of writing a row
        f.write('{"design_id": "torn", "workl')
    s = sweep(space, traces, tmp_path / "out", chunk=5)
    assert s.evaluated == len(expected) - 10
    got = rows(tmp_path / "out")
    keys = [(r["design_id"], r["workload_id"], r["mode"]) for r in got]
    assert len(keys) == len(set(keys)) == len(expected)
    assert {k: r for k, r in zip(keys, got)} == expected
    assert sweep(space, traces, tmp_path / "out").evaluated == 0  # finished: nothing left to do


@settings(max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunk=st.integers(1, 9), stop_after=st.integers(1, 5), torn=st.text(max_size=40))
def test_resume_property_any_interruption_any_torn_tail(space, traces, tmp_path, chunk, stop_after, torn):
    """Whatever chunk an interruption hits and whatever half-line it leaves, resuming yields the full set once."""
    ref = tmp_path / "ref"
    if not ref.exists():
        sweep(space, traces, ref)
    expected = {(r["design_id"], r["workload_id"], r["mode"]): r for r in rows(ref)}
    with tempfile.TemporaryDirectory(dir=tmp_path) as d:
        out = Path(d) / "out"
        seen = []

        def stop(n):
            seen.append(n)
            if len(seen) == stop_after:
                raise KeyboardInterrupt

        try:
            sweep(space, traces, out, chunk=chunk, on_chunk=stop)
        except KeyboardInterrupt:
            pass
        with open(out / "rows.jsonl", "a") as f:
            f.write(torn.replace("\n", ""))  # a torn last line never contains its newline
        sweep(space, traces, out, chunk=chunk)
        got = rows(out)
        keys = [(r["design_id"], r["workload_id"], r["mode"]) for r in got]
        assert len(keys) == len(set(keys)) and dict(zip(keys, got)) == expected


def test_resume_refuses_a_different_space(space, traces, tmp_path):
    sweep(space, traces, tmp_path / "out")
    other = Path(space).with_name("other.toml")
    other.write_text(SPACE.replace('pe_array = [4, 8]', 'pe_array = [4]'))
    with pytest.raises(StoreError, match="another space or other traces"):
        sweep(str(other), traces, tmp_path / "out")


def test_process_pool_gives_the_same_rows(space, traces, tmp_path):
    sweep(space, traces, tmp_path / "one")
    sweep(space, traces, tmp_path / "two", jobs=2, chunk=4)
    by_key = lambda rs: {(r["design_id"], r["workload_id"], r["mode"]): r for r in rs}  # noqa: E731
    assert by_key(rows(tmp_path / "two")) == by_key(rows(tmp_path / "one"))


def test_dask_local_cluster_gives_the_same_rows(space, traces, tmp_path):
    distributed = pytest.importorskip("distributed")
    sweep(space, traces, tmp_path / "one")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None) as cluster:
        s = sweep(space, traces, tmp_path / "dask", scheduler=cluster.scheduler_address, chunk=6)
    assert s.evaluated == s.points
    by_key = lambda rs: {(r["design_id"], r["workload_id"], r["mode"]): r for r in rs}  # noqa: E731
    assert by_key(rows(tmp_path / "dask")) == by_key(rows(tmp_path / "one"))


def test_a_failing_point_is_named(space, traces, tmp_path, monkeypatch):
    import dataclasses

    def broken(design, prep, *, mode="prefill"):
        raise ZeroDivisionError("boom")

    backend = dataclasses.replace(BACKEND, simulate=broken)
    cfg = SweepConfig(space, (str(traces / "mag"),), str(tmp_path / "out"), jobs=1, progress=False)
    with pytest.raises(RuntimeError, match=r"design dense-\w+ \(id \w{12}\) on workload toy/toytext/activations, mode prefill: ZeroDivisionError: boom"):
        run_sweep(cfg, backend=backend)


def test_table_columns_take_numeric_bool_or_text_types():
    from accelsim.explore.store import Table

    t = Table.from_rows([{"a": 1, "b": 1.5, "c": True, "d": "x", "e": None}, {"a": 2, "b": None, "c": False, "e": None}])
    assert t["a"].dtype == np.int64 and t["c"].dtype == bool and t["d"].tolist() == ["x", None]
    assert np.isnan(t["b"][1]) and np.isnan(t["e"]).all()
    assert len(t.where(t["c"])) == 1


def test_trace_statistics_are_prepared_once_per_trace(space, traces, tmp_path):
    import dataclasses

    calls = []

    def counting_prepare(trace):
        calls.append(trace.run_id)
        return prepare(trace)

    s = run_sweep(SweepConfig(space, (str(traces / "mag"),), str(tmp_path / "o"), jobs=1, chunk=3, progress=False),
                  backend=dataclasses.replace(BACKEND, prepare=counting_prepare))
    assert s.evaluated == s.designs > len(calls)
    assert len(calls) == len(set(calls)) == len(set(load_results(tmp_path / "o")["trace_run_id"]))


def test_two_sweeps_never_share_a_results_directory(space, traces, tmp_path):
    from accelsim.explore.store import ResultStore

    holder = ResultStore(tmp_path / "out")
    holder.out_dir.mkdir(parents=True)
    holder._acquire()  # another sweep is running in this directory
    try:
        with pytest.raises(StoreError, match="in use by another running sweep"):
            sweep(space, traces, tmp_path / "out")
    finally:
        holder.close()
    assert sweep(space, traces, tmp_path / "out").evaluated > 0
