"""Subset accuracy: a gfmbench `evaluate` module over `gfmbench.metrics.functional.subset_accuracy`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import subset_accuracy

_INPUTS = base.usage(
    args=base.MULTILABEL_ARGS + "\n" + '    threshold (float, default 0.5): a score >= threshold is a positive.',
    returns='subset_accuracy (float): in [0, 1], higher is better.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/subset_accuracy")
    >>> metric.compute(references=[[1, 0], [0, 1]], predictions=[[0.9, 0.2], [0.4, 0.3]])
    {'subset_accuracy': 0.5}
""",
)

_CITATION = base.SKLEARN_CITATION


class SubsetAccuracy(base.GfmbenchMetric):
    function = subset_accuracy
    input_kind = "multilabel"
    result_key = "subset_accuracy"
    _summary = "Fraction of examples whose whole label set is predicted exactly (after thresholding)."
    _inputs = _INPUTS
    _citation = _CITATION
