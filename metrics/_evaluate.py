"""The shared body of our `evaluate` modules: each module under `metrics/<name>/<name>.py` only names its pure
function, its input kind and its texts, so that a module can never compute something the harness does not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import datasets
import evaluate

_INT = datasets.Value("int64")
_FLOAT = datasets.Value("float64")


def _seq(feature: Any) -> datasets.Sequence:
    return datasets.Sequence(feature)


def _pair(predictions: Any, references: Any) -> datasets.Features:
    return datasets.Features({"predictions": predictions, "references": references})


# Accepted input layouts per kind, tried in order by `evaluate` (the first that encodes the first example wins).
INPUT_FEATURES: dict[str, list[datasets.Features]] = {
    # class labels (or per-class scores/logits, argmaxed), sequence or token level
    "labels": [
        _pair(_INT, _INT),
        _pair(_seq(_INT), _seq(_INT)),
        _pair(_seq(_FLOAT), _INT),
        _pair(_seq(_seq(_FLOAT)), _seq(_INT)),
    ],
    # scores: binary (one score) or multiclass (one per class), sequence or token level
    "scores": [
        _pair(_FLOAT, _INT),
        _pair(_seq(_FLOAT), _INT),
        _pair(_seq(_FLOAT), _seq(_INT)),
        _pair(_seq(_seq(_FLOAT)), _seq(_INT)),
    ],
    # multi-label: one 0/1 reference and one score per label
    "multilabel": [_pair(_seq(_FLOAT), _seq(_INT))],
    # regression: scalar, per-target vector, per-position values, or per-position target vectors; null = not scored
    "regression": [
        _pair(_FLOAT, _FLOAT),
        _pair(_seq(_FLOAT), _seq(_FLOAT)),
        _pair(_seq(_seq(_FLOAT)), _seq(_seq(_FLOAT))),
    ],
    # dot-bracket strings
    "structure": [_pair(datasets.Value("string"), datasets.Value("string"))],
}


class GfmbenchMetric(evaluate.Metric):
    """Base of every gfmbench metric module; subclasses set the class attributes below."""

    function: ClassVar[Callable[..., Any]]
    input_kind: ClassVar[str]
    result_key: ClassVar[str]
    _summary: ClassVar[str]
    _inputs: ClassVar[str]
    _citation: ClassVar[str] = ""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=self._summary,
            citation=self._citation,
            inputs_description=self._inputs,
            features=INPUT_FEATURES[self.input_kind],
            reference_urls=["https://github.com/gfmbench/gfmbench"],
        )

    def _compute(self, predictions: Any = None, references: Any = None, **kwargs: Any) -> dict[str, Any]:
        value = type(self).function(references, predictions, **kwargs)
        return dict(value) if isinstance(value, dict) else {self.result_key: value}
