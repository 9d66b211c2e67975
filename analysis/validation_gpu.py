"""GPU anchors (issue 9): accelsim's ``h200`` / ``h200-2:4`` presets against the project's H200 measurements.

Reference: ``analysis/data/h200_semistructured_v2.json`` (``analysis/gpu/README.md``): dense (``dense_graph_ms``)
against cuSPARSELt with the *activation* X pruned 2:4 along K (``act_graph_ms``: the orientation accelsim models,
X is the 2:4 operand), fp16, one call replayed from a CUDA graph.  Scored points: the Llama-7B shapes
(K x O = 4096 x 4096, 4096 x 11008, 11008 x 4096; T = 1 ... 16384), 21 points in file order.  T = 1 ran padded
to 16 rows (cuSPARSELt's minimum, marked in the data), so the sparse side is simulated at T = 16.  Each point's
reference speedup is its mean over the sessions that measured it (:func:`pooled`: v2 and the repeat sessions below,
the same calls; a geometric mean, as the sessions' scatter is in ln): three sessions for T >= 128, two below.

Left out of the score: the SmolLM2-135M shapes (K, O <= 1536).  They are launch-bound (every dense call under
12 us up to T = 2048) and their speedups jump between neighbouring T (576 x 1536: 1.27 at T = 16, 0.81 at
T = 128, 1.16 at T = 512) by more than any GEMM model can follow; what they do measure is the fixed cost of one
replayed call, and that is what they are used for: the presets' ``launch_overhead_us`` is their median
single-call graph time (T <= 2048), dense and sparse.

Mechanisms, nothing per shape (``accelsim.sim.presets.GPU_CALIBRATION``): the sparse kernel's CTA tile (256 tokens x
128 outputs) and persistent grid (120 CTAs), read from the kernel cuSPARSELt launches (``analysis/data/h200_sign_ci
.json``), give its wave quantisation; a per-CTA DRAM bandwidth makes a call with few tiles slower than the chip's
bandwidth allows.  Three global constants, the sparse kernel's DRAM bandwidth efficiency (``bw_efficiency``), per-CTA
DRAM bandwidth (``core_dram_gb_per_s``) and compute efficiency relative to the dense kernel (``compute_efficiency``),
are fitted on the even-indexed Llama points (grid search, mean absolute relative error against the pooled speedups)
and checked on the odd-indexed ones; both halves are reported.  (Fitted against v2 alone, the same grid picked 0.36,
25 and 0.96: one session's noise of about 7 % then steers the fit, and the held-out sessions of
``validation_gpu_heldout.py`` come out worse: MAE 16.4 % on H200 v1 and 21.5 % on the H100, against 12.5 % and 16.4 %.)

Noise: two later sessions re-measured the shapes (``analysis/data/h200_sign_ci.json``: every shape;
``h200_sign_ci_2.json``: T = 128 ... 16384; 15 interleaved rounds each).  Within a session a speedup repeats
closely (95 % intervals 0.5-5 % wide, 12-19 % for 4096 x 4096 at T <= 256), and the two repeat sessions agree within
a few %, but v2 differs from both by up to 20 % at large T.  Pooled over the 12 points with T >= 512 that all three
sessions measured, one session's ln(speedup) has a standard deviation of :func:`session_sd` (0.068), so a mean over n
sessions has 0.068 / sqrt(n).  The sign anchors count the points right among all 21 (issue 9's target), and among the
points whose pooled speedup lies more than 1.96 of those standard deviations from 1 (the sign the data fix); the
others are listed as "within noise" with every session's value.

Simulation: ``synthetic_trace(shapes=[(T, K, O)], pattern="2:4")`` on ``h200-2:4`` and ``pattern="dense"`` on
``h200``; speedup = dense seconds / sparse seconds.

Dense folds (issue 9; the dense preset against ZigZag and SCALE-Sim on 2048 x 4096 x 4096): see
:data:`DENSE_FOLD_NOTE`.
"""

from __future__ import annotations

