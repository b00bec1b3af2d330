"""Miniatures of real genomic model families: random weights, 2 layers, a small hidden size, and the family's real
architecture code, config layout and tokenizer, so the harness meets what researchers run without downloading
weights. The same builders make random-weight models at a real family's size (`SHAPES`: NT-v2-50M's, DNABERT-2's),
which the benchmarks use to measure at the scale researchers run.

Three sources, as `shared/zoo/PROVENANCE.md` describes them:

* the real Hub files in the zoo folder (DNABERT-2, HyenaDNA, Caduceus): their remote code and tokenizer files,
  their config with the sizes shrunk, and a `pytorch_model.bin` of random weights built from that code;
* transformers' own classes following each family's recipe (Nucleotide Transformer v2 with its `EsmTokenizer`
  6-mer vocabulary, DNABERT-1 with overlapping 3-mers, an OmniGenome-style single-nucleotide ESM, a GENERator-style
  Llama with non-overlapping 6-mers);
* the `multimolecule` package (RNA-FM, RiNALMo), whose configs carry no `auto_map`: they need `--import
  multimolecule`.

    folder = build_miniature("nt_v2", tmp_path / "nt")   # a `from_pretrained` folder
    big = build_miniature("nt_v2", tmp_path / "nt50", shape=SHAPES["nt-v2-50m"])   # 12 layers, hidden 512

Nothing here is a real model: the weights are random and the folders say so in their README.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gfmbench.errors import GfmbenchError


@dataclass(frozen=True)
class Shape:
    """The sizes a builder gives its model (the family's layout, tokenizer and code stay the family's)."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    positions: int


MINIATURE = Shape(hidden=32, layers=2, heads=2, intermediate=64, positions=1026)
SHAPES: dict[str, Shape] = {
    "miniature": MINIATURE,
    # InstaDeepAI/nucleotide-transformer-v2-50m-multi-species: 12 layers, hidden 512, 16 heads, rotary, 2050
    # positions, a gated (SwiGLU) feed-forward of 2 x 2048 in, 2048 out, no biases. transformers' ESM has a plain
    # GELU feed-forward; 3072 gives it the same feed-forward weights and FLOPs per token (2 x 512 x 3072 =
    # 3 x 512 x 2048), so the model has NT-v2-50M's size (about 55M parameters with its untied LM head).
    "nt-v2-50m": Shape(hidden=512, layers=12, heads=16, intermediate=3072, positions=2050),
    # zhihan1996/DNABERT-2-117M's own config.json
    "dnabert-2-117m": Shape(hidden=768, layers=12, heads=12, intermediate=3072, positions=512),
}


def _readme(folder: Path, family: str, source: str, shape: Shape) -> None:
    (folder / "README.md").write_text(f"---\nlibrary_name: transformers\ntags:\n- gfmbench\n- miniature\n---\n"
                                      f"# Random-weight {family}\n\nRandom weights, {shape.layers} layers, hidden "
                                      f"{shape.hidden}, built from {source}. For testing and benchmarking gfmbench "
                                      "offline; not a real model.\n")


def _save_weights(model: Any, folder: Path) -> None:
    """A `pytorch_model.bin` as the Hub repos of these families ship (their tied or shared tensors would stop
    `save_pretrained` under transformers 5)."""
    import torch

    torch.save(model.state_dict(), folder / "pytorch_model.bin")


def _shrunk_zoo_copy(zoo: Path, family: str, folder: Path, sizes: dict[str, Any],
                     drop: tuple[str, ...] = ()) -> dict[str, Any]:
    source = zoo / family
    if not source.is_dir():
        raise GfmbenchError(f"{source}: the real {family} files are not there (see shared/zoo/PROVENANCE.md)")
    shutil.copytree(source, folder, dirs_exist_ok=True)
    config = json.loads((folder / "config.json").read_text())
    for key in drop:
        config.pop(key, None)
    config.update(sizes)
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    return config


