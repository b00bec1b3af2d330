"""One object per task type: everything a task of that type means to the harness, in one place.

A `TaskKind` owns, for its type: which label columns the data must have, each example's reference and training
labels, the head's output count and the transformers head class an architecture may bring, how labels are padded
into a batch, the loss, the prediction row written for an example, the inputs each metric family gets, the linear
probe's model and outputs, and the category its result cards carry. The rest of the harness asks `kind_of(task)`
and never compares `task.type` itself, so a new task type is one subclass here registered under its name (plus its
name in `suites.schema.TaskType`). Quirks of a model family live in `harness.families`, not here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from gfmbench.errors import GfmbenchError
from gfmbench.harness.align import (
    EncodedSequence,
    pair_labels,
    pair_token_index,
    to_nucleotides,
    token_class_labels,
    token_values,
)
from gfmbench.metrics.functional import IGNORE_INDEX
from gfmbench.pairmaps import covered_pairs, pairs_to_triangle, triangle_pairs
from gfmbench.suites.schema import TaskSpec

if TYPE_CHECKING:
    import torch

    from gfmbench.harness.data import Example

Level = Literal["sequence", "token", "pair"]


class TaskDataError(GfmbenchError):
    """The task's data does not fit the registry or the tokenizer (label set, unknown tokens, map size)."""


