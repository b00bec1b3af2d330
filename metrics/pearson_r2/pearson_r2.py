"""Squared Pearson R²: a gfmbench `evaluate` module over `gfmbench.metrics.functional.pearson_r2`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import pearson_r2

_INPUTS = base.usage(
    args="    predictions: predicted values: scalars, per-position lists (e.g. a distance map's upper triangle), or\n        per-position target vectors.\n    references: reference values, same layout; null (None) or NaN marks a position that is not scored.\n    n_targets (int, default 1): with several targets, the last axis holds them and one value per target is\n        returned (a list).\n    mask (array of bool, optional): further positions to leave out.",
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

_CITATION = """\
@inproceedings{ren2024beacon,
  title     = {{BEACON}: Benchmark for Comprehensive {RNA} Tasks and Language Models},
  author    = {Ren, Yuchen and others},
  booktitle = {Advances in Neural Information Processing Systems, Datasets and Benchmarks Track},
  year      = {2024}
}
"""


class PearsonR2(base.GfmbenchMetric):
    function = pearson_r2
    input_kind = "regression"
    result_key = "pearson_r2"
    _summary = "R² as the squared Pearson correlation between references and predictions over the scored positions (BEACON's distance maps)."
    _inputs = _INPUTS
    _citation = _CITATION
