"""Build a suite's dataset repo: raw release -> validated rows -> Parquet shards + card + eval.yaml -> one commit
and a release tag.

Everything is written to a staging folder first and published as a single commit at the end, so a bad row, a
checksum mismatch or a kill leaves the hub repo exactly as it was.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gfmbench._version import __version__
from gfmbench.errors import DataFormatError, MissingDataError
from gfmbench.hub.publish import PublishBackend, PublishResult, publish, select_backend
from gfmbench.loaders.manifest import BUILD_MANIFEST, BuildManifest, ConfigBuild, SplitBuild, UpstreamFile
from gfmbench.loaders.raw import ChecksumManifest, Verification, check_file, resolve_raw_release
from gfmbench.suites.registry import get_suite
from gfmbench.suites.schema import SuiteSpec, TaskSpec

log = logging.getLogger(__name__)

@dataclass
class BuildReport:
    suite: str
    repo_id: str
    publish: PublishResult | None = None
    built: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    missing_splits: dict[str, list[str]] = field(default_factory=dict)


def select_tasks(suite: SuiteSpec, configs: Sequence[str] | None,
                 exclude: Sequence[str] | None = None) -> list[TaskSpec]:
    """Tasks named by config or upstream alias, in suite order; unknown names fail with a suggestion."""

    wanted = {suite.task(n).config for n in configs} if configs else {t.config for t in suite.tasks}
    wanted -= {suite.task(n).config for n in exclude or []}
    return [t for t in suite.tasks if t.config in wanted]


MAX_LISTED_FILES = 20


def record_files(listing: dict[str, UpstreamFile], files: list[Path], raw: Path, checksums: ChecksumManifest,
                 verification: Verification) -> None:
    """Checksum a split's raw files into the manifest; thousands of one-sequence files (GB archives) are recorded
    as one digest over their (path, sha256) pairs so the card stays readable."""
    import hashlib

    infos = [check_file(p, p.relative_to(raw).as_posix(), checksums, verification) for p in files]
    if len(infos) <= MAX_LISTED_FILES:
        listing.update({i.relpath: UpstreamFile(sha256=i.sha256, verified=i.verified, check=i.check) for i in infos})
        return
    digest = hashlib.sha256("".join(f"{i.relpath}\0{i.sha256}\n" for i in infos).encode()).hexdigest()
    folder = Path(infos[0].relpath).parent.parent.as_posix()
    listing[f"{folder}/ ({len(infos)} files; sha256 over path and sha256 of each)"] = UpstreamFile(
        sha256=digest, verified=all(i.verified for i in infos))


def _with_ids(tables: Iterator[Any], split: str) -> Iterator[Any]:
    """Stable ids: `<upstream split>-<index of the record in that split>`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    index = 0
    for table in tables:
        numbers = pc.cast(pa.array(np.arange(index, index + table.num_rows)), pa.string())
        ids = pc.binary_join_element_wise(f"{split}-", pc.utf8_lpad(numbers, width=6, padding="0"), "")
        index += table.num_rows
        yield table.set_column(table.schema.get_field_index("id"), "id", ids) if "id" in table.schema.names \
            else table.append_column("id", ids)


def _carve(tables: Iterator[Any], fraction: float, seed: int) -> tuple[Any, Any]:
    """Split train deterministically (seeded permutation) into train and validation tables."""
    import numpy as np
    import pyarrow as pa

    full = pa.concat_tables(list(tables))
    order = np.random.default_rng(seed).permutation(full.num_rows)
    n_valid = max(1, round(full.num_rows * fraction)) if full.num_rows > 1 else 0
    valid_idx, train_idx = np.sort(order[:n_valid]), np.sort(order[n_valid:])
    return full.take(pa.array(train_idx)), full.take(pa.array(valid_idx))


