"""Recall: a gfmbench `evaluate` module over `gfmbench.metrics.functional.recall`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import recall

_INPUTS = base.usage(
    args=base.LABEL_ARGS + "\n" + base.AVERAGE_ARGS,
    returns='recall (float): in [0, 1], higher is better.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/recall")
    >>> metric.compute(references=[0, 0, 1, 1], predictions=[0, 1, 1, 1])
    {'recall': 0.75}
""",
)

_CITATION = base.SKLEARN_CITATION


class Recall(base.GfmbenchMetric):
    function = recall
    input_kind = "labels"
    result_key = "recall"
    _summary = "Fraction of reference positives that are found, averaged over classes."
    _inputs = _INPUTS
    _citation = _CITATION
