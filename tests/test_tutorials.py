"""The tutorials run as written: every ```bash block of a tutorial is executed in order, in a fresh GFMBENCH_HOME,
from the repository root (so `../shared/samples` is the real data)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, SAMPLES

pytestmark = pytest.mark.slow


def bash_blocks(path: Path) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", path.read_text(), re.S)


def run_tutorial(path: Path, home: Path) -> str:
    script = "set -euo pipefail\n" + "\n".join(bash_blocks(path))
    env = {**os.environ, "GFMBENCH_HOME": str(home), "HF_HOME": str(home / "hf"), "GFMBENCH_RAW_DIR": str(SAMPLES),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.pop("GFMBENCH_HUB_ROOT", None)
    proc = subprocess.run(["bash", "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=1200,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc.stdout


def test_rna_secondary_structure_tutorial(tmp_path: Path) -> None:
    out = run_tutorial(REPO / "docs" / "tutorials" / "rna_secondary_structure.md", tmp_path)
    assert "SSP_Archive2 test split, 82 sequences" in out
    # columns: method, sequences, valid structures, bp_f1, bp_f1_shift1, bp_mcc, nucleotide_f1_macro
    table = {cells[0]: cells for cells in (re.split(r"\s{2,}", line.strip()) for line in out.splitlines())
             if cells[0].startswith(("model (", "model +", "ViennaRNA"))}
    assert set(table) == {"model (argmax per nucleotide)", "model + Nussinov decoding",
                          "ViennaRNA RNA.fold (zero-shot)"}
    decoded_valid = float(table["model + Nussinov decoding"][2])
    vienna_valid, vienna_f1 = float(table["ViennaRNA RNA.fold (zero-shot)"][2]), \
        float(table["ViennaRNA RNA.fold (zero-shot)"][3])
    assert decoded_valid == 1.0 and vienna_valid == 1.0
    assert 0.2 < vienna_f1 < 1.0  # ViennaRNA on ArchiveII: well above chance, below perfect


def test_autobench_tutorial(tmp_path: Path) -> None:
    out = run_tutorial(REPO / "docs" / "tutorials" / "autobench.md", tmp_path)
    assert out.count("4 unit(s) run, 0 reused") == 2  # 2 tasks x 2 seeds, for each of the two models
    board = out[out.rindex("rank  model"):]
    assert "gfmbench/tiny-random-bert-nt" in board and "gfmbench/tiny-random-bert-kmer3" in board
    assert "rgb/SSP_Archive2" in board and "rgb/SSP_RNAStralign" in board
    assert "rgb, probe" in out and "2 unit(s) run, 0 reused" in out  # the probe, seeds 0 and 1
    rows = [line for line in board.splitlines() if "gfmbench/tiny-random-bert-nt" in line]
    assert sorted(line.split()[2] for line in rows) == ["finetune", "probe"]  # side by side, regime column
    assert "test in train" in out and "dataset card and audit/leakage.json committed" in out


def test_rna_design_tutorial(tmp_path: Path) -> None:
    out = run_tutorial(REPO / "docs" / "tutorials" / "rna_design.md", tmp_path)
    import RNA

    designs = [line.split() for line in out.splitlines() if line.startswith(("(((((......)))))", "((((((....))))))"))]
    assert len(designs) == 3 and all(row[2] == "True" for row in designs)
    for target, sequence, *_ in designs:
        assert RNA.fold(sequence)[0] == target  # checked again, independently of the command
    rows = {cells[0]: cells for cells in (re.split(r"\s{2,}", line.strip()) for line in out.splitlines())}
    for method in ("ensemble search", "ensemble search, MLM proposals", "random GA", "MLM-guided GA",
                   "RNA.inverse_fold"):
        assert rows[method][1].endswith(" / 4")  # solved counts over the four benchmark puzzles
    assert rows["ensemble search"][1] == "4 / 4"
    ga = [line for line in out.splitlines() if line.startswith("best base-pair distance per generation:")]
    assert len(ga) == 1 and ga[0].endswith(" 0")  # the GA's run of section 2 ends solved
    page = (tmp_path / "fitness.html").read_text()
    assert "plotly" in page and "ensemble defect" in page
