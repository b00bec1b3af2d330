"""`gfmbench models check MODEL`: what a researcher runs before spending GPU hours on a model.

It loads the tokenizer and tokenizes a DNA and an RNA sequence (yeast tRNA-Phe, a public 76-nt sequence, in both
alphabets), shows one alignment (each token and the nucleotides it covers), the unknown-token share, loads the
backbone with the checked loading report, runs one forward pass, and says per task type whether it can run and
with which class — all without training anything.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from gfmbench.errors import GfmbenchError

TRNA_PHE = "GCGGAUUUAGCUCAGUUGGGAGAGCGCCAGACUGAAGAUCUGGAGGUCCUGUGUUCGAUCCACAGAAUUCGCACCA"  # yeast tRNA-Phe
PROBES = {"RNA": TRNA_PHE, "DNA": TRNA_PHE.replace("U", "T")}
TASK_TYPES = ("sequence_classification", "token_classification", "pair_classification")


@dataclass
class ModelCheck:
    model: str
    revision: str
    family: str | None
    tokenizer: str  # class and fast / slow
    input_format: str
    alphabets: dict[str, dict[str, Any]] = field(default_factory=dict)  # alphabet -> tokens, unknown share
    alignment: list[tuple[str, str]] = field(default_factory=list)  # (token, nucleotides covered)
    forward: str = ""
    loading: dict[str, Any] = field(default_factory=dict)
    task_types: dict[str, str] = field(default_factory=dict)  # task type / regime -> "yes: ..." or "no: ..."

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _task_support(model: Any, config: Any, fmt: Any) -> dict[str, str]:
    from gfmbench.harness.kinds import TASK_KINDS
    from gfmbench.harness.taskmodel import is_causal, own_class

    out = {}
    for task_type in TASK_TYPES:
        head_class = TASK_KINDS[task_type].head_class
        if head_class is None:
            out[task_type] = "yes: backbone + gfmbench pair head"
            continue
        own = own_class(model, config, head_class)
        out[task_type] = f"yes: {own.__name__}" if own is not None else "yes: backbone + gfmbench linear head"
    out["probe"] = "yes: frozen backbone, " + ("last-token" if is_causal(config) else "mean") + " pooling"
    lm = [name for name in (("AutoModelForCausalLM", "AutoModelForMaskedLM") if is_causal(config) else
                            ("AutoModelForMaskedLM", "AutoModelForCausalLM")) if own_class(model, config, name)]
    if fmt.kind == "kmer_overlap":
        out["zeroshot"] = "no: overlapping k-mers have no per-nucleotide likelihood"
    elif lm:
        out["zeroshot"] = f"yes: {own_class(model, config, lm[0]).__name__}"
    else:
        out["zeroshot"] = "no: no masked-LM or causal-LM class"
    return out


def check_model(spec: str, trust_remote_code: bool = False, imports: list[str] | None = None,
                allow_unloaded_weights: bool = False) -> ModelCheck:
    import torch

    from gfmbench.harness.align import detect_input_format, encode
    from gfmbench.harness.models import check_remote_code, import_plugins, load_config, load_tokenizer, resolve_model
    from gfmbench.harness.taskmodel import load_backbone
    from gfmbench.models.registry import registry_spec

    resolved_spec, family, _ = registry_spec(spec)
    import_plugins([*(imports or []), *([family.plugin_import] if family and family.plugin_import else [])])
    model = resolve_model(resolved_spec)
    check_remote_code(model, trust_remote_code)
    tokenizer = load_tokenizer(model, trust_remote_code)
    fmt = detect_input_format(tokenizer)
    report = ModelCheck(model=model.model_id, revision=model.sha, family=family.display_name if family else None,
                        tokenizer=f"{type(tokenizer).__name__} ({'fast' if tokenizer.is_fast else 'slow'})",
                        input_format=fmt.describe())
    encoded = {}
    for alphabet, sequence in PROBES.items():
        enc = encode(tokenizer, fmt, [sequence], None)[0]
        encoded[alphabet] = enc
        real = int((enc.spans[:, 0] >= 0).sum())
        report.alphabets[alphabet] = {"tokens": len(enc.input_ids), "sequence_tokens": real,
                                      "unknown_share": round(enc.unknown_tokens / max(real, 1), 4)}
    alphabet = min(report.alphabets, key=lambda a: (report.alphabets[a]["unknown_share"],
                                                    a != ("DNA" if fmt.translate.get("U") == "T" else "RNA")))
    enc = encoded[alphabet]
    pieces = tokenizer.convert_ids_to_tokens(enc.input_ids)
    for piece, (start, end) in zip(pieces, enc.spans.tolist(), strict=True):
        report.alignment.append((piece, "(special)" if start < 0 else PROBES[alphabet][start:end]))
    if report.alphabets[alphabet]["unknown_share"] > 0.01:
        raise GfmbenchError(f"{model.model_id}: its tokenizer maps more than 1% of both a DNA and an RNA sequence to "
                            "its unknown token")
    backbone, loading = load_backbone(model, enc, trust_remote_code, allow_unloaded_weights)
    with torch.no_grad():
        states = backbone(torch.tensor([enc.input_ids]), torch.ones(1, len(enc.input_ids), dtype=torch.long))
    report.forward = (f"{loading.model_class}: {len(enc.input_ids)} tokens -> hidden states "
                      f"{tuple(states.shape)}, finite: {bool(torch.isfinite(states).all())}")
    report.loading = loading.as_dict()
    config, _ = load_config(model, trust_remote_code)
    report.task_types = _task_support(model, config, fmt)
    return report
