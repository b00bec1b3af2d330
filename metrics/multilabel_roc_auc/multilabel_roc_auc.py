"""Multi-label ROC-AUC: a gfmbench `evaluate` module over `gfmbench.metrics.functional.multilabel_roc_auc`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import multilabel_roc_auc

_INPUTS = """
Args:
    predictions: one score (probability) per label and example, shape (n, labels).
    references: one 0/1 value per label and example, shape (n, labels).
Returns:
    roc_auc (float): in [0, 1], higher is better; skipped_labels (list of int): labels left out.
Examples:
    >>> import evaluate
    >>> metric = evaluate.load("metrics/multilabel_roc_auc")
    >>> metric.compute(references=[[1, 0], [0, 0], [1, 0]], predictions=[[0.9, 0.1], [0.2, 0.5], [0.6, 0.3]])
    {'roc_auc': 1.0, 'skipped_labels': [1]}
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


class MultilabelRocAuc(base.GfmbenchMetric):
    function = multilabel_roc_auc
    input_kind = "multilabel"
    result_key = "roc_auc"
    _summary = "Macro ROC-AUC over labels; labels with one class only in the references are skipped and reported."
    _inputs = _INPUTS
    _citation = _CITATION
