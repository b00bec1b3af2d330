"""PR-AUC (average precision): a gfmbench `evaluate` module over `gfmbench.metrics.functional.pr_auc`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import pr_auc

_INPUTS = base.usage(
    args=base.SCORE_ARGS,
    returns='pr_auc (float): in [0, 1]; chance level is the positive rate; higher is better.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/pr_auc")
    >>> metric.compute(references=[0, 0, 1, 1], predictions=[0.1, 0.4, 0.35, 0.8])
    {'pr_auc': 0.8333333333333333}
""",
)

_CITATION = base.SKLEARN_CITATION


class PrAuc(base.GfmbenchMetric):
    function = pr_auc
    input_kind = "scores"
    result_key = "pr_auc"
    _summary = "Area under the precision-recall curve as average precision; binary or one-vs-rest macro."
    _inputs = _INPUTS
    _citation = _CITATION
