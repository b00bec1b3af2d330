"""Result cards -> leaderboard tables. Pure functions, no UI: everything the app shows is computed (and tested)
here.

Input is the harness's unit results (`gfmbench.harness.results.UnitResult` JSON), from a local folder or a results
repo on a hub. Every card is validated before it can count: schema errors, unknown suites or tasks, metric values
outside what the metric can take, and two cards claiming the same unit with different values are excluded with a
reason, never shown in the ranking and never silently merged.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gfmbench.atomic import atomic_write
from gfmbench.harness.validity import validate_card
from gfmbench.leaderboard.reported import REPORTED_FOLDER, reported_rows


@dataclass
class Card:
    source: str  # where the card came from (file path or repo path)
    result: Any  # UnitResult


@dataclass
class LoadedCards:
    cards: list[Card] = field(default_factory=list)
    excluded: list[dict[str, str]] = field(default_factory=list)  # source, model, task, reason


def load_cards(items: Iterable[tuple[str, bytes | str]]) -> LoadedCards:
    """Validate (source, content) pairs; drop exact duplicates; exclude every card of a conflicting unit."""
    loaded = LoadedCards()
    by_unit: dict[tuple, list[Card]] = defaultdict(list)
    for source, raw in items:
        result, reason, parsed = validate_card(source, raw)
        if result is None:
            loaded.excluded.append({"source": source, "model": parsed.key.model_id if parsed else "",
                                    "task": parsed.key.task if parsed else "", "reason": reason or ""})
            continue
        by_unit[result.key.experiment()].append(Card(source, result))
    for _, cards in sorted(by_unit.items(), key=lambda kv: kv[0]):
        values = {json.dumps(c.result.metrics, sort_keys=True) for c in cards}
        if len(values) > 1:
            for c in cards:
                loaded.excluded.append({"source": c.source, "model": c.result.key.model_id, "task": c.result.key.task,
                                        "reason": f"conflicting cards for the same unit (seed {c.result.key.seed}): "
                                                  f"{len(cards)} cards with different values"})
            continue
        loaded.cards.append(cards[0])
    return loaded


def cards_from_folder(folder: Path) -> list[tuple[str, bytes]]:
    return [(str(p.relative_to(folder)), p.read_bytes()) for p in sorted(folder.rglob("result.json"))]


def repo_snapshot(repo_id: str, revision: str | None = None, predictions: bool = True) -> Path:
    """A results dataset repo (Hub or local hub at HF_ENDPOINT) at a pinned revision: every `result.json`, and
    with `predictions` the units' `predictions.parquet` (the significance tests read them)."""
    from huggingface_hub import snapshot_download

    patterns = ["**/result.json", f"{REPORTED_FOLDER}/**/*.json",
                *(["**/predictions.parquet"] if predictions else [])]
    return Path(snapshot_download(repo_id, repo_type="dataset", revision=revision or "main",
                                  allow_patterns=patterns))


def cards_from_repo(repo_id: str, revision: str | None = None) -> list[tuple[str, bytes]]:
    """Every `result.json` of a results dataset repo, at a pinned revision."""
    return cards_from_folder(repo_snapshot(repo_id, revision, predictions=False))


def unit_rows(cards: list[Card]) -> list[dict[str, Any]]:
    """One row per valid unit with everything the app shows (the aggregated Parquet table)."""
    from gfmbench.harness.recipe import regime_label
    from gfmbench.suites.registry import get_task

    rows = []
    for card in cards:
        r = card.result
        suite, task = get_task(r.key.task, r.key.suite)
        rows.append({
            "model_id": r.key.model_id, "model_sha": r.key.model_sha, "model_content": r.key.model_content,
            "suite": r.key.suite, "task": r.key.task, "seed": r.key.seed,
            "regime": regime_label(r.key.regime, r.recipe),  # wild-type zero-shot is its own entry
            "dataset_repo": r.key.dataset_repo, "dataset_revision": r.key.dataset_revision,
            "recipe_id": r.key.recipe_id,
            "task_type": task.type, "alphabet": task.alphabet, "license": task.license or suite.license,
            "primary_metric": r.primary_metric, "direction": r.direction,
            "value": float(r.metrics["test"][r.primary_metric]),
            "metrics": json.dumps(r.metrics["test"], sort_keys=True),
            "n_parameters": r.cost.n_parameters, "wall_time_s": r.cost.wall_time_s,
            "train_samples_per_second": r.cost.train_samples_per_second, "peak_rss_mb": r.cost.peak_rss_mb,
            "timestamp": r.timestamp, "source": card.source,
            "ci_low": r.confidence_interval[0] if r.confidence_interval else None,
            "ci_high": r.confidence_interval[1] if r.confidence_interval else None,
        })
    return rows


