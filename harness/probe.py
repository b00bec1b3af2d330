"""The `probe` regime: a frozen backbone and a linear model from scikit-learn on its cached features.

Why: a linear probe says how much a task's answer is already *in* the representation, and it costs one forward
pass per example instead of many epochs of backpropagation, so a whole suite can be screened cheaply. The linear
model is standardised features + logistic regression (classification; one-vs-rest for multi-label) or ridge
regression (regression), its regularisation strength chosen on the validation split by the task's primary metric,
then scored on test exactly like a fine-tuned head (same prediction rows, same metrics).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np

from gfmbench.harness.data import Example, TaskData, build_examples
from gfmbench.harness.features import SplitFeatures, cached_features, compute_features
from gfmbench.harness.kinds import kind_of
from gfmbench.harness.models import ResolvedModel, load_tokenizer, max_positions
from gfmbench.harness.results import Cost, UnitOutput, peak_rss_mb
from gfmbench.harness.scoring import prediction_row, primary_confidence_interval, score_metric, score_predictions
from gfmbench.suites.schema import TaskSpec

log = logging.getLogger(__name__)

C_GRID = (0.01, 0.1, 1.0, 10.0)  # inverse regularisation of the logistic regression
ALPHA_GRID = (0.1, 1.0, 10.0, 100.0)  # ridge penalty
MAX_FIT_POSITIONS = 200_000  # token tasks: training nucleotides sampled (seeded) beyond this many


def probe_settings(task: TaskSpec) -> dict[str, Any]:
    """The probe's settings that change its result (part of the unit's recipe, harness.recipe)."""
    kind = kind_of(task)
    grid = ALPHA_GRID if kind.regression else C_GRID
    return {"linear_model": kind.probe_model, "grid": list(grid), "max_fit_positions": MAX_FIT_POSITIONS}


def _design(task: TaskSpec, examples: list[Example], features: SplitFeatures) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) for fitting: one row per example, or per scored nucleotide for token tasks."""
    kind = kind_of(task)
    if kind.level != "token":
        y = np.array([ex.reference for ex in examples], dtype=np.float64 if kind.regression else int)
        return features.values, y
    xs, ys = [], []
    for ex, (values, covered) in zip(examples, features.per_example(), strict=True):
        reference = np.asarray(ex.reference, dtype=np.float64)
        if not kind.regression:
            keep = covered & (reference >= 0)
        else:
            reference = reference.reshape(len(covered), -1)
            keep = covered & ~np.isnan(reference).all(axis=1)
        xs.append(values[keep])
        ys.append(reference[keep])
    return np.concatenate(xs), np.concatenate(ys)


def _rows(task: TaskSpec, fitted: Any, examples: list[Example], features: SplitFeatures,
          n_classes: int) -> list[dict[str, Any]]:
    kind = kind_of(task)
    if kind.level != "token":
        outputs = kind.probe_outputs(fitted, features.values, n_classes)
        return [prediction_row(task, ex, out) for ex, out in zip(examples, outputs, strict=True)]
    rows = []
    for ex, (values, covered) in zip(examples, features.per_example(), strict=True):
        rows.append(prediction_row(task, ex, kind.probe_outputs(fitted, values, n_classes), covered))
    return rows


