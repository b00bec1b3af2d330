"""Reported results on the leaderboard: their own ranking, and the gap where gfmbench ran the same model.

Pure functions over the rows of `reported.parquet` (gfmbench.leaderboard.reported.reported_rows) and
`leaderboard.parquet` (table.unit_rows), like table.py. Reported values are ranked only against reported values of
the same task, metric *and* regime; runs are ranked only against runs (table.leaderboard): the two kinds never share a
ranking. A gap is computed only where the run measured the metric the paper printed, and it carries every protocol
difference the reported card declares.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from gfmbench.leaderboard.table import Filters, rank_with_ties, row_key


def column_of(row: dict[str, Any]) -> str:
    """A reported column: the task, the metric its cells hold and the paper's regime. Values are ranked only against
    values of the same task, metric and regime: two papers' metrics never share a column, nor does a probe's AUROC
    share one with a fine-tuned model's."""
    return f"{row['suite']}/{row['task']} · {row['metric']} · {row['regime']}"


def metric_of(column: str) -> str:
    return column.split(" · ")[1]


def reported_key(row: dict[str, Any]) -> str:
    """One reported leaderboard row per model column of one paper."""
    return f"{row['model']} [reported: {row['id'].split('/')[0]}, {row['regime']}]"


def keep_reported(row: dict[str, Any], filters: Filters) -> bool:
    """The leaderboard's filters applied to a reported row (the search matches the printed name and the Hub id)."""
    return filters.keep({**row, "model_id": f"{row['model']} {row['model_id']}"})


def reported_board(rows: list[dict[str, Any]], filters: Filters | None = None
                   ) -> tuple[list[str], list[dict[str, Any]]]:
    """Rows = (model, paper), columns = task · metric · regime; per column, ranks among reported values only; the
    overall rank is by average rank over the columns a row has (as table.leaderboard does for runs)."""
    from gfmbench.metrics.catalog import CATALOG

    kept = [r for r in rows if keep_reported(r, filters or Filters())]
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for r in kept:
        cells[(reported_key(r), column_of(r))] = r
    columns = sorted({c for _, c in cells})
    ranks: dict[str, dict[str, float]] = defaultdict(dict)
    for column in columns:
        present = {k: r["value"] for (k, c), r in cells.items() if c == column}
        for key, rank in rank_with_ties(present, CATALOG[metric_of(column)].direction == "higher").items():
            ranks[key][column] = rank
    board = []
    for key in sorted({k for k, _ in cells}):
        mine = {c: r for (k, c), r in cells.items() if k == key}
        first = next(iter(mine.values()))
        board.append({"key": key, "model": first["model"], "model_id": first["model_id"], "regime": first["regime"],
                      "cells": mine, "task ranks": ranks[key],
                      "avg rank": sum(ranks[key].values()) / len(ranks[key]), "tasks": len(mine)})
    overall = rank_with_ties({b["key"]: b["avg rank"] for b in board}, higher_is_better=False)
    for b in board:
        b["rank"] = int(overall[b["key"]])
    board.sort(key=lambda b: (b["rank"], b["key"]))
    return columns, board


@dataclass(frozen=True)
class Gap:
    """reproduced − reported for one model on one task and metric."""

    run: str  # the run's leaderboard row key
    reported: str  # the reported row key
    column: str  # task · metric
    reproduced: float  # mean over the run's seeds
    seeds: int
    interval: tuple[float, float] | None  # of the reproduced mean (metrics.aggregate.mean_interval)
    interval_method: str
    value: float  # the reported value
    gap: float
    citation: str
    link: str
    differences: tuple[str, ...]

    @property
    def gap_interval(self) -> tuple[float, float] | None:
        return None if self.interval is None else (self.interval[0] - self.value, self.interval[1] - self.value)

    @property
    def verdict(self) -> str:
        if self.interval is None:
            return "no interval"
        inside = self.interval[0] <= self.value <= self.interval[1]
        return "reported value inside our interval" if inside else "reported value outside our interval"


def gaps(units: list[dict[str, Any]], reported: list[dict[str, Any]], suite: str | None = None) -> list[Gap]:
    """For every reported value whose checkpoint is established (a Hub id) and that gfmbench ran on the same task:
    the run's mean of the printed metric over its seeds, its interval, and the gap. Runs that did not measure that
    metric give no gap (a different metric is never compared)."""
    from gfmbench.harness.summary import preferred_group
    from gfmbench.metrics.aggregate import mean_interval
    from gfmbench.metrics.catalog import CATALOG
    from gfmbench.metrics.functional import MetricInputError

    by_model_task: dict[tuple[str, str, str], dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for u in units:
        by_model_task[(u["model_id"], u["suite"], u["task"])][row_key(u)].append(u)
    found = []
    for rep in reported:
        if not rep["model_id"] or (suite is not None and rep["suite"] != suite):
            continue
        for key, mine in sorted(by_model_task.get((rep["model_id"], rep["suite"], rep["task"]), {}).items()):
            chosen = preferred_group(mine, lambda u: ((u.get("recipe_id"), u["dataset_revision"]), u["seed"],
                                                      u["timestamp"]))
            values = [json.loads(u["metrics"]).get(rep["metric"]) for u in chosen]
            values = [v for v in values if v is not None and not math.isnan(v)]
            if not values:
                continue
            intervals = [(u["ci_low"], u["ci_high"]) for u in chosen
                         if rep["metric"] == u["primary_metric"] and u.get("ci_low") is not None]
            try:
                low, high, method = mean_interval(values, intervals, bounds=CATALOG[rep["metric"]].bounds)
                interval: tuple[float, float] | None = (low, high)
            except MetricInputError as exc:
                interval, method = None, str(exc)
            mean = sum(values) / len(values)
            differences = json.loads(rep["differences"])
            if chosen[0]["regime"] != rep["regime"]:
                differences.insert(0, f"regime: gfmbench's run is {chosen[0]['regime']}, the paper's is "
                                      f"{rep['regime']}")
            # the Hub id is the same checkpoint, but its files may have changed between the paper and our run
            differences.append(f"checkpoint revision: gfmbench ran commit {chosen[0]['model_sha'][:12]}; the paper "
                               "does not state the revision it used")
            found.append(Gap(run=key, reported=reported_key(rep), column=column_of(rep), reproduced=mean,
                             seeds=len(values), interval=interval, interval_method=method, value=rep["value"],
                             gap=mean - rep["value"], citation=rep["citation"], link=rep["link"],
                             differences=tuple(differences)))
    return found