import json
import math
import statistics
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "h200_semistructured_v2.json"
REPEATS = tuple(Path(__file__).resolve().parent / "data" / f for f in ("h200_sign_ci.json", "h200_sign_ci_2.json"))
REPEAT = REPEATS[0]  # the full one (every shape, kernels); the second repeats 15 of its shapes
FIGURE = Path(__file__).resolve().parent / "gpu" / "predicted_vs_measured.png"
SOURCE = "analysis/data/h200_semistructured_v2.json (H200, torch 2.11 / cuSPARSELt, CUDA graphs, fp16)"
MAE_TOLERANCE = 0.20

DENSE_FOLD_NOTE = (
    "Dense folds (docs/hardware-anchors.md section 6; analysis/dense_folds.py runs SCALE-Sim's closed form and ZigZag "
    "3.9.1 on the same layer and array). 2048x4096x4096 on 128x128 (the peers' array): accelsim 2,617,344 cycles = 2,048 "
    "folds x (1,024 tokens + R + C - 2), SCALE-Sim 2,488,319 (+5.2 %: one fold per (K-tile, O-tile) with all 2,048 "
    "tokens, but 2R + C - 2 per fold), ZigZag 2,193,899 (+19.3 %: drain once per layer). accelsim's 256 KiB activation "
    "buffer doubles the folds (real); its per-fold fill is right for an array that drains between folds, ZigZag's for a "
    "TPU-like array with double-buffered weights. On accelsim's own dense preset (16x16x8) all three agree within 1.1 %. "
    "Decode (T = 1): accelsim is fill-bound (253,952) where ZigZag is DRAM-bound (168,064); the DRAM-bound answer is "
    "right for a double-buffered array, so accelsim's decode cycles are an upper bound (1.51x)."
)


@lru_cache(maxsize=1)
def records() -> tuple[dict, ...]:
    d = json.loads(DATA.read_text())
    return tuple(r for r in d["records"] if r["dtype"] == "float16" and r["model"].startswith("llama"))


@lru_cache(maxsize=1)
def repeat() -> dict:
    """{(K, O, T): [(speedup, lo, hi) per repeat session]}: mean of the per-round log ratios, t-interval (95 %)."""
    out: dict = {}
    for path in REPEATS:
        for r in json.loads(path.read_text())["records"]:
            lr = round_log_speedups(r)
            half = 2.145 * statistics.stdev(lr) / math.sqrt(len(lr))  # t(0.975, 14 dof): 15 rounds
            m = statistics.mean(lr)
            out.setdefault((r["K"], r["O"], r["T"]), []).append((math.exp(m), math.exp(m - half), math.exp(m + half)))
    return out


def round_log_speedups(r: dict) -> list[float]:
    """ln(dense / sparse) of each round of a repeat-protocol record (``bench_sign_ci.py``: per-round medians)."""
    return [math.log(a / b) for a, b in zip(r["dense_graph_ms_reps"], r["act_graph_ms_reps"])]


def session_sd() -> float:
    """Standard deviation of one session's log speedup, pooled over the points with T >= 512 measured in every
    session (v2 and the repeats): the root of the mean per-point variance across sessions."""
    var = []
    for r in records():
        reps = repeat().get((r["K"], r["O"], r["T"]), [])
        if r["T"] >= 512 and len(reps) == len(REPEATS):
            logs = [math.log(r["dense_graph_ms"] / r["act_graph_ms"])] + [math.log(x[0]) for x in reps]
            var.append(statistics.variance(logs))
    return math.sqrt(statistics.mean(var))


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


def pooled(r: dict) -> tuple[float, int]:
    """(speedup, sessions) of one v2 record: the geometric mean of v2's speedup and the repeat sessions' (each of those
    the mean log ratio of its 15 rounds), the best estimate the three sessions give."""
    logs = [math.log(r["dense_graph_ms"] / r["act_graph_ms"])]
    logs += [math.log(m) for m, _, _ in repeat().get((r["K"], r["O"], r["T"]), [])]
    return math.exp(sum(logs) / len(logs)), len(logs)


