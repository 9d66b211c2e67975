"""The explore-to-report boundary: the tidy results table of a sweep, its loading, and Pareto selection.

``explore`` writes ``results/<name>/rows.jsonl`` and ``sweep.json``; everything downstream (the
report, notebooks, a user's own analysis) reads them through this module and nothing else::

    from accelsim.results import load_results, pareto_mask
    t = load_results("results/quick")
    small_and_fast = t.where(pareto_mask(np.column_stack([t["area_mm2"], t["cycles_per_token"]])))

A results directory holds ``sweep.json`` (the resolved spec, traces, versions) and ``rows.jsonl``
(one flat JSON object per evaluated (design, workload, mode)); ``accelsim.explore.store``
writes them.  A torn last line (a crash mid-append) is not a row.

A point ``p`` dominates ``q`` when it is no worse in every objective and strictly better in
at least one (the usual definition, e.g. K. Deb, *Multi-Objective Optimization using
Evolutionary Algorithms*, Wiley 2001, def. 2.5).  Equal points do not dominate each other,
so duplicates on a front are all kept.

Only NumPy: no torch, no simulator, no plotting.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np

__all__ = [
    "FRONT_OBJECTIVES", "META", "ROWS", "StoreError", "Table", "accuracy_column", "front_rows", "has_accuracy",
    "load_meta", "load_results", "objective", "pareto_mask", "read_rows", "select",
]

ROWS, META = "rows.jsonl", "sweep.json"


class StoreError(ValueError):
    """A results directory cannot be read or resumed (missing, other spec/traces, or corrupt)."""


def read_rows(path: Path, repair: bool = False) -> list[dict]:
    """The JSON rows of ``path`` (none when it does not exist); a torn last line is dropped.

    repair: also truncate the torn line from the file (only the single writer of the file may).
    """
    if not path.is_file():
        return []
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):  # torn last line: the write it belonged to never finished
        data = data[: data.rfind(b"\n") + 1]
        if repair:
            with open(path, "r+b") as f:
                f.truncate(len(data))
                os.fsync(f.fileno())
    rows = []
    for i, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except ValueError as e:
            raise StoreError(f"{path}:{i} is not a JSON row ({e}); the file is corrupt, move it away and rerun") from None
    return rows


class Table:
    """Column table of results: ``t["area_mm2"]`` is a NumPy array, ``t.where(mask)`` filters rows.

    Numeric columns are float64 (missing = NaN) or int64, flags bool, everything else object (str).
    """

    def __init__(self, columns: dict[str, np.ndarray]):
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns have different lengths: {sorted(lengths)}")
        self._cols = columns

    @classmethod
    def from_rows(cls, rows: list[dict]) -> "Table":
        names: list[str] = []
        for r in rows:
            names.extend(k for k in r if k not in names)
        cols = {}
        for n in names:
            vals = [r.get(n) for r in rows]
            present = [v for v in vals if v is not None]
            if not present:  # a figure nobody reported (e.g. accuracy of synthetic traces): missing, not text
                cols[n] = np.full(len(vals), np.nan)
            elif all(isinstance(v, bool) for v in present):
                cols[n] = np.array([bool(v) for v in vals])
            elif (all(isinstance(v, int) and not isinstance(v, bool) for v in present) and len(present) == len(vals)
                  and all(-(2**63) <= v < 2**63 for v in present)):  # fmt: skip  (wider integers become float64)
                cols[n] = np.array(vals, dtype=np.int64)
            elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
                cols[n] = np.array([np.nan if v is None else float(v) for v in vals])
            else:
                cols[n] = np.array(vals, dtype=object)
        return cls(cols)

    @property
    def columns(self) -> list[str]:
        return list(self._cols)

    def __len__(self) -> int:
        return len(next(iter(self._cols.values()))) if self._cols else 0

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self._cols[name]
        except KeyError:
            raise KeyError(f"no column {name!r}; columns: {', '.join(self._cols)}") from None

    def __contains__(self, name: str) -> bool:
        return name in self._cols

    def get(self, name: str, default: float = np.nan) -> np.ndarray:
        """Column ``name``, or a column full of ``default`` when absent."""
        return self._cols[name] if name in self._cols else np.full(len(self), default)

    def where(self, mask: np.ndarray) -> "Table":
        return Table({k: v[mask] for k, v in self._cols.items()})

    def prefixed(self, prefix: str) -> list[str]:
        return [c for c in self._cols if c.startswith(prefix)]

    def with_column(self, name: str, values: np.ndarray) -> "Table":
        """A new table with ``name`` added (or replaced)."""
        return Table({**self._cols, name: np.asarray(values)})

    def __repr__(self) -> str:
        cols = list(self._cols)
        shown = ", ".join(cols[:6]) + (f", ... (+{len(cols) - 6})" if len(cols) > 6 else "")
        return f"Table({len(self)} rows x {len(cols)} columns: {shown})"

    def to_pandas(self):
        """The table as a ``pandas.DataFrame`` (columns in order; needs pandas: ``pip install pandas``)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("Table.to_pandas needs pandas: pip install pandas (or pip install -e '.[pandas]')") from None
        return pd.DataFrame({k: v for k, v in self._cols.items()})


