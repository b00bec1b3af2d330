"""Pure, vectorised metric functions: the one place where every leaderboard number is computed.

Conventions shared by all functions:
* `references` first, `predictions` second (as in scikit-learn).
* Sequence-level inputs are 1-D (`(n,)`); token-level inputs are padded arrays `(n, L)` whose references hold
  `ignore_index` (-100, as in transformers) at positions that are not scored, or ragged lists of per-sequence
  lists. Only valid positions are scored, flattened over all sequences.
* Label metrics accept predicted labels, or scores/logits with one more trailing axis (argmax is taken).
* Nothing left to score after masking is an error (`MetricInputError`), never a silent 0.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

from gfmbench.errors import GfmbenchError

IGNORE_INDEX = -100
"""Label of a position that is not scored: the index transformers' losses ignore, and the one every metric here
skips (the harness writes it for padding, special tokens and truncated positions)."""
Average = Literal["macro", "micro", "weighted", "binary"]


class MetricInputError(GfmbenchError, ValueError):
    """References/predictions that cannot be scored (shape, dtype, range)."""


# --------------------------------------------------------------------------------------------------- input handling
def _is_ragged(values: Any) -> bool:
    if isinstance(values, np.ndarray) or not isinstance(values, (list, tuple)) or not values:
        return False
    first = values[0]
    if not isinstance(first, (list, tuple, np.ndarray)):
        return False
    return len({len(v) for v in values}) > 1


def _as_array(values: Any, name: str) -> tuple[np.ndarray, list[int] | None]:
    """The values as one array, and the per-sequence lengths when they were ragged (then concatenated)."""
    if _is_ragged(values):
        lengths = [len(v) for v in values]
        try:
            return np.concatenate([np.asarray(v, dtype=None) for v in values], axis=0), lengths
        except ValueError as exc:
            raise MetricInputError(f"{name}: ragged rows have inconsistent trailing shapes ({exc})") from None
    try:
        return np.asarray(values), None
    except ValueError as exc:
        raise MetricInputError(f"{name}: not a rectangular array ({exc})") from None


def _pair_arrays(references: Any, predictions: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both inputs as arrays whose leading axes align (ragged inputs are concatenated per sequence)."""
    refs, ref_lengths = _as_array(references, "references")
    preds, pred_lengths = _as_array(predictions, "predictions")
    if (ref_lengths is None) != (pred_lengths is None):
        raise MetricInputError("references and predictions must both be ragged lists or both be padded arrays")
    if ref_lengths is not None and pred_lengths is not None and ref_lengths != pred_lengths:
        bad = next(i for i, (a, b) in enumerate(zip(ref_lengths, pred_lengths, strict=False)) if a != b) \
            if len(ref_lengths) == len(pred_lengths) else None
        where = f" (sequence {bad}: {ref_lengths[bad]} vs {pred_lengths[bad]})" if bad is not None else \
            f" ({len(ref_lengths)} vs {len(pred_lengths)} sequences)"
        raise MetricInputError(f"references and predictions differ in length{where}")
    return refs, preds


def _integer_labels(values: np.ndarray, name: str) -> np.ndarray:
    if values.dtype.kind in "iu":
        return values.astype(np.int64, copy=False)
    if values.dtype.kind == "b":
        return values.astype(np.int64)
    if values.dtype.kind == "f" and values.size and np.all(np.isfinite(values)) and np.all(values == np.round(values)):
        return values.astype(np.int64)
    if values.dtype.kind == "f" and values.size == 0:
        return values.astype(np.int64)
    raise MetricInputError(f"{name}: expected integer class labels, got dtype {values.dtype}")


