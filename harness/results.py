"""The result schema (one JSON per run unit) and the results store: where units live, how they are written
(atomically, predictions first) and read back (validated; a corrupt or partial file is ignored and recomputed).

A unit is one (model content, dataset revision, task, seed, regime, recipe): see `harness.recipe` for what the
recipe holds and why. Everything that reads results (the summary table, resume, the leaderboard, cards) goes
through `UnitResult`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gfmbench.atomic import atomic_path, atomic_write

log = logging.getLogger(__name__)

# 2: the key holds the recipe digest and the result its settings (1: before recipes)
RESULT_SCHEMA_VERSION: Literal[2] = 2

# fine-tune; frozen backbone + linear model; language-model likelihoods, no training
Regime = Literal["finetune", "probe", "zeroshot"]



class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def model_folder(root: Path, model_id: str, model_content: str) -> Path:
    """A model's folder in the results store, `<root>/<model>@<content12>`, with the model id made path-safe."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "__", model_id).strip("_") or "model"
    return root / f"{safe}@{model_content[:12]}"


class UnitKey(_Strict):
    """What identifies a run unit: the same key means the same experiment, so its result can be reused."""

    model_id: str
    model_sha: str  # exact commit of the model repo (or digest of a local folder) the unit was computed at
    model_content: str  # digest of the model's files (see harness.models.content_id): the model's identity
    dataset_repo: str
    dataset_revision: str  # exact commit of the dataset repo
    suite: str
    task: str  # config name
    seed: int
    regime: Regime = "finetune"  # see harness.probe and harness.zeroshot
    # digest of every setting that can change the result (harness.recipe); None: a unit written before recipes
    recipe_id: str | None = None

    def folder(self, root: Path) -> Path:
        """`<root>/<model>@<content12>/<suite>/<task>/<regime>-<recipe10>-seed<k>` with the model id made
        path-safe; units written before recipes live in `<regime>-seed<k>`."""
        leaf = f"{self.regime}-{self.recipe_id[:10]}-seed{self.seed}" if self.recipe_id else \
            f"{self.regime}-seed{self.seed}"
        return model_folder(root, self.model_id, self.model_content) / self.suite / self.task / leaf

    def experiment(self) -> tuple[str | int, ...]:
        """The unit's identity: every field but the commit the model was fetched at (a card-only commit does not
        change the model), as a sortable tuple. The results store, resume and the leaderboard all compare units by
        it."""
        return tuple("" if value is None else value for value in self.model_dump(exclude={"model_sha"}).values())

    def same_experiment(self, other: UnitKey) -> bool:
        return self.experiment() == other.experiment()


class Cost(_Strict):
    wall_time_s: float = Field(ge=0)  # training + evaluation of this unit
    train_runtime_s: float | None = None  # the Trainer's train_runtime: training, validation passes, checkpoints
    train_steps_s: float | None = None  # the training steps alone (harness.trainlog.TrainingSteps)
    train_tokens: int | None = None  # real (unpadded) tokens trained on, all epochs: tokens per second, MFU
    train_samples_per_second: float | None = None
    eval_samples_per_second: float | None = None
    peak_rss_mb: float = Field(ge=0)  # peak resident memory of the process so far
    peak_gpu_mb: float | None = None
    n_parameters: int = Field(ge=0)


