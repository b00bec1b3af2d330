"""Root mean squared error: a gfmbench `evaluate` module over `gfmbench.metrics.functional.rmse`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import rmse

_INPUTS = base.usage(
    args=base.REGRESSION_ARGS,
    returns='rmse (float or list): >= 0, lower is better.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/rmse")
    >>> metric.compute(references=[[0.0, 1.0], [0.0, 2.0]], predictions=[[3.0, 1.0], [4.0, 2.0]], n_targets=2)
    {'rmse': [3.5355339059327378, 0.0]}
""",
)

_CITATION = base.SKLEARN_CITATION


class Rmse(base.GfmbenchMetric):
    function = rmse
    input_kind = "regression"
    result_key = "rmse"
    _summary = "Square root of the mean squared error, per target."
    _inputs = _INPUTS
    _citation = _CITATION
