"""Multi-label F1: a gfmbench `evaluate` module over `gfmbench.metrics.functional.multilabel_f1`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import multilabel_f1

_INPUTS = base.usage(
    args=base.MULTILABEL_ARGS + "\n" + '    average (str, default "macro"): "macro" or "micro".\n    threshold (float, default 0.5): a score >= threshold is a positive.',
    returns='f1 (float): in [0, 1], higher is better.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/multilabel_f1")
    >>> metric.compute(references=[[1, 0], [0, 1]], predictions=[[0.9, 0.2], [0.4, 0.3]])
    {'f1': 0.5}
""",
)

_CITATION = base.SKLEARN_CITATION


class MultilabelF1(base.GfmbenchMetric):
    function = multilabel_f1
    input_kind = "multilabel"
    result_key = "f1"
    _summary = "F1 over labels after thresholding scores, macro (every label) or micro."
    _inputs = _INPUTS
    _citation = _CITATION
