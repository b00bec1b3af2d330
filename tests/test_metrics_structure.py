"""Structure metrics on hand-checked examples, seed aggregation, and the bootstrap."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from sklearn.metrics import f1_score

from gfmbench.metrics.aggregate import bootstrap_ci, mean_std
from gfmbench.metrics.functional import MetricInputError, accuracy
from gfmbench.metrics.structure import base_pair_scores, nucleotide_classes, pairs_from_dot_bracket, structure_scores


def test_nested_and_pseudoknotted_pairs() -> None:
    assert pairs_from_dot_bracket("((.))") == {(0, 4), (1, 3)}
    # an H-type pseudoknot in bracket notation and in the letter notation of bpRNA
    assert pairs_from_dot_bracket("((..[[..))..]]") == {(0, 9), (1, 8), (4, 13), (5, 12)}
    assert pairs_from_dot_bracket("((..AA..))..aa") == {(0, 9), (1, 8), (4, 13), (5, 12)}
    assert pairs_from_dot_bracket("<{.}>") == {(0, 4), (1, 3)}


@pytest.mark.parametrize(("structure", "message"), [("(()", "position 1 is never closed"),
                                                    ("())", r"'\)' at position 3 closes nothing"),
                                                    ("(.?)", "unknown structure symbol '\\?'")])
def test_malformed_references_are_errors(structure: str, message: str) -> None:
    with pytest.raises(MetricInputError, match=message):
        pairs_from_dot_bracket(structure)


def test_malformed_predictions_follow_the_documented_rule() -> None:
    # unmatched brackets read as unpaired; unknown symbols unpaired
    assert pairs_from_dot_bracket("(()", strict=False) == {(1, 2)}
    assert pairs_from_dot_bracket("))((", strict=False) == set()
    assert pairs_from_dot_bracket("(?)", strict=False) == {(0, 2)}
    scores = base_pair_scores("(((...)))", "(((...)).")  # a closing bracket missing: position 1 stays unpaired
    assert scores["precision"] == 1.0 and scores["recall"] == pytest.approx(2 / 3)


def test_exact_scores_by_hand() -> None:
    ref, pred = "((((....))))", "((((....)).)"  # the prediction pairs (2,9) (3,8) (1,11) and leaves 0 open
    r = pairs_from_dot_bracket(ref)
    p = pairs_from_dot_bracket(pred, strict=False)
    tp = len(r & p)
    s = base_pair_scores(ref, pred)
    assert s["precision"] == pytest.approx(tp / len(p)) and s["recall"] == pytest.approx(tp / len(r))
    # MCC over the 66 candidate pairs of a 12-mer, computed by hand from the counts
    n_pairs = 12 * 11 // 2
    fp, fn = len(p) - tp, len(r) - tp
    tn = n_pairs - tp - fp - fn
    expected = (tp * tn - fp * fn) / math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    assert s["mcc"] == pytest.approx(expected)


def test_shift_tolerance() -> None:
    ref = "((((....))))"  # (0,11) (1,10) (2,9) (3,8)
    slipped = "((((...).)))"  # (0,11) (1,10) (2,9) (3,7): the innermost pair slipped by one on its 3' side
    assert base_pair_scores(ref, slipped)["f1"] == pytest.approx(0.75)
    assert base_pair_scores(ref, slipped, shift=1)["f1"] == 1.0
    # the tolerance moves one end at a time: a pair moved on both ends is not matched
    assert base_pair_scores("(....)", ".(..).", shift=1)["f1"] == 0.0


def test_empty_and_one_sided_structures() -> None:
    assert base_pair_scores("....", "....") == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "mcc": 1.0}
    s = base_pair_scores("(..)", "....")
    assert s["precision"] == 0.0 and s["recall"] == 0.0 and s["f1"] == 0.0


def test_mismatched_lengths_are_errors() -> None:
    with pytest.raises(MetricInputError, match="structure lengths differ: reference 4 vs prediction 5"):
        base_pair_scores("(..)", "(...)")
    with pytest.raises(MetricInputError, match="2 reference structures vs 1 predictions"):
        structure_scores(["()", "()"], ["()"])


def test_structure_scores_average_and_nucleotide_f1() -> None:
    refs, preds = ["((..))", "(...)", "(([[..))]]"], ["((..))", ".....", "((....))[]"]
    s = structure_scores(refs, preds)
    per = [base_pair_scores(r, p) for r, p in zip(refs, preds, strict=True)]
    assert s["bp_f1"] == pytest.approx(np.mean([x["f1"] for x in per]))
    y = [c for r in refs for c in nucleotide_classes(r)]
    p = [c for q in preds for c in nucleotide_classes(q)]
    assert s["nucleotide_f1_macro"] == pytest.approx(f1_score(y, p, average="macro"))
    assert nucleotide_classes("([.)]") == [0, 0, 2, 1, 1]


def test_mean_std_matches_statistics() -> None:
    values = [0.61, 0.64, 0.70]
    mean, std = mean_std(values)
    assert mean == pytest.approx(statistics.mean(values)) and std == pytest.approx(statistics.stdev(values))
    assert math.isnan(mean_std([0.5])[1])
    with pytest.raises(MetricInputError):
        mean_std([])


def test_bootstrap_is_deterministic_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(3)
    refs = rng.integers(0, 2, 200).tolist()
    preds = [r if rng.random() < 0.8 else 1 - r for r in refs]
    low, high = bootstrap_ci(accuracy, refs, preds, n_resamples=300, seed=7)
    assert (low, high) == bootstrap_ci(accuracy, refs, preds, n_resamples=300, seed=7)
    assert low < accuracy(refs, preds) < high and high - low < 0.2
    # resampling whole sequences of a token task
    token_refs = [[0, 1, -100], [1, 1, 0], [0, 0, 1], [1, 0, -100]] * 5
    token_preds = [[0, 1, 1], [1, 0, 0], [0, 0, 1], [0, 0, 0]] * 5
    low, high = bootstrap_ci(accuracy, token_refs, token_preds, n_resamples=200)
    assert low <= accuracy(token_refs, token_preds) <= high
