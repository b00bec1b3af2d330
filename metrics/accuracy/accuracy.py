"""Accuracy: a gfmbench `evaluate` module over `gfmbench.metrics.functional.accuracy`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import accuracy

_INPUTS = """
Args:
    predictions: predicted class ids, or scores/logits with one more trailing axis (argmax is taken). Sequence
        level: one per example; token level: one list per sequence (padded or ragged).
    references: reference class ids, same layout; positions equal to `ignore_index` are not scored.
    ignore_index (int, default -100): the reference value of positions that are not scored.
Returns:
    accuracy (float): in [0, 1], higher is better.
Examples:
    >>> import evaluate
    >>> metric = evaluate.load("metrics/accuracy")
    >>> metric.compute(references=[0, 1, 2, 1], predictions=[0, 2, 2, 1])
    {'accuracy': 0.75}
    >>> metric.compute(references=[[0, 1, -100], [2, -100, -100]], predictions=[[0, 0, 5], [2, 1, 1]])
    {'accuracy': 0.6666666666666666}
"""

_CITATION = """\
@article{scikit-learn,
  title   = {Scikit-learn: Machine Learning in {P}ython},
  author  = {Pedregosa, F. and Varoquaux, G. and Gramfort, A. and others},
  journal = {Journal of Machine Learning Research},
  volume  = {12},
  pages   = {2825--2830},
  year    = {2011}
}
"""


class Accuracy(base.GfmbenchMetric):
    function = accuracy
    input_kind = "labels"
    result_key = "accuracy"
    _summary = "Fraction of scored positions (examples or nucleotides) predicted correctly."
    _inputs = _INPUTS
    _citation = _CITATION
