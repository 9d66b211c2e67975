"""GPU anchors (issue 9): accelsim's ``h200`` / ``h200-2:4`` presets against the project's H200 measurements.

Reference: ``analysis/data/h200_semistructured_v2.json`` (``analysis/gpu/README.md``): dense (``dense_graph_ms``)
against cuSPARSELt with the *activation* X pruned 2:4 along K (``act_graph_ms``: the orientation accelsim models,
X is the 2:4 operand), fp16, one call replayed from a CUDA graph.  Scored points: the Llama-7B shapes
(K x O = 4096 x 4096, 4096 x 11008, 11008 x 4096; T = 1 ... 16384), 21 points in file order.  T = 1 ran padded
to 16 rows (cuSPARSELt's minimum, marked in the data), so the sparse side is simulated at T = 16.

Left out of the score: the SmolLM2-135M shapes (K, O <= 1536).  They are launch-bound (every dense call under
12 us up to T = 2048) and their speedups jump between neighbouring T (576 x 1536: 1.27 at T = 16, 0.81 at
T = 128, 1.16 at T = 512) by more than any GEMM model can follow; what they do measure is the fixed cost of one
replayed call, and that is what they are used for: the presets' ``launch_overhead_us`` is their median
single-call graph time (T <= 2048), dense and sparse.

Global constants, nothing per shape (``accelsim.sim.presets.GPU_CALIBRATION``): the sparse kernel's DRAM
bandwidth efficiency (``bw_efficiency``) and its compute efficiency relative to the dense kernel
(``compute_efficiency``), fitted on the even-indexed Llama points (grid search, mean absolute relative error)
and checked on the odd-indexed ones; both halves are reported.

Simulation: ``synthetic_trace(shapes=[(T, K, O)], pattern="2:4")`` on ``h200-2:4`` and ``pattern="dense"`` on
``h200``; speedup = dense seconds / sparse seconds.

Dense folds (issue 9; the dense preset against ZigZag and SCALE-Sim on 2048 x 4096 x 4096): see
:data:`DENSE_FOLD_NOTE`.
"""

from __future__ import annotations

import json
import statistics
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "h200_semistructured_v2.json"
FIGURE = Path(__file__).resolve().parent / "gpu" / "predicted_vs_measured.png"
SOURCE = "analysis/data/h200_semistructured_v2.json (H200, torch 2.11 / cuSPARSELt, CUDA graphs, fp16)"
MAE_TOLERANCE = 0.20

DENSE_FOLD_NOTE = (
    "Dense folds, 2048x4096x4096 on the dense preset (16x16 PEs x 8 lanes, WS, 256 KiB activation buffer): a token "
    "block is tb = 256 KiB / (2 x 128 B) = 1024 tokens, so the GEMM runs 2 blocks x 32 K-tiles x 256 O-tiles = 16384 "
    "folds of tb + 30 fill/drain cycles: 17.3 M cycles. SCALE-Sim's closed form folds x (2R + C + T - 2) - 1 streams "
    "all T = 2048 rows through each of the 8192 (K-tile, O-tile) folds and pays the fill (2R + C - 2 = 46) once per "
    "fold: 17.15 M; accelsim is above it (about 1 %-5 % by block size) because it refills the array for every "
    "activation-buffer block, which is right for a core whose activation buffer cannot hold all T rows of a K-slice "
    "(SCALE-Sim assumes an unbounded operand SRAM stream). ZigZag's 15-18 % lower figure comes from its temporal "
    "mapping: it overlaps the fill of one fold with the drain of the previous (steady-state pipelining across folds) "
    "and picks the loop order that minimises stalls; accelsim charges fill and drain per fold, unoverlapped, which "
    "matches a weight-stationary array that must load a new weight tile before the first token of a fold enters "
    "(SCALE-Sim does the same). Both accountings are defensible; accelsim keeps the per-fold charge (no double "
    "buffering of weights inside the PEs is modelled), so its dense cycles are an upper bound of ZigZag's. "
    "Decode (T = 1): accelsim is fill-bound only without a DRAM roofline that binds; each token pays fill + 1 cycle "
    "per fold, 8192 folds x 31 = 254 k cycles against 4096 x 4096 weights of 16.8 MB = 168 k cycles at 100 GB/s "
    "and 1 GHz, so the fill wins in accelsim, whereas ZigZag's DRAM-bound answer assumes the fill overlaps the weight "
    "load. For decode the DRAM-bound answer is the right one on a core that double-buffers weight tiles (the next "
    "fold's weights stream in while the current fold drains); accelsim's fill-bound figure is right for a single-"
    "buffered weight-stationary array. Accounting unchanged here; the difference is a modelling choice, stated."
)


