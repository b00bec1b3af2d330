"""Load the suite files shipped in this package and look tasks up by config name or upstream alias."""

from __future__ import annotations

import functools
from importlib import resources

from gfmbench.errors import ConfigError, UnknownNameError
from gfmbench.specfile import load_spec
from gfmbench.suites.schema import SuiteSpec, TaskSpec


def load_suite_file(text: str, origin: str) -> SuiteSpec:
    """Parse and validate one suite YAML document; errors name the file and the offending field."""
    return load_spec(text, origin, SuiteSpec, "suite file")


@functools.cache
def _suites() -> dict[str, SuiteSpec]:
    suites: dict[str, SuiteSpec] = {}
    for entry in sorted(resources.files("gfmbench.suites").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            suite = load_suite_file(entry.read_text(encoding="utf-8"), f"suites/{entry.name}")
            if suite.name in suites:
                raise ConfigError(f"suites/{entry.name}: suite {suite.name!r} is defined twice")
            suites[suite.name] = suite
    return suites


def suite_names() -> list[str]:
    return sorted(_suites())


def get_suite(name: str) -> SuiteSpec:
    suites = _suites()
    key = name.lower()
    if key not in suites:
        raise UnknownNameError("suite", name, suites)
    return suites[key]


def all_tasks(suite: str | None = None) -> list[tuple[SuiteSpec, TaskSpec]]:
    suites = [get_suite(suite)] if suite else [_suites()[n] for n in suite_names()]
    return [(s, t) for s in suites for t in s.tasks]


def get_task(name: str, suite: str | None = None) -> tuple[SuiteSpec, TaskSpec]:
    """Find a task by config name (`SSP_Archive2`), upstream name (`RNA-SSP-Archive2`) or `suite/config`."""
    if suite is None and "/" in name:
        suite, name = name.split("/", 1)
    suites = [get_suite(suite)] if suite else [_suites()[n] for n in suite_names()]
    for spec in suites:
        task = spec.find_task(name)
        if task is not None:
            return spec, task
    raise UnknownNameError("task", name, [n for spec in suites for t in spec.tasks for n in t.names])
