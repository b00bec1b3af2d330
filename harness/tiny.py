"""Tiny random genomic models for tests and the demo: built here with `tokenizers` and `transformers`, published to
a hub like any model, so that every harness path runs offline (nothing is downloaded).

Tokenizer kinds: `char` (single nucleotide), `kmer3` (non-overlapping 3-mers, the Nucleotide Transformer scheme),
`kmer3o` (overlapping 3-mers given as space-separated words, the DNABERT-1 scheme) and `bpe` (DNABERT-2 style).
Architectures: `bert` (masked LM encoder) and `gpt2` (causal).
"""

from __future__ import annotations

import itertools
import random
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from gfmbench.hub.publish import PublishBackend

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
NUCLEOTIDES = "ACGTUN"
TokenizerKind = Literal["char", "kmer3", "kmer3o", "bpe"]
Architecture = Literal["bert", "gpt2"]

TINY_MODELS: dict[str, tuple[Architecture, TokenizerKind]] = {
    "gfmbench/tiny-random-bert-nt": ("bert", "char"),
    "gfmbench/tiny-random-bert-kmer3": ("bert", "kmer3"),
    "gfmbench/tiny-random-bert-kmer3-overlap": ("bert", "kmer3o"),
    "gfmbench/tiny-random-bert-bpe": ("bert", "bpe"),
    "gfmbench/tiny-random-gpt2-nt": ("gpt2", "char"),
}


def build_tokenizer(kind: TokenizerKind, seed: int = 0):
    """A `PreTrainedTokenizerFast` of the given kind."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    if kind == "bpe":
        tok = Tokenizer(models.BPE(unk_token="[UNK]"))
        tok.pre_tokenizer = pre_tokenizers.Split(Regex(".{1,64}"), behavior="isolated")
        rng = random.Random(seed)
        corpus = ["".join(rng.choice("ACGT") for _ in range(256)) for _ in range(300)]
        corpus += [s.replace("T", "U") for s in corpus[:100]]
        trainer = trainers.BpeTrainer(vocab_size=96, special_tokens=SPECIALS, initial_alphabet=list(NUCLEOTIDES),
                                      show_progress=False)
        tok.train_from_iterator(corpus, trainer)
    else:
        if kind == "char":
            words = list(NUCLEOTIDES)
            pre: pre_tokenizers.PreTokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
        elif kind == "kmer3":
            words = ["".join(p) for n in (1, 2, 3) for p in itertools.product(NUCLEOTIDES, repeat=n)]
            pre = pre_tokenizers.Split(Regex(".{1,3}"), behavior="isolated")
        elif kind == "kmer3o":
            words = ["".join(p) for p in itertools.product("ACGT", repeat=3)]
            pre = pre_tokenizers.WhitespaceSplit()
        else:
            raise ValueError(f"unknown tokenizer kind {kind!r}")
        vocab = {t: i for i, t in enumerate(SPECIALS + words)}
        tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
        tok.pre_tokenizer = pre
    ids = {t: tok.token_to_id(t) for t in SPECIALS}
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])],
    )
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=1026)


def build_model(architecture: Architecture, vocab_size: int, pad_token_id: int, seed: int = 0):
    import torch
    from transformers import BertConfig, BertForMaskedLM, GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    if architecture == "bert":
        config = BertConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=64, max_position_embeddings=1026, pad_token_id=pad_token_id)
        return BertForMaskedLM(config)
    if architecture == "gpt2":
        causal = GPT2Config(vocab_size=vocab_size, n_embd=32, n_layer=2, n_head=2, n_positions=1026,
                            pad_token_id=pad_token_id, bos_token_id=pad_token_id, eos_token_id=pad_token_id)
        return GPT2LMHeadModel(causal)
    raise ValueError(f"unknown architecture {architecture!r}")


def save_tiny_model(folder: str | Path, architecture: Architecture, tokenizer_kind: TokenizerKind,
                    seed: int = 0) -> Path:
    """Write a tiny random model + tokenizer in the standard `save_pretrained` layout."""
    folder = Path(folder)
    tokenizer = build_tokenizer(tokenizer_kind, seed)
    model = build_model(architecture, len(tokenizer), tokenizer.pad_token_id, seed)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / "README.md").write_text(
        f"---\nlibrary_name: transformers\ntags:\n- gfmbench\n- tiny-random\n---\n# Tiny random {architecture} "
        f"({tokenizer_kind} tokenizer)\n\nRandom weights, for testing gfmbench offline. Not a real model.\n"
    )
    return folder


def publish_tiny_models(backend: PublishBackend | None = None, names: list[str] | None = None) -> dict[str, str]:
    """Build and publish the tiny models to the hub (the local hub by default); returns repo id -> commit."""
    from huggingface_hub import CommitOperationAdd

    from gfmbench.hub.publish import publish, select_backend

    backend = backend if backend is not None else select_backend()
    commits = {}
    for repo_id in names or list(TINY_MODELS):
        architecture, kind = TINY_MODELS[repo_id]
        with tempfile.TemporaryDirectory(prefix="gfmbench-tiny-") as tmp:
            folder = save_tiny_model(tmp, architecture, kind)
            operations = [CommitOperationAdd(p.relative_to(folder).as_posix(), str(p))
                          for p in sorted(folder.rglob("*")) if p.is_file()]
            commits[repo_id] = publish(backend, repo_id, operations, f"Tiny random {architecture} ({kind})",
                                       repo_type="model").commit
    return commits


def save_tiny_opt(folder: str | Path, seed: int = 0) -> Path:
    """A tiny OPT (an architecture with no token-classification class), to exercise the hidden-state head."""
    import torch
    from transformers import OPTConfig, OPTForCausalLM

    folder = Path(folder)
    tokenizer = build_tokenizer("char", seed)
    torch.manual_seed(seed)
    config = OPTConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, ffn_dim=64,
                       num_attention_heads=2, max_position_embeddings=1026, word_embed_proj_dim=32,
                       pad_token_id=tokenizer.pad_token_id)
    OPTForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
