"""Matthews correlation coefficient: a gfmbench `evaluate` module over `gfmbench.metrics.functional.mcc`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.functional import mcc

_INPUTS = base.usage(
    args=base.LABEL_ARGS,
    returns='mcc (float): in [-1, 1]; 0 is chance level; higher is better.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/mcc")
    >>> metric.compute(references=[1, 1, 0, 0], predictions=[1, 0, 0, 0])
    {'mcc': 0.5773502691896258}
    >>> metric.compute(references=[[0, 1, -100], [1, 1, -100]], predictions=[[0, 1, 0], [1, 0, 0]])
    {'mcc': 0.5773502691896258}
""",
)

_CITATION = """\
@article{matthews1975,
  title   = {Comparison of the predicted and observed secondary structure of {T4} phage lysozyme},
  author  = {Matthews, B. W.},
  journal = {Biochimica et Biophysica Acta},
  volume  = {405},
  number  = {2},
  pages   = {442--451},
  year    = {1975}
}
@article{gorodkin2004,
  title   = {Comparing two {K}-category assignments by a {K}-category correlation coefficient},
  author  = {Gorodkin, J.},
  journal = {Computational Biology and Chemistry},
  volume  = {28},
  number  = {5},
  pages   = {367--374},
  year    = {2004}
}
"""


class Mcc(base.GfmbenchMetric):
    function = mcc
    input_kind = "labels"
    result_key = "mcc"
    _summary = "Correlation between predicted and reference labels (Gorodkin's R_K for more than two classes)."
    _inputs = _INPUTS
    _citation = _CITATION
