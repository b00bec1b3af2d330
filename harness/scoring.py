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

from gfmbench.harness.align import IGNORE_INDEX, to_nucleotides
from gfmbench.harness.data import Example
from gfmbench.metrics.catalog import get_metric
from gfmbench.pairmaps import covered_pairs, pairs_to_triangle, triangle_pairs
from gfmbench.suites.schema import TaskSpec


def _softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def example_outputs(task: TaskSpec, examples: list[Example], logits: np.ndarray) -> list[dict[str, Any]]:
    """One prediction row per example: id, reference, prediction, scores (and `covered` for token tasks).
    Windows of one sequence are merged back into one row."""
    rows = []
    pending: dict[str, list[tuple[Example, np.ndarray, np.ndarray]]] = {}
    for i, ex in enumerate(examples):
        out = np.asarray(logits[i], dtype=np.float64)
        covered = None
        if task.is_pair_level:  # one output per nucleotide pair (upper triangle); the rest of the row is padding
            n = len(ex.encoded.nt_to_token)
            out, covered = out[: n * (n - 1) // 2], ex.encoded.nt_to_token >= 0
        elif task.is_token_level:
            token_out = out[: len(ex.encoded.input_ids)]
            out, covered = to_nucleotides(ex.encoded, token_out)
            if ex.window is not None:
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
    out = np.asarray(out, dtype=np.float64)
    row: dict[str, Any] = {"id": ex.id}
    if task.is_pair_level:
        row["covered"] = np.asarray(covered, dtype=bool).tolist()
        if task.type == "pair_classification":  # scores per pair (upper triangle); predicted pairs at >= 0.5
            scores = _sigmoid(out)
            row["scores"] = scores.tolist()
            row["prediction"] = triangle_pairs(scores >= 0.5, len(row["covered"]))
            row["reference"] = [list(p) for p in ex.reference]
        else:
            row["prediction"] = out.tolist()
            row["reference"] = [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
                                for v in ex.reference]
    elif task.is_token_level:
        row["covered"] = np.asarray(covered, dtype=bool).tolist()
        if task.type == "token_classification":
            probs = _softmax(out)
            row["prediction"] = probs.argmax(-1).tolist()
            row["scores"] = probs.tolist()
            row["reference"] = list(ex.reference)
        else:
            row["prediction"] = out.tolist()
            row["reference"] = [[None if math.isnan(v) else float(v) for v in r] for r in ex.reference]
    elif task.type == "sequence_classification":
        probs = _softmax(out)
        row.update(prediction=int(probs.argmax()), scores=probs.tolist(), reference=int(ex.reference))
    elif task.type == "multilabel_classification":
        scores = _sigmoid(out)
        row.update(prediction=(scores >= 0.5).astype(int).tolist(), scores=scores.tolist(),
                   reference=list(ex.reference))
    else:
        row.update(prediction=out.tolist(), reference=list(ex.reference))
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
    references, predictions = _metric_inputs(task, entry.inputs, rows)
    kwargs = {}
    width = _regression_width(task, rows)
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
    if task.type == "token_classification" or task.is_pair_level:
        metrics["truncated_positions"] = float(sum(len(r["covered"]) - sum(r["covered"]) for r in rows))
    return metrics


def _token_refs(row: dict[str, Any]) -> list[int]:
    return [IGNORE_INDEX if (r < 0 or not c) else r for r, c in zip(row["reference"], row["covered"], strict=True)]


def _metric_inputs(task: TaskSpec, inputs: str, rows: list[dict[str, Any]]) -> tuple[Any, Any]:
    refs: list[Any]
    if task.type == "pair_classification":
        refs = [np.where(covered_pairs(r["covered"]), pairs_to_triangle(r["reference"], len(r["covered"])),
                         IGNORE_INDEX) for r in rows]
        return refs, [r["scores"] for r in rows]
    if task.type == "pair_regression":
        refs = [np.where(covered_pairs(r["covered"]),
                         np.array([np.nan if v is None else v for v in r["reference"]], dtype=np.float64), np.nan)
                for r in rows]
        return refs, [np.asarray(r["prediction"], dtype=np.float64) for r in rows]
    if task.type == "token_classification":
        refs = [_token_refs(r) for r in rows]
        if inputs == "labels":
            return refs, [r["prediction"] for r in rows]
        if inputs == "scores":
            binary = len(task.labels or []) == 2
            return refs, [[s[1] for s in r["scores"]] if binary else r["scores"] for r in rows]
        if inputs == "structure":
            names = list(task.labels or [])
            predicted = ["".join(names[p] if c else "." for p, c in zip(r["prediction"], r["covered"], strict=True))
                         for r in rows]
            return [r["structure"] for r in rows], predicted
    if task.type == "token_regression":
        refs = [[[math.nan if (v is None or not c) else v for v in values] for values, c in
                 zip(r["reference"], r["covered"], strict=True)] for r in rows]
        return refs, [r["prediction"] for r in rows]
    if task.type == "sequence_classification":
        refs = [r["reference"] for r in rows]
        if inputs == "scores":
            binary = len(task.labels or []) == 2
            return refs, [r["scores"][1] if binary else r["scores"] for r in rows]
        return refs, [r["prediction"] for r in rows]
    if task.type == "multilabel_classification":
        return [r["reference"] for r in rows], [r["scores"] for r in rows]
    refs = [r["reference"] for r in rows]  # sequence regression
    preds = [r["prediction"] for r in rows]
    if _regression_width(task, rows) == 1:
        return [x[0] for x in refs], [x[0] for x in preds]
    return refs, preds


def _regression_width(task: TaskSpec, rows: list[dict[str, Any]]) -> int:
    """Targets per position (token regression) or per example (sequence regression)."""
    if task.targets:
        return len(task.targets)
    if task.type == "sequence_regression" and rows:
        return len(rows[0]["reference"])
    return 1