def _softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _masked_mse(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Regression: NaN marks unscored positions and special tokens."""
    import torch
    import torch.nn.functional as F

    scored = ~torch.isnan(labels)
    if not scored.any():
        return logits.sum() * 0.0
    return F.mse_loss(logits.float()[scored], labels[scored])


class TaskKind:
    """The behaviour shared by every kind; subclasses set the class attributes and override what differs."""

    type: ClassVar[str]
    level: ClassVar[Level]
    regression: ClassVar[bool] = False  # values (MSE loss, ridge probe) rather than classes
    head_class: ClassVar[str | None] = None  # the transformers auto class of this head; None: gfmbench's own head
    metric_inputs: ClassVar[frozenset[str]]  # the `metrics.catalog` input families this kind can feed

    @property
    def card_category(self) -> str:
        """The task type result cards name (model-index `task.type`)."""
        return self.type.replace("_", "-")

    # --- data -----------------------------------------------------------------------------------------------
    def check_labels(self, task: TaskSpec, features: Any) -> None:
        """The dataset's label columns must be the registry's (ids are positions)."""
        if "label" not in features:
            raise TaskDataError(f"{task.config}: the dataset has no `label` column")

    def reference(self, task: TaskSpec, rows: dict[str, list[Any]], i: int) -> Any:
        """The example's reference as stored in the dataset (what it is scored against)."""
        return rows["label"][i]

    def labels(self, task: TaskSpec, encoded: EncodedSequence, reference: Any, row_id: str) -> Any:
        """What the model is trained on, aligned to its tokens where the labels are per nucleotide."""
        return reference

    def num_outputs(self, task: TaskSpec, examples: list[Example]) -> int:
        """Classes or targets of the head; for vector labels without names, the vector length in the data."""
        return len(task.labels) if task.labels else len(task.targets or [])

    def id2label(self, task: TaskSpec) -> dict[int, str] | None:
        """Class names for the head's config, where each output is one class."""
        return dict(enumerate(task.labels)) if task.labels else None

    # --- training -------------------------------------------------------------------------------------------
    def collate_labels(self, task: TaskSpec, items: list[dict[str, Any]], width: int) -> dict[str, Any]:
        """The batch's `labels` (and any index the head needs), padded to the batch's `width` tokens."""
        import torch

        dtype = torch.float32 if self.regression else torch.long
        return {"labels": torch.tensor([it["labels"] for it in items], dtype=dtype)}

    def loss(self, task: TaskSpec) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        return _masked_mse

    # --- scoring --------------------------------------------------------------------------------------------
    def outputs(self, ex: Example, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The example's outputs per scored unit (example, nucleotide or pair) and the mask of covered positions."""
        return logits, None

    def prediction(self, task: TaskSpec, ex: Example, out: np.ndarray, covered: np.ndarray | None) -> dict[str, Any]:
        """The prediction row's fields from the outputs: logits (log-probabilities work the same) or values."""
        return {"prediction": out.tolist(), "reference": list(ex.reference)}

    def inputs(self, task: TaskSpec, family: str, rows: list[dict[str, Any]]) -> tuple[Any, Any]:
        """(references, predictions) of a metric of input family `family`, one entry per example."""
        return [r["reference"] for r in rows], [r["prediction"] for r in rows]

    def extra_scores(self, rows: list[dict[str, Any]]) -> dict[str, float]:
        """Scores reported beside the task's metrics."""
        return {}

    def regression_width(self, task: TaskSpec, rows: list[dict[str, Any]]) -> int:
        """Targets per scored unit (a metric of several targets averages over them)."""
        return len(task.targets) if task.targets else 1

    # --- linear probe ---------------------------------------------------------------------------------------
    @property
    def probe_model(self) -> str:
        return "ridge" if self.regression else "logistic_regression"

    def probe_head(self, strength: float) -> str:
        """The fitted linear model as result cards describe it."""
        return f"Ridge(alpha={strength:g})" if self.regression else f"LogisticRegression(C={strength:g})"

    def probe_estimator(self, strength: float, seed: int) -> Any:
        from sklearn.linear_model import LogisticRegression, Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        if self.regression:
            return make_pipeline(StandardScaler(), Ridge(alpha=strength))
        return make_pipeline(StandardScaler(), LogisticRegression(C=strength, max_iter=2000, random_state=seed))

    def probe_fit(self, x: np.ndarray, y: np.ndarray, strength: float, seed: int) -> Any:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence and constant-label notices; the grid covers both
            return self.probe_estimator(strength, seed).fit(x, y if self.regression else y.astype(int))

    def probe_outputs(self, fitted: Any, x: np.ndarray, n_classes: int) -> np.ndarray:
        """What a head would output: log-probabilities (softmax-equivalent to logits), logits, or values."""
        if self.regression:
            return fitted.predict(x).reshape(len(x), -1)
        proba = np.asarray(fitted.predict_proba(x), dtype=np.float64)  # float32 features give float32 probabilities
        out = np.full((len(x), n_classes), math.log(1e-12))  # classes absent from train get (almost) zero probability
        out[:, fitted[-1].classes_] = np.log(np.clip(proba, 1e-12, None))
        return out


def _class_scores(task: TaskSpec, scores: list[Any]) -> list[Any]:
    """Scores for a `scores` metric: the positive class's probability for a binary task, else all of them."""
    return [s[1] for s in scores] if len(task.labels or []) == 2 else scores


class SequenceClassification(TaskKind):
    type = "sequence_classification"
    level = "sequence"
    head_class = "AutoModelForSequenceClassification"
    metric_inputs = frozenset({"labels", "scores"})

    def check_labels(self, task: TaskSpec, features: Any) -> None:
        _check_label_names(task, features)

    def loss(self, task: TaskSpec) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        return _cross_entropy(task)

    def prediction(self, task: TaskSpec, ex: Example, out: np.ndarray, covered: np.ndarray | None) -> dict[str, Any]:
        probs = _softmax(out)
        return {"prediction": int(probs.argmax()), "scores": probs.tolist(), "reference": int(ex.reference)}

    def inputs(self, task: TaskSpec, family: str, rows: list[dict[str, Any]]) -> tuple[Any, Any]:
        refs = [r["reference"] for r in rows]
        if family == "scores":
            return refs, _class_scores(task, [r["scores"] for r in rows])
        return refs, [r["prediction"] for r in rows]


class MultilabelClassification(TaskKind):
    type = "multilabel_classification"
    level = "sequence"
    head_class = "AutoModelForSequenceClassification"
    metric_inputs = frozenset({"multilabel"})

    def reference(self, task: TaskSpec, rows: dict[str, list[Any]], i: int) -> Any:
        return list(rows["label"][i])  # stored multi-hot

    def num_outputs(self, task: TaskSpec, examples: list[Example]) -> int:
        return len(examples[0].labels)

    def id2label(self, task: TaskSpec) -> dict[int, str] | None:
        return None  # outputs are independent labels, not classes of one softmax

    def collate_labels(self, task: TaskSpec, items: list[dict[str, Any]], width: int) -> dict[str, Any]:
        import torch

        return {"labels": torch.tensor([it["labels"] for it in items], dtype=torch.float32)}

    def loss(self, task: TaskSpec) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        import torch.nn.functional as F

        return lambda logits, labels: F.binary_cross_entropy_with_logits(logits.float(), labels.float())

    def prediction(self, task: TaskSpec, ex: Example, out: np.ndarray, covered: np.ndarray | None) -> dict[str, Any]:
        scores = _sigmoid(out)
        return {"prediction": (scores >= 0.5).astype(int).tolist(), "scores": scores.tolist(),
                "reference": list(ex.reference)}

    def inputs(self, task: TaskSpec, family: str, rows: list[dict[str, Any]]) -> tuple[Any, Any]:
        return [r["reference"] for r in rows], [r["scores"] for r in rows]

    def probe_estimator(self, strength: float, seed: int) -> Any:
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        logistic = LogisticRegression(C=strength, max_iter=2000, random_state=seed)
        return make_pipeline(StandardScaler(), OneVsRestClassifier(logistic))

    def probe_head(self, strength: float) -> str:
        return f"{super().probe_head(strength)} one-vs-rest"

    def probe_outputs(self, fitted: Any, x: np.ndarray, n_classes: int) -> np.ndarray:
        p = np.clip(np.asarray(fitted.predict_proba(x), dtype=np.float64), 1e-12, 1 - 1e-12)
        return np.log(p) - np.log1p(-p)


class SequenceRegression(TaskKind):
    type = "sequence_regression"
    level = "sequence"
    regression = True
    head_class = "AutoModelForSequenceClassification"
    metric_inputs = frozenset({"regression"})

    def check_labels(self, task: TaskSpec, features: Any) -> None:
        if task.targets:
            _check_target_columns(task, features)
        else:  # one vector of values per example (multi-output regression without names)
            super().check_labels(task, features)

    def reference(self, task: TaskSpec, rows: dict[str, list[Any]], i: int) -> Any:
        return [rows[t][i] for t in task.targets] if task.targets else list(rows["label"][i])

    def num_outputs(self, task: TaskSpec, examples: list[Example]) -> int:
        return len(task.targets) if task.targets else len(examples[0].labels)

    def inputs(self, task: TaskSpec, family: str, rows: list[dict[str, Any]]) -> tuple[Any, Any]:
        refs, preds = super().inputs(task, family, rows)
        if self.regression_width(task, rows) == 1:
            return [x[0] for x in refs], [x[0] for x in preds]
        return refs, preds

    def regression_width(self, task: TaskSpec, rows: list[dict[str, Any]]) -> int:
        if not task.targets and rows:  # a vector of values per example, as many as the data has
            return len(rows[0]["reference"])
        return super().regression_width(task, rows)


class _TokenKind(TaskKind):
    """Labels per nucleotide, mapped to and from tokens (see `align`); sequences may be cut into windows."""

    level = "token"
    head_class = "AutoModelForTokenClassification"

    def outputs(self, ex: Example, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        return to_nucleotides(ex.encoded, logits[: len(ex.encoded.input_ids)])


class TokenClassification(_TokenKind):
    type = "token_classification"
    metric_inputs = frozenset({"labels", "scores", "structure"})

    def check_labels(self, task: TaskSpec, features: Any) -> None:
        _check_label_names(task, features)

    def labels(self, task: TaskSpec, encoded: EncodedSequence, reference: Any, row_id: str) -> Any:
        return token_class_labels(encoded, reference)

    def collate_labels(self, task: TaskSpec, items: list[dict[str, Any]], width: int) -> dict[str, Any]:
        import torch

        labels = torch.full((len(items), width), IGNORE_INDEX, dtype=torch.long)
        for row, it in enumerate(items):
            labels[row, : len(it["labels"])] = torch.tensor(it["labels"])
        return {"labels": labels}

    def loss(self, task: TaskSpec) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        return _cross_entropy(task)

    def prediction(self, task: TaskSpec, ex: Example, out: np.ndarray, covered: np.ndarray | None) -> dict[str, Any]:
        probs = _softmax(out)
        return {"covered": np.asarray(covered, dtype=bool).tolist(), "prediction": probs.argmax(-1).tolist(),
                "scores": probs.tolist(), "reference": list(ex.reference)}

    def inputs(self, task: TaskSpec, family: str, rows: list[dict[str, Any]]) -> tuple[Any, Any]:
        if family == "structure":
            names = list(task.labels or [])
            predicted = ["".join(names[p] if c else "." for p, c in zip(r["prediction"], r["covered"], strict=True))
                         for r in rows]
            return [r["structure"] for r in rows], predicted
        refs = [[IGNORE_INDEX if (v < 0 or not c) else v for v, c in zip(r["reference"], r["covered"], strict=True)]
                for r in rows]
        if family == "scores":
            return refs, [_class_scores(task, r["scores"]) for r in rows]
        return refs, [r["prediction"] for r in rows]

    def extra_scores(self, rows: list[dict[str, Any]]) -> dict[str, float]:
        return {"truncated_positions": _truncated(rows)}


class TokenRegression(_TokenKind):
    type = "token_regression"
    regression = True
    metric_inputs = frozenset({"regression"})

    def check_labels(self, task: TaskSpec, features: Any) -> None:
        _check_target_columns(task, features)

    def reference(self, task: TaskSpec, rows: dict[str, list[Any]], i: int) -> Any:
        return np.array([[np.nan if v is None else v for v in rows[t][i]] for t in task.targets or ()],
                        dtype=np.float64).T  # (n, k)

    def labels(self, task: TaskSpec, encoded: EncodedSequence, reference: Any, row_id: str) -> Any:
        return token_values(encoded, reference)

    def collate_labels(self, task: TaskSpec, items: list[dict[str, Any]], width: int) -> dict[str, Any]:
        import torch

        labels = torch.full((len(items), width, len(task.targets or [])), float("nan"))
        for row, it in enumerate(items):
            labels[row, : len(it["labels"])] = torch.as_tensor(it["labels"], dtype=torch.float32)
        return {"labels": labels}

    def prediction(self, task: TaskSpec, ex: Example, out: np.ndarray, covered: np.ndarray | None) -> dict[str, Any]:
        return {"covered": np.asarray(covered, dtype=bool).tolist(), "prediction": out.tolist(),
                "reference": [[None if math.isnan(v) else float(v) for v in r] for r in ex.reference]}

    def inputs(self, task: TaskSpec, family: str, rows: list[dict[str, Any]]) -> tuple[Any, Any]:
        refs = [[[math.nan if (v is None or not c) else v for v in values] for values, c in
                 zip(r["reference"], r["covered"], strict=True)] for r in rows]
        return refs, [r["prediction"] for r in rows]

    def probe_fit(self, x: np.ndarray, y: np.ndarray, strength: float, seed: int) -> Any:
        """One estimator per target, each on the positions where that target exists."""
        fitted = []
        for k in range(y.shape[1]):
            known = ~np.isnan(y[:, k])
            fitted.append(self.probe_estimator(strength, seed).fit(x[known], y[known, k]) if known.any() else None)
        return fitted

    def probe_outputs(self, fitted: Any, x: np.ndarray, n_classes: int) -> np.ndarray:
        return np.stack([f.predict(x) if f is not None else np.zeros(len(x)) for f in fitted], axis=1)


class _PairKind(TaskKind):
    """One output per nucleotide pair (the upper triangle of the map), predicted by gfmbench's pair head."""

    level = "pair"

    def num_outputs(self, task: TaskSpec, examples: list[Example]) -> int:
        return 1  # one logit (contact) or value (distance) per pair

    def outputs(self, ex: Example, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        n = len(ex.encoded.nt_to_token)  # the rest of the row is padding
        return logits[: n * (n - 1) // 2], ex.encoded.nt_to_token >= 0

    def collate_labels(self, task: TaskSpec, items: list[dict[str, Any]], width: int) -> dict[str, Any]:
        """Labels as upper triangles padded to the batch's largest, and `pair_index`: where each nucleotide pair's
        logit sits in the model's flattened token-pair map (-1: padding or truncated)."""
        import torch

        size = max(len(it["labels"]) for it in items)
        labels = torch.full((len(items), size), float("nan") if self.regression else IGNORE_INDEX,
                            dtype=torch.float32 if self.regression else torch.long)
        index = torch.full((len(items), size), -1, dtype=torch.long)
        for row, it in enumerate(items):
            m = len(it["labels"])
            labels[row, :m] = torch.as_tensor(np.asarray(it["labels"]), dtype=labels.dtype)
            index[row, :m] = torch.from_numpy(pair_token_index(np.asarray(it["nt_to_token"]), width))
        return {"labels": labels, "pair_index": index}

    def extra_scores(self, rows: list[dict[str, Any]]) -> dict[str, float]:
        return {"truncated_positions": _truncated(rows)}


class PairClassification(_PairKind):
    type = "pair_classification"
    metric_inputs = frozenset({"pairs"})

    def labels(self, task: TaskSpec, encoded: EncodedSequence, reference: Any, row_id: str) -> Any:
        return pair_labels(encoded, pairs_to_triangle(reference, len(encoded.nt_to_token)).astype(np.int64))

    def loss(self, task: TaskSpec) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        import torch.nn.functional as F

        def loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
            scored = labels != IGNORE_INDEX  # padding and truncated pairs
            if not scored.any():
                return logits.sum() * 0.0
            return F.binary_cross_entropy_with_logits(logits.float()[scored], labels[scored].float())

        return loss

    def prediction(self, task: TaskSpec, ex: Example, out: np.ndarray, covered: np.ndarray | None) -> dict[str, Any]:
        scores = _sigmoid(out)  # scores per pair (upper triangle); predicted pairs at >= 0.5
        covered_list = np.asarray(covered, dtype=bool).tolist()
        return {"covered": covered_list, "scores": scores.tolist(),
                "prediction": triangle_pairs(scores >= 0.5, len(covered_list)),
                "reference": [list(p) for p in ex.reference]}

    def inputs(self, task: TaskSpec, family: str, rows: list[dict[str, Any]]) -> tuple[Any, Any]:
        refs = [np.where(covered_pairs(r["covered"]), pairs_to_triangle(r["reference"], len(r["covered"])),
                         IGNORE_INDEX) for r in rows]
        return refs, [r["scores"] for r in rows]


class PairRegression(_PairKind):
    type = "pair_regression"
    regression = True
    metric_inputs = frozenset({"regression"})

    def check_labels(self, task: TaskSpec, features: Any) -> None:
        _check_target_columns(task, features)

    def reference(self, task: TaskSpec, rows: dict[str, list[Any]], i: int) -> Any:
        return rows[(task.targets or ["label"])[0]][i]

    def labels(self, task: TaskSpec, encoded: EncodedSequence, reference: Any, row_id: str) -> Any:
        n = len(encoded.nt_to_token)
        triangle = np.array([np.nan if v is None else v for v in reference], dtype=np.float64)
        if triangle.size != n * (n - 1) // 2:
            raise TaskDataError(f"{task.config} row {row_id}: {triangle.size} map values for a sequence of "
                                f"{n} nucleotides (expected the upper triangle, {n * (n - 1) // 2})")
        return pair_labels(encoded, triangle)

    def prediction(self, task: TaskSpec, ex: Example, out: np.ndarray, covered: np.ndarray | None) -> dict[str, Any]:
        return {"covered": np.asarray(covered, dtype=bool).tolist(), "prediction": out.tolist(),
                "reference": [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
                              for v in ex.reference]}

    def inputs(self, task: TaskSpec, family: str, rows: list[dict[str, Any]]) -> tuple[Any, Any]:
        refs = [np.where(covered_pairs(r["covered"]),
                         np.array([np.nan if v is None else v for v in r["reference"]], dtype=np.float64), np.nan)
                for r in rows]
        return refs, [np.asarray(r["prediction"], dtype=np.float64) for r in rows]


def _check_label_names(task: TaskSpec, features: Any) -> None:
    feature = features.get("label")
    names = getattr(getattr(feature, "feature", feature), "names", None)
    if names != list(task.labels or []):
        raise TaskDataError(f"{task.config}: label set mismatch: dataset has {names}, registry has {task.labels}")


def _check_target_columns(task: TaskSpec, features: Any) -> None:
    missing = [t for t in task.targets or [] if t not in features]
    if missing:
        raise TaskDataError(f"{task.config}: target columns {missing} missing from the dataset")


def _cross_entropy(task: TaskSpec) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    import torch
    import torch.nn.functional as F

    weights = torch.tensor(task.class_weights, dtype=torch.float32) if task.class_weights else None

    def loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        w = weights.to(logits.device) if weights is not None else None
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1), weight=w,
                               ignore_index=IGNORE_INDEX)

    return loss


def _truncated(rows: list[dict[str, Any]]) -> float:
    """Nucleotides cut off by the model's length limit (not scored)."""
    return float(sum(len(r["covered"]) - sum(r["covered"]) for r in rows))


TASK_KINDS: dict[str, TaskKind] = {kind.type: kind for kind in (
    SequenceClassification(), MultilabelClassification(), SequenceRegression(), TokenClassification(),
    TokenRegression(), PairClassification(), PairRegression())}


def kind_of(task: TaskSpec) -> TaskKind:
    """The kind of `task` (its registered type)."""
    return TASK_KINDS[task.type]
