"""RNA secondary structure: the decoder finds the best valid structure (checked by brute force), ViennaRNA folds
known hairpins, and `gfmbench structure` compares model and ViennaRNA on a real test split."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gfmbench.harness.structure import CANONICAL, decode_dot_bracket, vienna_fold
from gfmbench.metrics.structure import pairs_from_dot_bracket


def all_structures(n: int, min_loop: int, sequence: str | None) -> list[str]:
    @functools.cache
    def build(i: int, j: int) -> tuple[str, ...]:
        if i > j:
            return ("",)
        out = ["." + rest for rest in build(i + 1, j)]
        for k in range(i + min_loop + 1, j + 1):
            if sequence is None or (sequence[i], sequence[k]) in CANONICAL:
                out += ["(" + inner + ")" + rest for inner in build(i + 1, k - 1) for rest in build(k + 1, j)]
        return tuple(out)

    return list(build(0, n - 1))


def score(structure: str, probs: np.ndarray) -> float:
    logs = np.log(probs)
    return float(sum(logs[i, "().".index(c)] for i, c in enumerate(structure)))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 10), seed=st.integers(0, 2**32 - 1), with_sequence=st.booleans(), min_loop=st.integers(0, 3))
def test_decoder_finds_the_best_valid_structure(n: int, seed: int, with_sequence: bool, min_loop: int) -> None:
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet([1.0, 1.0, 1.0], size=n)
    sequence = "".join(rng.choice(list("ACGU"), n)) if with_sequence else None
    decoded = decode_dot_bracket(probs, sequence, min_loop)
    candidates = all_structures(n, min_loop, sequence)
    assert decoded in candidates  # valid: balanced, nested, loops long enough, canonical pairs
    assert score(decoded, probs) == pytest.approx(max(score(s, probs) for s in candidates))


def test_decoded_structures_are_balanced_on_long_inputs() -> None:
    rng = np.random.default_rng(1)
    structure = decode_dot_bracket(rng.dirichlet([1, 1, 1], size=200))
    assert len(pairs_from_dot_bracket(structure, strict=True)) == structure.count("(")


def test_vienna_folds_known_hairpins() -> None:
    assert vienna_fold(["GGGGAAAACCCC", "GGGGAAAACCCCAAAA"]) == ["((((....))))", "((((....))))...."]
    assert vienna_fold(["acgtacgt"])[0] == "........"  # T is read as U; too short to fold


def test_structure_command_on_a_unit(tmp_path, samples) -> None:
    """Fake a unit with the real SSP_Archive2 test structures and near-perfect scores: the decoded structures are
    valid and the table lists the model, its decoding and ViennaRNA."""
    import json
    import subprocess
    import sys

    from gfmbench.harness.results import read_unit, write_unit
    from gfmbench.leaderboard.fixtures import make_card

    records = [json.loads(line) for line in (samples / "RGB" / "RNA-SSP-Archive2" / "test.json").read_text()
               .splitlines()[:10]]
    rows = []
    for i, r in enumerate(records):
        labels = ["().".index(c) if c in "()." else 2 for c in r["label"]]
        scores = [[0.9 if k == label else 0.05 for k in range(3)] for label in labels]
        rows.append({"id": f"test-{i:06d}", "prediction": labels, "scores": scores, "covered": [True] * len(labels),
                     "reference": labels, "sequence": r["seq"], "structure": r["label"]})
    card = make_card("gfmbench/model-a", "rgb", "SSP_Archive2", 0, 0.5)
    folder = card.key.folder(tmp_path)
    write_unit(folder, card, rows)
    assert read_unit(folder) is not None
    out = subprocess.run([sys.executable, "-m", "gfmbench", "structure", str(folder)], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert "10 sequences" in lines[0]
    table = {line.split("  ")[0]: line for line in lines[3:]}
    assert set(table) == {"model (argmax per nucleotide)", "model + Nussinov decoding",
                          "ViennaRNA RNA.fold (zero-shot)"}
    decoded = table["model + Nussinov decoding"].split()
    assert "1.0000" in decoded  # every decoded structure is valid
    assert math.isfinite(float(table["ViennaRNA RNA.fold (zero-shot)"].split()[-4]))