def _from_remote_code(folder: Path, auto: str) -> Any:
    """The family's own class built from its (shrunk) config, with gfmbench's load-time fixes, random weights."""
    import torch

    from gfmbench.harness.models import ResolvedModel, load_config
    from gfmbench.harness.taskmodel import own_class

    torch.manual_seed(0)
    model = ResolvedModel(model_id=str(folder), revision=None, sha="", path=folder)
    config, _ = load_config(model, True)
    # the family's own class from its auto_map, as the loading layer picks it: `AutoModel*.from_config` would take
    # a plugin's class of the same model type instead (multimolecule registers its own "hyenadna")
    return own_class(model, config, auto)(config)


def dnabert2(folder: Path, zoo: Path, shape: Shape = MINIATURE) -> Path:
    _shrunk_zoo_copy(zoo, "dnabert2", folder, {"hidden_size": shape.hidden, "num_hidden_layers": shape.layers,
                                               "num_attention_heads": shape.heads,
                                               "intermediate_size": shape.intermediate})
    _save_weights(_from_remote_code(folder, "AutoModelForMaskedLM"), folder)
    _readme(folder, "DNABERT-2", "the real DNABERT-2-117M Hub files (ALiBi BERT remote code, BPE tokenizer)", shape)
    return folder


def hyenadna(folder: Path, zoo: Path, shape: Shape = MINIATURE) -> Path:
    _shrunk_zoo_copy(zoo, "hyenadna", folder, {"d_model": shape.hidden, "d_inner": shape.intermediate,
                                               "n_layer": shape.layers, "max_seq_len": shape.positions,
                                               "architectures": ["HyenaDNAForCausalLM"]},
                     drop=("id2label", "label2id", "problem_type"))
    # the Hub repos' tokenizer_config.json (LongSafari/hyenadna-*-hf): CharacterTokenizer over A, C, G, T, N
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "auto_map": {"AutoTokenizer": ["tokenization_hyena.CharacterTokenizer", None]},
        "char_ords": [ord(c) for c in "ACGTN"], "model_max_length": shape.positions}, indent=2) + "\n")
    _save_weights(_from_remote_code(folder, "AutoModelForCausalLM"), folder)
    _readme(folder, "HyenaDNA", "the real HyenaDNA Hub code and its character tokenizer", shape)
    return folder


def caduceus(folder: Path, zoo: Path, shape: Shape = MINIATURE) -> Path:
    """Caduceus' real code and a config; no weights (its code needs mamba_ssm, CUDA-only, to build any)."""
    source = zoo / "caduceus"
    if not source.is_dir():
        raise GfmbenchError(f"{source}: the real Caduceus files are not there (see shared/zoo/PROVENANCE.md)")
    shutil.copytree(source, folder, dirs_exist_ok=True)
    (folder / "config.json").write_text(json.dumps({
        "model_type": "caduceus", "architectures": ["CaduceusForMaskedLM"],
        "auto_map": {"AutoConfig": "configuration_caduceus.CaduceusConfig",
                     "AutoModel": "modeling_caduceus.Caduceus",
                     "AutoModelForMaskedLM": "modeling_caduceus.CaduceusForMaskedLM",
                     "AutoModelForSequenceClassification": "modeling_caduceus.CaduceusForSequenceClassification"},
        "d_model": shape.hidden, "n_layer": shape.layers, "vocab_size": 16, "bidirectional": True, "rcps": True},
        indent=2) + "\n")
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "auto_map": {"AutoTokenizer": ["tokenization_caduceus.CaduceusTokenizer", None]},
        "model_max_length": shape.positions, "characters": list("ACGTN")}, indent=2) + "\n")
    _readme(folder, "Caduceus", "the real Caduceus code (no weights: mamba_ssm is CUDA-only)", shape)
    return folder


def _esm(folder: Path, words: list[str], eos: bool, family: str, source: str, shape: Shape,
         rotary: bool = True, dropout: float = 0.1) -> Path:
    import torch
    from transformers import EsmConfig, EsmForMaskedLM, EsmTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    tokenizer = EsmTokenizer(str(folder / "vocab.txt"), unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
                             cls_token="<cls>", eos_token="<eos>" if eos else None,
                             model_max_length=shape.positions - 2)
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = EsmConfig(vocab_size=len(words), hidden_size=shape.hidden, num_hidden_layers=shape.layers,
                       num_attention_heads=shape.heads, intermediate_size=shape.intermediate,
                       max_position_embeddings=shape.positions,
                       position_embedding_type="rotary" if rotary else "absolute",
                       pad_token_id=words.index("<pad>"), mask_token_id=words.index("<mask>"), token_dropout=False,
                       hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)
    _save_weights(EsmForMaskedLM(config), folder)
    config.architectures = ["EsmForMaskedLM"]
    config.save_pretrained(folder)
    _readme(folder, family, source, shape)
    return folder


