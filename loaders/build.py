"""Build a suite's dataset repo: raw release -> validated rows -> Parquet shards + card + eval.yaml -> one commit
and a release tag.

Everything is written to a staging folder first and published as a single commit at the end, so a bad row, a
checksum mismatch or a kill leaves the hub repo exactly as it was.
"""

from __future__ import annotations

import importlib
import json
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gfmbench._version import __version__
from gfmbench.errors import ConfigError, DataFormatError, MissingDataError
from gfmbench.hub.publish import PublishBackend, PublishResult, publish, select_backend
from gfmbench.loaders.raw import ChecksumManifest, Verification, check_file, resolve_raw_dir
from gfmbench.loaders.records import RecordFormat, iter_json_lines
from gfmbench.suites.registry import get_suite
from gfmbench.suites.schema import SuiteSpec, TaskSpec

log = logging.getLogger(__name__)

BUILD_MANIFEST = "gfmbench_build.json"


@dataclass
class BuildReport:
    suite: str
    repo_id: str
    publish: PublishResult | None = None
    built: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    missing_splits: dict[str, list[str]] = field(default_factory=dict)


def select_tasks(suite: SuiteSpec, configs: Sequence[str] | None) -> list[TaskSpec]:
    """Tasks named by config or upstream alias, in suite order; unknown names fail with a suggestion."""
    if not configs:
        return list(suite.tasks)
    wanted = set()
    for name in configs:
        match = next((t for t in suite.tasks if name == t.config or name in t.upstream_names), None)
        if match is None:
            suite.task(name)  # raises UnknownNameError with the closest names
        wanted.add(match.config)
    return [t for t in suite.tasks if t.config in wanted]


def record_formats(suite: SuiteSpec) -> dict[str, RecordFormat]:
    try:
        module = importlib.import_module(f"gfmbench.loaders.{suite.name}")
    except ModuleNotFoundError as exc:
        raise ConfigError(f"no builder module gfmbench.loaders.{suite.name} for suite {suite.name!r}") from exc
    return module.FORMATS


def _task_dir(raw: Path, task: TaskSpec) -> Path | None:
    return next((raw / name for name in task.upstream_names if (raw / name).is_dir()), None)


def convert_file(path: Path, task: TaskSpec, fmt: RecordFormat, split: str, progress: bool = True) -> list[dict[str, Any]]:
    from tqdm.auto import tqdm

    rows = []
    for ctx, record in tqdm(iter_json_lines(path), desc=f"{task.config}/{split}", unit=" rows", disable=not progress,
                            leave=False):
        row = fmt.convert(record, ctx, task)
        row["id"] = f"{split}-{ctx.index:06d}"
        rows.append(row)
    return rows


def _split_stats(rows: list[dict[str, Any]], files: list[str]) -> dict[str, Any]:
    lengths = [len(r["sequence"]) for r in rows]
    return {
        "rows": len(rows),
        "min_length": min(lengths),
        "max_length": max(lengths),
        "mean_length": round(sum(lengths) / len(lengths), 3),
        "files": files,
    }


