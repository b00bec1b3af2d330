"""From unit results to what a table or a card shows per task: every metric's mean ± std over seeds, each seed's
value, and an honest interval of the mean (see `gfmbench.metrics.aggregate.mean_interval`).

Also which units a card describes: every unit of the model's recipe in the results store, not only those of the
last command (`card_results`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from gfmbench.harness.results import UnitResult
from gfmbench.metrics.aggregate import mean_interval, mean_std
from gfmbench.suites.schema import SuiteSpec


def _bounds(metric: str) -> tuple[float, float] | None:
    from gfmbench.metrics.catalog import CATALOG

    entry = CATALOG.get(metric)
    return tuple(entry.bounds) if entry is not None else None  # type: ignore[return-value]


def summarise(suite: SuiteSpec, results: list[UnitResult]) -> list[dict[str, Any]]:
    """Per task and test split (`test`, then extra test sets such as `test_rfam19`): every metric as mean ± std
    over seeds (primary metric first), the seeds' primary values, and on `test` the interval of the primary mean
    (`ci95`, with `ci_method`)."""
    rows = []
    for task in suite.tasks:
        mine = sorted((r for r in results if r.key.task == task.config), key=lambda r: r.key.seed)
        if not mine:
            continue
        for split in ["test", *(s for s in task.extra_test_splits if s in mine[0].metrics)]:
            names = [task.primary_metric] + [m for m in mine[0].metrics[split] if m != task.primary_metric]
            row: dict[str, Any] = {"task": task.config, "split": split, "seeds": len(mine),
                                   "primary": task.primary_metric, "direction": task.direction,
                                   "task_type": task.type, "dataset_revision": mine[0].key.dataset_revision,
                                   "recipe": mine[0].key.recipe_id,
                                   "per_seed": {str(r.key.seed): r.metrics[split][task.primary_metric] for r in mine}}
            for name in names:
                row[name] = mean_std([r.metrics[split][name] for r in mine])
            intervals = [r.confidence_interval for r in mine if r.confidence_interval is not None]
            if split == "test" and (len(mine) > 1 or intervals):
                low, high, method = mean_interval([r.metrics[split][task.primary_metric] for r in mine],
                                                  intervals if len(intervals) == len(mine) else (),
                                                  bounds=_bounds(task.primary_metric))
                row["ci95"], row["ci_method"] = (low, high), method
            rows.append(row)
    return rows


def card_results(units: list[UnitResult], recipes: dict[str, str],
                 revisions: dict[str, str] | None = None) -> list[UnitResult]:
    """The units a card covers: per task, the units on disk of the recipe `recipes[task]`, at the run's dataset
    revision where it ran the task, chosen as a leaderboard cell chooses (`preferred_group`)."""
    revisions = revisions or {}
    by_task: dict[str, list[UnitResult]] = defaultdict(list)
    for r in units:
        task = r.key.task
        if recipes.get(task) is not None and r.key.recipe_id == recipes[task] and \
                r.key.dataset_revision == revisions.get(task, r.key.dataset_revision):
            by_task[task].append(r)
    return [r for mine in by_task.values() for r in preferred_group(mine)]


T = TypeVar("T")


def unit_fields(result: UnitResult) -> tuple[tuple[str | None, str], int, str]:
    """((recipe, dataset revision), seed, timestamp) of a unit: what `preferred_group` needs."""
    return (result.key.recipe_id, result.key.dataset_revision), result.key.seed, result.timestamp


def preferred_group(units: list[T], fields: Callable[[T], tuple[tuple[str | None, str], int, str]] = unit_fields,  # type: ignore[assignment]
                    ) -> list[T]:
    """Of one model's units on one task in one regime, the ones a comparison or leaderboard cell uses: units of
    other recipes or dataset revisions are never averaged together, so one (recipe, revision) group is chosen, the
    one with the most seeds, then the newest; one unit per seed (the newest). `fields` reads a unit (a UnitResult,
    or a leaderboard row)."""
    groups: dict[tuple[str | None, str], dict[int, T]] = defaultdict(dict)
    newest: dict[tuple[str | None, str], str] = {}
    for unit in sorted(units, key=lambda u: fields(u)[2], reverse=True):
        group, seed, timestamp = fields(unit)
        groups[group].setdefault(seed, unit)
        newest.setdefault(group, timestamp)
    if not groups:
        return []
    best = max(groups, key=lambda g: (len(groups[g]), newest[g]))
    return [groups[best][s] for s in sorted(groups[best])]