def nt_v2(folder: Path, zoo: Path | None = None, shape: Shape = MINIATURE) -> Path:
    """Nucleotide Transformer v2: ESM with rotary embeddings and no dropout (as its published configs);
    `EsmTokenizer` (slow) over 6-mers then single nucleotides, `<cls>` prepended, no `<eos>`."""
    specials = ["<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>"]
    kmers = ["".join(p) for p in itertools.product("ATCG", repeat=6)]
    return _esm(folder, specials + kmers + list("ATCGN"), eos=False, family="Nucleotide Transformer v2",
                source="transformers' ESM classes with NT v2's EsmTokenizer vocabulary", shape=shape, dropout=0.0)


def omnigenome(folder: Path, zoo: Path | None = None, shape: Shape = MINIATURE) -> Path:
    """OmniGenome-style: ESM over a single-nucleotide RNA vocabulary (`EsmTokenizer`, `<cls>` ... `<eos>`)."""
    words = ["<cls>", "<pad>", "<eos>", "<unk>", "A", "C", "G", "U", "T", "N", "<mask>"]
    return _esm(folder, words, eos=True, family="OmniGenome-style ESM",
                source="transformers' ESM classes with a single-nucleotide vocabulary", shape=shape)


def dnabert1(folder: Path, zoo: Path | None = None, shape: Shape = MINIATURE, k: int = 3) -> Path:
    """DNABERT (v1): BERT over overlapping k-mers written as space-separated words (`BertTokenizer` vocab.txt)."""
    import torch
    from transformers import BertConfig, BertForMaskedLM, BertTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + ["".join(p) for p in itertools.product("ACGT", repeat=k)]
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    BertTokenizer(str(folder / "vocab.txt"), do_lower_case=False,
                  model_max_length=shape.positions - 2).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(words), hidden_size=shape.hidden, num_hidden_layers=shape.layers,
                        num_attention_heads=shape.heads, intermediate_size=shape.intermediate,
                        max_position_embeddings=shape.positions, pad_token_id=0, architectures=["BertForMaskedLM"])
    _save_weights(BertForMaskedLM(config), folder)
    config.save_pretrained(folder)
    _readme(folder, f"DNABERT ({k}-mer)", "transformers' BERT classes with overlapping k-mer words", shape)
    return folder


def generator(folder: Path, zoo: Path | None = None, shape: Shape = MINIATURE) -> Path:
    """GENERator-style: Llama, causal, non-overlapping 6-mers (single nucleotides where fewer remain)."""
    import torch
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    specials = ["<pad>", "<s>", "</s>", "<unk>"]
    words = specials + ["".join(p) for n in range(1, 7) for p in itertools.product("ACGTN", repeat=n)]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(".{1,6}"), behavior="isolated")
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A $B",
                                                       special_tokens=[("<s>", 1)])
    PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", bos_token="<s>", eos_token="</s>",
                            unk_token="<unk>", model_max_length=shape.positions).save_pretrained(folder)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(words), hidden_size=shape.hidden, num_hidden_layers=shape.layers,
                         num_attention_heads=shape.heads, num_key_value_heads=shape.heads,
                         intermediate_size=shape.intermediate, max_position_embeddings=shape.positions,
                         pad_token_id=0, bos_token_id=1, eos_token_id=2,
                         architectures=["LlamaForCausalLM"])
    LlamaForCausalLM(config).save_pretrained(folder)
    _readme(folder, "GENERator-style Llama", "transformers' Llama classes with a 6-mer tokenizer", shape)
    return folder


