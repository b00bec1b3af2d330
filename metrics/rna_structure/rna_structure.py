"""RNA secondary structure: a gfmbench `evaluate` module over `gfmbench.metrics.structure.structure_scores`.

See README.md beside this file (the metric card).
"""

from gfmbench.metrics import _evaluate as base
from gfmbench.metrics.structure import structure_scores

_INPUTS = base.usage(
    args='    predictions: predicted dot-bracket strings (may be malformed: unmatched brackets are read as unpaired).\n    references: reference dot-bracket strings (must be well formed), same lengths. Pseudoknot brackets []{}<> and\n        letter pairs Aa..Zz are supported.',
    returns='bp_precision, bp_recall, bp_f1, bp_mcc (float, mean over structures, in [0, 1] / [-1, 1]);\n    bp_precision_shift1, bp_recall_shift1, bp_f1_shift1 (float): with the ±1 shift tolerance;\n    nucleotide_f1_macro (float): macro F1 over the classes ( ) . pooled over positions. Higher is better.',
    examples="""\
    >>> import evaluate
    >>> metric = evaluate.load("metrics/rna_structure")
    >>> metric.compute(references=["((..))", "(...)"], predictions=["((..))", "....."])
    {'bp_precision': 0.5, 'bp_recall': 0.5, 'bp_f1': 0.5, 'bp_mcc': 0.5, 'bp_precision_shift1': 0.5, 'bp_recall_shift1': 0.5, 'bp_f1_shift1': 0.5, 'nucleotide_f1_macro': 0.8111111111111112}
    >>> metric.compute(references=["((....))"], predictions=["(.(...))"])
    {'bp_precision': 0.5, 'bp_recall': 0.5, 'bp_f1': 0.5, 'bp_mcc': 0.46153846153846156, 'bp_precision_shift1': 1.0, 'bp_recall_shift1': 1.0, 'bp_f1_shift1': 1.0, 'nucleotide_f1_macro': 0.75}
""",
)

_CITATION = """\
@article{mathews1999,
  title   = {Expanded sequence dependence of thermodynamic parameters improves prediction of {RNA} secondary structure},
  author  = {Mathews, D. H. and Sabina, J. and Zuker, M. and Turner, D. H.},
  journal = {Journal of Molecular Biology},
  volume  = {288},
  number  = {5},
  pages   = {911--940},
  year    = {1999}
}
"""


class RnaStructure(base.GfmbenchMetric):
    function = structure_scores
    input_kind = "structure"
    result_key = ""
    _summary = "Base-pair precision, recall, F1 (exact and with a ±1 shift) and MCC from dot-bracket strings, plus per-nucleotide macro F1 over ( ) ."
    _inputs = _INPUTS
    _citation = _CITATION