@lru_cache(maxsize=1)
def records() -> tuple[dict, ...]:
    d = json.loads(DATA.read_text())
    return tuple(r for r in d["records"] if r["dtype"] == "float16" and r["model"].startswith("llama"))


def launch_overheads_us() -> tuple[float, float]:
    """(dense, sparse) median single-call graph time of the SmolLM2 fp16 shapes up to T = 2048, in us."""
    d = json.loads(DATA.read_text())
    sm = [r for r in d["records"] if r["dtype"] == "float16" and r["model"].startswith("smollm2") and r["T"] <= 2048]
    return statistics.median(r["dense_graph_ms"] for r in sm) * 1e3, statistics.median(r["act_graph_ms"] for r in sm) * 1e3


@lru_cache(maxsize=None)
def _prepared(t: int, k: int, o: int, pattern: str):
    from accelsim import synthetic_trace
    from accelsim.sim.prepared import prepare

    return prepare(synthetic_trace(shapes=[(t, k, o)], pattern=pattern, seed=0))


def predict(rec: dict, dense=None, sparse=None) -> tuple[float, float]:
    """(dense seconds, sparse seconds) of one record on the h200 / h200-2:4 presets (or the designs given)."""
    from accelsim.sim import simulate
    from accelsim.sim.presets import presets

    dense = dense or presets["h200"]
    sparse = sparse or presets["h200-2:4"]
    t, k, o = rec["T"], rec["K"], rec["O"]
    a = simulate(dense, _prepared(t, k, o, "dense"))
    b = simulate(sparse, _prepared(max(t, 16), k, o, "2:4"))
    return a.seconds, b.seconds


def rows(sparse=None) -> list[dict]:
    out = []
    for i, r in enumerate(records()):
        ds, ss = predict(r, sparse=sparse)
        meas = r["dense_graph_ms"] / r["act_graph_ms"]
        pred = ds / ss
        out.append({"i": i, "half": "calibration" if i % 2 == 0 else "check", "K": r["K"], "O": r["O"], "T": r["T"],
                    "measured": meas, "predicted": pred, "error": pred / meas - 1.0,
                    "sign_ok": (pred > 1) == (meas > 1), "dense_us": ds * 1e6, "sparse_us": ss * 1e6,
                    "dense_meas_us": r["dense_graph_ms"] * 1e3, "sparse_meas_us": r["act_graph_ms"] * 1e3})  # fmt: skip
    return out


def mae(rs: list[dict]) -> float:
    return sum(abs(r["error"]) for r in rs) / len(rs) if rs else 0.0


def calibrate(bw_grid=None, ce_grid=None) -> tuple[float, float, float]:
    """(bw_efficiency, compute_efficiency, MAE) minimising MAE over the even-indexed (calibration) points."""
    from accelsim.sim.presets import presets

    bw_grid = bw_grid or [round(0.10 + 0.02 * i, 2) for i in range(21)]
    ce_grid = ce_grid or [round(0.70 + 0.02 * i, 2) for i in range(16)]
    recs = [r for i, r in enumerate(records()) if i % 2 == 0]
    dense_s = [predict(r)[0] for r in recs]
    best = None
    for bw in bw_grid:
        for ce in ce_grid:
            sp = presets["h200-2:4"].replace(bw_efficiency=bw, compute_efficiency=ce)
            errs = [abs(d / predict(r, sparse=sp)[1] / (r["dense_graph_ms"] / r["act_graph_ms"]) - 1) for r, d in zip(recs, dense_s)]
            m = sum(errs) / len(errs)
            if best is None or m < best[2]:
                best = (bw, ce, m)
    return best


