"""Summaries across seeds and resamples: what a leaderboard cell shows."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gfmbench.metrics.functional import MetricInputError


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1) over seeds; the std of a single value is NaN (undefined).

    >>> mean_std([0.5, 0.7, 0.9])
    (0.7, 0.2)
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        raise MetricInputError("no value to summarise")
    mean = float(arr.mean())
    std = float(arr.std(ddof=1)) if arr.size > 1 else float("nan")
    return round(mean, 12), round(std, 12) if not math.isnan(std) else std


def bootstrap_ci(
    metric: Callable[[Any, Any], float],
    references: Sequence[Any],
    predictions: Sequence[Any],
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of any metric, resampling whole examples (sequences for token
    tasks), with scipy.stats.bootstrap. Deterministic for a given seed.

    >>> from gfmbench.metrics.functional import accuracy
    >>> low, high = bootstrap_ci(accuracy, [0, 1] * 50, [0, 1] * 40 + [1, 0] * 10, n_resamples=200)
    >>> low < 0.8 < high
    True
    """
    from scipy.stats import bootstrap

    n = len(references)
    if n != len(predictions):
        raise MetricInputError(f"{n} references vs {len(predictions)} predictions")
    if n < 2:
        raise MetricInputError("a bootstrap interval needs at least 2 examples")
    refs = list(references)
    preds = list(predictions)

    def statistic(index: np.ndarray) -> float:
        chosen = index.astype(int)
        return metric([refs[i] for i in chosen], [preds[i] for i in chosen])

    result = bootstrap((np.arange(n),), statistic, confidence_level=confidence, n_resamples=n_resamples,
                       method="percentile", vectorized=False, rng=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)
