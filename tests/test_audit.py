"""The leakage audit: planted exact and near duplicates are found (recall >= 0.95 at the documented threshold),
the reverse complement counts for DNA only, and on the real RGB structure data the report lands in the dataset
card without touching the release."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from gfmbench.loaders.audit import DEFAULT_K, DEFAULT_THRESHOLD, audit_pair, jaccard, kmers, reverse_complement


def mutate(seq: str, m: int, rng: random.Random) -> str:
    out = list(seq)
    for pos in rng.sample(range(len(seq)), m):
        out[pos] = rng.choice([b for b in "ACGT" if b != out[pos]])
    return "".join(out)


@pytest.mark.parametrize("dna", [True, False])
def test_planted_duplicates_are_found(dna: bool) -> None:
    rng = random.Random(7)
    train = ["".join(rng.choice("ACGT") for _ in range(150)) for _ in range(400)]
    exact = train[:20] + [reverse_complement(s) for s in train[20:40]]
    near = [(i, mutate(train[100 + i], 1 + i % 5, rng)) for i in range(100)]  # 1..5 substitutions
    unrelated = ["".join(rng.choice("ACGT") for _ in range(150)) for _ in range(100)]
    test = exact + [s for _, s in near] + unrelated
    ids = [f"t{i}" for i in range(len(test))]
    found = audit_pair(test, train, ("test", "train"), dna, query_ids=ids, reference_ids=[f"r{i}" for i in range(400)])
    # the same strand always; the reverse complement is the same molecule only for DNA
    assert found.exact == (40 if dna else 20)
    # recall of the 100 planted near pairs (each verified by exact Jaccard >= threshold); unrelated sequences and,
    # for RNA, reverse complements are never reported
    assert 95 <= found.near <= 100
    assert found.exact_examples[0] == {"test": "t0", "train": "r0"}
    for example in found.near_examples:
        assert example["jaccard"] >= DEFAULT_THRESHOLD
    # the documented reading of the threshold: up to 5 substitutions of a 150-nt sequence stay above it
    worst = min(jaccard(kmers(s, DEFAULT_K, dna), kmers(train[100 + i], DEFAULT_K, dna)) for i, s in near)
    assert worst >= 0.55


def test_unrelated_sets_report_nothing() -> None:
    rng = random.Random(3)
    a = ["".join(rng.choice("ACGU") for _ in range(80)) for _ in range(300)]
    b = ["".join(rng.choice("ACGU") for _ in range(80)) for _ in range(300)]
    found = audit_pair(a, b, ("test", "train"), dna=False)
    assert (found.exact, found.near, found.as_dict()["any_fraction"]) == (0, 0, 0.0)


def test_u_and_t_and_case_are_the_same_base() -> None:
    found = audit_pair(["acgu" * 10], ["ACGT" * 10], ("test", "train"), dna=False)
    assert found.exact == 1


@pytest.mark.slow
def test_audit_of_the_real_rgb_structure_configs_lands_in_the_card(rgb_hub: Path, tmp_path: Path) -> None:
    import shutil

    from gfmbench.hub.publish import LocalGitBackend
    from gfmbench.hub.server import local_hub

    rgb_hub = Path(shutil.copytree(rgb_hub, tmp_path / "hub", symlinks=True))  # the shared fixture stays as built
    backend = LocalGitBackend(rgb_hub)
    tag_before = backend.tag_target("gfmbench/rgb", "v1.0.0")
    with local_hub(root=rgb_hub) as hub:
        env = {**hub.env(), "GFMBENCH_HOME": str(tmp_path / "home"), "HF_HOME": str(tmp_path / "hf")}
        args = [sys.executable, "-m", "gfmbench", "audit", "rgb", "--configs", "SSP_Archive2", "SSP_RNAStralign",
                "SSP_bpRNA", "--output", str(tmp_path / "audit.json"), "--publish", "--hub-root", str(rgb_hub),
                "--no-progress"]
        for _ in range(2):  # a second audit replaces the card section, it does not add another
            proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900, check=False)
            assert proc.returncode == 0, proc.stderr[-3000:]
        loaded = subprocess.run([sys.executable, "-c", "import datasets; print(len(datasets.load_dataset("
                                 "'gfmbench/rgb', 'SSP_Archive2', split='test')))"], env=env, capture_output=True,
                                text=True, timeout=300, check=False)
    assert "SSP_bpRNA" in proc.stdout and "exact duplicates" in proc.stdout
    report = json.loads((tmp_path / "audit.json").read_text())
    assert set(report["configs"]) == {"SSP_Archive2", "SSP_RNAStralign", "SSP_bpRNA"}
    archive = report["configs"]["SSP_Archive2"]
    assert archive["sizes"] == {"train": 608, "validation": 76, "test": 82}
    pairs = {(o["query"], o["reference"]) for o in archive["overlaps"]}
    assert pairs == {("test", "train"), ("test", "validation"), ("validation", "train")}
    card = backend.read_file("gfmbench/rgb", "README.md").decode()
    assert card.count("## Leakage audit") == 1 and card.startswith("---\n")  # YAML header kept
    assert json.loads(backend.read_file("gfmbench/rgb", "audit/leakage.json")) == report
    assert backend.tag_target("gfmbench/rgb", "v1.0.0") == tag_before  # the release is not moved
    assert loaded.returncode == 0 and loaded.stdout.strip() == "82", loaded.stderr[-2000:]
