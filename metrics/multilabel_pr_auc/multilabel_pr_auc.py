"""Multi-label PR-AUC: a gfmbench `evaluate` module over `gfmbench.metrics.functional.multilabel_pr_auc`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import multilabel_pr_auc

_INPUTS = base.usage(
    args=base.MULTILABEL_ARGS,
    returns='pr_auc (float): in [0, 1], higher is better; skipped_labels (list of int).',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/multilabel_pr_auc")
    >>> metric.compute(references=[[1, 0], [0, 1], [1, 1]], predictions=[[0.9, 0.1], [0.2, 0.5], [0.6, 0.3]])
    {'pr_auc': 1.0, 'skipped_labels': []}
""",
)

_CITATION = base.SKLEARN_CITATION


class MultilabelPrAuc(base.GfmbenchMetric):
    function = multilabel_pr_auc
    input_kind = "multilabel"
    result_key = "pr_auc"
    _summary = "Macro average precision over labels; single-class labels are skipped and reported."
    _inputs = _INPUTS
    _citation = _CITATION
