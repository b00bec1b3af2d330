"""Is one model better than another? Paired tests on the same test examples and seeds, and rank tests across tasks.

- `paired_comparison`: two models (or regimes) on one task. The statistic is the difference of the metric's mean
  over seeds, A − B, computed on the same test examples. The p-value is a paired permutation test
  (scipy.stats.permutation_test, `permutation_type="samples"`): under the null hypothesis that the two models are
  exchangeable, swapping A's and B's predictions of any example (in every seed at once) leaves the distribution of
  the statistic unchanged. The interval of the effect is a paired percentile bootstrap over examples. Both work for
  any metric, including those that are not a mean over examples (F1, MCC, AUC, structure F1).
- `friedman_nemenyi`: several models over several tasks (Demšar, 2006): average ranks per model, the Friedman test
  (scipy.stats.friedmanchisquare), Nemenyi's post-hoc p-values (scikit-posthocs) and the critical difference
  CD = q_alpha * sqrt(k (k + 1) / (6 N)) with q_alpha from scipy's studentized range.
- `wilcoxon_holm`: every pair of models, Wilcoxon signed-rank over per-task means (scipy.stats.wilcoxon), Holm's
  step-down correction (statsmodels): the alternative of Benavoli et al. (2016) to the Nemenyi test.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gfmbench.metrics.functional import MetricInputError

Metric = Callable[[list[Any], list[Any]], float]


@dataclass(frozen=True)
class PairedComparison:
    effect: float  # mean over seeds of metric(A) − mean over seeds of metric(B), on the same examples
    p_value: float  # two-sided paired permutation test
    interval: tuple[float, float]  # 95 % paired bootstrap interval of the effect
    n_examples: int
    n_seeds: int
    n_resamples: int

    def significant(self, alpha: float = 0.05) -> bool:
        return self.p_value < alpha


def paired_comparison(metric: Metric, a: Sequence[tuple[list[Any], list[Any]]],
                      b: Sequence[tuple[list[Any], list[Any]]], n_resamples: int = 1000,
                      seed: int = 0) -> PairedComparison:
    """Compare A and B on the same examples. `a[k]` and `b[k]` are seed k's (references, predictions), one entry per
    example in the same example order for both (references may differ per model where tokenisation decides which
    positions are scored; the pair (reference, prediction) of an example moves as one)."""
    from scipy.stats import bootstrap, permutation_test

    if not a or len(a) != len(b):
        raise MetricInputError(f"{len(a)} seed(s) of A vs {len(b)} of B: a paired test needs the same seeds")
    n = len(a[0][0])
    if n < 2 or any(len(refs) != n or len(preds) != n for side in (a, b) for refs, preds in side):
        raise MetricInputError(f"every seed of both models must score the same {n} (>= 2) examples")
    seeds = len(a)
    items = [[(list(ra), list(pa)), (list(rb), list(pb))] for (ra, pa), (rb, pb) in zip(a, b, strict=True)]

    def side_mean(chosen: np.ndarray, which: int) -> float:
        """Mean over seeds of the metric where example i comes from model `which` unless swapped (chosen[i] >= n)."""
        values = []
        for pair in items:
            refs, preds = [], []
            for i, j in enumerate(chosen.astype(int)):
                source = pair[which if j < n else 1 - which]
                refs.append(source[0][i])
                preds.append(source[1][i])
            values.append(metric(refs, preds))
        return float(np.mean(values))

    def difference(x: np.ndarray, y: np.ndarray) -> float:
        return side_mean(x, 0) - side_mean(x, 1)  # y mirrors x (swapped where x is), so x says it all

    index_a, index_b = np.arange(n), np.arange(n) + n
    observed = difference(index_a, index_b)
    test = permutation_test((index_a, index_b), difference, permutation_type="samples", n_resamples=n_resamples,
                            vectorized=False, alternative="two-sided", rng=np.random.default_rng(seed))

    def resampled_difference(index: np.ndarray) -> float:
        picked = index.astype(int)
        values = [metric([p[0][0][i] for i in picked], [p[0][1][i] for i in picked])
                  - metric([p[1][0][i] for i in picked], [p[1][1][i] for i in picked]) for p in items]
        return float(np.mean(values))

    boot = bootstrap((np.arange(n),), resampled_difference, n_resamples=n_resamples, method="percentile",
                     vectorized=False, rng=np.random.default_rng(seed))
    return PairedComparison(effect=observed, p_value=float(test.pvalue),
                            interval=(float(boot.confidence_interval.low), float(boot.confidence_interval.high)),
                            n_examples=n, n_seeds=seeds, n_resamples=n_resamples)


@dataclass(frozen=True)
class RankSummary:
    models: list[str]
    average_ranks: dict[str, float]  # 1 = best, over the tasks every model has
    n_tasks: int
    friedman_p: float | None  # None with fewer than 3 models (the test needs 3)
    critical_difference: float  # Nemenyi CD at alpha: average ranks closer than this are not distinguishable
    nemenyi_p: dict[str, dict[str, float]]  # model -> model -> p-value
    alpha: float


def task_ranks(scores: dict[str, dict[str, float]], higher_is_better: dict[str, bool]) -> dict[str, dict[str, float]]:
    """task -> model -> rank (1 = best; ties share the average rank, as the Friedman test expects)."""
    from scipy.stats import rankdata

    out = {}
    for task, by_model in scores.items():
        models = sorted(by_model)
        values = np.array([by_model[m] for m in models], dtype=np.float64)
        ranks = rankdata(-values if higher_is_better[task] else values, method="average")
        out[task] = dict(zip(models, (float(r) for r in ranks), strict=True))
    return out


def nemenyi_critical_difference(k: int, n_tasks: int, alpha: float = 0.05) -> float:
    """CD = q_alpha * sqrt(k (k + 1) / (6 N)), q_alpha the studentized range quantile over sqrt(2) (Demšar, 2006).

    >>> round(nemenyi_critical_difference(3, 10) / math.sqrt(3 * 4 / 60), 3)  # Demšar's Table 5: q_0.05 = 2.343
    2.344
    """
    from scipy.stats import studentized_range

    q = float(studentized_range.ppf(1 - alpha, k, np.inf)) / math.sqrt(2)
    return q * math.sqrt(k * (k + 1) / (6 * n_tasks))


def friedman_nemenyi(scores: dict[str, dict[str, float]], higher_is_better: dict[str, bool],
                     alpha: float = 0.05) -> RankSummary:
    """`scores[task][model]`: each model's mean score per task. Only the tasks every model has are used."""
    import pandas as pd
    import scikit_posthocs as sp
    from scipy.stats import friedmanchisquare

    models = sorted({m for by_model in scores.values() for m in by_model})
    complete = {t: v for t, v in scores.items() if set(v) == set(models)}
    if len(models) < 2 or not complete:
        raise MetricInputError("a rank comparison needs at least 2 models that share at least one task")
    ranks = task_ranks(complete, higher_is_better)
    average = {m: float(np.mean([ranks[t][m] for t in ranks])) for m in models}
    n = len(complete)
    friedman_p = None
    nemenyi: dict[str, dict[str, float]] = {m: {} for m in models}
    if len(models) >= 3 and n >= 2:
        rank_matrix = np.array([[ranks[t][m] for m in models] for t in sorted(ranks)])
        friedman_p = float(friedmanchisquare(*rank_matrix.T).pvalue)
        table = sp.posthoc_nemenyi_friedman(pd.DataFrame(rank_matrix, columns=models))
        nemenyi = {a: {b: float(table.loc[a, b]) for b in models if b != a} for a in models}
    return RankSummary(models=models, average_ranks=average, n_tasks=n, friedman_p=friedman_p,
                       critical_difference=nemenyi_critical_difference(len(models), n, alpha),
                       nemenyi_p=nemenyi, alpha=alpha)


