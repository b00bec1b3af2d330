"""Whether a result card can count: the one rule the harness applies before it publishes a card and the
leaderboard applies before it ranks one (so neither imports the other)."""

from __future__ import annotations

import math

from pydantic import ValidationError

from gfmbench.errors import UnknownNameError
from gfmbench.harness.results import UnitResult
from gfmbench.metrics.catalog import CATALOG
from gfmbench.suites.registry import get_task


def validate_card(source: str, raw: bytes | str) -> tuple[UnitResult | None, str | None, UnitResult | None]:
    """(UnitResult, None, result) for a valid card; (None, reason, parsed result or None) otherwise."""
    try:
        result = UnitResult.model_validate_json(raw)
    except (ValidationError, ValueError) as exc:
        first = str(exc).splitlines()
        return None, f"invalid result card: {first[1] if len(first) > 1 else first[0]}", None
    try:
        suite, task = get_task(result.key.task, result.key.suite)
    except UnknownNameError as exc:
        return None, f"unknown task: {exc}", result
    if result.primary_metric != task.primary_metric or result.direction != task.direction:
        return None, (f"primary metric {result.primary_metric} ({result.direction}) does not match the registry's "
                      f"{task.primary_metric} ({task.direction})"), result
    test = result.metrics.get("test", {})
    if task.primary_metric not in test:
        return None, f"no test value for the primary metric {task.primary_metric}", result
    for name, value in test.items():
        entry = CATALOG.get(name)
        if entry is None:
            continue
        low, high = entry.bounds
        if not (isinstance(value, float) and (math.isnan(value) or low <= value <= high)):
            return None, f"impossible value {name} = {value} (must lie in [{low}, {high}])", result
    if math.isnan(test[task.primary_metric]):
        return None, f"the primary metric {task.primary_metric} is undefined (NaN)", result
    return result, None, result
