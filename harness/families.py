"""Family adapters: the quirks of one model family, in one place, applied when gfmbench loads that family.

Most models need none: transformers' classes (and a plugin's registered ones) load as they are. An adapter exists
only where a family's published files fail on the transformers gfmbench pins, or need a dependency this machine may
lack. Every fix is made in memory at load time (a config attribute, a method of the class that the model's own
code defines), never by editing the user's files, and each is named in the loading report of every run that used it.

    adapter = adapter_for(config_dict)          # the family's adapter, or the plain one
    config = adapter.prepare_config(config, path)   # before the model is built
    adapter.after_load(model)                   # after from_pretrained
    applied_fixes(path)                         # what was changed, for the loading report
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from gfmbench.errors import GfmbenchError


class MissingDependencyError(GfmbenchError):
    """A family whose code needs a package (often a CUDA kernel) that is not installed here."""


# Attributes that transformers 4's PretrainedConfig gave every config and transformers 5 no longer defines; remote
# code written for 4.x reads them (`config.is_decoder` in DNABERT-2's BertForMaskedLM, `config.pad_token_id` in its
# embeddings) and fails with AttributeError. Set only where the config lacks them, to transformers 4's defaults.
LEGACY_CONFIG_DEFAULTS: dict[str, Any] = {
    "is_decoder": False,
    "add_cross_attention": False,
    "pad_token_id": None,
    "bos_token_id": None,
    "eos_token_id": None,
    "tie_word_embeddings": True,
    "chunk_size_feed_forward": 0,
}


_APPLIED: dict[str, list[str]] = {}  # model folder -> the fixes applied to its classes in this process


def record_fix(path: Path, fix: str) -> None:
    """Note a load-time fix for the model at `path` (once; a class patched by an earlier load counts too)."""
    applied = _APPLIED.setdefault(str(Path(path).resolve()), [])
    if fix not in applied:
        applied.append(fix)


def applied_fixes(path: Path) -> list[str]:
    """The load-time fixes applied for the model at `path`, config, model and tokenizer alike (for its report)."""
    return list(_APPLIED.get(str(Path(path).resolve()), []))


def legacy_config_defaults(config: Any, path: Path) -> Any:
    """Give a remote-code config the attributes transformers 4 defined by default (see LEGACY_CONFIG_DEFAULTS)."""
    added = []
    for name, value in LEGACY_CONFIG_DEFAULTS.items():
        try:
            getattr(config, name)
        except AttributeError:
            setattr(config, name, value)
            added.append(name)
    if added:
        record_fix(path, f"config attributes that transformers 5 no longer defines set to transformers 4's defaults: "
                     f"{', '.join(added)}")
    return config


@dataclass
class FamilyAdapter:
    """The plain adapter: remote-code configs get transformers 4's config defaults, nothing else changes."""

    name: ClassVar[str] = "default"
    requires: ClassVar[tuple[str, ...]] = ()  # import names the family's code needs
    install_hint: ClassVar[str] = ""
    @classmethod
    def matches(cls, config: dict[str, Any]) -> bool:
        return False

    def check_dependencies(self, model_id: str) -> None:
        missing = [name for name in self.requires if importlib.util.find_spec(name) is None]
        if missing:
            raise MissingDependencyError(f"{model_id}: the {self.name} code needs {', '.join(missing)}, which is not "
                                         f"installed here. {self.install_hint}")

    def prepare_config(self, config: Any, path: Path) -> Any:
        if getattr(config, "auto_map", None):
            legacy_config_defaults(config, path)
        return config

    def prepare_tokenizer_class(self, path: Path) -> None:
        """Fix the family's remote tokenizer class before AutoTokenizer builds it (nothing by default)."""

    def after_load(self, model: Any) -> Any:
        return model


@dataclass
class Dnabert2Adapter(FamilyAdapter):
    """DNABERT-2 (zhihan1996/DNABERT-2-117M): MosaicBERT with ALiBi attention in remote code written for
    transformers 4.28.

    * transformers 5 builds models on the meta device; the encoder's ALiBi bias is a plain tensor attribute made in
      `__init__` from a CPU tensor times a meta one, which fails with "Tensor on device meta is not on the expected
      device cpu!". The encoder class's `rebuild_alibi_tensor` is wrapped to build the bias on the CPU (the model
      moves it to the input's device in its forward, as its code already does).
    * Its config lacks attributes transformers 5 dropped (`is_decoder`, `pad_token_id`, ...): the plain fix.
    * Its `auto_map` has no token-classification class: token tasks get its own `BertModel` and gfmbench's head
      (decided by the loading layer, never transformers' vanilla BERT).
    * Where Triton is installed (CUDA machines), its attention calls the Triton flash-attention kernel it ships,
      written for a 2023 Triton pre-release: current Triton cannot compile it (`tl.dot(..., trans_b=True)`;
      MAGICS-LAB/DNABERT_2 issues 11 and 57). That kernel is replaced by torch's `scaled_dot_product_attention` with
      the same ALiBi bias as its mask (the same softmax(QK^T / sqrt(d) + bias) V; torch picks its fused kernel).
      Without Triton the code's own PyTorch attention runs, unchanged."""

    name: ClassVar[str] = "DNABERT-2"

    @classmethod
    def matches(cls, config: dict[str, Any]) -> bool:
        return "alibi_starting_size" in config and "bert_layers" in json.dumps(config.get("auto_map", {}))

    def prepare_config(self, config: Any, path: Path) -> Any:
        config = super().prepare_config(config, path)
        import torch
        from transformers.dynamic_module_utils import get_class_from_dynamic_module

        auto_map = config.auto_map
        model_class = get_class_from_dynamic_module(auto_map["AutoModel"], str(path))
        encoder = getattr(sys.modules[model_class.__module__], "BertEncoder", None)
        if encoder is None:
            return config
        module = sys.modules[model_class.__module__]
        if getattr(module, "flash_attn_qkvpacked_func", None) is not None:
            setattr(module, "flash_attn_qkvpacked_func", sdpa_qkvpacked)  # noqa: B010 - the remote module's global
            record_fix(path, "Triton flash attention (written for a 2023 Triton pre-release, which current Triton "
                             "cannot compile) replaced by torch's scaled_dot_product_attention with the same ALiBi "
                             "bias")
        record_fix(path, "ALiBi bias built on the CPU instead of the meta device (transformers 5 builds models on "
                         "the meta device; the bias is not a parameter or buffer, so it was never materialised)")
        if getattr(encoder.rebuild_alibi_tensor, "_gfmbench_cpu", False):
            return config
        original = encoder.rebuild_alibi_tensor

        def rebuild_alibi_tensor(self: Any, size: int, device: Any = None) -> None:
            device = torch.device("cpu") if device is None else device
            with torch.device(device):  # not the meta device of transformers 5's model construction
                original(self, size, device=device)

        rebuild_alibi_tensor._gfmbench_cpu = True  # type: ignore[attr-defined]
        encoder.rebuild_alibi_tensor = rebuild_alibi_tensor
        return config


