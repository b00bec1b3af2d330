"""Fixture result cards in the real schema (like MTEB's fake results tree): several models, tasks and seeds with
plausible scores, for the leaderboard's tests and demos without training anything."""

from __future__ import annotations

import random
from pathlib import Path

from gfmbench.harness.results import Cost, Regime, UnitKey, UnitResult


def make_card(model: str, suite: str, task: str, seed: int, value: float, content: str = "",
              extra: dict[str, float] | None = None, regime: Regime = "finetune", recipe_id: str | None = None,
              timestamp: str = "2026-11-25T00:00:00+00:00") -> UnitResult:
    import hashlib

    from gfmbench.suites.registry import get_task

    s, t = get_task(task, suite)
    digest = content or hashlib.sha256(model.encode()).hexdigest()
    key = UnitKey(model_id=model, model_sha=digest[:40], model_content=digest, dataset_repo=s.dataset_repo,
                  dataset_revision="f" * 40, suite=s.name, task=t.config, seed=seed, regime=regime,
                  recipe_id=recipe_id)
    metrics = {t.primary_metric: value, **(extra or {})}
    return UnitResult(key=key, suite_version=s.version, task_type=t.type, primary_metric=t.primary_metric,
                      direction=t.direction, metrics={"validation": metrics, "test": metrics},
                      hyperparameters={"epochs": 1}, validation_source="upstream validation split", head="fixture",
                      input_format="raw sequence", truncation="none", environment={"gfmbench": "fixture"},
                      cost=Cost(wall_time_s=10.0 + seed, train_samples_per_second=100.0, peak_rss_mb=500.0,
                                n_parameters=1000 * (1 + len(model))),
                      command="fixture", timestamp=timestamp)


def write_fixture_tree(folder: Path, seed: int = 0) -> list[Path]:
    """Three models x (two RGB tasks, one GUE task) x two seeds, plus two forged cards (an impossible value and a
    broken schema) that the leaderboard must exclude."""
    rng = random.Random(seed)
    paths = []
    skill = {"gfmbench/model-a": 0.8, "gfmbench/model-b": 0.6, "gfmbench/model-c": 0.4}
    tasks = [("rgb", "SSP_Archive2", 0.0), ("rgb", "mRNA_degrade", 0.0), ("gue", "EMP_H3", 0.0)]
    for model, level in skill.items():
        for suite, task, _ in tasks:
            for s in (0, 1):
                value = (0.2 + 0.5 * level if task != "mRNA_degrade" else 0.6 - 0.3 * level) + rng.uniform(-0.02, 0.02)
                card = make_card(model, suite, task, s, round(value, 4))
                path = card.key.folder(folder) / "result.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(card.model_dump_json(indent=2))
                paths.append(path)
    forged = make_card("gfmbench/forged-model", "rgb", "SSP_Archive2", 0, 1.7)  # F1 cannot exceed 1
    path = forged.key.folder(folder) / "result.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(forged.model_dump_json(indent=2))
    broken = folder / "broken" / "result.json"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text('{"schema_version": 1, "key": {"model_id": "x"}}')
    return [*paths, path, broken]


def write_classification_units(folder: Path, model: str, references: list[int], predictions: dict[int, list[int]],
                               suite: str = "gue", task: str = "EMP_H3") -> list[Path]:
    """Units of a binary sequence-classification task with their predictions (one list per seed): what
    `gfmbench compare` and the leaderboard's significance tests read. The card's value is the recomputed metric."""
    from gfmbench.harness.results import write_unit
    from gfmbench.harness.scoring import score_predictions
    from gfmbench.suites.registry import get_task

    _, spec = get_task(task, suite)
    written = []
    for seed, predicted in predictions.items():
        rows = [{"id": f"test-{i}", "reference": ref, "prediction": pred,
                 "scores": [0.9, 0.1] if pred == 0 else [0.1, 0.9], "sequence": "ACGT"}
                for i, (ref, pred) in enumerate(zip(references, predicted, strict=True))]
        metrics = score_predictions(spec, rows)
        card = make_card(model, suite, task, seed, metrics[spec.primary_metric],
                         extra={k: v for k, v in metrics.items() if k != spec.primary_metric}, recipe_id="r" * 16)
        written.append(write_unit(card.key.folder(folder), card, rows))
    return written


def write_reported_fixture(folder: Path) -> list[Path]:
    """The packaged reported cards (real transcriptions) exported into `folder/reported/`, two gfmbench units of
    DNABERT-2 on GUE EMP_H3 (seeds 0 and 1, AUROC 0.90 and 0.92 beside the primary MCC) so that a
    reproduced-vs-reported gap exists, and one forged reported card (an AUROC of 1.3) that must be refused."""
    import json

    from gfmbench.leaderboard.reported import REPORTED_FOLDER, export_cards, packaged_papers, reported_cards

    written = export_cards([c for p in packaged_papers() for c in reported_cards(p)], folder)
    for seed, (mcc, auroc) in enumerate([(0.61, 0.90), (0.63, 0.92)]):
        card = make_card("zhihan1996/DNABERT-2-117M", "gue", "EMP_H3", seed, mcc, extra={"roc_auc": auroc})
        path = card.key.folder(folder) / "result.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(card.model_dump_json(indent=2))
        written.append(path)
    forged = json.loads((folder / REPORTED_FOLDER / "feng2025-natcommun/gue/EMP_H3/grover.json").read_text())
    forged.update(id="forged/gue/EMP_H3/grover", value=1.3, value_as_printed="1.3")
    path = folder / REPORTED_FOLDER / "forged" / "gue" / "EMP_H3" / "grover.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(forged, indent=2))
    return [*written, path]
