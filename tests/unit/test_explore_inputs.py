"""run_sweep with Designs and Traces built in Python, and the Parquet copy of the results table."""

import json

import numpy as np
import pytest

from accelsim.explore import SpecError, SweepConfig, run_sweep
from accelsim.explore.inputs import space_from_designs, trace_paths
from accelsim.results import load_results
from accelsim.synthetic import synthetic_trace
from tests.support.explore_standin import BACKEND, StandInDesign

SHAPES = [(8, 32, 16), (8, 32, 16)]


def _traces():
    return [synthetic_trace(SHAPES, pattern=p, seed=1) for p in ("dense", "2:4", "8:16")]


def test_designs_and_traces_built_in_python(tmp_path):
    designs = [StandInDesign(name="mine", patterns=("2:4",)), StandInDesign(patterns=("2:4", "4:8", "8:16")),
               StandInDesign(patterns=("2:4", "4:8", "8:16"))]  # fmt: skip  (the third is the second again)
    out = tmp_path / "r"
    s = run_sweep(SweepConfig(designs, _traces(), out, jobs=1, progress=False), backend=BACKEND)
    assert (s.designs, s.workloads, s.evaluated) == (2, 1, 2)
    t = load_results(out)
    names = sorted(t["design_name"])
    assert names[1] == "mine" and names[0].startswith("8:16-")  # the default name "custom" gets the sampled-design form
    # without perplexities the 8:16 core runs its own (widest) pattern, not the equally dense 2:4 trace
    assert dict(zip(t["design_name"], t["trace_pattern"]))[names[0]] == "8:16"
    saved = sorted(p.name for p in (out / "traces").iterdir())
    assert len(saved) == 3 and all(n.startswith("synthetic-") for n in saved)
    again = run_sweep(SweepConfig(designs, _traces(), out, jobs=1, progress=False), backend=BACKEND)
    assert again.evaluated == 0 and sorted(p.name for p in (out / "traces").iterdir()) == saved  # same traces, same dirs: resumed
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["spec"]["source"] == "python" and len(meta["spec"]["design_ids"]) == 2


def test_parquet_beside_rows_equals_the_table(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "r"
    run_sweep(SweepConfig([StandInDesign(patterns=("2:4",))], _traces(), out, jobs=1, progress=False), backend=BACKEND)
    t, p = load_results(out), pq.read_table(out / "results.parquet")
    assert p.column_names == t.columns
    np.testing.assert_array_equal(p.column("area_mm2").to_numpy(), t["area_mm2"])
    assert p.column("design_name").to_pylist() == list(t["design_name"])


def test_bad_python_inputs_name_the_value(tmp_path):
    with pytest.raises(SpecError, match="no design"):
        space_from_designs([])
    with pytest.raises(SpecError, match="'fast'"):
        space_from_designs([StandInDesign()], modes=("fast",))
    with pytest.raises(SpecError, match="max_watts"):
        space_from_designs([StandInDesign()], constraints={"max_watts": 1})
    with pytest.raises(SpecError, match="42"):
        trace_paths([42], tmp_path)