def rows(sparse=None) -> list[dict]:
    out, sd = [], session_sd()
    for i, r in enumerate(records()):
        ds, ss = predict(r, sparse=sparse)
        meas, n = pooled(r)
        pred = ds / ss
        out.append({"i": i, "noise": abs(math.log(meas)) < 1.96 * sd / math.sqrt(n), "sessions": n,
                    "measured_v2": r["dense_graph_ms"] / r["act_graph_ms"], "repeat": repeat().get((r["K"], r["O"], r["T"])),
                    "half": "calibration" if i % 2 == 0 else "check", "K": r["K"], "O": r["O"], "T": r["T"],
                    "measured": meas, "predicted": pred, "error": pred / meas - 1.0,
                    "sign_ok": (pred > 1) == (meas > 1), "dense_us": ds * 1e6, "sparse_us": ss * 1e6,
                    "dense_meas_us": r["dense_graph_ms"] * 1e3, "sparse_meas_us": r["act_graph_ms"] * 1e3})  # fmt: skip
    return out


def mae(rs: list[dict]) -> float:
    return sum(abs(r["error"]) for r in rs) / len(rs) if rs else 0.0


def calibrate() -> tuple[float, float, float, float]:
    """(bw_efficiency, core_dram_gb_per_s, compute_efficiency, MAE) minimising MAE over the even-indexed points (their
    pooled speedups: :func:`pooled`)."""
    from accelsim.sim.presets import presets

    recs = [r for i, r in enumerate(records()) if i % 2 == 0]
    dense_s = [predict(r)[0] for r in recs]
    meas = [pooled(r)[0] for r in recs]
    best = None
    for bw in [round(0.20 + 0.02 * i, 2) for i in range(20)]:
        for cb in (20.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 55.0, 60.0, 70.0, 80.0):
            for ce in [round(0.40 + 0.04 * i, 2) for i in range(16)]:
                sp = presets["h200-2:4"].replace(bw_efficiency=bw, core_dram_gb_per_s=cb, compute_efficiency=ce)
                m = statistics.mean(abs(d / predict(r, sparse=sp)[1] / mv - 1) for r, d, mv in zip(recs, dense_s, meas))
                if best is None or m < best[3]:
                    best = (bw, cb, ce, m)
    return best


def _constants_text() -> str:
    from accelsim.sim.presets import GPU_CALIBRATION as c

    return (f"bw_efficiency {c['bw_efficiency_sparse']:g}, core_dram_gb_per_s {c['core_dram_gb_per_s_sparse']:g}, "
            f"compute_efficiency {c['compute_efficiency_sparse']:g}")  # fmt: skip


def _noise_text(r: dict) -> str:
    """One within-noise point: every session's speedup (repeats with their 95 % intervals) and on which side accelsim is."""
    sessions = [r["measured_v2"]] + [m for m, _, _ in r["repeat"] or ()]
    side = sum((r["predicted"] > 1) == (m > 1) for m in sessions)
    reps = ", ".join(f"{m:.3f} [{lo:.3f}, {hi:.3f}]" for m, lo, hi in r["repeat"] or ())
    return (f"T={r['T']} {r['K']}x{r['O']}: pooled {r['measured']:.3f} (v2 {r['measured_v2']:.3f}, repeat sessions {reps}); "
            f"accelsim {r['predicted']:.3f}, on the side of {side} of {len(sessions)} sessions")  # fmt: skip