def valid_labels(
    references: Any, predictions: Any, ignore_index: int = IGNORE_INDEX, num_classes: int | None = None,
    scores: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Flatten to the scored positions: (y_true (m,), y_pred (m,) labels or (m, C) scores).

    With `scores`, predictions of the references' shape are binary scores rather than labels.
    """
    refs, preds = _pair_arrays(references, predictions)
    refs = _integer_labels(refs, "references")
    if preds.shape == refs.shape and scores:
        if preds.dtype.kind not in "fiub":
            raise MetricInputError(f"predictions: expected numeric scores, got dtype {preds.dtype}")
        preds = preds.astype(np.float64)
    elif preds.shape == refs.shape:
        preds = _integer_labels(preds, "predictions")
    elif preds.ndim == refs.ndim + 1 and preds.shape[:-1] == refs.shape:
        if preds.dtype.kind not in "fiu":
            raise MetricInputError(f"predictions: expected numeric scores, got dtype {preds.dtype}")
        preds = preds.astype(np.float64, copy=False)
        if num_classes is not None and preds.shape[-1] != num_classes:
            raise MetricInputError(f"predictions: {preds.shape[-1]} score columns for {num_classes} classes")
    else:
        raise MetricInputError(
            f"shape mismatch: references {refs.shape} vs predictions {preds.shape} (predictions must have the "
            "references' shape, or one more trailing axis of class scores)"
        )
    mask = refs != ignore_index
    y_true, y_pred = refs[mask], preds[mask]
    if y_true.size == 0:
        raise MetricInputError("no position left to score after removing ignore_index")
    limit = num_classes if num_classes is not None else None
    if y_true.min() < 0 or (limit is not None and y_true.max() >= limit):
        raise MetricInputError(f"references: label {int(y_true.min() if y_true.min() < 0 else y_true.max())} "
                               f"outside 0..{(limit or 0) - 1 if limit else 'n'} (ignored positions must equal "
                               f"ignore_index={ignore_index})")
    if y_pred.ndim == 1 and not scores and (y_pred.min() < 0 or (limit is not None and y_pred.max() >= limit)):
        raise MetricInputError(f"predictions: label outside 0..{(limit or 0) - 1 if limit else 'n'}")
    return y_true, y_pred


def _labels_from(y_pred: np.ndarray) -> np.ndarray:
    return y_pred.argmax(axis=-1) if y_pred.ndim == 2 else y_pred


# --------------------------------------------------------------------------------------------------- classification
def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """Counts C[t, p] with one bincount (O(n), no sort); rows are references."""
    k = int(max(y_true.max(), y_pred.max()) + 1) if num_classes is None else num_classes
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)


def _present(cm: np.ndarray) -> np.ndarray:
    """Labels present in references or predictions (scikit-learn's default label set)."""
    return np.flatnonzero((cm.sum(axis=0) + cm.sum(axis=1)) > 0)


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros_like(num, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _prf(references: Any, predictions: Any, average: Average, ignore_index: int, num_classes: int | None,
         pos_label: int) -> tuple[float, float, float]:
    y_true, y_pred = valid_labels(references, predictions, ignore_index, num_classes)
    y_pred = _labels_from(y_pred)
    cm = confusion_matrix(y_true, y_pred, num_classes).astype(np.float64)
    tp = np.diag(cm)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    if average == "micro":
        p = _safe_div(tp.sum(keepdims=True), (tp + fp).sum(keepdims=True))[0]
        r = _safe_div(tp.sum(keepdims=True), (tp + fn).sum(keepdims=True))[0]
        f = _safe_div(2 * tp.sum(keepdims=True), (2 * tp + fp + fn).sum(keepdims=True))[0]
        return float(p), float(r), float(f)
    precision, recall, f1 = _safe_div(tp, tp + fp), _safe_div(tp, tp + fn), _safe_div(2 * tp, 2 * tp + fp + fn)
    if average == "binary":
        if cm.shape[0] > 2:  # a label above 1 occurs in references or predictions
            raise MetricInputError("average='binary' needs binary labels; use 'macro', 'micro' or 'weighted'")
        i = pos_label
        return (float(precision[i]), float(recall[i]), float(f1[i])) if i < len(tp) else (0.0, 0.0, 0.0)
    labels = _present(cm)
    if average == "macro":
        return float(precision[labels].mean()), float(recall[labels].mean()), float(f1[labels].mean())
    if average == "weighted":
        support = cm.sum(axis=1)[labels]
        if support.sum() == 0:
            return 0.0, 0.0, 0.0
        w = support / support.sum()
        return float(precision[labels] @ w), float(recall[labels] @ w), float(f1[labels] @ w)
    raise MetricInputError(f"unknown average {average!r}; expected macro, micro, weighted or binary")


def accuracy(references: Any, predictions: Any, ignore_index: int = IGNORE_INDEX) -> float:
    """Fraction of scored positions whose predicted label equals the reference.

    >>> accuracy([0, 1, 2, 1], [0, 2, 2, 1])
    0.75
    >>> accuracy([[0, 1, -100], [2, -100, -100]], [[0, 0, 5], [2, 1, 1]])  # token level, padded
    0.6666666666666666
    """
    y_true, y_pred = valid_labels(references, predictions, ignore_index)
    return float(np.mean(y_true == _labels_from(y_pred)))


def f1(references: Any, predictions: Any, average: Average = "macro", ignore_index: int = IGNORE_INDEX,
       num_classes: int | None = None, pos_label: int = 1) -> float:
    """F1 score; `macro` averages over the labels present in references or predictions (as scikit-learn does).

    >>> round(f1([0, 0, 1, 1], [0, 1, 1, 1]), 4)
    0.7333
    >>> f1([[0, 2, -100]], [[0, 2, 1]], average="micro")
    1.0
    """
    return _prf(references, predictions, average, ignore_index, num_classes, pos_label)[2]


def precision(references: Any, predictions: Any, average: Average = "macro", ignore_index: int = IGNORE_INDEX,
              num_classes: int | None = None, pos_label: int = 1) -> float:
    """Precision; a class never predicted counts 0 (scikit-learn's zero_division default).

    >>> round(precision([0, 0, 1, 1], [0, 1, 1, 1]), 4)
    0.8333
    """
    return _prf(references, predictions, average, ignore_index, num_classes, pos_label)[0]


def recall(references: Any, predictions: Any, average: Average = "macro", ignore_index: int = IGNORE_INDEX,
           num_classes: int | None = None, pos_label: int = 1) -> float:
    """Recall (sensitivity).

    >>> recall([0, 0, 1, 1], [0, 1, 1, 1])
    0.75
    """
    return _prf(references, predictions, average, ignore_index, num_classes, pos_label)[1]


def mcc(references: Any, predictions: Any, ignore_index: int = IGNORE_INDEX) -> float:
    """Matthews correlation coefficient (multiclass: Gorodkin's R_K); 0.0 when undefined (one class only),
    as in scikit-learn.

    >>> round(mcc([1, 1, 0, 0], [1, 0, 0, 0]), 4)
    0.5774
    >>> mcc([1, 1, 1], [1, 1, 1])
    0.0
    """
    y_true, y_pred = valid_labels(references, predictions, ignore_index)
    cm = confusion_matrix(y_true, _labels_from(y_pred)).astype(np.float64)
    t_sum, p_sum = cm.sum(axis=1), cm.sum(axis=0)
    n, correct = cm.sum(), np.trace(cm)
    cov_tp = correct * n - t_sum @ p_sum
    cov_pp = n * n - p_sum @ p_sum
    cov_tt = n * n - t_sum @ t_sum
    if cov_pp * cov_tt == 0:
        return 0.0
    return float(cov_tp / math.sqrt(cov_tt * cov_pp))


def _binary_scores(y_pred: np.ndarray) -> np.ndarray:
    if y_pred.ndim == 1:
        return y_pred.astype(np.float64)
    if y_pred.shape[1] == 2:
        return y_pred[:, 1]
    raise MetricInputError("binary scores must have shape (n,) or (n, 2)")


def _one_vs_rest(score: Callable[[np.ndarray, np.ndarray], float], references: Any, predictions: Any,
                 ignore_index: int, name: str) -> float:
    y_true, y_pred = valid_labels(references, predictions, ignore_index, scores=True)
    if y_pred.ndim == 1 or y_pred.shape[1] == 2:
        if np.unique(y_true).size < 2:
            warnings.warn(f"{name}: references hold one class only; the score is undefined (NaN)", stacklevel=3)
            return float("nan")
        if y_true.max() > 1:
            raise MetricInputError(f"{name}: binary scores given for labels > 1")
        return float(score(y_true, _binary_scores(y_pred)))
    per_class = []
    for c in range(y_pred.shape[1]):
        positives = y_true == c
        if positives.all() or not positives.any():
            continue  # undefined for this class: skipped (documented)
        per_class.append(score(positives.astype(np.int64), y_pred[:, c]))
    if not per_class:
        warnings.warn(f"{name}: no class has both positive and negative references (NaN)", stacklevel=3)
        return float("nan")
    return float(np.mean(per_class))


def roc_auc(references: Any, predictions: Any, ignore_index: int = IGNORE_INDEX) -> float:
    """Area under the ROC curve from scores: binary from (n,) or (n, 2); multiclass one-vs-rest macro average over
    the classes that have both positive and negative references. NaN (with a warning) when undefined.

    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    from sklearn.metrics import roc_auc_score

    return _one_vs_rest(roc_auc_score, references, predictions, ignore_index, "roc_auc")


def pr_auc(references: Any, predictions: Any, ignore_index: int = IGNORE_INDEX) -> float:
    """Area under the precision-recall curve as average precision (scikit-learn's step-wise definition); binary or
    one-vs-rest macro, like `roc_auc`.

    >>> round(pr_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
    0.8333
    """
    from sklearn.metrics import average_precision_score

    return _one_vs_rest(average_precision_score, references, predictions, ignore_index, "pr_auc")


# ------------------------------------------------------------------------------------------------------ multi-label
def topk_accuracy(references: Any, predictions: Any, classes: Sequence[int] | None = None,
                  ignore_index: int = IGNORE_INDEX) -> float:
    """SpliceAI's top-k accuracy, per class then averaged over `classes` (default: every class but 0): with k the
    number of positions of class c over all sequences, the fraction of the k positions with the highest score for
    c that are of class c. Pooled over sequences; ties keep the input order.

    >>> topk_accuracy([[0, 1, 0, 2]], [[[.9, .1, 0], [.5, .4, .1], [.2, .7, .1], [.1, .1, .8]]])  # 1: miss, 2: hit
    0.5
    """
    y_true, scores = valid_labels(references, predictions, ignore_index)
    if scores.ndim != 2:
        raise MetricInputError("top-k accuracy needs one score per class (predictions with a trailing class axis)")
    wanted = list(classes) if classes is not None else list(range(1, scores.shape[1]))
    values = []
    for c in wanted:
        if not 0 <= c < scores.shape[1]:
            raise MetricInputError(f"class {c} has no score column (predictions have {scores.shape[1]})")
        k = int((y_true == c).sum())
        if k == 0:
            continue
        top = np.argsort(-scores[:, c], kind="stable")[:k]
        values.append(float((y_true[top] == c).mean()))
    if not values:
        raise MetricInputError(f"no position of class(es) {wanted} in the references")
    return float(np.mean(values))


def _multilabel_arrays(references: Any, predictions: Any) -> tuple[np.ndarray, np.ndarray]:
    refs, preds = np.asarray(references), np.asarray(predictions)
    if refs.ndim != 2 or refs.shape != preds.shape:
        raise MetricInputError(f"multi-label inputs must both be (n, labels); got {refs.shape} and {preds.shape}")
    if refs.size == 0:
        raise MetricInputError("no example to score")
    if not np.isin(refs, (0, 1)).all():
        raise MetricInputError("multi-label references must be 0/1")
    return refs.astype(np.int64), preds.astype(np.float64)


def multilabel_f1(references: Any, predictions: Any, average: Literal["macro", "micro"] = "macro",
                  threshold: float = 0.5) -> float:
    """F1 over labels after thresholding scores (`score >= threshold` is positive); macro averages every label.

    >>> multilabel_f1([[1, 0], [0, 1]], [[0.9, 0.2], [0.4, 0.3]])
    0.5
    """
    refs, scores = _multilabel_arrays(references, predictions)
    pred = (scores >= threshold).astype(np.int64)
    tp = (refs & pred).sum(axis=0).astype(np.float64)
    fp = ((1 - refs) & pred).sum(axis=0)
    fn = (refs & (1 - pred)).sum(axis=0)
    if average == "micro":
        den = 2 * tp.sum() + fp.sum() + fn.sum()
        return float(2 * tp.sum() / den) if den else 0.0
    return float(_safe_div(2 * tp, 2 * tp + fp + fn).mean())


def _multilabel_curve(score: Callable[[np.ndarray, np.ndarray], float], references: Any, predictions: Any,
                      name: str) -> dict[str, Any]:
    refs, scores = _multilabel_arrays(references, predictions)
    values, skipped = [], []
    for j in range(refs.shape[1]):
        column = refs[:, j]
        if column.min() == column.max():
            skipped.append(j)
            continue
        values.append(score(column, scores[:, j]))
    if skipped:
        warnings.warn(f"{name}: labels {skipped} have one class only in the references and are skipped", stacklevel=3)
    return {name: float(np.mean(values)) if values else float("nan"), "skipped_labels": skipped}


def multilabel_roc_auc(references: Any, predictions: Any) -> dict[str, Any]:
    """Macro ROC-AUC over labels; labels whose references hold one class only are skipped and reported.

    >>> multilabel_roc_auc([[1, 0], [0, 0], [1, 0]], [[0.9, 0.1], [0.2, 0.5], [0.6, 0.3]])
    {'roc_auc': 1.0, 'skipped_labels': [1]}
    """
    from sklearn.metrics import roc_auc_score

    return _multilabel_curve(roc_auc_score, references, predictions, "roc_auc")


def multilabel_pr_auc(references: Any, predictions: Any) -> dict[str, Any]:
    """Macro average precision over labels; single-class labels are skipped and reported."""
    from sklearn.metrics import average_precision_score

    return _multilabel_curve(average_precision_score, references, predictions, "pr_auc")


def subset_accuracy(references: Any, predictions: Any, threshold: float = 0.5) -> float:
    """Fraction of examples whose whole label set is predicted exactly.

    >>> subset_accuracy([[1, 0], [0, 1]], [[0.9, 0.2], [0.4, 0.3]])
    0.5
    """
    refs, scores = _multilabel_arrays(references, predictions)
    return float(np.mean(((scores >= threshold).astype(np.int64) == refs).all(axis=1)))


# ------------------------------------------------------------------------------------------------------- regression
def regression_arrays(references: Any, predictions: Any, n_targets: int = 1,
                      mask: Any | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per target, the (reference, prediction) values at scored positions.

    With `n_targets` > 1 the last axis holds the targets. Positions are scored where the reference is not NaN
    (datasets' nulls) and `mask` (same shape without the target axis, or with it) is true.
    """
    refs, preds = _pair_arrays(references, predictions)
    try:
        refs = refs.astype(np.float64)
        preds = preds.astype(np.float64)
    except (TypeError, ValueError):
        raise MetricInputError("regression inputs must be numeric (None is allowed in references only)") from None
    if refs.shape != preds.shape:
        raise MetricInputError(f"shape mismatch: references {refs.shape} vs predictions {preds.shape}")
    if n_targets > 1:
        if refs.ndim < 2 or refs.shape[-1] != n_targets:
            raise MetricInputError(f"expected the last axis to hold {n_targets} targets, got shape {refs.shape}")
        refs, preds = refs.reshape(-1, n_targets), preds.reshape(-1, n_targets)
    else:
        refs, preds = refs.reshape(-1, 1), preds.reshape(-1, 1)
    valid = ~np.isnan(refs)
    if mask is not None:
        m = np.asarray(mask, dtype=bool)
        m = m.reshape(-1, n_targets) if m.size == refs.size else np.repeat(m.reshape(-1, 1), n_targets, axis=1)
        if m.shape != refs.shape:
            raise MetricInputError(f"mask shape {np.asarray(mask).shape} does not fit the inputs")
        valid &= m
    out = []
    for j in range(n_targets):
        v = valid[:, j]
        if not v.any():
            raise MetricInputError(f"target {j}: no position left to score after masking")
        r, p = refs[v, j], preds[v, j]
        if not np.all(np.isfinite(p)):
            raise MetricInputError(f"target {j}: predictions contain NaN or infinity at scored positions")
        out.append((r, p))
    return out


def _per_target(fn: Callable[[np.ndarray, np.ndarray], float], references: Any, predictions: Any, n_targets: int,
                mask: Any | None) -> float | list[float]:
    values = [float(fn(r, p)) for r, p in regression_arrays(references, predictions, n_targets, mask)]
    return values[0] if n_targets == 1 else values


def _mse(r: np.ndarray, p: np.ndarray) -> float:
    d = r - p
    return float(d @ d / d.size)


def _rmse(r: np.ndarray, p: np.ndarray) -> float:
    return math.sqrt(_mse(r, p))


def _mae(r: np.ndarray, p: np.ndarray) -> float:
    return float(np.abs(r - p).mean())


def _r2(r: np.ndarray, p: np.ndarray) -> float:
    ss_res = float(((r - p) ** 2).sum())
    ss_tot = float(((r - r.mean()) ** 2).sum())
    if ss_tot == 0:
        return 1.0 if ss_res == 0 else 0.0  # scikit-learn's force_finite convention
    return 1.0 - ss_res / ss_tot


def _pearson(r: np.ndarray, p: np.ndarray) -> float:
    from scipy.stats import pearsonr

    if r.size < 2 or np.ptp(r) == 0 or np.ptp(p) == 0:
        return float("nan")  # undefined for constant input
    return float(pearsonr(r, p).statistic)


def _spearman(r: np.ndarray, p: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if r.size < 2 or np.ptp(r) == 0 or np.ptp(p) == 0:
        return float("nan")
    return float(spearmanr(r, p).statistic)


def _pearson_r2(r: np.ndarray, p: np.ndarray) -> float:
    value = _pearson(r, p)
    return value * value


def pearson_r2(references: Any, predictions: Any, n_targets: int = 1, mask: Any | None = None) -> float | list[float]:
    """R² as the squared Pearson correlation over the scored positions (BEACON's distance maps); NaN when undefined.

    >>> round(pearson_r2([0.0, 1.0, 2.0, None], [0.0, 2.0, 5.0, 7.0]), 6)   # 225/228; None (null) = not scored
    0.986842
    """
    return _per_target(_pearson_r2, references, predictions, n_targets, mask)


def mse(references: Any, predictions: Any, n_targets: int = 1, mask: Any | None = None) -> float | list[float]:
    """Mean squared error (per target when n_targets > 1).

    >>> mse([1.0, 2.0, None], [1.5, 2.0, 9.0])   # None (null) = not scored
    0.125
    """
    return _per_target(_mse, references, predictions, n_targets, mask)


def rmse(references: Any, predictions: Any, n_targets: int = 1, mask: Any | None = None) -> float | list[float]:
    """Root mean squared error.

    >>> rmse([0.0, 0.0], [3.0, 4.0])
    3.5355339059327378
    """
    return _per_target(_rmse, references, predictions, n_targets, mask)


def mae(references: Any, predictions: Any, n_targets: int = 1, mask: Any | None = None) -> float | list[float]:
    """Mean absolute error.

    >>> mae([0.0, 0.0], [3.0, -4.0])
    3.5
    """
    return _per_target(_mae, references, predictions, n_targets, mask)


def r2(references: Any, predictions: Any, n_targets: int = 1, mask: Any | None = None) -> float | list[float]:
    """Coefficient of determination; for constant references 1.0 if perfect else 0.0 (scikit-learn's convention).

    >>> r2([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    0.5
    """
    return _per_target(_r2, references, predictions, n_targets, mask)


def pearson(references: Any, predictions: Any, n_targets: int = 1, mask: Any | None = None) -> float | list[float]:
    """Pearson correlation; NaN for constant input.

    >>> round(pearson([1.0, 2.0, 3.0], [2.0, 4.0, 6.5]), 4)
    0.9979
    """
    return _per_target(_pearson, references, predictions, n_targets, mask)


def spearman(references: Any, predictions: Any, n_targets: int = 1, mask: Any | None = None) -> float | list[float]:
    """Spearman rank correlation (ties get average ranks); NaN for constant input.

    >>> round(spearman([1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 2.0, 4.0]), 4)
    0.8
    """
    return _per_target(_spearman, references, predictions, n_targets, mask)


def mcrmse(references: Any, predictions: Any, n_targets: int | None = None, mask: Any | None = None) -> float:
    """Mean column-wise RMSE (OpenVaccine / RGB mRNA): RMSE per target over all scored positions, then the mean.

    Inputs are (..., k) with the targets last; `n_targets` defaults to that last axis.

    >>> mcrmse([[[0.0, 1.0], [0.0, None]]], [[[3.0, 1.0], [4.0, 7.0]]])
    1.7677669529663689
    """
    refs, preds = _pair_arrays(references, predictions)
    if n_targets is None:
        n_targets = refs.shape[-1] if refs.ndim >= 2 else 1
    fast = _column_rmse(refs, preds, n_targets) if mask is None else None
    values = fast if fast is not None else rmse(references, predictions, n_targets, mask)
    return float(np.mean(values))


def _column_rmse(refs: np.ndarray, preds: np.ndarray, k: int, block: int = 16384) -> list[float] | None:
    """Per-target RMSE over non-NaN references in cache-sized blocks (one pass, no gathered copies).

    Returns None whenever the general path must decide (odd dtypes or shapes, non-finite predictions), so that
    errors are always raised by `regression_arrays` with its message.
    """
    if refs.shape != preds.shape or refs.dtype.kind != "f" or preds.dtype.kind not in "fiu" or refs.size % k:
        return None
    if k > 1 and refs.shape[-1] != k:
        return None
    r_all, p_all = refs.reshape(-1, k), preds.reshape(-1, k)
    squares, counts = np.zeros(k), np.zeros(k)
    buffer = np.empty((min(block, len(r_all)), k))
    for start in range(0, len(r_all), block):
        r, p = r_all[start:start + block], p_all[start:start + block]
        if not np.isfinite(p).all():
            return None
        d = buffer[: len(r)]
        np.subtract(r, p, out=d)
        missing = np.isnan(d)  # predictions are finite, so NaN marks an unscored reference
        np.copyto(d, 0.0, where=missing)
        # Column by column: numpy's axis-0 reductions over a narrow (rows, k) block are far slower than k dots.
        for j in range(k):
            squares[j] += np.dot(d[:, j], d[:, j])
            counts[j] += len(r) - np.count_nonzero(missing[:, j])
    if not counts.all():
        return None
    return np.sqrt(squares / counts).tolist()


def regression_scores(references: Any, predictions: Any, target_names: Sequence[str] | None = None,
                      mask: Any | None = None) -> dict[str, float]:
    """All regression metrics: `<metric>` is the mean over targets, `<metric>/<target>` each target.

    >>> s = regression_scores([[1.0, 0.0], [2.0, 1.0], [3.0, 0.0]], [[1.0, 0.0], [2.0, 1.0], [3.0, 1.0]], ["a", "b"])
    >>> s["mse/a"], s["mse/b"], round(s["mse"], 4)
    (0.0, 0.3333333333333333, 0.1667)
    """
    names = list(target_names) if target_names else ["target"]
    pairs = regression_arrays(references, predictions, len(names), mask)
    functions = {"mse": _mse, "rmse": _rmse, "mae": _mae, "r2": _r2, "pearson": _pearson, "spearman": _spearman}
    out: dict[str, float] = {}
    for metric, fn in functions.items():
        values = [float(fn(r, p)) for r, p in pairs]
        out[metric] = float(np.mean(values))
        if len(names) > 1:
            out.update({f"{metric}/{name}": v for name, v in zip(names, values, strict=True)})
    out["mcrmse"] = out["rmse"]
    return out
