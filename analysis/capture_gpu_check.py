"""GPU check of capture (issue 11, item 1): masks and perplexity on CUDA against the CPU, and GPU throughput.

    python analysis/capture_gpu_check.py --out analysis/data/capture_gpu_check.json        # on a machine with a GPU
    python analysis/capture_gpu_check.py --smoke --out /tmp/check.json                    # CPU only, tiny sizes

No download: the models are Llama configs with random weights (seeded) and a byte tokenizer on a generated
pseudo-English text.  Three parts:

1. **Masks on identical inputs.**  The inputs of every target layer of a small model on one window (float32, CPU)
   are cast to each dtype; the mask of each criterion and pattern is computed on the CPU (Numba route), on the
   GPU (torch sort / top-k route) and by the NumPy specification on the CPU scores; counts of differing bits.
2. **Perplexity**: ``capture()`` runs dense, 2:4, 8:16 on the CPU and on the GPU (float32; bf16 too), same windows.
3. **Throughput**: a ~1B-parameter Llama config in bf16 on the GPU: tokens/s per pattern after the first batch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = "cuda"  # the device under test; --smoke on a machine without a GPU uses "cpu" (the torch route of the masks)
sys.path.insert(0, str(ROOT))

WORDS = ("the of and a to in is was he for it with as his on be at by had are but from or have an they which one you were "
         "her all she there would their we him been has when who will more no if out so said what up its about into than").split()


def corpus(path: Path, chars: int) -> Path:
    import numpy as np

    rng = np.random.default_rng(1)
    text = " ".join(WORDS[i] for i in rng.integers(0, len(WORDS), chars // 4))
    path.write_text("\n".join(text[i : i + 80] for i in range(0, len(text), 80)))
    return path


def llama(hidden: int, layers: int, inter: int, heads: int, kv: int, vocab: int = 256, seed: int = 0):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from accelsim.capture.models import LoadedModel, ModelSpec
    from tests.support.capture_tiny import TARGET_LEAVES, ByteTokenizer

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=inter, num_hidden_layers=layers,
                      num_attention_heads=heads, num_key_value_heads=kv, max_position_embeddings=4096)
    model = LlamaForCausalLM(cfg).float().eval()
    spec = ModelSpec(name=f"llama-h{hidden}-l{layers}", hub_id="random-init", architecture="llama", sparsify=TARGET_LEAVES,
                     source="local")
    n = sum(p.numel() for p in model.parameters())
    info = {"id": spec.name, "weights_sha256": "random-init", "architecture": "LlamaForCausalLM", "parameters": n}
    return LoadedModel(model=model, tokenizer=ByteTokenizer(vocab), spec=spec, info=info)


def layer_inputs(lm, ids) -> dict:
    """float32 CPU input [T, K] of every target layer on ``ids``."""
    import torch

    from accelsim.capture.models import find_targets

    got, handles = {}, []
    mods = dict(lm.model.named_modules())
    for n in find_targets(lm.model, lm.spec.sparsify):
        handles.append(mods[n].register_forward_pre_hook(lambda m, a, n=n: got.__setitem__(n, a[0].reshape(-1, a[0].shape[-1]).detach().clone())))
    with torch.no_grad():
        lm.model(input_ids=ids)
    for h in handles:
        h.remove()
    return got


def mask_check(lm, ids, patterns, dtypes) -> dict:
    import torch

    from accelsim import methods
    from accelsim.capture.criteria import column_factor, score
    from accelsim.masks import topn_mask, topn_mask_torch
    from accelsim.patterns import Pattern

    xs = layer_inputs(lm, ids)
    mods = dict(lm.model.named_modules())
    out = {}
    for dt_name in dtypes:
        dt = getattr(torch, dt_name)
        for crit in ("magnitude", "wanda", "amber", "clact"):
            c = methods.criterion(crit)
            for pat in patterns:
                p = Pattern.parse(pat)
                bits = diff_cpu_gpu = diff_spec_cpu = diff_spec_gpu = 0
                for n, x in xs.items():
                    f = column_factor(c, mods[n].weight.detach().float().cpu(), 0, n)
                    xc = x.to(dt)
                    sc = score(xc, c, None if f is None else f.to(dt))
                    sg = score(xc.to(DEV), c, None if f is None else f.to(device=DEV, dtype=dt))
                    mc = topn_mask_torch(sc, p).numpy()
                    mg = topn_mask_torch(sg, p, use_numba_on_cpu=False).cpu().numpy()
                    spec = topn_mask(sc.float().numpy(), p)
                    spec_g = topn_mask(sg.float().cpu().numpy(), p)
                    bits += mc.size
                    diff_cpu_gpu += int((mc != mg).sum())
                    diff_spec_cpu += int((mc != spec).sum())
                    diff_spec_gpu += int((mg != spec_g).sum())
                scores_equal = bool(all(torch.equal(score(x.to(dt), c, None if (f := column_factor(c, mods[n].weight.detach().float().cpu(), 0, n)) is None else f.to(dt)),
                                                    score(x.to(dt).to(DEV), c, None if f is None else f.to(device=DEV, dtype=dt)).cpu())
                                        for n, x in xs.items()))
                out[f"{dt_name}/{crit}/{pat}"] = {"mask_bits": bits, "cpu_vs_gpu_differing_bits": diff_cpu_gpu,
                                                  "cpu_vs_spec_differing_bits": diff_spec_cpu, "gpu_vs_spec_differing_bits": diff_spec_gpu,
                                                  "scores_bit_identical_cpu_gpu": scores_equal}
        out.update(fused_check(xs, patterns, dt_name))
    return out


def fused_check(xs: dict, patterns, dt_name: str) -> dict:
    """Capture's fused magnitude / none route on the device (``torch_twin.magnitude_sparsify``: compiled on CUDA)
    against the NumPy spec on the same values: mask bits that differ, and whether x * mask is bit-identical."""
    import torch

    from accelsim.masks import topn_mask
    from accelsim.masks.torch_twin import magnitude_sparsify
    from accelsim.patterns import Pattern

    out = {}
    for pat in patterns:
        p = Pattern.parse(pat)
        bits = diff = 0
        same_values, fused = True, True
        for x in xs.values():
            xg = x.to(getattr(torch, dt_name)).to(DEV)
            got = magnitude_sparsify(xg, p)
            if got is None:  # this pattern takes the unfused route on the device
                fused = False
                break
            xo, m = got
            spec = topn_mask(xg.abs().float().cpu().numpy(), p)
            bits += spec.size
            diff += int((m.cpu().numpy() != spec).sum())
            same_values &= bool(torch.equal(xo, xg * torch.from_numpy(spec).to(DEV).to(xg.dtype)))
        out[f"{dt_name}/magnitude-fused/{pat}"] = ({"mask_bits": bits, "fused_vs_spec_differing_bits": diff,
                                                   "masked_input_bit_identical": same_values} if fused else {"fused": False})
    return out


def ppl_check(lm_factory, text: Path, tmp: Path, seq_len: int, eval_tokens: int, dtypes) -> dict:
    from accelsim.capture import CaptureConfig, capture
    from accelsim.traces import read_manifest

    base = CaptureConfig(model="random", dataset=str(text), patterns=("dense", "2:4", "8:16"), seq_len=seq_len,
                         eval_tokens=eval_tokens, trace_tokens=64, out=tmp / "ppl", progress=False, force=True)
    res = {}
    for dev, dt in [("cpu", "float32"), *[(DEV, d) for d in dtypes]]:
        paths = capture(replace(base, device=dev, dtype=dt), lm_factory())
        res[f"{dev}/{dt}" if dev == "cpu" and dt == "float32" else f"gpu/{dt}"] = {str(read_manifest(p).config.pattern): read_manifest(p).accuracy.perplexity for p in paths}
    ref = res["cpu/float32"]
    rel = {k: {pat: v[pat] / ref[pat] - 1 for pat in v} for k, v in res.items() if k != "cpu/float32"}
    return {"perplexity": res, "relative_to_cpu_float32": rel}


def throughput(lm, text: Path, tmp: Path, seq_len: int, windows: int, batch: int, dtype: str, device: str) -> dict:
    import torch

    from accelsim.capture import CaptureConfig, capture
    from accelsim.traces import read_manifest

    cfg = CaptureConfig(model="random", dataset=str(text), patterns=("dense", "2:4", "8:16", "unstructured:0.5"), seq_len=seq_len,
                        eval_tokens=seq_len * windows, trace_tokens=1, trace_filter=("layers.0.mlp.down_proj",), stats_windows=0, out=tmp / "tput", progress=False,
                        device=device, dtype=dtype, batch_size=batch)
    paths = capture(cfg, lm)
    out = {}
    for p in paths:
        m = read_manifest(p)
        ws = m.extra["window_seconds"]
        steady = sum(ws[1:])
        toks = (len(ws) - 1) * batch * seq_len
        out[str(m.config.pattern)] = {"seconds": m.extra["seconds"], "first_batch_seconds": ws[0],
                                      "tokens_per_second_after_first_batch": toks / steady if steady else None,
                                      "perplexity": m.accuracy.perplexity}
    d = out["dense"]["tokens_per_second_after_first_batch"]
    for v in out.values():
        v["slowdown_vs_dense"] = d / v["tokens_per_second_after_first_batch"] if v["tokens_per_second_after_first_batch"] else None
    out["_setup"] = {"params": lm.info["parameters"], "dtype": dtype, "batch": batch, "seq_len": seq_len, "windows": windows,
                     "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu"}
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes; the GPU parts are skipped without a GPU")
    a = ap.parse_args()
    import torch

    global DEV
    gpu = torch.cuda.is_available()
    if not gpu and a.smoke:
        DEV, gpu = "cpu", True
    report: dict = {"python": platform.python_version(), "torch": torch.__version__,
                    "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, "device_under_test": DEV}
    import transformers

    report["transformers"] = transformers.__version__
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        text = corpus(tmp / "text.txt", 400_000)
        small = (lambda: llama(128, 2, 256, 4, 2)) if a.smoke else (lambda: llama(512, 4, 1408, 8, 4))
        seq = 64 if a.smoke else 256
        if gpu:
            t0 = time.perf_counter()
            ids = torch.tensor(small().tokenizer(text.read_text()[:seq])["input_ids"])[None]
            report["masks"] = mask_check(small(), ids, ("2:4", "8:16", "16:32", "unstructured:0.5"), ("float32", "bfloat16", "float16"))
            report["masks_seconds"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            report["perplexity"] = ppl_check(small, text, tmp, seq, seq * (4 if a.smoke else 16), ("float32", "bfloat16"))
            report["perplexity_seconds"] = time.perf_counter() - t0
            big = llama(256, 2, 512, 4, 2) if a.smoke else llama(2048, 16, 5632, 16, 8, vocab=32000)
            t0 = time.perf_counter()
            report["throughput_gpu_bf16"] = throughput(big, text, tmp, 512, 4 if a.smoke else 33, 1 if a.smoke else 8, "bfloat16", DEV)
            report["throughput_seconds"] = time.perf_counter() - t0
        else:
            report["note"] = "no GPU: only the CPU throughput of the small model"
            report["throughput_cpu_fp32_small"] = throughput(small(), text, tmp, seq, 4, 2, "float32", "cpu")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(json.dumps(report, indent=1, sort_keys=True)[:6000])
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    raise SystemExit(main())
