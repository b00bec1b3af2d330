"""Multi-label ROC-AUC: a gfmbench `evaluate` module over `gfmbench.metrics.functional.multilabel_roc_auc`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import multilabel_roc_auc

_INPUTS = base.usage(
    args=base.MULTILABEL_ARGS,
    returns='roc_auc (float): in [0, 1], higher is better; skipped_labels (list of int): labels left out.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/multilabel_roc_auc")
    >>> metric.compute(references=[[1, 0], [0, 0], [1, 0]], predictions=[[0.9, 0.1], [0.2, 0.5], [0.6, 0.3]])
    {'roc_auc': 1.0, 'skipped_labels': [1]}
""",
)

_CITATION = base.SKLEARN_CITATION


class MultilabelRocAuc(base.GfmbenchMetric):
    function = multilabel_roc_auc
    input_kind = "multilabel"
    result_key = "roc_auc"
    _summary = "Macro ROC-AUC over labels; labels with one class only in the references are skipped and reported."
    _inputs = _INPUTS
    _citation = _CITATION
