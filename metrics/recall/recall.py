"""Recall: a gfmbench `evaluate` module over `gfmbench.metrics.functional.recall`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import recall

_INPUTS = """
Args:
    predictions: predicted class ids, or scores/logits with one more trailing axis (argmax is taken). Sequence
        level: one per example; token level: one list per sequence (padded or ragged).
    references: reference class ids, same layout; positions equal to `ignore_index` are not scored.
    ignore_index (int, default -100): the reference value of positions that are not scored.
    average (str, default "macro"): "macro" (unweighted mean over the labels present in references or
        predictions, as scikit-learn), "micro", "weighted" (by support) or "binary" (the `pos_label` class).
    num_classes (int, optional): checks labels are in range and fixes the label set.
    pos_label (int, default 1): the positive class for average="binary".
Returns:
    recall (float): in [0, 1], higher is better.
Examples:
    >>> import evaluate
    >>> metric = evaluate.load("metrics/recall")
    >>> metric.compute(references=[0, 0, 1, 1], predictions=[0, 1, 1, 1])
    {'recall': 0.75}
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


class Recall(base.GfmbenchMetric):
    function = recall
    input_kind = "labels"
    result_key = "recall"
    _summary = "Fraction of reference positives that are found, averaged over classes."
    _inputs = _INPUTS
    _citation = _CITATION