def _multimolecule(folder: Path, config_name: str, model_name: str, family: str, shape: Shape) -> Path:
    import multimolecule
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = multimolecule.RnaTokenizer()
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = getattr(multimolecule, config_name)(vocab_size=len(tokenizer), hidden_size=shape.hidden,
                                                 num_hidden_layers=shape.layers, num_attention_heads=shape.heads,
                                                 intermediate_size=shape.intermediate)
    getattr(multimolecule, model_name)(config).save_pretrained(folder)
    _readme(folder, family, "the multimolecule package's classes and RnaTokenizer", shape)
    return folder


def rnafm(folder: Path, zoo: Path | None = None, shape: Shape = MINIATURE) -> Path:
    return _multimolecule(folder, "RnaFmConfig", "RnaFmForMaskedLM", "RNA-FM", shape)


def rinalmo(folder: Path, zoo: Path | None = None, shape: Shape = MINIATURE) -> Path:
    return _multimolecule(folder, "RiNALMoConfig", "RiNALMoForMaskedLM", "RiNALMo", shape)


MINIATURES: dict[str, Callable[..., Path]] = {
    "dnabert2": dnabert2, "hyenadna": hyenadna, "caduceus": caduceus, "nt_v2": nt_v2, "omnigenome": omnigenome,
    "dnabert1": dnabert1, "generator": generator, "rnafm": rnafm, "rinalmo": rinalmo,
}


def build_miniature(name: str, folder: Path, zoo: Path | None = None, shape: Shape = MINIATURE) -> Path:
    """Build the miniature `name` (a key of MINIATURES) into `folder`; `zoo` is the folder of real Hub files;
    `shape` its sizes (a value of SHAPES; the miniature's by default)."""
    from gfmbench.errors import UnknownNameError

    if name not in MINIATURES:
        raise UnknownNameError("miniature", name, MINIATURES)
    return MINIATURES[name](Path(folder), zoo, shape=shape)


# Real data cut to its first rows, so every family runs in seconds: RGB SSP_Archive2 (token task), SNMD (zero-shot)
# and GUE mouse_tf_3 (sequence task, CRLF as upstream). Lines per split file, header included for CSV.
EXCERPTS: dict[str, dict[str, int]] = {
    "RGB/RNA-SSP-Archive2": {"train.json": 24, "valid.json": 8, "test.json": 8},
    "RGB/RNA-SNMD": {"valid.json": 12, "test.json": 12},
    "GUE/mouse/3": {"train.csv": 41, "dev.csv": 41, "test.csv": 41},
}


def excerpt_hub(samples: Path, raw: Path, hub_root: Path) -> Any:
    """Copy the first lines of the real upstream files (byte for byte) to `raw`, build `gfmbench/rgb` (SSP_Archive2,
    SNMD) and `gfmbench/gue` (mouse_tf_3) from them into a local hub at `hub_root`; returns the hub backend.
    Excerpts have other digests than the releases, so the builds record them as unverified."""
    from gfmbench.hub.publish import LocalGitBackend
    from gfmbench.loaders.build import build_suite

    for folder, files in EXCERPTS.items():
        for name, lines in files.items():
            target = raw / folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with (samples / folder / name).open("rb") as source:
                target.write_bytes(b"".join(source.readline() for _ in range(lines)))
    backend = LocalGitBackend(hub_root)
    build_suite("rgb", raw_dir=raw / "RGB", configs=["SSP_Archive2", "SNMD"], backend=backend,
                verification="no_checks", progress=False)
    build_suite("gue", raw_dir=raw / "GUE", configs=["mouse_tf_3"], backend=backend, verification="no_checks",
                progress=False)
    return backend


# How each miniature is run: its registry family (for docs/models.md) and the flags it needs.
MINIATURE_RUNS: dict[str, tuple[str, list[str]]] = {
    "nt_v2": ("nucleotide-transformer-v2", []),
    "dnabert1": ("dnabert", []),
    "dnabert2": ("dnabert-2", ["--trust-remote-code"]),
    "hyenadna": ("hyenadna", ["--trust-remote-code"]),
    "caduceus": ("caduceus", ["--trust-remote-code"]),
    "generator": ("generator", []),
    "omnigenome": ("omnigenome", []),
    "rnafm": ("rna-fm", ["--import", "multimolecule"]),
    "rinalmo": ("rinalmo", ["--import", "multimolecule"]),
}
