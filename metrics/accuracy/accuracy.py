"""Accuracy: a gfmbench `evaluate` module over `gfmbench.metrics.functional.accuracy`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import accuracy

_INPUTS = base.usage(
    args=base.LABEL_ARGS,
    returns='accuracy (float): in [0, 1], higher is better.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/accuracy")
    >>> metric.compute(references=[0, 1, 2, 1], predictions=[0, 2, 2, 1])
    {'accuracy': 0.75}
    >>> metric.compute(references=[[0, 1, -100], [2, -100, -100]], predictions=[[0, 0, 5], [2, 1, 1]])
    {'accuracy': 0.6666666666666666}
""",
)

_CITATION = base.SKLEARN_CITATION


class Accuracy(base.GfmbenchMetric):
    function = accuracy
    input_kind = "labels"
    result_key = "accuracy"
    _summary = "Fraction of scored positions (examples or nucleotides) predicted correctly."
    _inputs = _INPUTS
    _citation = _CITATION
