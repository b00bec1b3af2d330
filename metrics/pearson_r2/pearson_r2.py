"""Squared Pearson R²: a gfmbench `evaluate` module over `gfmbench.metrics.functional.pearson_r2`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import pearson_r2

_INPUTS = base.usage(
    args=base.REGRESSION_ARGS,
    returns='pearson_r2 (float): in [0, 1], higher is better; NaN when a side is constant.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/pearson_r2")
    >>> metric.compute(references=[0.0, 1.0, 2.0], predictions=[0.0, 2.0, 5.0])
    {'pearson_r2': 0.9868421052631576}
    >>> metric.compute(references=[[0.1, None, 0.4], [0.3, 0.9]], predictions=[[0.2, 0.5, 0.3], [0.3, 0.8]])
    {'pearson_r2': 0.9535644211903201}
""",
)

_CITATION = base.BEACON_CITATION


class PearsonR2(base.GfmbenchMetric):
    function = pearson_r2
    input_kind = "regression"
    result_key = "pearson_r2"
    _summary = "R² as the squared Pearson correlation between references and predictions over the scored positions (BEACON's distance maps)."
    _inputs = _INPUTS
    _citation = _CITATION
