"""Coefficient of determination (R²): a gfmbench `evaluate` module over `gfmbench.metrics.functional.r2`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import r2

_INPUTS = base.usage(
    args=base.REGRESSION_ARGS,
    returns='r2 (float or list): <= 1, higher is better; can be negative.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/r2")
    >>> metric.compute(references=[1.0, 2.0, 3.0], predictions=[1.0, 2.0, 4.0])
    {'r2': 0.5}
""",
)

_CITATION = base.SKLEARN_CITATION


class R2(base.GfmbenchMetric):
    function = r2
    input_kind = "regression"
    result_key = "r2"
    _summary = "1 - residual sum of squares / total sum of squares, per target."
    _inputs = _INPUTS
    _citation = _CITATION
