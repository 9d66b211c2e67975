"""The results store of a sweep: one JSON line per (design, workload, mode), appended as points finish.

Layout of ``results/<name>/``::

    sweep.json     resolved spec, traces (paths, run ids, fingerprints, protocols), versions, provenance
                   (git commit or version + source hash), and the fingerprint that a resume must match
    rows.jsonl     one flat JSON object per evaluated point (``code``: the accelsim code that evaluated it); appended, flushed and fsynced
                   chunk by chunk, so a crash loses at most the chunk in flight
    results.csv    the same rows as a table, rewritten atomically when a sweep finishes
    results.parquet  the same table in Parquet (typed columns, fast to load in pandas/polars/DuckDB), written beside
                   the CSV when pyarrow is installed (``pip install 'accelsim[parquet]'``)

Resume reads ``rows.jsonl``, drops a torn last line (a crash mid-write), and skips every
(design_id, workload_id, mode) already present, so rows are never lost or duplicated.

The table those rows load into (``Table``, ``load_results``) lives in :mod:`accelsim.results`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import warnings
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from accelsim.io import LockBusy, atomic_write_bytes, atomic_write_json, atomic_write_text, exclusive_lock
from accelsim.results import META, ROWS, StoreError, Table, load_meta, load_results, read_rows

__all__ = ["ResultStore", "Table", "load_results", "load_meta", "StoreError", "row_key", "write_parquet"]

CSV, PARQUET = "results.csv", "results.parquet"


def row_key(row: dict) -> tuple[str, str, str]:
    return (row["design_id"], row["workload_id"], row["mode"])


class ResultStore:
    """Append-only row store in ``out_dir`` (single writer: the process that runs the sweep)."""

    def __init__(self, out_dir: "str | Path"):
        self.out_dir = Path(out_dir)
        self._lock = None

    def _acquire(self) -> None:
        """Hold an exclusive lock on ``out_dir`` so two sweeps never append to one file."""
        try:
            self._lock = exclusive_lock(self.out_dir / ".lock")
        except LockBusy:
            raise StoreError(f"{self.out_dir} is in use by another running sweep; wait for it or pass another --out") from None

    def close(self) -> None:
        """Release the lock (the rows are already on disk)."""
        if self._lock is not None:
            self._lock.release()
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
            old_code, new_code = (old.get("provenance") or {}).get("code"), (meta.get("provenance") or {}).get("code")
            if old_code and new_code and old_code != new_code:
                warnings.warn(f"{self.out_dir}: resuming a sweep started by other accelsim code ({old_code}, now {new_code}); "
                              "the rows' `code` column tells them apart", stacklevel=3)  # fmt: skip
        atomic_write_json(meta_path, meta)
        rows = read_rows(self.out_dir / ROWS, repair=True)
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
        """Rewrite ``results.csv`` (and ``results.parquet`` when pyarrow is installed) from the rows (atomic rename)."""
        table = load_results(self.out_dir)
        write_parquet(table, self.out_dir / PARQUET)
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(table.columns)
        for i in range(len(table)):
            w.writerow(["" if _missing(table[c][i]) else table[c][i] for c in table.columns])
        atomic_write_text(self.out_dir / CSV, buf.getvalue())
        return self.out_dir / CSV


def write_parquet(table: Table, path: Path) -> bool:
    """Write ``table`` to ``path`` as Parquet (atomic); False, writing nothing, when pyarrow is not installed."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # an optional extra: the JSONL rows and the CSV hold the same table
        return False
    arrow = pa.table({c: pa.array(table[c].tolist() if table[c].dtype == object else table[c]) for c in table.columns})
    buf = pa.BufferOutputStream()
    pq.write_table(arrow, buf)
    atomic_write_bytes(path, buf.getvalue().to_pybytes())
    return True


def _json_default(x):
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"cannot store {type(x).__name__} {x!r} in a results row")


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))
