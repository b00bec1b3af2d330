"""Mean absolute error: a gfmbench `evaluate` module over `gfmbench.metrics.functional.mae`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import mae

_INPUTS = base.usage(
    args=base.REGRESSION_ARGS,
    returns='mae (float or list): >= 0, lower is better.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/mae")
    >>> metric.compute(references=[0.0, 0.0], predictions=[3.0, -4.0])
    {'mae': 3.5}
""",
)

_CITATION = base.SKLEARN_CITATION


class Mae(base.GfmbenchMetric):
    function = mae
    input_kind = "regression"
    result_key = "mae"
    _summary = "Mean absolute difference over scored values, per target."
    _inputs = _INPUTS
    _citation = _CITATION
