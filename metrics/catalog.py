"""Metric names as the suite files use them (`f1_macro`, `mcrmse`, `bp_f1`, ...) -> the pure function that computes
them and the `evaluate` module that wraps it. The harness scores through here; the registry tests check that every
metric a suite names is listed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from gfmbench.errors import UnknownNameError
from gfmbench.metrics import functional as F
from gfmbench.metrics.pairs import pair_scores, top_l_precision
from gfmbench.metrics.structure import structure_scores

Inputs = Literal["labels", "scores", "multilabel", "regression", "structure", "pairs"]


@dataclass(frozen=True)
class MetricEntry:
    function: Callable[..., Any]
    inputs: Inputs
    module: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    key: str | None = None  # for functions returning a dict: the value to report
    direction: Literal["higher", "lower"] = "higher"
    bounds: tuple[float, float] = (0.0, 1.0)  # the values the metric can take; anything else is an invalid card

    def __call__(self, references: Any, predictions: Any, **kwargs: Any) -> float:
        value = self.function(references, predictions, **{**self.kwargs, **kwargs})
        return float(value[self.key]) if self.key is not None else value


CATALOG: dict[str, MetricEntry] = {
    "accuracy": MetricEntry(F.accuracy, "labels", "accuracy"),
    "f1_macro": MetricEntry(F.f1, "labels", "f1", {"average": "macro"}),
    "f1_micro": MetricEntry(F.f1, "labels", "f1", {"average": "micro"}),
    "f1_weighted": MetricEntry(F.f1, "labels", "f1", {"average": "weighted"}),
    "f1_binary": MetricEntry(F.f1, "labels", "f1", {"average": "binary"}),
    "precision_macro": MetricEntry(F.precision, "labels", "precision", {"average": "macro"}),
    "recall_macro": MetricEntry(F.recall, "labels", "recall", {"average": "macro"}),
    "mcc": MetricEntry(F.mcc, "labels", "mcc", bounds=(-1.0, 1.0)),
    "roc_auc": MetricEntry(F.roc_auc, "scores", "roc_auc"),
    "pr_auc": MetricEntry(F.pr_auc, "scores", "pr_auc"),
    "multilabel_f1_macro": MetricEntry(F.multilabel_f1, "multilabel", "multilabel_f1", {"average": "macro"}),
    "multilabel_f1_micro": MetricEntry(F.multilabel_f1, "multilabel", "multilabel_f1", {"average": "micro"}),
    "multilabel_roc_auc": MetricEntry(F.multilabel_roc_auc, "multilabel", "multilabel_roc_auc", key="roc_auc"),
    "multilabel_pr_auc": MetricEntry(F.multilabel_pr_auc, "multilabel", "multilabel_pr_auc", key="pr_auc"),
    "subset_accuracy": MetricEntry(F.subset_accuracy, "multilabel", "subset_accuracy"),
    "mse": MetricEntry(F.mse, "regression", "mse", direction="lower", bounds=(0.0, float("inf"))),
    "rmse": MetricEntry(F.rmse, "regression", "rmse", direction="lower", bounds=(0.0, float("inf"))),
    "mae": MetricEntry(F.mae, "regression", "mae", direction="lower", bounds=(0.0, float("inf"))),
    "r2": MetricEntry(F.r2, "regression", "r2", bounds=(float("-inf"), 1.0)),
    "pearson": MetricEntry(F.pearson, "regression", "pearson", bounds=(-1.0, 1.0)),
    "spearman": MetricEntry(F.spearman, "regression", "spearman", bounds=(-1.0, 1.0)),
    "mcrmse": MetricEntry(F.mcrmse, "regression", "mcrmse", direction="lower", bounds=(0.0, float("inf"))),
    "bp_f1": MetricEntry(structure_scores, "structure", "rna_structure", key="bp_f1"),
    "bp_f1_shift1": MetricEntry(structure_scores, "structure", "rna_structure", key="bp_f1_shift1"),
    "bp_mcc": MetricEntry(structure_scores, "structure", "rna_structure", key="bp_mcc", bounds=(-1.0, 1.0)),
    "pearson_r2": MetricEntry(F.pearson_r2, "regression", "pearson_r2"),
    # SpliceAI's top-k accuracy over the site classes (1 acceptor, 2 donor), and per class
    "topk_accuracy": MetricEntry(F.topk_accuracy, "scores", "topk_accuracy", {"classes": [1, 2]}),
    "topk_accuracy_acceptor": MetricEntry(F.topk_accuracy, "scores", "topk_accuracy", {"classes": [1]}),
    "topk_accuracy_donor": MetricEntry(F.topk_accuracy, "scores", "topk_accuracy", {"classes": [2]}),
    # pair maps: base-pair F1 at score 0.5, and contact precision of the top L (L/2, L/5) pairs by separation range
    "pair_f1": MetricEntry(pair_scores, "pairs", "pair_f1", key="f1"),
    "pair_precision": MetricEntry(pair_scores, "pairs", "pair_f1", key="precision"),
    "pair_recall": MetricEntry(pair_scores, "pairs", "pair_f1", key="recall"),
    "top_l_precision_long": MetricEntry(top_l_precision, "pairs", "top_l_precision", {"min_separation": 23}),
    "top_l2_precision_long": MetricEntry(top_l_precision, "pairs", "top_l_precision",
                                         {"min_separation": 23, "fraction": 0.5}),
    "top_l5_precision_long": MetricEntry(top_l_precision, "pairs", "top_l_precision",
                                         {"min_separation": 23, "fraction": 0.2}),
    "top_l_precision_medium": MetricEntry(top_l_precision, "pairs", "top_l_precision",
                                          {"min_separation": 12, "max_separation": 22}),
    "top_l_precision_short": MetricEntry(top_l_precision, "pairs", "top_l_precision",
                                         {"min_separation": 6, "max_separation": 11}),
}


def get_metric(name: str) -> MetricEntry:
    if name not in CATALOG:
        raise UnknownNameError("metric", name, CATALOG)
    return CATALOG[name]


def module_path(module: str) -> Path:
    """The folder of an `evaluate` module shipped with gfmbench: `evaluate.load(str(module_path("mcc")))`."""
    path = Path(str(resources.files("gfmbench.metrics").joinpath(module)))
    if not (path / f"{module}.py").is_file():
        raise UnknownNameError("metric module", module, sorted({e.module for e in CATALOG.values()}))
    return path
