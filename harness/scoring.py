"""From model outputs to nucleotide-level predictions and the task's metrics.

Token outputs are mapped back to nucleotides (see `align`), so scores are comparable across tokenizers. The same
code scores validation (for early stopping) and test, and the saved predictions can be re-scored later with
`score_predictions` without the model.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from gfmbench.harness.data import Example
from gfmbench.harness.kinds import kind_of
from gfmbench.metrics.catalog import get_metric
from gfmbench.suites.schema import TaskSpec


def example_outputs(task: TaskSpec, examples: list[Example], logits: np.ndarray) -> list[dict[str, Any]]:
    """One prediction row per example: id, reference, prediction, scores (and `covered` for token tasks).
    Windows of one sequence are merged back into one row."""
    kind = kind_of(task)
    rows = []
    pending: dict[str, list[tuple[Example, np.ndarray, np.ndarray]]] = {}
    for i, ex in enumerate(examples):
        out, covered = kind.outputs(ex, np.asarray(logits[i], dtype=np.float64))
        if ex.window is not None and covered is not None:
            group = pending.setdefault(ex.id, [])
            group.append((ex, out, covered))
            if ex.window[0] + len(covered) < ex.window[1]:
                continue  # more windows of this sequence follow
            out, covered = _merge_windows(group)
            del pending[ex.id]
        rows.append(prediction_row(task, ex, out, covered))
    return rows


def prediction_row(task: TaskSpec, ex: Example, out: np.ndarray, covered: np.ndarray | None = None) -> dict[str, Any]:
    """The prediction row of one example from its outputs: logits (classification; log-probabilities work the same)
    or values (regression); for token tasks per nucleotide, with the mask of the nucleotides that were scored."""
    row: dict[str, Any] = {"id": ex.id}
    row.update(kind_of(task).prediction(task, ex, np.asarray(out, dtype=np.float64), covered))
    row.update(ex.extra)  # the sequence, and the reference dot-bracket for structure tasks
    return row


def _merge_windows(group: list[tuple[Example, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Each nucleotide takes the output of the window in which it is farthest from an edge (most context)."""
    spans: list[tuple[int, int]] = []
    for ex, _, _ in group:
        if ex.window is None:
            raise ValueError(f"{ex.extra.get('id', 'an example')}: merging windows of a sequence that was not windowed")
        spans.append(ex.window)
    length = spans[0][1]
    first = group[0][1]
    merged = np.zeros((length, *first.shape[1:]), dtype=first.dtype)
    best = np.full(length, -1)
    for (_, values, covered), (start, _) in zip(group, spans, strict=True):
        positions = np.arange(len(covered))
        distance = np.minimum(positions, len(covered) - 1 - positions)
        take = covered & (distance > best[start:start + len(covered)])
        merged[start:start + len(covered)][take] = values[take]
        best[start:start + len(covered)][take] = distance[take]
    return merged, best >= 0


def prepared_metric(task: TaskSpec, name: str, rows: list[dict[str, Any]]) -> tuple[Any, list[Any], list[Any]]:
    """The metric as a function of (references, predictions), one entry per example, and those inputs for `rows`
    (computed once, so that a bootstrap resamples them without rebuilding them)."""
    entry = get_metric(name)
    kind = kind_of(task)
    references, predictions = kind.inputs(task, entry.inputs, rows)
    kwargs = {}
    width = kind.regression_width(task, rows)
    if entry.inputs == "regression" and name != "mcrmse" and width > 1:
        kwargs["n_targets"] = width

    def metric(refs: Any, preds: Any) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            value = entry(refs, preds, **kwargs)
        return float(np.mean(value)) if isinstance(value, list) else float(value)

    return metric, list(references), list(predictions)


def score_metric(task: TaskSpec, name: str, rows: list[dict[str, Any]]) -> float:
    """One metric of the task over prediction rows."""
    metric, references, predictions = prepared_metric(task, name, rows)
    return metric(references, predictions)


def primary_confidence_interval(task: TaskSpec, rows: list[dict[str, Any]], n_resamples: int = 200,
                                seed: int = 0) -> tuple[float, float] | None:
    """95 % percentile bootstrap interval of the primary metric, resampling test examples (sequences)."""
    from gfmbench.metrics.aggregate import bootstrap_ci
    from gfmbench.metrics.functional import MetricInputError

    if len(rows) < 2:
        return None
    try:
        metric, references, predictions = prepared_metric(task, task.primary_metric, rows)
        low, high = bootstrap_ci(metric, references, predictions, n_resamples=n_resamples, seed=seed)
    except (MetricInputError, ValueError):
        return None  # e.g. a resample with one class only for ROC-AUC
    if math.isnan(low) or math.isnan(high):
        return None  # undefined in resamples (a correlation of constant predictions): no interval, not NaN
    return low, high


def score_predictions(task: TaskSpec, rows: list[dict[str, Any]]) -> dict[str, float]:
    """Every metric of the task over prediction rows (as returned by `example_outputs` or read back from Parquet)."""
    metrics = {name: score_metric(task, name, rows) for name in task.metrics}
    metrics.update(kind_of(task).extra_scores(rows))
    return metrics
