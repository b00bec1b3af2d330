"""What one `gfmbench run` is asked to do, in typed groups: the experiment (model, suite, tasks, seeds, regime) at
the top, then how to train, how to load the model, and where the results go.

The command line, sweeps and the Python API name the same options flat (`epochs=3`, `push_to="org/results"`);
`RunConfig.from_options` sorts them into their groups, so an option is declared once, here, and an unknown one is an
error rather than a setting silently dropped.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from gfmbench.errors import GfmbenchError
from gfmbench.harness.options import BatchOrder, LongSequences, LrScheduler, Precision, ZeroShotScoring
from gfmbench.harness.results import Regime


@dataclass
class TrainingOptions:
    """Overrides of the suite's and the model family's training defaults (None: theirs), and how to train."""

    epochs: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    warmup_ratio: float | None = None
    max_length: int | None = None  # nucleotides (default: the task's)
    long_sequences: LongSequences = "truncate"  # "window": sliding windows for token tasks
    gradient_accumulation_steps: int = 1
    precision: Precision = "fp32"  # "bf16" / "fp16" mixed precision (fine-tuning)
    lr_scheduler: LrScheduler = "linear"
    batching: BatchOrder = "length"  # "length" (length-grouped batches, faster) or "random" (shuffled batches)
    streaming: bool = False  # fine-tune from `load_dataset(..., streaming=True)` (train sets larger than memory)


@dataclass
class LoadingOptions:
    """How the model may be loaded."""

    trust_remote_code: bool = False
    imports: list[str] = field(default_factory=list)  # packages that register model families (multimolecule)
    allow_unloaded_weights: bool = False  # go on when checkpoint weights are not loaded (recorded in every unit)


@dataclass
class PublishingOptions:
    """Where the results go beyond the results store."""

    write_cards: bool = True  # sweeps write cards once, at merge time
    push_to: str | None = None  # a results dataset repo
    push_to_hub: bool = False  # publish to the Hub at HF_ENDPOINT with the user's token instead of the local hub


@dataclass
class RunConfig:
    model: str
    suite: str
    tasks: list[str] | None = None  # config names or upstream aliases; default: every task of the suite
    seeds: list[int] = field(default_factory=lambda: [0])
    regime: Regime = "finetune"  # "probe": frozen backbone + linear model; "zeroshot": LM likelihoods, no training
    zeroshot_scoring: ZeroShotScoring = "masked"  # "masked" marginals, or "wildtype" (one unmasked pass)
    dataset_revision: str | None = None
    output_dir: Path | None = None
    overwrite: bool = False
    progress: bool = True
    command: str = field(default_factory=lambda: shlex.join(sys.argv))
    training: TrainingOptions = field(default_factory=TrainingOptions)
    loading: LoadingOptions = field(default_factory=LoadingOptions)
    publishing: PublishingOptions = field(default_factory=PublishingOptions)

    @classmethod
    def option_names(cls) -> list[str]:
        """Every option, flat: the top-level fields and those of the groups."""
        return [*_top_level(), *(name for group in _GROUPS.values() for name in _names(group))]

    @classmethod
    def from_options(cls, **options: Any) -> RunConfig:
        """A config from flat options (`epochs=3, push_to="org/results"`), each put into its group."""
        unknown = sorted(set(options) - set(cls.option_names()))
        if unknown:
            raise GfmbenchError(f"unknown run option(s) {unknown}; the options are {', '.join(cls.option_names())}")
        groups = {attribute: group(**{k: v for k, v in options.items() if k in _names(group)})
                  for attribute, group in _GROUPS.items()}
        return cls(**{k: v for k, v in options.items() if k in _top_level()}, **groups)


_GROUPS: dict[str, type] = {"training": TrainingOptions, "loading": LoadingOptions, "publishing": PublishingOptions}


def _names(group: type) -> list[str]:
    return [f.name for f in fields(group)]


def _top_level() -> list[str]:
    return [name for name in _names(RunConfig) if name not in _GROUPS]
