"""Spearman rank correlation: a gfmbench `evaluate` module over `gfmbench.metrics.functional.spearman`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import spearman

_INPUTS = """
Args:
    predictions: predicted values: scalars, per-position lists, or per-position target vectors.
    references: reference values, same layout; null (None) or NaN marks a position that is not scored.
    n_targets (int, default 1): with several targets, the last axis holds them and one value per target is
        returned (a list).
    mask (array of bool, optional): further positions to leave out.
Returns:
    spearman (float or list): in [-1, 1], higher is better; NaN for constant input.
Examples:
    >>> import evaluate
    >>> metric = evaluate.load("metrics/spearman")
    >>> metric.compute(references=[1.0, 2.0, 3.0, 4.0], predictions=[1.0, 3.0, 2.0, 4.0])
    {'spearman': 0.7999999999999999}
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


class Spearman(base.GfmbenchMetric):
    function = spearman
    input_kind = "regression"
    result_key = "spearman"
    _summary = "Correlation of ranks (average ranks for ties), per target."
    _inputs = _INPUTS
    _citation = _CITATION
