"""Coefficient of determination (R²): a gfmbench `evaluate` module over `gfmbench.metrics.functional.r2`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import r2

_INPUTS = """
Args:
    predictions: predicted values: scalars, per-position lists, or per-position target vectors.
    references: reference values, same layout; null (None) or NaN marks a position that is not scored.
    n_targets (int, default 1): with several targets, the last axis holds them and one value per target is
        returned (a list).
    mask (array of bool, optional): further positions to leave out.
Returns:
    r2 (float or list): <= 1, higher is better; can be negative.
Examples:
    >>> import evaluate
    >>> metric = evaluate.load("metrics/r2")
    >>> metric.compute(references=[1.0, 2.0, 3.0], predictions=[1.0, 2.0, 4.0])
    {'r2': 0.5}
"""

_CITATION = """\
@article{scikit-learn,
  title   = {Scikit-learn: Machine Learning in {P}ython},
  author  = {Pedregosa, F. and Varoquaux, G. and Gramfort, A. and others},
  journal = {Journal of Machine Learning Research},
  volume  = {12},
  pages   = {2825--2830},
  year    = {2011}
}
"""


class R2(base.GfmbenchMetric):
    function = r2
    input_kind = "regression"
    result_key = "r2"
    _summary = "1 - residual sum of squares / total sum of squares, per target."
    _inputs = _INPUTS
    _citation = _CITATION
