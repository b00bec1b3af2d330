"""Mean squared error: a gfmbench `evaluate` module over `gfmbench.metrics.functional.mse`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import mse

_INPUTS = base.usage(
    args=base.REGRESSION_ARGS,
    returns='mse (float or list): >= 0, lower is better.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/mse")
    >>> metric.compute(references=[1.0, 2.0, None], predictions=[1.5, 2.0, 9.0])
    {'mse': 0.125}
""",
)

_CITATION = base.SKLEARN_CITATION


class Mse(base.GfmbenchMetric):
    function = mse
    input_kind = "regression"
    result_key = "mse"
    _summary = "Mean squared error over scored values, per target."
    _inputs = _INPUTS
    _citation = _CITATION
