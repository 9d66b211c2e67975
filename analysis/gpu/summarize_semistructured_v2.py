"""Markdown table of dense/2:4 speedups from ``bench_semistructured_v2.py``'s JSON (runs anywhere, no GPU).

    python analysis/gpu/summarize_semistructured_v2.py analysis/data/h200_semistructured_v2.json \
        > analysis/data/h200_semistructured_v2.md
"""

from __future__ import annotations

import json
import sys

COLS = (  # (header, dtype, key)
    ("fp16 act", "float16", "speedup_act_graph"),
    ("fp16 wt", "float16", "speedup_wt_graph"),
    ("fp16 act rot", "float16", "speedup_act_graph_rot"),
    ("fp16 wt rot", "float16", "speedup_wt_graph_rot"),
    ("int8 act", "int8", "speedup_act_graph"),
    ("int8 wt", "int8", "speedup_wt_graph"),
    ("int8 act i32", "int8", "speedup_act_i32_graph"),
    ("int8 wt i32", "int8", "speedup_wt_i32_graph"),
)


def cell(rec: dict | None, key: str) -> str:
    if rec is None:
        return "-"
    if key in rec:
        pad = rec.get("act_padded_rows") if "_act" in key else None
        dpad = rec.get("dense_padded_rows")
        mark = ("ᵖ" if pad else "") + ("ᵈ" if dpad else "")
        return f"{rec[key]:.2f}{mark}"
    sub = key.removeprefix("speedup_")  # e.g. act_i32_graph_rot
    op = sub.split("_graph")[0]  # act, wt, act_i32, wt_i32
    timing = sub[len(op) :]  # _graph or _graph_rot
    if rec.get("safe_mode") and "i32" in op:
        return "skip"
    base = op.split("_")[0]
    blockers = [f"{op}_error", f"{op}{timing}_ms_error", f"dense{timing}_ms_error", f"{base}_padded_error"]
    if f"{base}_padded_rows" not in rec:
        blockers.append(f"{base}_error")
    if any(b in rec for b in blockers) or rec.get("context_lost"):
        return "err"
    return "-"
    if key in rec:
        pad = rec.get("act_padded_rows") if "_act" in key else None
        dpad = rec.get("dense_padded_rows")
        mark = ("ᵖ" if pad else "") + ("ᵈ" if dpad else "")
        return f"{rec[key]:.2f}{mark}"
    sub = key.removeprefix("speedup_")  # e.g. act_i32_graph_rot
    op = sub.split("_graph")[0]  # act, wt, act_i32, wt_i32
    timing = sub[len(op) :]  # _graph or _graph_rot
    blockers = [f"{op}_error", f"{op}{timing}_ms_error", f"dense{timing}_ms_error", f"{op.split('_')[0]}_error"]
    if any(b in rec for b in blockers) or rec.get("context_lost"):
        return "err"
    if rec.get("safe_mode") and "i32" in op:
        return "skip"
    return "-"


def main(path: str) -> int:
    d = json.load(open(path))
    m = d["meta"]
    recs = {(r["dtype"], r["T"], r["K"], r["O"]): r for r in d["records"]}
    shapes = sorted({(r["K"], r["O"], r["T"]) for r in d["records"]}, key=lambda s: (s[0] * s[1] < 4096**2, s))
    print(f"# {m['gpu']}: dense / 2:4 (cuSPARSELt) GEMM speedups\n")
    print(
        f"torch {m['torch']}, CUDA {m['cuda']}, cuSPARSELt {m.get('cusparselt')}, driver "
        f"{m['nvidia_smi'].get('driver_version')}, {m['date_utc']}. {m['protocol']}\n"
    )
    print(
        "Speedup = dense_graph_ms / sparse_graph_ms (CUDA-graph replay); `rot` = over rotating operand sets "
        "(HBM-resident). act = activation X 2:4 along K; wt = weight W 2:4 along K. int8 act/wt: int8 output "
        "(torch default), vs int32-output dense `torch._int_mm`; i32 = `torch._cslt_sparse_mm(out_dtype=int32)`. "
        "ᵖ: X padded with zero rows to cuSPARSELt's minimum (16 fp16, 32 int8); ᵈ: dense int8 padded to 32 rows "
        "(`_int_mm` needs > 16). err: failed, see the JSON; skip: not run (safe-mode rerun after a lost CUDA context).\n"
    )
    print("| K | O | T | " + " | ".join(c[0] for c in COLS) + " |")
    print("|" + "---|" * (3 + len(COLS)))
    for k, o, t in shapes:
        print(f"| {k} | {o} | {t} | " + " | ".join(cell(recs.get((dt, t, k, o)), key) for _, dt, key in COLS) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "analysis/data/h200_semistructured_v2.json"))