class UnitResult(_Strict):
    schema_version: Literal[1, 2] = RESULT_SCHEMA_VERSION
    key: UnitKey
    recipe: dict[str, Any] | None = None  # the settings `key.recipe_id` digests (harness.recipe); None before v2
    suite_version: str
    task_type: str
    primary_metric: str
    direction: Literal["higher", "lower"]
    metrics: dict[str, dict[str, float]]  # split ("validation", "test") -> metric -> value
    confidence_interval: tuple[float, float] | None = None  # 95 % bootstrap CI of the primary metric on test
    hyperparameters: dict[str, Any]  # epochs, batch size, learning rate, max length, patience, ...
    validation_source: str  # upstream split, or how it was carved from train (seed, fraction)
    head: str  # the head class and output size
    # harness.loading.LoadingReport: the class that got the checkpoint, new / unused / not-loaded weights, load-time
    # fixes, whether the weights check was overridden; None for probe units whose features all came from the cache
    loading: dict[str, Any] | None = None
    input_format: str  # how sequences were given to the tokenizer
    truncation: str  # how sequences longer than max length were handled
    cost: Cost
    environment: dict[str, str]  # library versions, python, platform, cpu, gpu
    command: str  # the command line (no secrets: tokens are never on it)
    timestamp: str  # ISO 8601, UTC
    predictions_file: str = "predictions.parquet"

    @property
    def primary_value(self) -> float:
        return self.metrics["test"][self.primary_metric]

    @property
    def settings(self) -> dict[str, Any]:
        """The recipe's settings; for a unit written before recipes, its recorded hyperparameters (what is known)."""
        if self.recipe is not None:
            return self.recipe
        unkeyed = {"seed", "model_revision", "dataset_revision_requested"}
        return {k: v for k, v in self.hyperparameters.items() if k not in unkeyed}


@dataclass
class UnitOutput:
    """What a regime (harness.regimes) returns for one unit: the scores and what the result card says of how they
    were made."""

    metrics: dict[str, dict[str, float]]  # split -> metric -> value
    predictions: list[dict[str, Any]]  # the test split's prediction rows
    head: str  # what predicted: the head on the backbone, the probe's linear model, the language-model head
    input_format: str
    truncation: str
    cost: Cost
    confidence_interval: tuple[float, float] | None
    loading: dict[str, Any] | None  # the loading report; None when nothing was loaded (every feature cached)
    record: dict[str, Any] = field(default_factory=dict)  # the regime's own record (probe grid, zero-shot rule)


RESULT_FILE = "result.json"


def read_unit(folder: Path, key: UnitKey | None = None) -> UnitResult | None:
    """The unit's result if it is complete and valid (and matches `key`); None otherwise (it will be recomputed)."""
    path = folder / RESULT_FILE
    if not path.is_file():
        return None
    try:
        result = UnitResult.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, ValueError, UnicodeDecodeError) as exc:
        log.warning("ignoring invalid result %s (%s); the unit will be recomputed", path, str(exc).splitlines()[0])
        return None
    if key is not None and not result.key.same_experiment(key):
        log.warning("ignoring %s: it belongs to another unit", path)
        return None
    if not (folder / result.predictions_file).is_file():
        log.warning("ignoring %s: its predictions file is missing; the unit will be recomputed", path)
        return None
    return result


def store_units(model_folder: Path, suite: str, regime: str) -> list[tuple[Path, UnitResult]]:
    """Every complete, valid unit of one model on one suite in one regime in the results store, any recipe."""
    found = []
    for path in sorted(model_folder.glob(f"{suite}/*/{regime}-*/{RESULT_FILE}")):
        result = read_unit(path.parent)
        if result is not None and result.key.suite == suite and result.key.regime == regime:
            found.append((path.parent, result))
    return found


def write_unit(folder: Path, result: UnitResult, predictions: list[dict[str, Any]]) -> Path:
    """Predictions first, result last: a unit counts as done only once both are complete on disk."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / result.predictions_file) as tmp:
        pq.write_table(pa.Table.from_pylist(predictions), tmp, compression="zstd")
    return atomic_write(folder / RESULT_FILE, result.model_dump_json(indent=2) + "\n")


def read_predictions(folder: Path, result: UnitResult) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return pq.read_table(folder / result.predictions_file).to_pylist()


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def environment() -> dict[str, str]:
    import platform
    import sys
    from importlib import metadata

    env = {"python": sys.version.split()[0], "platform": platform.platform(), "machine": platform.machine(),
           "processor": platform.processor() or "unknown"}
    for lib in ("gfmbench", "torch", "transformers", "datasets", "huggingface-hub", "tokenizers", "numpy",
                "scikit-learn", "accelerate"):
        try:
            env[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            env[lib] = "not installed"
    try:
        import torch

        env["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
        env["torch_threads"] = str(torch.get_num_threads())
        import os

        env["processes"] = os.environ.get("WORLD_SIZE", "1")  # torchrun / accelerate launch
    except ImportError:  # pragma: no cover - torch is a dependency
        env["gpu"] = "unknown"
    return env