def load_results(out_dir: "str | Path") -> Table:
    """The rows of a results directory as a :class:`Table` (read-only; a torn last line is ignored)."""
    out_dir = Path(out_dir)
    if not (out_dir / ROWS).is_file():
        raise StoreError(f"{out_dir} holds no {ROWS}; run `python -m accelsim.explore --out {out_dir}` first")
    return Table.from_rows(read_rows(out_dir / ROWS))


def load_meta(out_dir: "str | Path") -> dict:
    """The ``sweep.json`` provenance of a results directory."""
    p = Path(out_dir) / META
    if not p.is_file():
        raise StoreError(f"{out_dir} holds no {META}; it is not a sweep results directory")
    return json.loads(p.read_text())


def select(table: Table, workload: str | None = None, mode: str | None = None, feasible_only: bool = True) -> Table:
    """Rows of one workload and mode (first workload, and prefill when present, by default); feasible ones only."""
    if len(table) == 0:
        raise ValueError("the results table is empty; run a sweep first")
    workload = workload or sorted(set(table["workload_id"]))[0]
    modes = set(table["mode"])
    mode = mode or ("prefill" if "prefill" in modes else sorted(modes)[0])
    mask = (table["workload_id"] == workload) & (table["mode"] == mode)
    if feasible_only and "feasible" in table:
        mask &= table["feasible"].astype(bool)
    if not mask.any():
        raise ValueError(f"no feasible rows for workload {workload!r}, mode {mode!r}")
    return table.where(mask)


# ---------------------------------------------------------------- Pareto selection

#: the main front: no other design is at least as good in accuracy, area, energy and speed (all minimised)
FRONT_OBJECTIVES = ("ppl_delta", "area_mm2", "energy_per_token_j", "cycles_per_token")


def _orient(points: np.ndarray, minimize: "bool | Sequence[bool]") -> np.ndarray:
    d = points.shape[1]
    if isinstance(minimize, (bool, np.bool_)):
        signs = np.full(d, 1.0 if minimize else -1.0)
    else:
        flags = list(minimize)
        if len(flags) != d:
            raise ValueError(f"minimize has {len(flags)} flags but points have {d} objectives (columns)")
        signs = np.array([1.0 if bool(f) else -1.0 for f in flags])
    return points * signs


def pareto_mask(points: "np.ndarray | Sequence[Sequence[float]]", minimize: "bool | Sequence[bool]" = True) -> np.ndarray:
    """Which points are not dominated by any other point.

    points: float [n, d], one row per design point, one column per objective.
    minimize: one bool for all objectives, or one per column (False = maximise that column).
    Returns bool [n], True on the Pareto front.  Raises ValueError on NaN or a bad shape.

    Simple cull: visit points in lexicographic order and drop everything the visited
    point dominates.  Dominance is transitive, so each dominated point is dropped by some
    front point; cost O(n * front size * d).
    """
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError(f"points must be a 2-D array [n, d], got shape {p.shape}")
    n = p.shape[0]
    if n == 0:
        return np.zeros(0, dtype=bool)
    if np.isnan(p).any():
        bad = np.argwhere(np.isnan(p))[0]
        raise ValueError(f"points contain NaN (first at row {bad[0]}, column {bad[1]}); drop or fill those rows first")
    q = _orient(p, minimize)
    keep = np.ones(n, dtype=bool)
    for i in np.lexsort(q.T[::-1]):
        if not keep[i]:
            continue
        dominated = np.all(q[i] <= q, axis=1) & np.any(q[i] < q, axis=1)
        keep[dominated] = False
    return keep


def accuracy_column(t: Table) -> tuple[str, str]:
    """("ppl_delta", label) when a dense reference exists, else ("perplexity", label)."""
    if "ppl_delta" in t and np.isfinite(t.get("ppl_delta").astype(float)).any():
        return "ppl_delta", "perplexity change vs dense"
    return "perplexity", "perplexity (no dense reference trace)"


def objective(t: Table, col: str) -> np.ndarray:
    """Column ``col`` as float; "ppl_delta" stands for whichever accuracy column the table has."""
    if col == "ppl_delta":
        col = accuracy_column(t)[0]
    return t.get(col).astype(float)


def has_accuracy(t: Table) -> bool:
    """True when some row carries a perplexity (synthetic traces usually do not)."""
    return bool(np.isfinite(objective(t, "ppl_delta")).any())


def front_rows(t: Table, objectives=FRONT_OBJECTIVES) -> np.ndarray:
    """Boolean mask of rows on the Pareto front of ``objectives`` (all minimised; NaN rows excluded).

    When no row carries an accuracy, the accuracy objective is left out (a hardware-only front).
    """
    if not has_accuracy(t):
        objectives = [c for c in objectives if c not in ("ppl_delta", "perplexity")] or ["area_mm2"]
    pts = np.column_stack([objective(t, c) for c in objectives])
    ok = np.isfinite(pts).all(axis=1)
    mask = np.zeros(len(t), dtype=bool)
    mask[ok] = pareto_mask(pts[ok], minimize=True)
    return mask
