"""Pair F1: a gfmbench `evaluate` module over `gfmbench.metrics.pairs.pair_scores`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.pairs import pair_scores

_INPUTS = base.usage(
    args=base.PAIR_ARGS + '\n    threshold (float, default 0.5): a pair is predicted when its score is >= threshold (probabilities; use 0.0 for\n        logits).',
    returns='precision, recall, f1 (float): means over maps, in [0, 1], higher is better.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/pair_f1")
    >>> metric.compute(references=[[0, 1, 0, 1, 0, 0]], predictions=[[.9, .8, .1, .2, .7, .0]])
    {'precision': 0.3333333333333333, 'recall': 0.5, 'f1': 0.4}
    >>> metric.compute(references=[[[0, 1], [1, 0]]], predictions=[[[0.0, 0.9], [0.9, 0.0]]])
    {'precision': 1.0, 'recall': 1.0, 'f1': 1.0}
""",
)

_CITATION = base.BEACON_CITATION


class PairF1(base.GfmbenchMetric):
    function = pair_scores
    input_kind = "pairs"
    result_key = ""
    _summary = 'Precision, recall and F1 over the pairs of binary maps (base pairs, contacts) after thresholding the scores, averaged over maps.'
    _inputs = _INPUTS
    _citation = _CITATION
