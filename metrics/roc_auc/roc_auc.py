"""ROC-AUC: a gfmbench `evaluate` module over `gfmbench.metrics.functional.roc_auc`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import roc_auc

_INPUTS = """
Args:
    predictions: scores: one per example for binary tasks, or one per class (one-vs-rest); token level: one list
        per sequence.
    references: class ids, same layout; positions equal to `ignore_index` are not scored.
    ignore_index (int, default -100): the reference value of positions that are not scored.
Returns:
    roc_auc (float): in [0, 1]; 0.5 is chance level; higher is better; NaN when undefined.
Examples:
    >>> import evaluate
    >>> metric = evaluate.load("metrics/roc_auc")
    >>> metric.compute(references=[0, 0, 1, 1], predictions=[0.1, 0.4, 0.35, 0.8])
    {'roc_auc': 0.75}
    >>> metric.compute(references=[0, 1, 2, 1], predictions=[[0.8, 0.1, 0.1], [0.1, 0.7, 0.2], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3]])
    {'roc_auc': 1.0}
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


class RocAuc(base.GfmbenchMetric):
    function = roc_auc
    input_kind = "scores"
    result_key = "roc_auc"
    _summary = "Area under the ROC curve from scores; binary, or one-vs-rest macro average for several classes."
    _inputs = _INPUTS
    _citation = _CITATION
