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
    # pair maps: the upper triangle (row by row) or the full L x L array, one per example
    "pairs": [
        _pair(_seq(_FLOAT), _seq(_INT)),
        _pair(_seq(_seq(_FLOAT)), _seq(_seq(_INT))),
    ],
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


# Argument descriptions shared by the modules' usage texts (each module adds its returns and examples).
LABEL_ARGS = """    predictions: predicted class ids, or scores/logits with one more trailing axis (argmax is taken). Sequence
        level: one per example; token level: one list per sequence (padded or ragged).
    references: reference class ids, same layout; positions equal to `ignore_index` are not scored.
    ignore_index (int, default -100): the reference value of positions that are not scored."""
AVERAGE_ARGS = """    average (str, default "macro"): "macro" (unweighted mean over the labels present in references or
        predictions, as scikit-learn), "micro", "weighted" (by support) or "binary" (the `pos_label` class).
    num_classes (int, optional): checks labels are in range and fixes the label set.
    pos_label (int, default 1): the positive class for average="binary"."""
SCORE_ARGS = """    predictions: scores: one per example for binary tasks, or one per class (one-vs-rest); token level: one list
        per sequence.
    references: class ids, same layout; positions equal to `ignore_index` are not scored.
    ignore_index (int, default -100): the reference value of positions that are not scored."""
MULTILABEL_ARGS = """    predictions: one score (probability) per label and example, shape (n, labels).
    references: one 0/1 value per label and example, shape (n, labels)."""
REGRESSION_ARGS = """    predictions: predicted values: scalars, per-position lists, or per-position target vectors.
    references: reference values, same layout; null (None) or NaN marks a position that is not scored.
    n_targets (int, default 1): with several targets, the last axis holds them and one value per target is
        returned (a list).
    mask (array of bool, optional): further positions to leave out."""
PAIR_ARGS = """    predictions: one map of scores per example: the L x L array, or its upper triangle without the diagonal, row by
        row (gfmbench.pairmaps), L(L-1)/2 values.
    references: one 0/1 map per example, same layout; -100 marks a pair that is not scored."""
BEACON_CITATION = """\
@inproceedings{ren2024beacon,
  title     = {{BEACON}: Benchmark for Comprehensive {RNA} Tasks and Language Models},
  author    = {Ren, Yuchen and others},
  booktitle = {Advances in Neural Information Processing Systems, Datasets and Benchmarks Track},
  year      = {2024}
}
"""
SKLEARN_CITATION = """\
@article{scikit-learn,
  title   = {Scikit-learn: Machine Learning in {P}ython},
  author  = {Pedregosa, F. and Varoquaux, G. and Gramfort, A. and others},
  journal = {Journal of Machine Learning Research},
  volume  = {12},
  pages   = {2825--2830},
  year    = {2011}
}
"""
SCIPY_CITATION = """\
@article{scipy2020,
  title   = {{SciPy} 1.0: Fundamental Algorithms for Scientific Computing in {P}ython},
  author  = {Virtanen, P. and Gommers, R. and Oliphant, T. E. and others},
  journal = {Nature Methods},
  volume  = {17},
  pages   = {261--272},
  year    = {2020}
}
"""


def usage(args: str, returns: str, examples: str) -> str:
    """The `inputs_description` of a module: arguments, returns, and examples that run as doctests."""
    return f"\nArgs:\n{args}\nReturns:\n    {returns}\nExamples:\n{examples}"
