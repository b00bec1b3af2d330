"""Precision: a gfmbench `evaluate` module over `gfmbench.metrics.functional.precision`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import precision

_INPUTS = base.usage(
    args=base.LABEL_ARGS + "\n" + base.AVERAGE_ARGS,
    returns='precision (float): in [0, 1], higher is better.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/precision")
    >>> metric.compute(references=[0, 0, 1, 1], predictions=[0, 1, 1, 1])
    {'precision': 0.8333333333333333}
""",
)

_CITATION = base.SKLEARN_CITATION


class Precision(base.GfmbenchMetric):
    function = precision
    input_kind = "labels"
    result_key = "precision"
    _summary = "Fraction of predicted positives that are correct, averaged over classes."
    _inputs = _INPUTS
    _citation = _CITATION