def build_suite(
    suite_name: str,
    *,
    raw_dir: str | Path | None = None,
    configs: Sequence[str] | None = None,
    backend: PublishBackend | None = None,
    verification: Verification = "all_checks",
    force_tag: bool = False,
    progress: bool = True,
) -> BuildReport:
    """Build (or rebuild) `suite_name` into its dataset repo and tag it `v<version>`.

    Configs not selected, or absent from this raw release, keep what the repo already had.
    """
    from datasets import Features
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    from gfmbench.loaders.card import render_card, render_eval_yaml
    from gfmbench.loaders.parquet import task_features, write_shards

    suite = get_suite(suite_name)
    tasks = select_tasks(suite, configs)
    explicit = bool(configs)
    raw = resolve_raw_dir(suite, raw_dir, verification)
    formats = record_formats(suite)
    checksums = ChecksumManifest.for_suite(suite)
    backend = backend if backend is not None else select_backend()
    report = BuildReport(suite=suite.name, repo_id=suite.dataset_repo)
    built: dict[str, dict[str, Any]] = {}

    with tempfile.TemporaryDirectory(prefix="gfmbench-build-") as tmp:
        staging = Path(tmp)
        for task in tasks:
            if task.format not in formats:
                raise ConfigError(f"{task.config}: unknown record format {task.format!r} for suite {suite.name}")
            task_dir = _task_dir(raw, task)
            if task_dir is None:
                reason = f"raw release {raw} has no folder {' or '.join(task.upstream_names)}"
                if explicit:
                    raise MissingDataError(f"{task.config}: {reason}")
                log.info("skipping %s: %s", task.config, reason)
                report.skipped[task.config] = reason
                continue
            fmt = formats[task.format]
            features = task_features(task, fmt.extra_columns())
            entry: dict[str, Any] = {"splits": {}, "missing_splits": [], "upstream_files": {}}
            for split in task.splits:
                name = suite.upstream.split_files[split]
                path = task_dir / name
                if not path.is_file():
                    log.info("%s: split %r missing (%s not found); skipped, not faked", task.config, split, path)
                    entry["missing_splits"].append(split)
                    continue
                raw_file = check_file(path, f"{task_dir.name}/{name}", checksums, verification)
                entry["upstream_files"][raw_file.relpath] = {"sha256": raw_file.sha256, "verified": raw_file.verified}
                rows = convert_file(path, task, fmt, split, progress)
                if not rows:
                    raise DataFormatError(f"empty split {split!r}: the file has no records", file=path)
                shards = write_shards(rows, Features(features), staging / "data" / task.config, split)
                entry["splits"][split] = _split_stats(rows, [f"data/{task.config}/{p.name}" for p in shards])
            if not entry["splits"]:
                reason = f"no split file ({', '.join(suite.upstream.split_files[s] for s in task.splits)}) in {task_dir}"
                if explicit:
                    raise MissingDataError(f"{task.config}: {reason}")
                log.info("skipping %s: %s", task.config, reason)
                report.skipped[task.config] = reason
                continue
            built[task.config] = entry
            report.built[task.config] = {s: v["rows"] for s, v in entry["splits"].items()}
            if entry["missing_splits"]:
                report.missing_splits[task.config] = entry["missing_splits"]
        if not built:
            raise MissingDataError(f"nothing to build for {suite.name}: no task of the suite was found in {raw}")

        previous_files = set(backend.list_files(suite.dataset_repo))
        previous_raw = backend.read_file(suite.dataset_repo, BUILD_MANIFEST) if previous_files else None
        previous = json.loads(previous_raw) if previous_raw else {"configs": {}}
        known = {t.config for t in suite.tasks}
        merged = {**{c: e for c, e in previous["configs"].items() if c in known}, **built}
        manifest = {
            "suite": suite.name,
            "version": suite.version,
            "builder_version": __version__,
            "verification": verification,
            "configs": {t.config: merged[t.config] for t in suite.tasks if t.config in merged},
        }
        (staging / "README.md").write_text(render_card(suite, manifest), encoding="utf-8")
        (staging / "eval.yaml").write_text(render_eval_yaml(suite, manifest), encoding="utf-8")
        (staging / BUILD_MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")

        operations: list[Any] = [
            CommitOperationDelete(f"data/{config}/", is_folder=True)
            for config in built
            if any(p.startswith(f"data/{config}/") for p in previous_files)
        ]
        operations += [
            CommitOperationAdd(path_in_repo=p.relative_to(staging).as_posix(), path_or_fileobj=str(p))
            for p in sorted(staging.rglob("*"))
            if p.is_file()
        ]
        message = f"Build {suite.name} {suite.version} ({', '.join(built)}) with gfmbench {__version__}"
        report.publish = publish(backend, suite.dataset_repo, operations, message, tag=suite.tag, force_tag=force_tag)
    return report