def sdpa_qkvpacked(qkv: Any, bias: Any = None, causal: bool = False, softmax_scale: float | None = None) -> Any:
    """`flash_attn_qkvpacked_func`'s contract (qkv: batch, seqlen, 3, heads, head dim; bias broadcastable to batch,
    heads, seqlen, seqlen; returns batch, seqlen, heads, head dim) through torch's fused attention."""
    import torch

    q, k, v = (t.transpose(1, 2) for t in qkv.unbind(dim=2))  # batch, heads, seqlen, head dim
    mask = None if bias is None else bias.to(q.dtype)
    out = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal,
                                                           scale=softmax_scale)
    return out.transpose(1, 2)


HYENA_SPECIALS = ("[CLS]", "[SEP]", "[BOS]", "[MASK]", "[PAD]", "[RESERVED]", "[UNK]")


@dataclass
class HyenaDnaAdapter(FamilyAdapter):
    """HyenaDNA (LongSafari/hyenadna-*-hf): implicit long convolutions, causal, in remote code.

    * Its `CharacterTokenizer` calls the base `__init__` before it sets its vocabulary; transformers 5's base init
      asks `get_vocab()`, which the class does not define, and raises NotImplementedError. `get_vocab` is given to
      the class, returning its vocabulary (specials 0-6, then its characters, exactly as its `__init__` sets it).
    * Its forward takes no attention mask and its hidden size is `d_model`: handled by the generic model layer
      (arguments the forward accepts; hidden size measured on a forward pass). Being causal, right padding leaves
      the outputs of real positions unchanged."""

    name: ClassVar[str] = "HyenaDNA"

    @classmethod
    def matches(cls, config: dict[str, Any]) -> bool:
        return config.get("model_type") == "hyenadna"

    def prepare_tokenizer_class(self, path: Path) -> None:
        from transformers.dynamic_module_utils import get_class_from_dynamic_module

        tokenizer_config = path / "tokenizer_config.json"
        auto_map = json.loads(tokenizer_config.read_text()).get("auto_map", {}) if tokenizer_config.is_file() else {}
        reference = auto_map.get("AutoTokenizer")
        reference = reference[0] if isinstance(reference, list) else reference
        if not reference:
            return
        tokenizer_class: Any = get_class_from_dynamic_module(reference, str(path))
        if "get_vocab" in vars(tokenizer_class) and not getattr(tokenizer_class.get_vocab, "_gfmbench", False):
            return
        record_fix(path, "CharacterTokenizer.get_vocab defined (its __init__ calls the transformers 5 base init, "
                         "which needs it, before setting its vocabulary: NotImplementedError otherwise)")

        def get_vocab(self: Any) -> dict[str, int]:
            vocab = getattr(self, "_vocab_str_to_int", None)
            if vocab is not None:
                return dict(vocab)
            return {**{t: i for i, t in enumerate(HYENA_SPECIALS)},
                    **{ch: i + len(HYENA_SPECIALS) for i, ch in enumerate(self.characters)}}

        get_vocab._gfmbench = True  # type: ignore[attr-defined]
        tokenizer_class.get_vocab = get_vocab


@dataclass
class CaduceusAdapter(FamilyAdapter):
    """Caduceus (kuleshov-group/caduceus-*): bidirectional, reverse-complement-equivariant Mamba; its code imports
    `mamba_ssm`, whose kernels are CUDA-only. Without it, a one-line error says so instead of an import trace."""

    name: ClassVar[str] = "Caduceus"
    requires: ClassVar[tuple[str, ...]] = ("mamba_ssm",)
    install_hint: ClassVar[str] = ("mamba_ssm is CUDA-only: run on a machine with an NVIDIA GPU after "
                                   "`pip install mamba-ssm causal-conv1d`.")

    @classmethod
    def matches(cls, config: dict[str, Any]) -> bool:
        return config.get("model_type") == "caduceus"


ADAPTERS: tuple[type[FamilyAdapter], ...] = (Dnabert2Adapter, HyenaDnaAdapter, CaduceusAdapter)


def adapter_for(config: dict[str, Any]) -> FamilyAdapter:
    """The adapter of the family a config.json (as a dict) belongs to; the plain adapter for all others."""
    for adapter in ADAPTERS:
        if adapter.matches(config):
            return adapter()
    return FamilyAdapter()
