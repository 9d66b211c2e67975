"""A tiny randomly initialised Llama (no download) and a byte tokenizer, for the capture tests."""

from __future__ import annotations

import torch

from accelsim.capture.models import LoadedModel, ModelSpec

TARGET_LEAVES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class ByteTokenizer:
    """Bytes -> ids in [2, vocab); id 1 is BOS.  Enough of the transformers tokenizer API for capture."""

    bos_token_id = 1

    def __init__(self, vocab: int = 64):
        self.vocab = vocab

    def __call__(self, text: str, add_special_tokens: bool = False) -> dict:
        return {"input_ids": [2 + b % (self.vocab - 2) for b in text.encode()]}


def tiny_llama(seed: int = 0, layers: int = 2, bias: bool = False):
    """LlamaForCausalLM with hidden 32, MLP 64, 4 heads (2 KV heads), vocab 64, float32, eval mode."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=layers,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                      attention_bias=bias, mlp_bias=bias)
    return LlamaForCausalLM(cfg).float().eval()


def tiny_loaded(seed: int = 0, layers: int = 2) -> LoadedModel:
    model = tiny_llama(seed, layers)
    spec = ModelSpec(name="tiny-llama", hub_id="tiny-llama", architecture="llama", sparsify=TARGET_LEAVES, source="local")
    info = {"id": "tiny-llama", "weights_sha256": "random-init", "architecture": "LlamaForCausalLM"}
    return LoadedModel(model=model, tokenizer=ByteTokenizer(), spec=spec, info=info)


def corpus_file(tmp_path, chars: int = 20_000):
    """A .txt corpus of pseudo-English (deterministic)."""
    words = "the of and a to in is was he for it with as his on be at by had are but from or have an they".split()
    g = torch.Generator().manual_seed(1)
    idx = torch.randint(len(words), (chars // 4,), generator=g).tolist()
    text = " ".join(words[i] for i in idx)
    text = "\n".join(text[i : i + 80] for i in range(0, len(text), 80))
    p = tmp_path / "corpus.txt"
    p.write_text(text)
    return p


TINY_WORDS = ("the of and a to in is was he for it with as his on be at by had are but from or have an they "
              "man house dog day end home she").split()


def tiny_fast_tokenizer(vocab: int = 64):
    """A real ``transformers`` fast tokenizer (word level, whitespace split) over :data:`TINY_WORDS`, ids < ``vocab``:
    what lm-eval and ``AutoTokenizer.from_pretrained`` need, built offline."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = ["<unk>", "<s>", "</s>", *TINY_WORDS]
    assert len(words) <= vocab
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>")


def save_tiny_checkpoint(path, seed: int = 0):
    """A tiny Llama plus :func:`tiny_fast_tokenizer` saved as a local checkpoint folder (``--model PATH``)."""
    tiny_llama(seed).save_pretrained(path)
    tiny_fast_tokenizer().save_pretrained(path)
    return path
