"""The results store of a sweep: one JSON line per (design, workload, mode), appended as points finish.

Layout of ``results/<name>/``::

    sweep.json     resolved spec, traces (paths, run ids, fingerprints, protocols), versions,
                   and the fingerprint that a resume must match
    rows.jsonl     one flat JSON object per evaluated point; appended, flushed and fsynced
                   chunk by chunk, so a crash loses at most the chunk in flight
    results.csv    the same rows as a table, rewritten atomically when a sweep finishes

Resume reads ``rows.jsonl``, drops a torn last line (a crash mid-write), and skips every
(design_id, workload_id, mode) already present, so rows are never lost or duplicated.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from accelsim.traces import atomic_write_json, atomic_write_text

__all__ = ["ResultStore", "Table", "load_results", "load_meta", "StoreError", "row_key"]

ROWS, META, CSV = "rows.jsonl", "sweep.json", "results.csv"


class StoreError(ValueError):
    """A results directory cannot be resumed (other spec/traces) or is corrupt."""


def row_key(row: dict) -> tuple[str, str, str]:
    return (row["design_id"], row["workload_id"], row["mode"])


def _read_rows(path: Path, repair: bool) -> list[dict]:
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


class ResultStore:
    """Append-only row store in ``out_dir`` (single writer: the process that runs the sweep)."""

    def __init__(self, out_dir: "str | Path"):
        self.out_dir = Path(out_dir)
        self._lock = None

    def _acquire(self) -> None:
        """Hold an exclusive lock on ``out_dir`` so two sweeps never append to one file."""
        import fcntl

        f = open(self.out_dir / ".lock", "a+")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            raise StoreError(f"{self.out_dir} is in use by another running sweep; wait for it or pass another --out") from None
        self._lock = f

    def close(self) -> None:
        """Release the lock (the rows are already on disk)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def open(self, meta: dict[str, Any]) -> set[tuple[str, str, str]]:
        """Start or resume: lock, write ``sweep.json`` (or check it matches) and return the finished keys."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._acquire()
        meta_path = self.out_dir / META
        if meta_path.is_file():
            old = json.loads(meta_path.read_text())
            if old.get("fingerprint") != meta["fingerprint"]:
                self.close()
                raise StoreError(
                    f"{self.out_dir} holds a sweep of another space or other traces (fingerprint {old.get('fingerprint')} "
                    f"!= {meta['fingerprint']}); pass a new --out or delete {self.out_dir}"
                )
        atomic_write_json(meta_path, meta)
        rows = _read_rows(self.out_dir / ROWS, repair=True)
        return {row_key(r) for r in rows}

    def append(self, rows: Iterable[dict[str, Any]]) -> None:
        """Append rows durably (one line each, flushed and fsynced before returning)."""
        # keys keep the row's order (design, workload, figures, breakdowns): results.csv reads left to right
        text = "".join(json.dumps(r, allow_nan=False, default=_json_default) + "\n" for r in rows)
        if not text:
            return
        with open(self.out_dir / ROWS, "a", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())

    def finalize(self) -> Path:
        """Rewrite ``results.csv`` from the rows (atomic rename)."""
        table = load_results(self.out_dir)
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(table.columns)
        for i in range(len(table)):
            w.writerow(["" if _missing(table[c][i]) else table[c][i] for c in table.columns])
        atomic_write_text(self.out_dir / CSV, buf.getvalue())
        return self.out_dir / CSV


def _json_default(x):
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"cannot store {type(x).__name__} {x!r} in a results row")


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


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
            elif all(isinstance(v, int) and not isinstance(v, bool) for v in present) and len(present) == len(vals):
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


def load_results(out_dir: "str | Path") -> Table:
    """The rows of a results directory as a :class:`Table` (read-only; a torn last line is ignored)."""
    out_dir = Path(out_dir)
    if not (out_dir / ROWS).is_file():
        raise StoreError(f"{out_dir} holds no {ROWS}; run `python -m accelsim.explore --out {out_dir}` first")
    return Table.from_rows(_read_rows(out_dir / ROWS, repair=False))


def load_meta(out_dir: "str | Path") -> dict:
    """The ``sweep.json`` provenance of a results directory."""
    p = Path(out_dir) / META
    if not p.is_file():
        raise StoreError(f"{out_dir} holds no {META}; it is not a sweep results directory")
    return json.loads(p.read_text())
