"""Multi-label F1: a gfmbench `evaluate` module over `gfmbench.metrics.functional.multilabel_f1`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import multilabel_f1

_INPUTS = """
Args:
    predictions: one score (probability) per label and example, shape (n, labels).
    references: one 0/1 value per label and example, shape (n, labels).
    average (str, default "macro"): "macro" or "micro".
    threshold (float, default 0.5): a score >= threshold is a positive.
Returns:
    f1 (float): in [0, 1], higher is better.
Examples:
    >>> import evaluate
    >>> metric = evaluate.load("metrics/multilabel_f1")
    >>> metric.compute(references=[[1, 0], [0, 1]], predictions=[[0.9, 0.2], [0.4, 0.3]])
    {'f1': 0.5}
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


class MultilabelF1(base.GfmbenchMetric):
    function = multilabel_f1
    input_kind = "multilabel"
    result_key = "f1"
    _summary = "F1 over labels after thresholding scores, macro (every label) or micro."
    _inputs = _INPUTS
    _citation = _CITATION