def wilcoxon_holm(scores: dict[str, dict[str, float]], higher_is_better: dict[str, bool],
                  alpha: float = 0.05) -> list[dict[str, Any]]:
    """Every pair of models: Wilcoxon signed-rank over the tasks both have (scores oriented so that higher is
    better), p-values Holm-corrected over the pairs. Rows: a, b, tasks, median difference, p, p_holm, significant."""
    from scipy.stats import wilcoxon
    from statsmodels.stats.multitest import multipletests

    models = sorted({m for by_model in scores.values() for m in by_model})
    rows = []
    for i, a in enumerate(models):
        for b in models[i + 1:]:
            shared = [t for t, v in scores.items() if a in v and b in v]
            diffs = np.array([(scores[t][a] - scores[t][b]) * (1 if higher_is_better[t] else -1) for t in shared])
            if len(diffs) == 0 or np.all(diffs == 0):
                p = 1.0
            else:
                p = float(wilcoxon(diffs, zero_method="zsplit").pvalue)
            rows.append({"a": a, "b": b, "tasks": len(shared), "median_difference": float(np.median(diffs))
                         if len(diffs) else math.nan, "p": p})
    if rows:
        reject, corrected, _, _ = multipletests([r["p"] for r in rows], alpha=alpha, method="holm")
        for row, p_holm, rej in zip(rows, corrected, reject, strict=True):
            row["p_holm"], row["significant"] = float(p_holm), bool(rej)
    return rows