def build_suite(
    suite_name: str,
    *,
    raw_dir: str | Path | None = None,
    configs: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    backend: PublishBackend | None = None,
    verification: Verification = "all_checks",
    force_tag: bool = False,
    progress: bool = True,
    download_source: str | None = None,
) -> BuildReport:
    """Build (or rebuild) `suite_name` into its dataset repo and tag it `v<version>`.

    Configs not selected, or absent from this raw release, keep what the repo already had. Without a raw folder
    the release comes from the suite's default download source, or `download_source` (a name it declares).
    """
    from datasets import Features
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete
    from tqdm.auto import tqdm

    from gfmbench.loaders.card import render_card, render_eval_yaml
    from gfmbench.loaders.parquet import ShardWriter, task_features

    suite = get_suite(suite_name)
    tasks = select_tasks(suite, configs, exclude)
    explicit = bool(configs)
    release = resolve_raw_release(suite, raw_dir, verification, source=download_source, tasks=tasks)
    raw = release.path
    source = suite.source()
    checksums = ChecksumManifest.for_suite(suite)
    backend = backend if backend is not None else select_backend()
    report = BuildReport(suite=suite.name, repo_id=suite.dataset_repo)
    built: dict[str, ConfigBuild] = {}

    from concurrent.futures import ThreadPoolExecutor

    def skip(task: TaskSpec, reason: str) -> None:
        """A task absent from the raw release: an error when asked for by name, else reported and skipped."""
        if explicit:
            raise MissingDataError(f"{task.config}: {reason}")
        log.info("skipping %s: %s", task.config, reason)
        report.skipped[task.config] = reason

    checks: list[Any] = []  # raw-file checksums run in a thread while the rows are converted (hashlib frees the GIL)
    with tempfile.TemporaryDirectory(prefix="gfmbench-build-") as tmp, ThreadPoolExecutor(1) as hasher:
        staging = Path(tmp)
        try:
            tasks_iter = tqdm(tasks, desc=f"build {suite.name}", unit=" config", disable=not progress)
            for task in tasks_iter:
                task_dir = source.task_dir(raw, suite, task)
                if task_dir is None:
                    skip(task, f"raw release {raw} has no folder {' or '.join(task.upstream_names)}")
                    continue
                features = Features(task_features(task, source.extra_columns(task)))
                entry = ConfigBuild()
                inputs = {}
                for split in task.splits:
                    files = source.split_files(task_dir, suite, task, split)
                    if not files:
                        entry.missing_splits.append(split)
                        continue
                    checks.append(hasher.submit(record_files, entry.upstream_files, files, raw, checksums,
                                                verification))
                    unscored = source.unscored_reason(files, task, split)
                    if unscored:  # e.g. a test file without labels: recorded, never built as a scored split
                        log.warning("%s: split %s not built: %s", task.config, split, unscored)
                        entry.missing_splits.append(split)
                        entry.unscored_splits = {**(entry.unscored_splits or {}), split: unscored}
                        continue
                    inputs[split] = files
                carve = task.carve_validation or suite.upstream.carve_validation
                carved = carve if carve is not None and "validation" in entry.missing_splits and "train" in inputs \
                    else None
                if carved is not None:
                    entry.missing_splits.remove("validation")
                    entry.validation = (f"carved from train: {carved.fraction:.0%} of the records, seeded "
                                           f"permutation (numpy default_rng({carved.seed}))")
                for split, files in inputs.items():
                    tables = _with_ids(source.read(files, suite, task, split, features), split)
                    outputs = {split: tables}
                    if carved is not None and split == "train":
                        train, valid = _carve(tables, carved.fraction, carved.seed)
                        outputs = {"train": iter([train]), "validation": iter([valid])}
                    for name, chunks in outputs.items():
                        writer = ShardWriter(staging / "data" / task.config, name, features)
                        try:
                            for chunk in chunks:
                                writer.write(chunk)
                        except BaseException:
                            writer.abort()
                            raise
                        if writer.rows == 0:
                            writer.abort()
                            raise DataFormatError(f"empty split {name!r}: the file has no records", file=files[0])
                        shards = writer.close()
                        entry.splits[name] = SplitBuild(
                            rows=writer.rows, min_length=writer.min_length, max_length=writer.max_length,
                            mean_length=round(writer.mean_length, 3),
                            files=[f"data/{task.config}/{p.name}" for p in shards],
                        )
                entry.splits = {s: entry.splits[s] for s in task.splits if s in entry.splits}
                if not entry.splits:
                    skip(task, f"no split file of {task.config} in {task_dir}")
                    continue
                built[task.config] = entry
                report.built[task.config] = {s: v.rows for s, v in entry.splits.items()}
                if entry.missing_splits:
                    log.info("%s: splits missing from the raw release, skipped (not faked): %s", task.config,
                             ", ".join(entry.missing_splits))
                    report.missing_splits[task.config] = entry.missing_splits
        except DataFormatError:
            for check in checks:  # a wrong raw file explains bad rows better than the rows do
                check.result()
            raise
        for check in checks:
            check.result()  # a checksum mismatch stops the build here, before anything is published
        if not built:
            raise MissingDataError(f"nothing to build for {suite.name}: no task of the suite was found in {raw}")

        previous_files = set(backend.list_files(suite.dataset_repo))
        previous_raw = backend.read_file(suite.dataset_repo, BUILD_MANIFEST) if previous_files else None
        previous = BuildManifest.from_json(previous_raw, f"{suite.dataset_repo}/{BUILD_MANIFEST}").configs \
            if previous_raw else {}
        known = {t.config for t in suite.tasks}
        merged = {**{c: e for c, e in previous.items() if c in known}, **built}
        manifest = BuildManifest(suite=suite.name, version=suite.version, builder_version=__version__,
                                 verification=verification, raw_origin=release.origin,
                                 configs={t.config: merged[t.config] for t in suite.tasks if t.config in merged})
        (staging / "README.md").write_text(render_card(suite, manifest), encoding="utf-8")
        (staging / "eval.yaml").write_text(render_eval_yaml(suite, manifest), encoding="utf-8")
        (staging / BUILD_MANIFEST).write_text(manifest.to_json(), encoding="utf-8")

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
