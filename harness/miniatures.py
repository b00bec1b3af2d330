"""Miniatures of real genomic model families: random weights, 2 layers, a small hidden size, and the family's real
architecture code, config layout and tokenizer, so the harness meets what researchers run without downloading
weights.

Three sources, as `shared/zoo/PROVENANCE.md` describes them:

* the real Hub files in the zoo folder (DNABERT-2, HyenaDNA, Caduceus): their remote code and tokenizer files,
  their config with the sizes shrunk, and a `pytorch_model.bin` of random weights built from that code;
* transformers' own classes following each family's recipe (Nucleotide Transformer v2 with its `EsmTokenizer`
  6-mer vocabulary, DNABERT-1 with overlapping 3-mers, an OmniGenome-style single-nucleotide ESM, a GENERator-style
  Llama with non-overlapping 6-mers);
* the `multimolecule` package (RNA-FM, RiNALMo), whose configs carry no `auto_map`: they need `--import
  multimolecule`.

    folder = build_miniature("nt_v2", tmp_path / "nt")   # a `from_pretrained` folder

Nothing here is a real model: the weights are random and the folders say so in their README.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gfmbench.errors import GfmbenchError

HIDDEN, LAYERS, HEADS, INTERMEDIATE, POSITIONS = 32, 2, 2, 64, 1026


def _readme(folder: Path, family: str, source: str) -> None:
    (folder / "README.md").write_text(f"---\nlibrary_name: transformers\ntags:\n- gfmbench\n- miniature\n---\n"
                                      f"# Miniature {family}\n\nRandom weights, {LAYERS} layers, built from {source}. "
                                      "For testing gfmbench offline; not a real model.\n")


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


def dnabert2(folder: Path, zoo: Path) -> Path:
    _shrunk_zoo_copy(zoo, "dnabert2", folder, {"hidden_size": HIDDEN, "num_hidden_layers": LAYERS,
                                               "num_attention_heads": HEADS, "intermediate_size": INTERMEDIATE})
    _save_weights(_from_remote_code(folder, "AutoModelForMaskedLM"), folder)
    _readme(folder, "DNABERT-2", "the real DNABERT-2-117M Hub files (ALiBi BERT remote code, BPE tokenizer)")
    return folder


def hyenadna(folder: Path, zoo: Path) -> Path:
    _shrunk_zoo_copy(zoo, "hyenadna", folder, {"d_model": HIDDEN, "d_inner": INTERMEDIATE, "n_layer": LAYERS,
                                               "max_seq_len": POSITIONS, "architectures": ["HyenaDNAForCausalLM"]},
                     drop=("id2label", "label2id", "problem_type"))
    # the Hub repos' tokenizer_config.json (LongSafari/hyenadna-*-hf): CharacterTokenizer over A, C, G, T, N
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "auto_map": {"AutoTokenizer": ["tokenization_hyena.CharacterTokenizer", None]},
        "char_ords": [ord(c) for c in "ACGTN"], "model_max_length": POSITIONS}, indent=2) + "\n")
    _save_weights(_from_remote_code(folder, "AutoModelForCausalLM"), folder)
    _readme(folder, "HyenaDNA", "the real HyenaDNA Hub code and its character tokenizer")
    return folder


def caduceus(folder: Path, zoo: Path) -> Path:
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
        "d_model": HIDDEN, "n_layer": LAYERS, "vocab_size": 16, "bidirectional": True, "rcps": True}, indent=2) + "\n")
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "auto_map": {"AutoTokenizer": ["tokenization_caduceus.CaduceusTokenizer", None]},
        "model_max_length": POSITIONS, "characters": list("ACGTN")}, indent=2) + "\n")
    _readme(folder, "Caduceus", "the real Caduceus code (no weights: mamba_ssm is CUDA-only)")
    return folder


def _esm(folder: Path, words: list[str], eos: bool, family: str, source: str, rotary: bool = True) -> Path:
    import torch
    from transformers import EsmConfig, EsmForMaskedLM, EsmTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    tokenizer = EsmTokenizer(str(folder / "vocab.txt"), unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
                             cls_token="<cls>", eos_token="<eos>" if eos else None, model_max_length=POSITIONS - 2)
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = EsmConfig(vocab_size=len(words), hidden_size=HIDDEN, num_hidden_layers=LAYERS,
                       num_attention_heads=HEADS, intermediate_size=INTERMEDIATE, max_position_embeddings=POSITIONS,
                       position_embedding_type="rotary" if rotary else "absolute",
                       pad_token_id=words.index("<pad>"), mask_token_id=words.index("<mask>"), token_dropout=False)
    _save_weights(EsmForMaskedLM(config), folder)
    config.architectures = ["EsmForMaskedLM"]
    config.save_pretrained(folder)
    _readme(folder, family, source)
    return folder


def nt_v2(folder: Path, zoo: Path | None = None) -> Path:
    """Nucleotide Transformer v2: ESM with rotary embeddings; `EsmTokenizer` (slow) over 6-mers then single
    nucleotides, `<cls>` prepended, no `<eos>`."""
    specials = ["<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>"]
    kmers = ["".join(p) for p in itertools.product("ATCG", repeat=6)]
    return _esm(folder, specials + kmers + list("ATCGN"), eos=False, family="Nucleotide Transformer v2",
                source="transformers' ESM classes with NT v2's EsmTokenizer vocabulary")


def omnigenome(folder: Path, zoo: Path | None = None) -> Path:
    """OmniGenome-style: ESM over a single-nucleotide RNA vocabulary (`EsmTokenizer`, `<cls>` ... `<eos>`)."""
    words = ["<cls>", "<pad>", "<eos>", "<unk>", "A", "C", "G", "U", "T", "N", "<mask>"]
    return _esm(folder, words, eos=True, family="OmniGenome-style ESM",
                source="transformers' ESM classes with a single-nucleotide vocabulary")


def dnabert1(folder: Path, zoo: Path | None = None, k: int = 3) -> Path:
    """DNABERT (v1): BERT over overlapping k-mers written as space-separated words (`BertTokenizer` vocab.txt)."""
    import torch
    from transformers import BertConfig, BertForMaskedLM, BertTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + ["".join(p) for p in itertools.product("ACGT", repeat=k)]
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    BertTokenizer(str(folder / "vocab.txt"), do_lower_case=False, model_max_length=POSITIONS - 2).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(words), hidden_size=HIDDEN, num_hidden_layers=LAYERS,
                        num_attention_heads=HEADS, intermediate_size=INTERMEDIATE,
                        max_position_embeddings=POSITIONS, pad_token_id=0, architectures=["BertForMaskedLM"])
    _save_weights(BertForMaskedLM(config), folder)
    config.save_pretrained(folder)
    _readme(folder, f"DNABERT ({k}-mer)", "transformers' BERT classes with overlapping k-mer words")
    return folder


def generator(folder: Path, zoo: Path | None = None) -> Path:
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
                            unk_token="<unk>", model_max_length=POSITIONS).save_pretrained(folder)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(words), hidden_size=HIDDEN, num_hidden_layers=LAYERS,
                         num_attention_heads=HEADS, num_key_value_heads=HEADS, intermediate_size=INTERMEDIATE,
                         max_position_embeddings=POSITIONS, pad_token_id=0, bos_token_id=1, eos_token_id=2,
                         architectures=["LlamaForCausalLM"])
    LlamaForCausalLM(config).save_pretrained(folder)
    _readme(folder, "GENERator-style Llama", "transformers' Llama classes with a 6-mer tokenizer")
    return folder


def _multimolecule(folder: Path, config_name: str, model_name: str, family: str) -> Path:
    import multimolecule
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = multimolecule.RnaTokenizer()
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = getattr(multimolecule, config_name)(vocab_size=len(tokenizer), hidden_size=HIDDEN,
                                                 num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                                                 intermediate_size=INTERMEDIATE)
    getattr(multimolecule, model_name)(config).save_pretrained(folder)
    _readme(folder, family, "the multimolecule package's classes and RnaTokenizer")
    return folder


def rnafm(folder: Path, zoo: Path | None = None) -> Path:
    return _multimolecule(folder, "RnaFmConfig", "RnaFmForMaskedLM", "RNA-FM")


def rinalmo(folder: Path, zoo: Path | None = None) -> Path:
    return _multimolecule(folder, "RiNALMoConfig", "RiNALMoForMaskedLM", "RiNALMo")


MINIATURES: dict[str, Callable[..., Path]] = {
    "dnabert2": dnabert2, "hyenadna": hyenadna, "caduceus": caduceus, "nt_v2": nt_v2, "omnigenome": omnigenome,
    "dnabert1": dnabert1, "generator": generator, "rnafm": rnafm, "rinalmo": rinalmo,
}


def build_miniature(name: str, folder: Path, zoo: Path | None = None) -> Path:
    """Build the miniature `name` (a key of MINIATURES) into `folder`; `zoo` is the folder of real Hub files."""
    from gfmbench.errors import UnknownNameError

    if name not in MINIATURES:
        raise UnknownNameError("miniature", name, MINIATURES)
    return MINIATURES[name](Path(folder), zoo)


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
