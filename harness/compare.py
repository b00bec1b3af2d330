"""`gfmbench compare`: is model A better than model B on a suite's tasks? Read from the results store, tested on
the saved predictions (no model is loaded), paired over the same test examples and seeds.

Per task: A's and B's units (one recipe and dataset revision each, `harness.summary.preferred_group`) must share the
dataset revision and the test examples; the seeds both ran are paired; the primary metric's difference of means is
tested with a paired permutation test and given a paired bootstrap interval (gfmbench.metrics.significance).
Across tasks: the Wilcoxon signed-rank test over per-task means. A task that cannot be paired is listed with the
reason, never compared unpaired.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gfmbench.errors import GfmbenchError
from gfmbench.harness.results import RESULT_FILE, UnitResult, read_predictions, read_unit
from gfmbench.harness.summary import preferred_group, unit_fields


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a model (Hub id, registry name or folder, optionally `@<content prefix>`) in a
    regime."""

    model: str
    regime: str = "finetune"

    def identity(self) -> tuple[str, str]:
        """(model id as units are keyed, content-digest prefix or "")."""
        from gfmbench.harness.models import keyed_model_id, parse_model_spec

        name, content = parse_model_spec(self.model)  # `@` after an id is a content prefix here, not a revision
        return keyed_model_id(name), content or ""


@dataclass
class TaskComparison:
    task: str
    metric: str
    direction: str
    a_mean: float | None = None
    b_mean: float | None = None
    effect: float | None = None  # A − B (the metric's units; for lower-is-better metrics a negative effect favours A)
    interval: tuple[float, float] | None = None
    p_value: float | None = None
    seeds: list[int] = field(default_factory=list)
    examples: int = 0
    skipped: str = ""  # why this task was not compared

    @property
    def verdict(self) -> str:
        if self.skipped:
            return "not compared"
        if self.p_value is None or self.p_value >= 0.05:
            return "no significant difference"
        better_a = (self.effect or 0) > 0 if self.direction == "higher" else (self.effect or 0) < 0
        return "A better" if better_a else "B better"


def _units(store: Path, suite: str, side: Side) -> dict[str, list[tuple[Path, UnitResult]]]:
    found: dict[str, list[tuple[Path, UnitResult]]] = {}
    model_id, content = side.identity()
    for path in sorted(store.glob(f"*/{suite}/*/{side.regime}-*/{RESULT_FILE}")):
        result = read_unit(path.parent)
        if result is not None and result.key.model_id == model_id and \
                result.key.model_content.startswith(content) and result.key.regime == side.regime:
            found.setdefault(result.key.task, []).append((path.parent, result))
    contents = {r.key.model_content[:12] for units in found.values() for _, r in units}
    if len(contents) > 1:
        raise GfmbenchError(f"{side.model}: results of {len(contents)} different model contents in {store} "
                            f"({', '.join(sorted(contents))}); name one as {side.model}@<content>")
    return found


def _chosen(units: list[tuple[Path, UnitResult]]) -> list[tuple[Path, UnitResult]]:
    return preferred_group(units, lambda unit: unit_fields(unit[1]))


def _metric_inputs(task: Any, folder: Path, result: UnitResult) -> tuple[dict[str, int], Any, list[Any], list[Any]]:
    from gfmbench.harness.scoring import prepared_metric

    try:
        rows = read_predictions(folder, result)
    except (OSError, ValueError) as exc:  # pyarrow's errors are both kinds
        raise GfmbenchError(f"{folder / result.predictions_file}: unreadable predictions ({exc}); rerun the unit "
                            "with --overwrite") from None
    metric, references, predictions = prepared_metric(task, task.primary_metric, rows)
    return {row["id"]: i for i, row in enumerate(rows)}, metric, references, predictions


def compare_task(task: Any, a: list[tuple[Path, UnitResult]], b: list[tuple[Path, UnitResult]],
                 n_resamples: int = 1000) -> TaskComparison:
    """Paired comparison of two models' chosen units on one task."""
    from gfmbench.metrics.significance import paired_comparison

    out = TaskComparison(task=task.config, metric=task.primary_metric, direction=task.direction)
    a, b = _chosen(a), _chosen(b)
    revisions = {r.key.dataset_revision for _, r in a} | {r.key.dataset_revision for _, r in b}
    if len(revisions) > 1:
        out.skipped = f"different dataset revisions ({', '.join(sorted(x[:12] for x in revisions))})"
        return out
    seeds_a, seeds_b = {r.key.seed: (f, r) for f, r in a}, {r.key.seed: (f, r) for f, r in b}
    shared = sorted(set(seeds_a) & set(seeds_b))
    if not shared:
        out.skipped = f"no shared seed (A: {sorted(seeds_a)}, B: {sorted(seeds_b)})"
        return out
    sides: list[list[tuple[list[Any], list[Any]]]] = [[], []]
    order: list[str] | None = None
    metric = None
    for seed in shared:
        for side, units in zip(sides, (seeds_a, seeds_b), strict=True):
            ids, metric, references, predictions = _metric_inputs(task, *units[seed])
            if order is None:
                order = sorted(ids)
            if sorted(ids) != order:
                out.skipped = "the two models' test predictions cover different examples"
                return out
            side.append(([references[ids[i]] for i in order], [predictions[ids[i]] for i in order]))
    assert metric is not None and order is not None
    result = paired_comparison(metric, sides[0], sides[1], n_resamples=n_resamples)
    mean = [sum(u[s][1].metrics["test"][task.primary_metric] for s in shared) / len(shared)
            for u in (seeds_a, seeds_b)]
    out.a_mean, out.b_mean = mean
    out.effect, out.interval, out.p_value = result.effect, result.interval, result.p_value
    out.seeds, out.examples = shared, result.n_examples
    return out


def compare(store: Path, suite_name: str, a: Side, b: Side, tasks: list[str] | None = None,
            n_resamples: int = 1000) -> tuple[list[TaskComparison], dict[str, Any] | None]:
    """Every task of the suite that either side ran (or `tasks`); and the Wilcoxon test over the compared tasks'
    means (None with fewer than 2 compared tasks)."""
    from gfmbench.metrics.significance import wilcoxon_holm
    from gfmbench.suites.registry import get_suite, get_task

    suite = get_suite(suite_name)
    units_a, units_b = _units(store, suite.name, a), _units(store, suite.name, b)
    if not units_a or not units_b:
        missing = [s.model for s, u in ((a, units_a), (b, units_b)) if not u]
        raise GfmbenchError(f"no {suite.name} results of {', '.join(missing)} in {store}")
    wanted = [get_task(t, suite.name)[1] for t in tasks] if tasks else \
        [t for t in suite.tasks if t.config in units_a or t.config in units_b]
    rows = []
    for task in wanted:
        if task.config not in units_a or task.config not in units_b:
            rows.append(TaskComparison(task=task.config, metric=task.primary_metric, direction=task.direction,
                                       skipped=f"only {'A' if task.config in units_a else 'B'} ran it"
                                       if task.config in units_a or task.config in units_b else "neither ran it"))
            continue
        rows.append(compare_task(task, units_a[task.config], units_b[task.config], n_resamples))
    compared = [r for r in rows if not r.skipped]
    across = None
    if len(compared) >= 2:
        scores = {r.task: {"A": r.a_mean, "B": r.b_mean} for r in compared}
        across = wilcoxon_holm(scores, {r.task: r.direction == "higher" for r in compared})[0]  # type: ignore[arg-type]
    return rows, across
