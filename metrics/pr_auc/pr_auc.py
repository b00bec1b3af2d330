"""PR-AUC (average precision): a gfmbench `evaluate` module over `gfmbench.metrics.functional.pr_auc`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import pr_auc

_INPUTS = """
Args:
    predictions: scores: one per example for binary tasks, or one per class (one-vs-rest); token level: one list
        per sequence.
    references: class ids, same layout; positions equal to `ignore_index` are not scored.
    ignore_index (int, default -100): the reference value of positions that are not scored.
Returns:
    pr_auc (float): in [0, 1]; chance level is the positive rate; higher is better.
Examples:
    >>> import evaluate
    >>> metric = evaluate.load("metrics/pr_auc")
    >>> metric.compute(references=[0, 0, 1, 1], predictions=[0.1, 0.4, 0.35, 0.8])
    {'pr_auc': 0.8333333333333333}
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


class PrAuc(base.GfmbenchMetric):
    function = pr_auc
    input_kind = "scores"
    result_key = "pr_auc"
    _summary = "Area under the precision-recall curve as average precision; binary or one-vs-rest macro."
    _inputs = _INPUTS
    _citation = _CITATION