def probe_unit(task: TaskSpec, model: ResolvedModel, data: TaskData, max_length: int, seed: int,
               trust_remote_code: bool = False, progress: bool = True,
               batch_size: int = 16, allow_unloaded_weights: bool = False) -> UnitOutput:
    """Fit the linear probe on frozen features of train, choose its strength on validation, score test."""
    from gfmbench.harness.align import detect_input_format

    start = time.perf_counter()
    kind = kind_of(task)
    tokenizer = load_tokenizer(model, trust_remote_code)
    fmt = detect_input_format(tokenizer)
    limit = min(max_positions(model, trust_remote_code), tokenizer.model_max_length)
    max_tokens = min(max_length + tokenizer.num_special_tokens_to_add(), limit)
    scored = ["validation", "test", *(s for s in task.extra_test_splits if s in data.splits)]
    examples = {name: build_examples(task, data.splits[name], tokenizer, fmt, max_tokens)
                for name in ["train", *scored]}
    backbone: list[Any] = []  # (backbone, loading report), loaded only on a cache miss
    from gfmbench.harness.models import load_config
    from gfmbench.harness.taskmodel import is_causal, load_backbone

    pooling = "last-token" if is_causal(load_config(model, trust_remote_code)[0]) else "mean-pooled"

    def make(name: str) -> Any:
        def compute() -> SplitFeatures:
            if not backbone:
                backbone.extend(load_backbone(model, examples["train"][0].encoded, trust_remote_code,
                                              allow_unloaded_weights))
            return compute_features(backbone[0], examples[name], kind.level == "token", tokenizer.pad_token_id or 0,
                                    batch_size, progress, desc=f"{task.config} {name} features")
        return compute

    features, hits = {}, {}
    for name in examples:
        key = {"model_content": model.content_id, "dataset_revision": data.dataset_revision, "config": task.config,
               "split": name, "validation_source": data.validation_source, "max_tokens": max_tokens,
               "input_format": fmt.describe(), "pooling": "per nucleotide" if kind.level == "token" else pooling}
        features[name], hits[name] = cached_features(key, make(name))
    feature_seconds = time.perf_counter() - start

    n_classes = len(task.labels or [])
    x, y = _design(task, examples["train"], features["train"])
    if kind.level == "token" and len(x) > MAX_FIT_POSITIONS:
        keep = np.sort(np.random.default_rng(seed).choice(len(x), MAX_FIT_POSITIONS, replace=False))
        x, y = x[keep], y[keep]
    grid = ALPHA_GRID if kind.regression else C_GRID
    higher = task.direction == "higher"
    best: tuple[float, float, Any] | None = None
    tried = {}
    for strength in grid:
        fitted = kind.probe_fit(x, y, strength, seed)
        value = score_metric(task, task.primary_metric,
                             _rows(task, fitted, examples["validation"], features["validation"], n_classes))
        tried[str(strength)] = value
        better = best is None or (not math.isnan(value) and (math.isnan(best[1]) or
                                                            (value > best[1] if higher else value < best[1])))
        if better:
            best = (strength, value, fitted)
    assert best is not None
    strength, _, fitted = best
    metrics, rows_by_split = {}, {}
    for name in scored:
        rows_by_split[name] = _rows(task, fitted, examples[name], features[name], n_classes)
        metrics[name] = score_predictions(task, rows_by_split[name])
    return UnitOutput(
        metrics=metrics,
        predictions=rows_by_split["test"],
        loading=backbone[1].as_dict() if backbone else None,  # None: every split's features came from the cache
        head=(f"frozen {backbone[1].model_class if backbone else 'backbone'} + StandardScaler + "
              f"{kind.probe_head(strength)} on "
              f"{'per-nucleotide' if kind.level == 'token' else pooling} last hidden states"),
        input_format=fmt.describe(),
        truncation=f"truncate to {max_tokens} tokens (special tokens included); cut positions are not scored",
        record={"grid": {k: (None if math.isnan(v) else v) for k, v in tried.items()},
                "chosen": strength, "fit_rows": int(len(x)), "feature_seconds": round(feature_seconds, 3),
                "feature_cache": {k: ("hit" if v else "computed") for k, v in hits.items()}},
        cost=Cost(wall_time_s=time.perf_counter() - start, train_samples_per_second=None,
                  eval_samples_per_second=None, peak_rss_mb=peak_rss_mb(), peak_gpu_mb=None,
                  n_parameters=_n_parameters(model, backbone)),
        confidence_interval=primary_confidence_interval(task, rows_by_split["test"], seed=seed),
    )


def _n_parameters(model: ResolvedModel, backbone: list[Any]) -> int:
    """Parameters of the frozen backbone (the probe's own are negligible); read from the weights if not loaded."""
    if backbone:
        return int(sum(p.numel() for p in backbone[0].parameters()))
    if not list(model.path.glob("*.safetensors")):
        return 0  # weights in another format; the count is in the unit that computed the features
    from safetensors import safe_open

    total = 0
    for file in model.path.glob("*.safetensors"):
        with safe_open(str(file), "np") as f:
            total += sum(int(np.prod(f.get_slice(k).get_shape())) for k in f.keys())
    return total
