"""RNA secondary-structure metrics from dot-bracket strings.

Pairs are read with one stack per bracket type: `()`, `[]`, `{}`, `<>` and letter pairs `Aa`..`Zz` (pseudoknots).
References must be well formed (an error otherwise). **Predictions may be invalid, by this documented rule:**
a closing bracket with no open partner of its type, and opening brackets still open at the end, are read as
unpaired; any other symbol is unpaired. So a malformed prediction is scored, never a crash.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from gfmbench.metrics.functional import MetricInputError, f1

OPENING = {"(": ")", "[": "]", "{": "}", "<": ">", **{chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)}}
CLOSING = {v: k for k, v in OPENING.items()}
UNPAIRED = set(".,:-_~")


def pairs_from_dot_bracket(structure: str, strict: bool = True) -> set[tuple[int, int]]:
    """The base pairs (i, j), i < j, 0-based.

    >>> sorted(pairs_from_dot_bracket("((..[[..))..]]"))
    [(0, 9), (1, 8), (4, 13), (5, 12)]
    >>> sorted(pairs_from_dot_bracket("(()", strict=False))   # the unmatched '(' is unpaired
    [(1, 2)]
    """
    stacks: dict[str, list[int]] = {}
    pairs = set()
    for i, ch in enumerate(structure):
        if ch in OPENING:
            stacks.setdefault(ch, []).append(i)
        elif ch in CLOSING:
            stack = stacks.get(CLOSING[ch])
            if stack:
                pairs.add((stack.pop(), i))
            elif strict:
                raise MetricInputError(f"unbalanced structure: {ch!r} at position {i + 1} closes nothing")
        elif ch not in UNPAIRED and strict:
            raise MetricInputError(f"unknown structure symbol {ch!r} at position {i + 1}")
    if strict:
        left = sorted(i for stack in stacks.values() for i in stack)
        if left:
            raise MetricInputError(f"unbalanced structure: position {left[0] + 1} is never closed")
    return pairs


def _matched(pairs: set[tuple[int, int]], against: set[tuple[int, int]], shift: int) -> int:
    if shift == 0:
        return len(pairs & against)
    count = 0
    for i, j in pairs:
        if any((i + di, j) in against or (i, j + di) in against for di in range(-shift, shift + 1)):
            count += 1
    return count


def base_pair_scores(reference: str, prediction: str, shift: int = 0) -> dict[str, float]:
    """Precision, recall, F1 and MCC over base pairs of one structure.

    With `shift=1`, a pair (i, j) also counts when (i±1, j) or (i, j±1) is in the other structure (the tolerance used
    since Mathews et al. 1999). Precision counts predicted pairs matched in the reference, recall reference pairs
    matched in the prediction. When neither structure has a pair, every score is 1.0; when only one has none,
    precision/recall/F1 are 0.0. MCC is computed over all L(L-1)/2 candidate pairs (exact matches only).

    >>> base_pair_scores("((..))", "((..))")["f1"]
    1.0
    >>> s = base_pair_scores("(((...)))", "((.....))")
    >>> s["precision"], round(s["recall"], 4), round(s["f1"], 4)
    (1.0, 0.6667, 0.8)
    >>> base_pair_scores("((....))", "(.(...))")["f1"], base_pair_scores("((....))", "(.(...))", shift=1)["f1"]
    (0.5, 1.0)
    """
    if len(reference) != len(prediction):
        raise MetricInputError(f"structure lengths differ: reference {len(reference)} vs prediction {len(prediction)}")
    ref = pairs_from_dot_bracket(reference, strict=True)
    pred = pairs_from_dot_bracket(prediction, strict=False)
    if not ref and not pred:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0, "mcc": 1.0}
    precision = _matched(pred, ref, shift) / len(pred) if pred else 0.0
    recall = _matched(ref, pred, shift) / len(ref) if ref else 0.0
    score = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    n = len(reference)
    tp = len(ref & pred)
    fp, fn = len(pred) - tp, len(ref) - tp
    tn = n * (n - 1) // 2 - tp - fp - fn
    den = math.sqrt(float(tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    mcc = (tp * tn - fp * fn) / den if den else 0.0
    return {"precision": precision, "recall": recall, "f1": score, "mcc": mcc}


def nucleotide_classes(structure: str) -> list[int]:
    """Per-nucleotide class: 0 opening bracket (any type), 1 closing, 2 unpaired (the RGB SSP classes '(' ')' '.')."""
    return [0 if ch in OPENING else 1 if ch in CLOSING else 2 for ch in structure]


def structure_scores(references: Sequence[str], predictions: Sequence[str]) -> dict[str, Any]:
    """Mean over structures of the base-pair scores (exact and ±1 shift), plus macro F1 over the nucleotide
    classes `(`, `)`, `.` pooled over all positions.

    >>> s = structure_scores(["((..))", "(...)"], ["((..))", "....."])
    >>> s["bp_f1"], s["bp_precision"], s["bp_recall"]
    (0.5, 0.5, 0.5)
    """
    if len(references) != len(predictions):
        raise MetricInputError(f"{len(references)} reference structures vs {len(predictions)} predictions")
    if not references:
        raise MetricInputError("no structure to score")
    exact = [base_pair_scores(r, p) for r, p in zip(references, predictions, strict=True)]
    shifted = [base_pair_scores(r, p, shift=1) for r, p in zip(references, predictions, strict=True)]
    out: dict[str, Any] = {f"bp_{k}": float(np.mean([s[k] for s in exact]))
                           for k in ("precision", "recall", "f1", "mcc")}
    out.update({f"bp_{k}_shift1": float(np.mean([s[k] for s in shifted])) for k in ("precision", "recall", "f1")})
    out["nucleotide_f1_macro"] = f1([nucleotide_classes(r) for r in references],
                                    [nucleotide_classes(p) for p in predictions], average="macro")
    return out