def gpu_anchors() -> list[dict]:
    """One anchor per scored point, then the summary anchors (MAE per half and overall, sign agreement)."""
    rs = rows()
    out = []
    for r in rs:
        out.append({
            "anchor": f"H200 2:4 act vs dense, fp16, T={r['T']} K={r['K']} O={r['O']} ({r['half']})",
            "reference": round(r["measured"], 3), "accelsim": round(r["predicted"], 3), "error": round(r["error"], 3),
            "tolerance": "sign of speedup - 1", "source": SOURCE,
            "note": f"dense {r['dense_us']:.1f} us (measured {r['dense_meas_us']:.1f}), 2:4 {r['sparse_us']:.1f} us "
                    f"(measured {r['sparse_meas_us']:.1f})",
        })  # fmt: skip
    for half in ("calibration", "check", "all"):
        sub = [r for r in rs if half == "all" or r["half"] == half]
        out.append({
            "anchor": f"H200 2:4 act vs dense, Llama-7B shapes, mean abs error ({half}: {len(sub)} points)",
            "reference": 0.0, "accelsim": round(mae(sub), 3), "error": round(mae(sub), 3), "tolerance": MAE_TOLERANCE,
            "source": SOURCE,
            "note": "calibration = even-indexed points (file order), check = odd-indexed; SmolLM2 shapes left out "
                    "(launch-bound, noisy) and used only for the launch overheads",
        })  # fmt: skip
    ok = sum(r["sign_ok"] for r in rs)
    out.append({"anchor": "H200 2:4 act vs dense: sign of (speedup - 1) right", "reference": len(rs), "accelsim": ok,
                "error": (ok - len(rs)) / len(rs), "tolerance": "all points", "source": SOURCE,
                "note": "points with a wrong sign: " + ", ".join(f"T={r['T']} {r['K']}x{r['O']}" for r in rs if not r["sign_ok"])})  # fmt: skip
    out.append({"anchor": "dense folds vs ZigZag / SCALE-Sim (2048x4096x4096)", "reference": None, "accelsim": None,
                "error": None, "tolerance": None, "source": "issue 9", "note": DENSE_FOLD_NOTE})  # fmt: skip
    return out


def figure(path: Path = FIGURE) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rs = rows()
    fig, ax = plt.subplots(figsize=(5, 5))
    for half, mk in (("calibration", "o"), ("check", "s")):
        sub = [r for r in rs if r["half"] == half]
        ax.scatter([r["measured"] for r in sub], [r["predicted"] for r in sub], marker=mk, label=f"{half} half")
    lo, hi = 0.3, 2.2
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="y = x")
    ax.axhline(1, color="grey", lw=0.5)
    ax.axvline(1, color="grey", lw=0.5)
    ax.set_xlabel("measured speedup, H200 (dense / 2:4 act, CUDA graph)")
    ax.set_ylabel("accelsim h200-2:4 vs h200")
    ax.set_title(f"Llama-7B shapes, MAE {mae(rs):.1%}")
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


if __name__ == "__main__":
    import sys

    if "--calibrate" in sys.argv:
        print("launch overheads (dense, sparse) us:", launch_overheads_us())
        print("bw_efficiency, compute_efficiency, MAE (calibration half):", calibrate())  # 0.18, 0.86
    for a in gpu_anchors():
        print(a["anchor"], "|", a["reference"], "|", a["accelsim"], "|", a["error"])
    print(figure())
