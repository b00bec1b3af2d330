"""ROC-AUC: a gfmbench `evaluate` module over `gfmbench.metrics.functional.roc_auc`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import roc_auc

_INPUTS = base.usage(
    args=base.SCORE_ARGS,
    returns='roc_auc (float): in [0, 1]; 0.5 is chance level; higher is better; NaN when undefined.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/roc_auc")
    >>> metric.compute(references=[0, 0, 1, 1], predictions=[0.1, 0.4, 0.35, 0.8])
    {'roc_auc': 0.75}
    >>> metric.compute(references=[0, 1, 2, 1], predictions=[[0.8, 0.1, 0.1], [0.1, 0.7, 0.2], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3]])
    {'roc_auc': 1.0}
""",
)

_CITATION = base.SKLEARN_CITATION


class RocAuc(base.GfmbenchMetric):
    function = roc_auc
    input_kind = "scores"
    result_key = "roc_auc"
    _summary = "Area under the ROC curve from scores; binary, or one-vs-rest macro average for several classes."
    _inputs = _INPUTS
    _citation = _CITATION
