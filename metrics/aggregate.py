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


def mean_interval(
    values: Sequence[float],
    test_intervals: Sequence[tuple[float, float]] = (),
    confidence: float = 0.95,
    bounds: tuple[float, float] | None = None,
) -> tuple[float, float, str]:
    """Interval of the mean score over seeds, with the method that made it: (low, high, method).

    Two uncertainties make a fine-tuning score: the seed (initialisation, batch order: the larger one in practice)
    and the finite test set. With n >= 2 seeds the seed part is Student's t interval of the mean over seeds
    (half-width t_{n-1} * s / sqrt(n), scipy.stats.t); the test-set part is the mean half-width of the seeds'
    percentile-bootstrap intervals over test examples. The two are independent sources, so their half-widths add in
    quadrature around the mean. With one seed only the bootstrap interval exists, and the method says that seed
    variance is not in it. `bounds` (the metric's range) clips the interval.

    >>> low, high, method = mean_interval([0.2776, 0.4047])
    >>> round(low, 3), round(high, 3), method
    (-0.466, 1.149, 't over 2 seeds')
    """
    from scipy import stats

    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        raise MetricInputError("no value to summarise")
    half_widths = [(high - low) / 2 for low, high in test_intervals]
    if arr.size == 1:
        if not test_intervals:
            raise MetricInputError("one seed and no test-set interval: no interval can be given")
        low, high = test_intervals[0]
        method = "test-set bootstrap only (1 seed: seed variance not included)"
    else:
        mean = float(arr.mean())
        seed_half = float(stats.t.ppf(0.5 + confidence / 2, arr.size - 1) * arr.std(ddof=1) / math.sqrt(arr.size))
        test_half = float(np.mean(half_widths)) if half_widths else 0.0
        half = math.hypot(seed_half, test_half)
        low, high = mean - half, mean + half
        method = f"t over {arr.size} seeds" + (" (+) test-set bootstrap" if half_widths else "")
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return float(low), float(high), method
