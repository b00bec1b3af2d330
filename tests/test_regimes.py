"""The three regimes end to end through the CLI on the local hub: fine-tuned and probed rows side by side in the
leaderboard on the real SSP_Archive2 data, the probe on sequence and regression tasks, and zero-shot scoring of
the mutation tasks (synthetic files in the upstream format: the real SNMD/SNMR samples have no train split and are
large) checked against scikit-learn."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from gfmbench.hub.publish import LocalGitBackend
from gfmbench.hub.server import local_hub
from tests.helpers import write_jsonl
from tests.upstream_files import synthetic_rgb

pytestmark = pytest.mark.slow


def synthetic_mutations(raw: Path, rng: random.Random) -> None:
    for split, n in (("train", 12), ("valid", 6), ("test", 16)):
        records = []
        for _ in range(n):
            reference = "".join(rng.choice("ACGT") for _ in range(48))
            mutated = list(reference)
            for pos in rng.sample(range(48), 4):
                mutated[pos] = rng.choice([b for b in "ACGT" if b != reference[pos]])
            records.append({"seq": reference, "mut": "".join(mutated), "ratio": ",".join(["1"] * 48)})
        for folder in ("RNA-SNMD", "RNA-SNMR"):
            write_jsonl(raw / folder / f"{split}.json", records)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, samples: Path):
    from gfmbench.harness.tiny import publish_tiny_models
    from gfmbench.loaders.build import build_suite

    tmp = tmp_path_factory.mktemp("regimes")
    rng = random.Random(1)
    raw = synthetic_rgb(tmp, rng)
    synthetic_mutations(raw, rng)
    (raw / "RNA-SSP-Archive2").symlink_to(samples / "RGB" / "RNA-SSP-Archive2")  # the real data, read in place
    backend = LocalGitBackend(tmp / "hub")
    build_suite("rgb", raw_dir=raw, configs=["SSP_Archive2", "TE_Rice", "mRNA_degrade", "SNMD", "SNMR"],
                backend=backend, verification="no_checks", progress=False)
    publish_tiny_models(backend, ["gfmbench/tiny-random-bert-nt", "gfmbench/tiny-random-gpt2-nt"])
    with local_hub(root=tmp / "hub") as server:
        yield {**server.env(), "GFMBENCH_HOME": str(tmp / "home"), "HF_HOME": str(tmp / "hf")}


def gfm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gfmbench", *args], env=env, capture_output=True, text=True,
                          timeout=900, check=False)


def run(env: dict[str, str], out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = gfm(env, "run", "--suite", "rgb", "--model", "gfmbench/tiny-random-bert-nt", "--output-dir", str(out),
               "--no-progress", *args)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


def units(out: Path) -> dict[tuple[str, str, int], tuple[Path, dict]]:
    found = {}
    for path in out.rglob("result.json"):
        data = json.loads(path.read_text())
        found[(data["key"]["regime"], data["key"]["task"], data["key"]["seed"])] = (path.parent, data)
    return found


def test_probe_and_finetune_side_by_side_on_real_ssp_archive2(hub, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from gfmbench.harness.scoring import score_predictions
    from gfmbench.leaderboard.table import leaderboard, read_units
    from gfmbench.suites.registry import get_task

    out = tmp_path / "out"
    run(hub, out, "--tasks", "SSP_Archive2", "--epochs", "1", "--batch-size", "16")
    probe = run(hub, out, "--tasks", "SSP_Archive2", "--regime", "probe", "--seeds", "0", "1")
    assert "rgb, probe" in probe.stdout and "bp_f1" in probe.stdout
    found = units(out)
    assert set(found) == {("finetune", "SSP_Archive2", 0), ("probe", "SSP_Archive2", 0), ("probe", "SSP_Archive2", 1)}
    folder, first = found[("probe", "SSP_Archive2", 0)]
    assert folder.name == f"probe-{first['key']['recipe_id'][:10]}-seed0" and "LogisticRegression" in first["head"]
    assert first["recipe"]["grid"] == [0.01, 0.1, 1.0, 10.0] and "epochs" not in first["recipe"]
    assert first["hyperparameters"]["regime"] == "probe" and "epochs" not in first["hyperparameters"]
    assert set(first["hyperparameters"]["feature_cache"].values()) == {"computed"}
    second = found[("probe", "SSP_Archive2", 1)][1]
    assert set(second["hyperparameters"]["feature_cache"].values()) == {"hit"}  # the backbone ran once
    # the card's scores are a recomputation away from the saved predictions
    _, task = get_task("SSP_Archive2", "rgb")
    rows = pq.read_table(folder / "predictions.parquet").to_pylist()
    assert score_predictions(task, rows) == pytest.approx(first["metrics"]["test"])
    assert (out / folder.relative_to(out).parts[0] / "cards" / "summary-rgb-probe.json").is_file()
    assert (out / folder.relative_to(out).parts[0] / "cards" / "summary-rgb.json").is_file()  # not overwritten

    built = gfm(hub, "leaderboard", "build", "--results-dir", str(out), "--output", str(tmp_path / "board"))
    assert built.returncode == 0, built.stderr[-2000:]
    table_units = read_units(tmp_path / "board" / "leaderboard.parquet")
    _, board = leaderboard(table_units)
    assert sorted(r["regime"] for r in board) == ["finetune", "probe"]
    assert {r["model"] for r in board} == {"gfmbench/tiny-random-bert-nt"}
    shown = gfm(hub, "leaderboard", "show", "--results-dir", str(out), "--output", str(tmp_path / "board2"))
    assert shown.returncode == 0 and "probe" in shown.stdout and "finetune" in shown.stdout, shown.stderr[-2000:]


def test_probe_on_sequence_classification_and_token_regression(hub, tmp_path: Path) -> None:
    run(hub, tmp_path / "out", "--tasks", "TE_Rice", "mRNA_degrade", "--regime", "probe")
    found = units(tmp_path / "out")
    te = found[("probe", "TE_Rice", 0)][1]
    # TE_Rice's synthetic classes differ in GC content: visible even in a random model's mean-pooled states
    assert te["metrics"]["test"]["accuracy"] >= 0.8, te["metrics"]
    mrna = found[("probe", "mRNA_degrade", 0)][1]
    assert "Ridge" in mrna["head"] and 0 < mrna["metrics"]["test"]["mcrmse"] < 10


def test_zeroshot_scores_mutation_tasks_and_skips_the_others(hub, tmp_path: Path) -> None:
    import numpy as np
    import pyarrow.parquet as pq
    from sklearn.metrics import roc_auc_score

    out = tmp_path / "out"
    proc = run(hub, out, "--tasks", "SNMD", "SNMR", "TE_Rice", "--regime", "zeroshot")
    assert "TE_Rice: no zero-shot definition" in proc.stderr
    gpt = gfm(hub, "run", "--suite", "rgb", "--model", "gfmbench/tiny-random-gpt2-nt", "--tasks", "SNMD",
              "--regime", "zeroshot", "--output-dir", str(out), "--no-progress")
    assert gpt.returncode == 0, gpt.stderr[-3000:]
    by_model = {}
    for path in out.rglob("result.json"):
        data = json.loads(path.read_text())
        by_model[(data["key"]["model_id"], data["key"]["task"])] = (path.parent, data)
    assert set(by_model) == {("gfmbench/tiny-random-bert-nt", "SNMD"), ("gfmbench/tiny-random-bert-nt", "SNMR"),
                             ("gfmbench/tiny-random-gpt2-nt", "SNMD")}
    for (model, task), (folder, data) in by_model.items():
        assert data["key"]["regime"] == "zeroshot" and list(data["metrics"]) == ["test"]
        rows = pq.read_table(folder / "predictions.parquet").to_pylist()
        assert len(rows) == 16
        if task == "SNMD":  # AUROC over all scored nucleotides, recomputed with scikit-learn
            y = np.concatenate([r["reference"] for r in rows])
            s = np.concatenate([np.asarray(r["scores"])[:, 1] for r in rows])
            assert data["metrics"]["test"]["roc_auc"] == pytest.approx(roc_auc_score(y, s))
            rule = "causal" if "gpt2" in model else "masked marginals"
            assert rule in data["hyperparameters"]["likelihoods"]
        else:  # SNMR: never predicts the observed base at a mutated position
            for r in rows:
                for pos, (label, pred) in enumerate(zip(r["reference"], r["prediction"], strict=True)):
                    if label >= 0:
                        assert "ATGC"[pred] != r["sequence"][pos]
    # SNMR scores the same sequences as SNMD: its base probabilities came from SNMD's cache entry
    assert by_model[("gfmbench/tiny-random-bert-nt", "SNMD")][1]["hyperparameters"]["base_probabilities"] == "computed"
    assert by_model[("gfmbench/tiny-random-bert-nt", "SNMR")][1]["hyperparameters"]["base_probabilities"].startswith(
        "from the cache")


def test_wild_type_zero_shot_is_its_own_recipe_and_leaderboard_entry(hub, tmp_path: Path) -> None:
    from gfmbench.leaderboard.table import cards_from_folder, leaderboard, load_cards, unit_rows

    out = tmp_path / "out"
    for extra in ([], ["--zeroshot-scoring", "wildtype"]):
        proc = run(hub, out, "--tasks", "SNMD", "--regime", "zeroshot", *extra)
        assert proc.returncode == 0, proc.stderr[-3000:]
    results = [json.loads(p.read_text()) for p in sorted(out.rglob("result.json"))]
    by_estimator = {r["hyperparameters"]["estimator"]: r for r in results}
    assert set(by_estimator) == {"masked", "wildtype"}
    assert by_estimator["wildtype"]["recipe"]["estimator"] == "wildtype"
    assert "estimator" not in by_estimator["masked"]["recipe"]
    assert "Meier" in by_estimator["wildtype"]["hyperparameters"]["likelihoods"]
    rows = unit_rows(load_cards(cards_from_folder(out)).cards)
    assert sorted(r["regime"] for r in rows) == ["zeroshot", "zeroshot-wildtype"]
    _, entries = leaderboard(rows)
    assert len(entries) == 2  # two rows, never one cell averaging both estimators
    refused = gfm(hub, "run", "--suite", "rgb", "--model", "gfmbench/tiny-random-bert-nt", "--tasks", "SSP_Archive2",
                  "--zeroshot-scoring", "wildtype", "--output-dir", str(tmp_path / "x"), "--no-progress")
    assert refused.returncode != 0 and "--zeroshot-scoring is for the zeroshot regime" in refused.stderr


def test_zeroshot_on_tasks_without_a_definition_is_a_clear_error(hub, tmp_path: Path) -> None:
    proc = gfm(hub, "run", "--suite", "rgb", "--model", "gfmbench/tiny-random-bert-nt", "--tasks", "TE_Rice",
               "--regime", "zeroshot", "--output-dir", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode != 0
    assert "none of the selected tasks has a zero-shot definition" in proc.stderr and "rgb/SNMD" in proc.stderr
    assert "Traceback" not in proc.stderr
