"""Mean absolute error: a gfmbench `evaluate` module over `gfmbench.metrics.functional.mae`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import mae

_INPUTS = """
Args:
    predictions: predicted values: scalars, per-position lists, or per-position target vectors.
    references: reference values, same layout; null (None) or NaN marks a position that is not scored.
    n_targets (int, default 1): with several targets, the last axis holds them and one value per target is
        returned (a list).
    mask (array of bool, optional): further positions to leave out.
Returns:
    mae (float or list): >= 0, lower is better.
Examples:
    >>> import evaluate
    >>> metric = evaluate.load("metrics/mae")
    >>> metric.compute(references=[0.0, 0.0], predictions=[3.0, -4.0])
    {'mae': 3.5}
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


class Mae(base.GfmbenchMetric):
    function = mae
    input_kind = "regression"
    result_key = "mae"
    _summary = "Mean absolute difference over scored values, per target."
    _inputs = _INPUTS
    _citation = _CITATION
