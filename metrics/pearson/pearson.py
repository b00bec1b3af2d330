"""Pearson correlation: a gfmbench `evaluate` module over `gfmbench.metrics.functional.pearson`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import pearson

_INPUTS = """
Args:
    predictions: predicted values: scalars, per-position lists, or per-position target vectors.
    references: reference values, same layout; null (None) or NaN marks a position that is not scored.
    n_targets (int, default 1): with several targets, the last axis holds them and one value per target is
        returned (a list).
    mask (array of bool, optional): further positions to leave out.
Returns:
    pearson (float or list): in [-1, 1], higher is better; NaN for constant input.
Examples:
    >>> import evaluate
    >>> metric = evaluate.load("metrics/pearson")
    >>> metric.compute(references=[1.0, 2.0, 3.0], predictions=[2.0, 4.0, 6.5])
    {'pearson': 0.9979487157886732}
"""

_CITATION = """\
@article{scipy2020,
  title   = {{SciPy} 1.0: Fundamental Algorithms for Scientific Computing in {P}ython},
  author  = {Virtanen, P. and Gommers, R. and Oliphant, T. E. and others},
  journal = {Nature Methods},
  volume  = {17},
  pages   = {261--272},
  year    = {2020}
}
"""


class Pearson(base.GfmbenchMetric):
    function = pearson
    input_kind = "regression"
    result_key = "pearson"
    _summary = "Linear correlation between predictions and references, per target."
    _inputs = _INPUTS
    _citation = _CITATION
