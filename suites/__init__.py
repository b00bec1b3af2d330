"""The task registry: every suite is one YAML file in this folder, validated by `schema.SuiteSpec`.

Tasks are data, not code: adding a task means adding a YAML entry (and, for a new upstream format, a reader in
`gfmbench.loaders`).
"""

from gfmbench.suites.registry import all_tasks, get_suite, get_task, suite_names

__all__ = ["all_tasks", "get_suite", "get_task", "suite_names"]
