"""MCRMSE: a gfmbench `evaluate` module over `gfmbench.metrics.functional.mcrmse`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import mcrmse

_INPUTS = base.usage(
    args='    predictions: predicted values: scalars, per-position lists, or per-position target vectors.\n    references: reference values, same layout; null (None) or NaN marks a position that is not scored.\n    n_targets (int, default: size of the last axis): with several targets, the last axis holds them and one value per target is\n        returned (a list).\n    mask (array of bool, optional): further positions to leave out.',
    returns='mcrmse (float): >= 0, lower is better.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/mcrmse")
    >>> metric.compute(references=[[[0.0, 1.0], [0.0, None]]], predictions=[[[3.0, 1.0], [4.0, 7.0]]])
    {'mcrmse': 1.7677669529663689}
""",
)

_CITATION = """\
@article{wayment2022openvaccine,
  title   = {Deep learning models for predicting {RNA} degradation via dual crowdsourcing},
  author  = {Wayment-Steele, H. K. and Kladwang, W. and Watkins, A. M. and others},
  journal = {Nature Machine Intelligence},
  volume  = {4},
  pages   = {1174--1184},
  year    = {2022}
}
"""


class Mcrmse(base.GfmbenchMetric):
    function = mcrmse
    input_kind = "regression"
    result_key = "mcrmse"
    _summary = "Mean column-wise RMSE: the RMSE of each target over all scored positions, averaged over targets (OpenVaccine, RGB mRNA)."
    _inputs = _INPUTS
    _citation = _CITATION
