"""Top-k accuracy: a gfmbench `evaluate` module over `gfmbench.metrics.functional.topk_accuracy`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import topk_accuracy

_INPUTS = base.usage(
    args='    predictions: one score per class and position (token level: one list per sequence).\n    references: class ids, same layout; positions equal to `ignore_index` are not scored.\n    classes (list of int, default: every class but 0): the classes scored (SpliceAI: 1 acceptor, 2 donor).\n    ignore_index (int, default -100): the reference value of positions that are not scored.',
    returns='topk_accuracy (float): mean over the classes, in [0, 1], higher is better.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/topk_accuracy")
    >>> metric.compute(references=[[0, 1, 0, 2]], predictions=[[[.9, .1, 0], [.5, .4, .1], [.2, .7, .1], [.1, .1, .8]]])
    {'topk_accuracy': 0.5}
    >>> metric.compute(references=[[0, 1, 0, 2]], predictions=[[[.9, .1, 0], [.5, .4, .1], [.2, .7, .1], [.1, .1, .8]]], classes=[2])
    {'topk_accuracy': 1.0}
""",
)

_CITATION = """\
@article{jaganathan2019spliceai,
  title   = {Predicting splicing from primary sequence with deep learning},
  author  = {Jaganathan, Kishore and others},
  journal = {Cell},
  volume  = {176},
  number  = {3},
  pages   = {535--548},
  year    = {2019}
}
"""


class TopkAccuracy(base.GfmbenchMetric):
    function = topk_accuracy
    input_kind = "scores"
    result_key = "topk_accuracy"
    _summary = "SpliceAI's top-k accuracy: for each class, with k its number of true positions, the fraction of the k highest-scored positions that are of that class, averaged over the classes."
    _inputs = _INPUTS
    _citation = _CITATION
