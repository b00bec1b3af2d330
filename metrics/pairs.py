"""Metrics over nucleotide-pair maps (contact maps, base-pair maps).

Each example is one map, given either as the L x L array or as its upper triangle without the diagonal (row by row,
`gfmbench.pairmaps`). References are 0/1 with `ignore_index` (-100) for pairs that are not scored (e.g. cut off by
truncation); predictions are scores (probabilities or logits) of the same layout.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from gfmbench.metrics.functional import IGNORE_INDEX, MetricInputError


def _as_triangle(value: Any, name: str, index: int) -> tuple[np.ndarray, int]:
    from gfmbench.pairmaps import triangle_length

    array = np.asarray(value)
    if array.ndim == 2:
        if array.shape[0] != array.shape[1]:
            raise MetricInputError(f"{name} {index}: a map must be square, got shape {array.shape}")
        rows, cols = np.triu_indices(array.shape[0], k=1)
        return array[rows, cols], array.shape[0]
    if array.ndim != 1:
        raise MetricInputError(f"{name} {index}: expected an L x L map or its upper triangle, got shape {array.shape}")
    try:
        return array, triangle_length(array.size)
    except ValueError as exc:
        raise MetricInputError(f"{name} {index}: {exc}") from None


def map_pairs(references: Any, predictions: Any) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
    """(reference triangle as int, score triangle as float, L) per example, shapes checked."""
    if len(references) != len(predictions):
        raise MetricInputError(f"{len(references)} reference maps vs {len(predictions)} predicted maps")
    if len(references) == 0:
        raise MetricInputError("no map to score")
    for index, (ref, pred) in enumerate(zip(references, predictions, strict=True)):
        r, n = _as_triangle(ref, "reference", index)
        p, m = _as_triangle(pred, "prediction", index)
        if n != m:
            raise MetricInputError(f"map {index}: reference is {n} x {n}, prediction {m} x {m}")
        try:
            r = r.astype(np.int64)
            p = p.astype(np.float64)
        except (TypeError, ValueError):
            raise MetricInputError(f"map {index}: references must be 0/1, predictions numeric") from None
        scored = r != IGNORE_INDEX
        if not np.isin(r[scored], (0, 1)).all():
            raise MetricInputError(f"map {index}: references must be 0, 1 or {IGNORE_INDEX} (not scored)")
        if not np.isfinite(p[scored]).all():
            raise MetricInputError(f"map {index}: predictions contain NaN or infinity at scored pairs")
        yield r, p, n


def top_l_precision(references: Any, predictions: Any, min_separation: int = 23, max_separation: int | None = None,
                    fraction: float = 1.0) -> float:
    """Precision of the top L x `fraction` scored pairs (L = sequence length, at least 1) among the pairs with
    `min_separation <= j - i <= max_separation`, averaged over maps; a map with fewer candidates than that uses all
    of them, and a map with no scored candidate is left out. Ties keep row-major order.

    >>> ref = [[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]]
    >>> score = [[0, .1, .9, .8], [.1, 0, .2, .3], [.9, .2, 0, .1], [.8, .3, .1, 0]]
    >>> top_l_precision([ref], [score], min_separation=2)   # candidates (0,2) .9 hit, (0,3) .8 miss, (1,3) .3 hit
    0.6666666666666666
    >>> top_l_precision([ref], [score], min_separation=2, fraction=0.25)   # top 1: (0,2)
    1.0
    """
    values = []
    for r, p, n in map_pairs(references, predictions):
        rows, cols = np.triu_indices(n, k=1)
        separation = cols - rows
        keep = (r != IGNORE_INDEX) & (separation >= min_separation)
        if max_separation is not None:
            keep &= separation <= max_separation
        if not keep.any():
            continue
        k = max(1, int(n * fraction))
        top = np.argsort(-p[keep], kind="stable")[:k]
        values.append(float(r[keep][top].mean()))
    if not values:
        raise MetricInputError(f"no scored pair with separation in [{min_separation}, {max_separation or 'L'}]")
    return float(np.mean(values))


def pair_scores(references: Any, predictions: Any, threshold: float = 0.5) -> dict[str, float]:
    """Precision, recall and F1 over pairs per map (a pair is predicted when its score >= `threshold`), averaged
    over maps. As for dot-bracket structures (`gfmbench.metrics.structure`): a map with no pair in either reference
    or prediction scores 1.0; with pairs in only one of them, 0.0.

    >>> ref = [0, 1, 0, 1, 0, 0]            # upper triangle of a 4 x 4 map: pairs (0,2) and (1,2)
    >>> s = pair_scores([ref], [[.9, .8, .1, .2, .7, .0]])   # predicted (0,1), (0,2), (1,3): one hit
    >>> round(s["precision"], 4), s["recall"], s["f1"]
    (0.3333, 0.5, 0.4)
    """
    per_map = []
    for r, p, _ in map_pairs(references, predictions):
        scored = r != IGNORE_INDEX
        truth, predicted = r[scored] == 1, p[scored] >= threshold
        tp = int((truth & predicted).sum())
        n_true, n_pred = int(truth.sum()), int(predicted.sum())
        if n_true == 0 and n_pred == 0:
            per_map.append((1.0, 1.0, 1.0))
            continue
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_true if n_true else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_map.append((precision, recall, f1))
    means = np.mean(np.asarray(per_map), axis=0)
    return {"precision": float(means[0]), "recall": float(means[1]), "f1": float(means[2])}
