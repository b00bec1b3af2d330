"""Pearson correlation: a gfmbench `evaluate` module over `gfmbench.metrics.functional.pearson`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import pearson

_INPUTS = base.usage(
    args=base.REGRESSION_ARGS,
    returns='pearson (float or list): in [-1, 1], higher is better; NaN for constant input.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/pearson")
    >>> metric.compute(references=[1.0, 2.0, 3.0], predictions=[2.0, 4.0, 6.5])
    {'pearson': 0.9979487157886732}
""",
)

_CITATION = base.SCIPY_CITATION


class Pearson(base.GfmbenchMetric):
    function = pearson
    input_kind = "regression"
    result_key = "pearson"
    _summary = "Linear correlation between predictions and references, per target."
    _inputs = _INPUTS
    _citation = _CITATION
