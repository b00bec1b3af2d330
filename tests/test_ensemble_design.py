"""The ensemble-guided designer: its scores against ViennaRNA's own numbers and hand-computed cases, its pieces
(substructures, pair-aware proposals), and designs of the tutorial's easy targets checked by folding them again."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from gfmbench.harness.design import load_eterna, partners
from gfmbench.harness.ensemble_design import (
    PAIRS,
    BiasedProposer,
    ensemble_design,
    ensemble_score,
    substructures,
)


@pytest.fixture(scope="module")
def puzzles(samples: Path):
    return {p.number: p for p in load_eterna(samples / "eterna100" / "eterna100_vienna2.txt")}


def test_ensemble_defect_by_hand() -> None:
    # poly-A pairs with nothing: every unpaired position is right, both ends of a target pair wrong
    assert ensemble_score("AAAAAAAA", "........").ensemble_defect == pytest.approx(0.0, abs=1e-12)
    score = ensemble_score("AAAAAAAA", "(......)")
    assert score.ensemble_defect == pytest.approx(2 / 8)
    assert score.positional_defect.tolist() == pytest.approx([1, 0, 0, 0, 0, 0, 0, 1])
    assert score.mfe_structure == "........"


@pytest.mark.parametrize(("sequence", "target"), [
    ("GGGGAAACCCC", "((((...))))"),
    ("GGGAAAUCCCGCGAAAGCG", "(((....)))((....)).."[:19]),
    ("GCGCUUCGGCGCAUAUGCAAAGCAUAU", "((((....))))((((.......))))"),
])
def test_ensemble_score_matches_viennarna(sequence: str, target: str) -> None:
    import RNA

    score = ensemble_score(sequence, target)
    compound = RNA.fold_compound(sequence)
    structure, energy = compound.mfe()
    compound.exp_params_rescale(energy)
    compound.pf()
    assert score.mfe_structure == structure == RNA.fold(sequence)[0]
    assert score.ensemble_defect == pytest.approx(compound.ensemble_defect(target), abs=1e-9)
    # positional defects from the pair probabilities ViennaRNA lists (RNA.plist), computed independently
    probs = np.zeros((len(sequence), len(sequence)))
    for entry in compound.plist_from_probs(1e-12):
        probs[entry.i - 1, entry.j - 1] = probs[entry.j - 1, entry.i - 1] = entry.p
    expected = [1 - probs[i, j] if j >= 0 else probs[i].sum() for i, j in enumerate(partners(target))]
    assert score.positional_defect.tolist() == pytest.approx(expected, abs=1e-6)  # plist holds floats


def test_substructures() -> None:
    #        0123456789012345678901
    target = "((((...))))..((...))."
    assert substructures(partners(target), 11) == [(0, 10), (13, 19)]
    assert substructures(partners(target), 9) == [(1, 9), (13, 19)]  # too big: its inside is searched instead
    assert substructures(partners(target), 8) == [(2, 8), (13, 19)]
    nested = "(((((....)).((....))...)))"
    assert substructures(partners(nested), 10) == [(3, 10), (12, 19)]


def test_biased_proposer_changes_what_it_touches_and_keeps_pairs() -> None:
    target = "((((....))))"
    partner = partners(target)
    rng = random.Random(0)
    sequence = "GGGGAAAACCCC"
    for _ in range(200):
        position = rng.randrange(len(target))
        child = BiasedProposer()(sequence, [position], rng, partner)
        j = partner[position]
        changed = [k for k in range(len(target)) if child[k] != sequence[k]]
        assert changed and set(changed) <= {position, j}
        for a, b in ((i, p) for i, p in enumerate(partner) if i < p):
            assert child[a] + child[b] in PAIRS
        sequence = child


@pytest.mark.parametrize("number", [1, 8, 26, 30])
def test_designs_easy_puzzles(puzzles, number: int) -> None:
    import RNA

    target = puzzles[number].structure
    result = ensemble_design(target, seed=0, time_budget=10)
    assert result.solved and RNA.fold(result.sequence)[0] == target and result.distance == 0
    assert result.folds >= 1 and result.seconds < 10.5


def test_long_target_is_built_from_its_pieces(puzzles) -> None:
    import RNA

    target = puzzles[82].structure  # "Anemone", 214 nt: a row of hairpins
    result = ensemble_design(target, seed=0, time_budget=20, direct_up_to=40)
    assert len(result.history) > 1  # the pieces were searched before the whole
    assert result.solved and RNA.fold(result.sequence)[0] == target


def test_unsolved_design_returns_its_best_within_budget() -> None:
    # an isolated pair closing a 3-nt loop cannot be the MFE of anything: the search stops at its budget
    result = ensemble_design("(...)", seed=0, time_budget=0.5)
    assert not result.solved and result.distance > 0 and 0.5 <= result.seconds < 2
    assert len(result.sequence) == 5


def test_masked_lm_proposer_plugs_in(puzzles, tmp_path: Path) -> None:
    import RNA

    from gfmbench.harness.design import MaskedLMProposer
    from gfmbench.harness.tiny import save_tiny_model

    proposer = MaskedLMProposer(save_tiny_model(tmp_path / "mlm", "bert", "char"))
    target = "((((((....))))))....((((....))))"
    result = ensemble_design(target, proposer=proposer, seed=0, time_budget=20)
    assert result.solved and RNA.fold(result.sequence)[0] == target


def test_target_probability_and_objectives_by_hand() -> None:
    import math

    import RNA

    from gfmbench.harness.ensemble_design import OBJECTIVES

    sequence, target = "GGGGAAACCCCAUAUGCGAAAGCAU", "((((...))))..(((.....))).."[:25]
    score = ensemble_score(sequence, target)
    compound = RNA.fold_compound(sequence)
    _, ensemble_energy = compound.pf()
    kt = 0.61632077549  # RT at 37 °C in kcal/mol, as ViennaRNA computes it
    expected = math.exp(-(compound.eval_structure(target) - ensemble_energy) / kt)
    assert score.target_probability == pytest.approx(expected, rel=1e-3)
    assert score.mfe_distance == RNA.bp_distance(RNA.fold(sequence)[0], target)
    assert OBJECTIVES["defect"](score) == score.ensemble_defect
    assert OBJECTIVES["defect+distance"](score) == pytest.approx(score.ensemble_defect + score.mfe_distance / 25)
    assert OBJECTIVES["probability"](score) == pytest.approx(-math.log(expected) / 25, rel=1e-3)
    for objective in OBJECTIVES:
        assert ensemble_design("((((....))))", objective=objective, time_budget=5).solved
