"""RNA design: Eterna100 parsing, the genetic algorithm with random and masked-LM proposals, and ViennaRNA's
inverse_fold baseline; every solved design is checked by folding it again with ViennaRNA."""

from __future__ import annotations

from pathlib import Path

import pytest

from gfmbench.errors import DataFormatError
from gfmbench.harness.design import MaskedLMProposer, design, inverse_fold, load_eterna, partners


@pytest.fixture(scope="module")
def puzzles(samples: Path):
    return load_eterna(samples / "eterna100" / "eterna100_vienna2.txt")


def test_eterna100_parses(puzzles, tmp_path: Path) -> None:
    assert len(puzzles) == 100 and puzzles[0].name == "Simple Hairpin" and puzzles[0].structure == "(((((......)))))"
    assert all(set(p.structure) <= set("().") for p in puzzles)
    bad = tmp_path / "bad.txt"
    bad.write_text("Puzzle #\tPuzzle Name\tEterna ID\tAuthor\tSecondary Structure\tSample Solution\nx\ty\n")
    with pytest.raises(DataFormatError, match=r"bad\.txt:2: not an Eterna100 row"):
        load_eterna(bad)


def test_partners() -> None:
    assert partners("((..))") == [5, 4, -1, -1, 1, 0]


def test_random_ga_solves_easy_puzzles_and_is_reproducible(puzzles) -> None:
    import RNA

    easy = [p for p in puzzles if p.number in (1, 8)]
    for puzzle in easy:
        result = design(puzzle.structure, seed=0, generations=60)
        assert result.solved and RNA.fold(result.sequence)[0] == puzzle.structure
        assert design(puzzle.structure, seed=0, generations=60).sequence == result.sequence


def test_masked_lm_guided_ga(puzzles, tmp_path: Path) -> None:
    import RNA

    from gfmbench.harness.tiny import save_tiny_model

    proposer = MaskedLMProposer(save_tiny_model(tmp_path / "mlm", "bert", "char"))
    result = design(puzzles[0].structure, proposer=proposer, seed=1, generations=60)
    assert result.solved and RNA.fold(result.sequence)[0] == puzzles[0].structure
    assert result.folds > 0 and result.history[-1] == 0
    with pytest.raises(ValueError, match="single-nucleotide tokenizer"):
        MaskedLMProposer(save_tiny_model(tmp_path / "k", "bert", "kmer3o"))


def test_inverse_fold_baseline(puzzles) -> None:
    result = inverse_fold(puzzles[0].structure, seed=0, time_budget=5)
    assert result.solved and result.distance == 0
