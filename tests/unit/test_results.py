"""accelsim.results: pareto_mask against a brute-force definition of dominance (property-based), fronts of a table, loading rows."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from accelsim.results import (
    StoreError,
    Table,
    accuracy_column,
    front_rows,
    has_accuracy,
    load_meta,
    load_results,
    pareto_mask,
    read_rows,
)


def brute_force(points, minimize):
    """Row i is on the front iff no row j is <= in every column and < in one (after orienting)."""
    p = np.asarray(points, dtype=float) * np.where(np.asarray(minimize), 1.0, -1.0)
    n = len(p)
    return np.array([not any(np.all(p[j] <= p[i]) and np.any(p[j] < p[i]) for j in range(n) if j != i) for i in range(n)], dtype=bool)


@st.composite
def point_sets(draw):
    n = draw(st.integers(0, 40))
    d = draw(st.integers(1, 4))
    # small integer grid: many ties and duplicates, the cases a sloppy implementation gets wrong
    pts = draw(hnp.arrays(np.float64, (n, d), elements=st.integers(0, 5).map(float)))
    minimize = draw(st.lists(st.booleans(), min_size=d, max_size=d))
    return pts, minimize


@settings(max_examples=300, deadline=None, database=None)
@given(point_sets())
def test_matches_brute_force(case):
    pts, minimize = case
    np.testing.assert_array_equal(pareto_mask(pts, minimize=minimize), brute_force(pts, minimize))


@settings(max_examples=100, deadline=None, database=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 3)), elements=st.floats(-1e6, 1e6)))
def test_front_is_nonempty_and_mutually_nondominated(pts):
    mask = pareto_mask(pts)
    assert mask.any()
    front = pts[mask]
    assert brute_force(front, [True] * pts.shape[1]).all()


def test_known_example():
    # (area, energy): (1,5) (2,2) (5,1) trade off; (3,3) is dominated by (2,2); the duplicate (2,2) stays.
    pts = np.array([[1, 5], [2, 2], [5, 1], [3, 3], [2, 2]])
    assert pareto_mask(pts).tolist() == [True, True, True, False, True]
    # maximising the second column instead: (1, 5) has the smallest x and the largest y, so it dominates all others
    assert pareto_mask(pts, minimize=[True, False]).tolist() == [True, False, False, False, False]


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="NaN"):
        pareto_mask([[1.0, np.nan]])
    with pytest.raises(ValueError, match="2-D"):
        pareto_mask([1.0, 2.0])
    with pytest.raises(ValueError, match="minimize has 1 flags"):
        pareto_mask([[1.0, 2.0]], minimize=[True])


def test_front_rows_leave_out_accuracy_when_no_row_has_one_and_skip_nan_rows():
    # (area, energy, cycles): row 2 is dominated by row 0; row 3 would dominate everything but has no energy
    cols = {"area_mm2": np.array([1.0, 2.0, 3.0, 0.5]), "energy_per_token_j": np.array([2.0, 1.0, 3.0, np.nan]),
            "cycles_per_token": np.array([1.0, 1.0, 1.0, 0.1]), "ppl_delta": np.full(4, np.nan)}  # fmt: skip
    t = Table(cols)
    assert not has_accuracy(t)
    assert front_rows(t).tolist() == [True, True, False, False]
    # with an accuracy, row 2 (the most accurate) joins the front
    t = Table({**cols, "ppl_delta": np.array([3.0, 3.0, 1.0, 0.0])})
    assert accuracy_column(t)[0] == "ppl_delta" and front_rows(t).tolist() == [True, True, True, False]


def test_a_torn_last_line_is_not_a_row(tmp_path):
    (tmp_path / "rows.jsonl").write_bytes(b'{"a": 1, "b": 2.5}\n{"a": 2, "b": null}\n{"a": 3, "b"')
    t = load_results(tmp_path)
    assert t["a"].tolist() == [1, 2] and t["a"].dtype == np.int64
    assert t["b"][0] == 2.5 and np.isnan(t["b"][1])
    assert (tmp_path / "rows.jsonl").read_bytes().endswith(b'"b"')  # reading never repairs the file
    read_rows(tmp_path / "rows.jsonl", repair=True)
    assert (tmp_path / "rows.jsonl").read_bytes().endswith(b"null}\n")
    (tmp_path / "rows.jsonl").write_bytes(b"not json\n")
    with pytest.raises(StoreError, match="rows.jsonl:1 is not a JSON row"):
        load_results(tmp_path)
    with pytest.raises(StoreError, match="holds no sweep.json"):
        load_meta(tmp_path)


def test_table_repr_is_short_and_to_pandas_keeps_every_value():
    pd = pytest.importorskip("pandas")
    t = Table.from_rows([{"design_id": "a", "area_mm2": 1.5, "cycles": 10}, {"design_id": "b", "area_mm2": 2.5, "cycles": 20}])
    assert repr(t) == "Table(2 rows x 3 columns: design_id, area_mm2, cycles)"
    df = t.to_pandas()
    assert isinstance(df, pd.DataFrame) and list(df.columns) == t.columns
    for c in t.columns:
        assert list(df[c]) == list(t[c])
