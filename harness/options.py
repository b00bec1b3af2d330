"""The values a run's settings can take, as types. `RunConfig` and `Hyperparameters` are typed with them and the
command line's choices are made from them, so a new value is added in one place."""

from __future__ import annotations

from typing import Any, Literal, get_args

LongSequences = Literal["truncate", "window"]  # window: half-overlapping windows merged per nucleotide (token tasks)
ZeroShotScoring = Literal["masked", "wildtype"]  # masked marginals, or wild-type marginals (one unmasked pass)
Precision = Literal["fp32", "bf16", "fp16"]  # mixed precision of fine-tuning
LrScheduler = Literal["linear", "constant", "constant_with_warmup", "cosine"]  # transformers' schedule names
BatchOrder = Literal["length", "random"]  # length-grouped batches (little padding) or shuffled batches


def choices(literal: Any) -> list[str]:
    """The values of a Literal type, in order (argparse `choices`)."""
    return list(get_args(literal))