def gpu_anchors() -> list[dict]:
    """One anchor per scored point, then the summary anchors (MAE per half and overall, sign agreement)."""
    rs = rows()
    out = []
    for r in rs:
        out.append({
            "anchor": f"H200 2:4 act vs dense, fp16, T={r['T']} K={r['K']} O={r['O']} ({r['half']})",
            "reference": round(r["measured"], 3), "accelsim": round(r["predicted"], 3), "error": round(r["error"], 3),
            "tolerance": "sign of speedup - 1" + (" (within noise: not scored)" if r["noise"] else ""), "source": SOURCE,
            **({} if r["noise"] else {"pass": r["sign_ok"]}),
            "note": f"pooled over {r['sessions']} sessions (v2 alone {r['measured_v2']:.3f}); dense {r['dense_us']:.1f} us "
                    f"(v2 measured {r['dense_meas_us']:.1f}), 2:4 {r['sparse_us']:.1f} us (v2 measured {r['sparse_meas_us']:.1f})",
        })  # fmt: skip
    for half in ("calibration", "check", "all"):
        sub = [r for r in rs if half == "all" or r["half"] == half]
        out.append({
            "anchor": f"H200 2:4 act vs dense, Llama-7B shapes, mean abs error ({half}: {len(sub)} points)",
            "reference": 0.0, "accelsim": round(mae(sub), 3), "error": round(mae(sub), 3), "tolerance": MAE_TOLERANCE,
            "source": SOURCE,
            "note": "calibration = even-indexed points (file order), check = odd-indexed; the three global constants of "
                    f"h200-2:4 ({_constants_text()}) are fitted on the "
                    "calibration half only; its CTA tile and grid are read from the profiled kernel, not fitted; SmolLM2 "
                    "shapes left out (launch-bound, noisy) and used only for the launch overheads",
        })  # fmt: skip
    firm = [r for r in rs if not r["noise"]]
    ok = sum(r["sign_ok"] for r in firm)
    noisy = "; ".join(_noise_text(r) for r in rs if r["noise"])
    every = sum(r["sign_ok"] for r in rs)
    out.append({"anchor": f"H200 2:4 act vs dense: sign of (speedup - 1) right on every shape ({len(rs)} points, pooled speedups)",
                "reference": len(rs), "accelsim": every, "error": (every - len(rs)) / len(rs), "tolerance": "all points",
                "pass": every == len(rs), "source": SOURCE + "; repeats: analysis/data/h200_sign_ci.json, h200_sign_ci_2.json",
                "note": "against v2 alone: " + f"{sum((r['predicted'] > 1) == (r['measured_v2'] > 1) for r in rs)} of {len(rs)}"
                        + "".join(f"; T={r['T']} {r['K']}x{r['O']}: v2 {r['measured_v2']:.3f}, pooled {r['measured']:.3f}, "
                                  f"accelsim {r['predicted']:.3f}" for r in rs
                                  if (r["predicted"] > 1) != (r["measured_v2"] > 1))})  # fmt: skip
    out.append({"anchor": f"H200 2:4 act vs dense: sign of (speedup - 1) right where the data fix it ({len(firm)} of {len(rs)} points)",
                "reference": len(firm), "accelsim": ok, "error": (ok - len(firm)) / len(firm), "tolerance": "all such points", "pass": ok == len(firm),
                "source": SOURCE + "; repeat: analysis/data/h200_sign_ci.json",
                "note": f"all points: {every} of {len(rs)} right. Within noise (|ln pooled| < 1.96 x {session_sd():.3f} / "
                        f"sqrt(sessions), {session_sd():.3f} the between-session sd of a log speedup): {noisy or 'none'}"})  # fmt: skip
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
    nz = [r for r in rs if r["noise"]]
    ax.scatter([r["measured"] for r in nz], [r["predicted"] for r in nz], s=160, facecolors="none", edgecolors="red",
               label="sign within noise")  # fmt: skip
    title = (f"Llama-7B shapes, MAE {mae(rs):.1%} (calibration {mae([r for r in rs if r['half'] == 'calibration']):.1%}, "
             f"check {mae([r for r in rs if r['half'] == 'check']):.1%})")  # fmt: skip
    return finish_speedup_figure(fig, ax, path, "measured speedup, H200 (dense / 2:4 act, CUDA graph; mean of sessions)",
                                 "accelsim h200-2:4 vs h200", title)  # fmt: skip


def finish_speedup_figure(fig, ax, path: Path, xlabel: str, ylabel: str, title: str) -> Path:
    """The y = x line, the speedup-1 guides, labels and legend of a predicted-vs-measured plot; saved to path."""
    import matplotlib.pyplot as plt

    lo, hi = 0.3, 2.2
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="y = x")
    ax.axhline(1, color="grey", lw=0.5)
    ax.axvline(1, color="grey", lw=0.5)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


if __name__ == "__main__":
    import sys

    if "--calibrate" in sys.argv:
        print("launch overheads (dense, sparse) us:", launch_overheads_us())
        print("bw_efficiency, core_dram_gb_per_s, compute_efficiency, MAE (calibration half):", calibrate(), "; presets:", _constants_text())
    for a in gpu_anchors():
        print(a["anchor"], "|", a["reference"], "|", a["accelsim"], "|", a["error"])
    print(figure())
