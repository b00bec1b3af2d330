"""Top-L precision: a gfmbench `evaluate` module over `gfmbench.metrics.pairs.top_l_precision`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.pairs import top_l_precision

_INPUTS = base.usage(
    args=base.PAIR_ARGS + "\n    min_separation (int, default 23): smallest j - i of a candidate pair (BEACON's long range: j - i >= 23).\n    max_separation (int, optional): largest j - i (medium range 12..22, short range 6..11).\n    fraction (float, default 1.0): take the top L x fraction pairs (0.5: L/2, 0.2: L/5), at least one.",
    returns='top_l_precision (float): in [0, 1], higher is better.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/top_l_precision")
    >>> ref = [[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]]
    >>> score = [[0, .1, .9, .8], [.1, 0, .2, .3], [.9, .2, 0, .1], [.8, .3, .1, 0]]
    >>> metric.compute(references=[ref], predictions=[score], min_separation=2)
    {'top_l_precision': 0.6666666666666666}
    >>> metric.compute(references=[[0, 1, 0, 1, 0, 0]], predictions=[[.9, .8, .1, .2, .7, .0]], min_separation=1, fraction=0.5)
    {'top_l_precision': 0.5}
""",
)

_CITATION = base.BEACON_CITATION


class TopLPrecision(base.GfmbenchMetric):
    function = top_l_precision
    input_kind = "pairs"
    result_key = "top_l_precision"
    _summary = 'Contact prediction precision: the fraction of true contacts among the L (or L/2, L/5) highest-scored pairs in a separation range, averaged over maps.'
    _inputs = _INPUTS
    _citation = _CITATION