def build_leaderboard(items: Iterable[tuple[str, bytes | str]], out_dir: Path,
                      predictions_root: Path | None = None, n_resamples: int = 1000,
                      reported_items: Iterable[tuple[str, bytes | str]] = ()) -> tuple[Path, Path]:
    """Validate the cards and write `leaderboard.parquet` (one row per unit), `reported.parquet` (one row per
    valid reported card: gfmbench.leaderboard.reported) and `excluded.json` (refused cards of both kinds); with
    `predictions_root` (the folder the card sources are relative to, holding the units' predictions) also
    `significance.json`: per task, each model against the task's best (paired tests), and the ranks across
    tasks."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from gfmbench.atomic import atomic_path

    loaded = load_cards(items)
    out_dir.mkdir(parents=True, exist_ok=True)
    table_path, excluded_path = out_dir / "leaderboard.parquet", out_dir / "excluded.json"
    rows = unit_rows(loaded.cards)
    with atomic_path(table_path) as tmp:
        pq.write_table(pa.Table.from_pylist(rows, schema=_schema()), tmp)
    reported, refused = reported_rows(reported_items)
    with atomic_path(out_dir / REPORTED_FILE) as tmp:
        pq.write_table(pa.Table.from_pylist(reported, schema=_reported_schema()), tmp)
    atomic_write(excluded_path, json.dumps(loaded.excluded + refused, indent=2) + "\n")
    if predictions_root is not None:
        report = significance_report(loaded.cards, rows, predictions_root, n_resamples)
        atomic_write(out_dir / SIGNIFICANCE_FILE, json.dumps(report, indent=2) + "\n")
    return table_path, excluded_path


SIGNIFICANCE_FILE = "significance.json"
REPORTED_FILE = "reported.parquet"


def significance_report(cards: list[Card], rows: list[dict[str, Any]], root: Path,
                        n_resamples: int = 1000) -> dict[str, Any]:
    """Per task column, every model against the task's best model: a paired permutation test on the same test
    examples and seeds (harness.compare.compare_task); `tied_with_best` true where the difference is not
    significant at 0.05, None where the pair cannot be tested (`reason` says why: no claim either way). And across
    the tasks every model has: average ranks, Friedman + Nemenyi."""
    from gfmbench.errors import GfmbenchError
    from gfmbench.harness.compare import compare_task
    from gfmbench.metrics.functional import MetricInputError
    from gfmbench.metrics.significance import friedman_nemenyi
    from gfmbench.suites.registry import get_task

    columns, board = leaderboard(rows)
    by_cell: dict[tuple[str, str], list[tuple[Path, Any]]] = defaultdict(list)
    for card, row in zip(cards, rows, strict=True):
        by_cell[(row_key(row), f"{row['suite']}/{row['task']}")].append((root / Path(card.source).parent,
                                                                         card.result))
    per_task = []
    for column in columns:
        present = [r for r in board if column in r]
        if len(present) < 2:
            continue
        suite, task_name = column.split("/", 1)
        _, task = get_task(task_name, suite)
        best = min(present, key=lambda r: r["task ranks"][column])
        for other in present:
            if other is best:
                continue
            entry: dict[str, Any] = {"column": column, "model": other["key"], "best": best["key"]}
            try:
                result = compare_task(task, by_cell[(other["key"], column)], by_cell[(best["key"], column)],
                                      n_resamples=n_resamples)
            except (GfmbenchError, OSError, ValueError) as exc:  # e.g. no predictions; metric input errors too
                entry.update(tied_with_best=None, reason=f"not testable: {exc}")
            else:
                if result.skipped:
                    entry.update(tied_with_best=None, reason=f"not testable: {result.skipped}")
                else:
                    entry.update(effect=result.effect, interval=list(result.interval or ()), p_value=result.p_value,
                                 seeds=result.seeds,
                                 tied_with_best=None if result.p_value is None else result.p_value >= 0.05)
            per_task.append(entry)
    ranks = None
    scores = {c: {r["key"]: r[c][0] for r in board if c in r} for c in columns}
    directions = {c: next(u["direction"] for u in rows if f"{u['suite']}/{u['task']}" == c) for c in columns}
    try:
        summary = friedman_nemenyi(scores, {c: d == "higher" for c, d in directions.items()})
        ranks = {"models": summary.models, "average_ranks": summary.average_ranks, "tasks": summary.n_tasks,
                 "friedman_p": summary.friedman_p, "critical_difference": summary.critical_difference,
                 "nemenyi_p": summary.nemenyi_p, "alpha": summary.alpha}
    except MetricInputError:
        pass
    return {"per_task": per_task, "ranks": ranks, "resamples": n_resamples}


def _schema() -> Any:
    import pyarrow as pa

    s, i, f = pa.string(), pa.int64(), pa.float64()
    return pa.schema([("model_id", s), ("model_sha", s), ("model_content", s), ("suite", s), ("task", s), ("seed", i),
                      ("regime", s), ("dataset_repo", s), ("dataset_revision", s), ("recipe_id", s), ("task_type", s),
                      ("alphabet", s),
                      ("license", s), ("primary_metric", s), ("direction", s), ("value", f), ("metrics", s),
                      ("n_parameters", i), ("wall_time_s", f), ("train_samples_per_second", f), ("peak_rss_mb", f),
                      ("timestamp", s), ("source", s), ("ci_low", f), ("ci_high", f)])


def _reported_schema() -> Any:
    import pyarrow as pa

    s, f = pa.string(), pa.float64()
    return pa.schema([("id", s), ("model", s), ("model_id", s), ("family", s), ("suite", s), ("task", s),
                      ("metric", s), ("metric_as_printed", s), ("value", f), ("value_as_printed", s),
                      ("primary_metric", s), ("same_metric", pa.bool_()), ("regime", s), ("differences", s),
                      ("paper", s), ("citation", s), ("link", s), ("read_from", s), ("source", s), ("task_type", s),
                      ("alphabet", s), ("license", s)])


def read_units(path: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def read_reported(table_dir: Path) -> list[dict[str, Any]]:
    """The reported rows of a tables folder; none for tables built before reported cards existed."""
    path = table_dir / REPORTED_FILE
    return read_units(path) if path.is_file() else []


# ----------------------------------------------------------------------------------------------- aggregation
@dataclass(frozen=True)
class Filters:
    suite: str | None = None
    task_types: tuple[str, ...] = ()
    alphabets: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()
    regimes: tuple[str, ...] = ()
    search: str = ""

    def keep(self, row: dict[str, Any]) -> bool:
        return ((self.suite is None or row["suite"] == self.suite)
                and (not self.task_types or row["task_type"] in self.task_types)
                and (not self.alphabets or row["alphabet"] in self.alphabets)
                and (not self.licenses or row["license"] in self.licenses)
                and (not self.regimes or row["regime"] in self.regimes)
                and (not self.search or self.search.lower() in row["model_id"].lower()))


def row_key(unit: dict[str, Any]) -> str:
    """One leaderboard row per model content and regime: a fine-tuned and a probed model are different entries."""
    from gfmbench.harness.models import model_label

    return f"{model_label(unit['model_id'], unit['model_content'])} [{unit['regime']}]"


def rank_with_ties(scores: dict[str, float], higher_is_better: bool) -> dict[str, float]:
    """Competition ranking ("1224"): equal scores share the best rank.

    >>> rank_with_ties({"a": 0.9, "b": 0.8, "c": 0.9}, True)
    {'a': 1.0, 'b': 3.0, 'c': 1.0}
    """
    ordered = sorted(scores.values(), reverse=higher_is_better)
    return {k: float(ordered.index(v) + 1) for k, v in scores.items()}


def leaderboard(units: list[dict[str, Any]], filters: Filters = Filters()) -> tuple[list[str], list[dict[str, Any]]]:
    """Rows = models, columns = tasks (primary metric, mean ± std over seeds), the mean score over the
    higher-is-better tasks, the average rank over all tasks (direction-aware) and the overall rank.

    Returns (task columns, rows sorted by average rank); `directions[column]` is in each row's "task ranks" order.
    """
    from gfmbench.harness.summary import preferred_group

    kept = [u for u in units if filters.keep(u)]
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for u in kept:
        grouped[(row_key(u), f"{u['suite']}/{u['task']}")].append(u)
    cells: dict[tuple[str, str], list[float]] = {}
    meta: dict[str, dict[str, Any]] = {}
    tasks: dict[str, str] = {}
    for (model, column), mine in grouped.items():
        # one recipe and dataset revision per cell: units of other settings are never averaged in
        chosen = preferred_group(mine, lambda u: ((u.get("recipe_id"), u["dataset_revision"]), u["seed"],
                                                  u["timestamp"]))
        cells[(model, column)] = [u["value"] for u in chosen]
        u = chosen[0]
        tasks[column] = u["direction"]
        meta.setdefault(model, {"model": u["model_id"], "regime": u["regime"], "content": u["model_content"][:12],
                                "parameters": u["n_parameters"]})
    columns = sorted(tasks)
    ranks: dict[str, list[float]] = defaultdict(list)
    from gfmbench.metrics.aggregate import mean_std

    means: dict[tuple[str, str], tuple[float, float]] = {k: mean_std(v) for k, v in cells.items()}
    task_ranks: dict[str, dict[str, float]] = defaultdict(dict)
    for column in columns:
        scores = {m: means[(m, column)][0] for m in meta if (m, column) in means}
        for m, r in rank_with_ties(scores, tasks[column] == "higher").items():
            ranks[m].append(r)
            task_ranks[m][column] = r
    rows = []
    for model, info in meta.items():
        row: dict[str, Any] = {"key": model, **info}
        higher = []
        for column in columns:
            if (model, column) in means:
                row[column] = means[(model, column)]
                if tasks[column] == "higher":
                    higher.append(means[(model, column)][0])
        row["mean score"] = sum(higher) / len(higher) if higher else float("nan")
        row["avg rank"] = sum(ranks[model]) / len(ranks[model])
        row["task ranks"] = task_ranks[model]
        row["tasks"] = len(ranks[model])
        rows.append(row)
    overall = rank_with_ties({r["key"]: r["avg rank"] for r in rows}, higher_is_better=False)
    for row in rows:
        row["rank"] = int(overall[row["key"]])
    rows.sort(key=lambda r: (r["rank"], r["key"]))
    return columns, rows


def registry_metadata(model_id: str) -> dict[str, Any] | None:
    """What the model registry (gfmbench.models) says of a model id: family, published parameters, context,
    tokenizer, license; None for models it does not know."""
    from gfmbench.models.registry import find_checkpoint

    found = find_checkpoint(model_id)
    if found is None:
        return None
    family, ckpt = found
    k = ckpt.k or family.k
    return {"family": family.display_name, "registry name": ckpt.name, "published parameters": ckpt.n_parameters,
            "context (tokens)": ckpt.max_context,
            "tokenizer": family.tokenizer.replace("_", "-") + (f" (k={k})" if k else ""),
            "license": family.license, "paper": family.paper}


def format_cell(value: Any) -> str:
    if isinstance(value, tuple):
        mean, std = value
        return f"{mean:.4f}" if math.isnan(std) else f"{mean:.4f} ± {std:.4f}"
    if isinstance(value, float):
        return "—" if math.isnan(value) else f"{value:.4f}" if abs(value) < 1000 else f"{value:.0f}"
    return "—" if value is None else str(value)
