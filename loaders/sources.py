"""How a suite's raw release is laid out and read: one `Source` per suite module (`SOURCE`).

A source finds a task's raw files per split and reads them into chunks of canonical rows (Arrow tables without
the `id` column, which the builder assigns). Reading in chunks keeps memory bounded for suites with millions of
sequences; validation errors always name the file, the line and the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
from datasets import Features

from gfmbench.loaders.parquet import rows_to_table
from gfmbench.loaders.records import RecordFormat, iter_json_lines
from gfmbench.suites.schema import SuiteSpec, TaskSpec

CHUNK_ROWS = 10_000


class Source(Protocol):
    def task_dir(self, raw: Path, suite: SuiteSpec, task: TaskSpec) -> Path | None:
        """The task's folder in the raw release, or None when the release lacks the task."""

    def split_files(self, task_dir: Path, suite: SuiteSpec, task: TaskSpec, split: str) -> list[Path]:
        """The raw files of one split (checksummed before reading); empty when the split is missing."""

    def extra_columns(self, task: TaskSpec) -> dict[str, Any]:
        """Upstream extras kept as columns, with their `datasets` features."""

    def read(self, files: list[Path], suite: SuiteSpec, task: TaskSpec, split: str,
             features: Features) -> Iterator[pa.Table]:
        """Validated canonical rows in chunks."""


CHUNK_CHARS = 32 * 2**20


def chunked(rows: Iterator[dict[str, Any]], features: Features, size: int = CHUNK_ROWS,
            max_chars: int = CHUNK_CHARS) -> Iterator[pa.Table]:
    """Group rows into tables of at most `size` rows or about `max_chars` nucleotides (long sequences)."""
    batch: list[dict[str, Any]] = []
    chars = 0
    for row in rows:
        batch.append(row)
        chars += len(row["sequence"])
        if len(batch) >= size or chars >= max_chars:
            yield rows_to_table(batch, features)
            batch, chars = [], 0
    if batch:
        yield rows_to_table(batch, features)


def first_existing_dir(raw: Path, names: list[str]) -> Path | None:
    return next((raw / name for name in names if (raw / name).is_dir()), None)


class FolderPerTask:
    """Layout of one folder per task (named by an upstream name) holding one file per split, named by
    `upstream.split_files` (RGB, GUE)."""

    def task_dir(self, raw: Path, suite: SuiteSpec, task: TaskSpec) -> Path | None:
        return first_existing_dir(raw, task.upstream_names)

    def split_files(self, task_dir: Path, suite: SuiteSpec, task: TaskSpec, split: str) -> list[Path]:
        path = task_dir / suite.upstream.split_files[split]
        return [path] if path.is_file() else []


@dataclass(frozen=True)
class JsonLinesSource(FolderPerTask):
    """JSON Lines records, converted by the task's record format (RGB)."""

    formats: dict[str, RecordFormat]

    def extra_columns(self, task: TaskSpec) -> dict[str, Any]:
        return self.formats[task.format].extra_columns()

    def read(self, files: list[Path], suite: SuiteSpec, task: TaskSpec, split: str,
             features: Features) -> Iterator[pa.Table]:
        convert = self.formats[task.format].convert
        for path in files:
            yield from chunked((convert(record, ctx, task) for ctx, record in iter_json_lines(path)), features)
