"""Spearman rank correlation: a gfmbench `evaluate` module over `gfmbench.metrics.functional.spearman`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import spearman

_INPUTS = base.usage(
    args=base.REGRESSION_ARGS,
    returns='spearman (float or list): in [-1, 1], higher is better; NaN for constant input.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/spearman")
    >>> metric.compute(references=[1.0, 2.0, 3.0, 4.0], predictions=[1.0, 3.0, 2.0, 4.0])
    {'spearman': 0.7999999999999999}
""",
)

_CITATION = base.SCIPY_CITATION


class Spearman(base.GfmbenchMetric):
    function = spearman
    input_kind = "regression"
    result_key = "spearman"
    _summary = "Correlation of ranks (average ranks for ties), per target."
    _inputs = _INPUTS
    _citation = _CITATION
