"""F1 score: a gfmbench `evaluate` module over `gfmbench.metrics.functional.f1`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import f1

_INPUTS = base.usage(
    args=base.LABEL_ARGS + "\n" + base.AVERAGE_ARGS,
    returns='f1 (float): in [0, 1], higher is better.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/f1")
    >>> metric.compute(references=[0, 0, 1, 1], predictions=[0, 1, 1, 1])
    {'f1': 0.7333333333333334}
    >>> metric.compute(references=[0, 0, 1, 1], predictions=[0, 1, 1, 1], average="micro")
    {'f1': 0.75}
    >>> metric.compute(references=[[0, 1, 2, -100]], predictions=[[[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.0, 0.0, 1.0]]])
    {'f1': 0.5555555555555555}
""",
)

_CITATION = base.SKLEARN_CITATION


class F1(base.GfmbenchMetric):
    function = f1
    input_kind = "labels"
    result_key = "f1"
    _summary = "Harmonic mean of precision and recall, macro/micro/weighted over classes, for sequence or token labels."
    _inputs = _INPUTS
    _citation = _CITATION
