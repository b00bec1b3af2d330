"""The loading report: which checkpoint weights the task model really holds, checked before any training.

A task model that silently drops the checkpoint's weights is a different, randomly initialised model scored under
the checkpoint's name (DNABERT-2's ALiBi weights dropped by transformers' vanilla BERT class: 20 of 32 tensors
unused, 27 new ones). So after every load, transformers' own loading info (missing / unexpected / mismatched keys)
is sorted into:

* **new head**: parameters outside the backbone (the task head gfmbench or the model's class adds): expected;
* **backbone not loaded**: backbone parameters the checkpoint did not provide: an error;
* **checkpoint unused**: checkpoint tensors the model did not take: an error, except those declared ignorable
  (`IGNORABLE_CHECKPOINT`: the pretraining heads a task model has no use for — MLM/LM heads, NSP, contact heads —
  and poolers);

and an error names the counts and examples. `allow_unloaded_weights` turns the error into a recorded warning;
every unit's `result.json` carries the report either way.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from gfmbench.errors import GfmbenchError

log = logging.getLogger(__name__)

# Pretraining heads and poolers a task model may leave out (a checkpoint tensor here may stay unused; a backbone
# parameter here may be newly initialised, as a pooler the MLM checkpoint never had).
IGNORABLE_CHECKPOINT = re.compile(r"(^|\.)(lm_head|cls|pooler|contact_head|pretrain_head|mlm_head|lm_predictions)"
                                  r"(\.|$)")
EXAMPLES = 5


class WeightsNotLoadedError(GfmbenchError):
    """The task model does not hold the checkpoint's weights: it would be a different model than the one named."""


@dataclass
class LoadingReport:
    model_class: str  # the class that received the checkpoint's weights
    head: str  # what gfmbench (or the model's class) put on top
    n_parameters: int = 0
    n_checkpoint_tensors: int = 0  # tensors the checkpoint provided to this class (loaded + unused)
    new_parameters: list[str] = field(default_factory=list)  # newly initialised head parameters
    backbone_not_loaded: list[str] = field(default_factory=list)
    checkpoint_unused: list[str] = field(default_factory=list)
    checkpoint_ignored: list[str] = field(default_factory=list)  # unused but ignorable (pretraining heads, pooler)
    mismatched: list[str] = field(default_factory=list)  # shape differs between checkpoint and model
    fixes: list[str] = field(default_factory=list)  # compatibility fixes applied at load time (harness.families)
    token_outputs: str = ""  # how token outputs map to input positions, when the class changes their count
    allowed_unloaded: bool = False  # the run was told to go on despite weights not loaded

    @property
    def problems(self) -> int:
        return len(self.backbone_not_loaded) + len(self.checkpoint_unused) + len(self.mismatched)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _under(key: str, prefix: str) -> bool:
    return bool(prefix) and (key == prefix or key.startswith(prefix + "."))


def loading_report(model: Any, info: dict[str, Any], model_class: str, head: str, backbone_prefix: str | None,
                   extra_new: list[str] | None = None) -> LoadingReport:
    """Sort transformers' loading info of `model` into a report. `backbone_prefix`: the attribute under which the
    backbone's parameters sit in a task class (its `base_model_prefix`); None when `model` is the bare backbone, so
    every missing key is a backbone key."""
    missing = sorted(info.get("missing_keys", []))
    unexpected = sorted(info.get("unexpected_keys", []))
    mismatched = sorted(str(k[0] if isinstance(k, tuple) else k) for k in info.get("mismatched_keys", []))
    in_backbone = [k for k in missing if backbone_prefix is None or _under(k, backbone_prefix)]
    new = [k for k in missing if k not in in_backbone]
    not_loaded = [k for k in in_backbone if not IGNORABLE_CHECKPOINT.search(k)]
    new += [k for k in in_backbone if IGNORABLE_CHECKPOINT.search(k)]
    loaded = len(set(dict(model.state_dict()).keys()) - set(missing))
    return LoadingReport(
        model_class=model_class, head=head,
        n_parameters=int(sum(p.numel() for p in model.parameters())),
        n_checkpoint_tensors=loaded + len(unexpected),
        new_parameters=new + list(extra_new or []),
        backbone_not_loaded=not_loaded,
        checkpoint_unused=[k for k in unexpected if not IGNORABLE_CHECKPOINT.search(k)],
        checkpoint_ignored=[k for k in unexpected if IGNORABLE_CHECKPOINT.search(k)],
        mismatched=mismatched,
    )


def check_loading(report: LoadingReport, model_id: str, allow_unloaded_weights: bool = False) -> None:
    """Stop unless the task model holds the checkpoint's weights (see the module docstring)."""
    if not report.problems:
        return
    parts = []
    if report.checkpoint_unused:
        parts.append(f"{len(report.checkpoint_unused)} of {report.n_checkpoint_tensors} checkpoint tensors were "
                     f"left unused (e.g. {', '.join(report.checkpoint_unused[:EXAMPLES])})")
    if report.backbone_not_loaded:
        parts.append(f"{len(report.backbone_not_loaded)} backbone parameters were not in the checkpoint and were "
                     f"randomly initialised (e.g. {', '.join(report.backbone_not_loaded[:EXAMPLES])})")
    if report.mismatched:
        parts.append(f"{len(report.mismatched)} tensors have other shapes than the model's "
                     f"(e.g. {', '.join(report.mismatched[:EXAMPLES])})")
    message = (f"{model_id}: {report.model_class} does not hold the checkpoint's weights: " + "; ".join(parts)
               + ". The score would belong to a different model than the one named.")
    if not allow_unloaded_weights:
        raise WeightsNotLoadedError(message + " If this is intended, pass --allow-unloaded-weights (the result "
                                    "card will say so).")
    report.allowed_unloaded = True
    log.warning("%s; going on as --allow-unloaded-weights asks (recorded in the result)", message)
