"""How a suite's raw release is laid out and read: one `Source` per suite module (`SOURCE`).

A source finds a task's raw files per split and reads them into chunks of canonical rows (Arrow tables without
the `id` column, which the builder assigns). Reading in chunks keeps memory bounded for suites with millions of
sequences; validation errors always name the file, the line and the field.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from datasets import Features

from gfmbench.loaders.parquet import rows_to_table
from gfmbench.loaders.records import RecordFormat
from gfmbench.suites.schema import SuiteSpec, TaskSpec

CHUNK_ROWS = 10_000


class Source(ABC):
    """A suite's reader (the `SOURCE` of the module its suite file names as `builder`). A task's `format` must
    be one of `format_names`; the suite's schema checks that when the suite loads."""

    @property
    @abstractmethod
    def format_names(self) -> frozenset[str]:
        """The record formats this source reads."""

    @abstractmethod
    def task_dir(self, raw: Path, suite: SuiteSpec, task: TaskSpec) -> Path | None:
        """The task's folder in the raw release, or None when the release lacks the task."""

    @abstractmethod
    def split_files(self, task_dir: Path, suite: SuiteSpec, task: TaskSpec, split: str) -> list[Path]:
        """The raw files of one split (checksummed before reading); empty when the split is missing."""

    @abstractmethod
    def extra_columns(self, task: TaskSpec) -> dict[str, Any]:
        """Upstream extras kept as columns, with their `datasets` features."""

    @abstractmethod
    def read(self, files: list[Path], suite: SuiteSpec, task: TaskSpec, split: str,
             features: Features) -> Iterator[pa.Table]:
        """Validated canonical rows in chunks."""

    def unscored_reason(self, files: list[Path], task: TaskSpec, split: str) -> str | None:
        """Why these files cannot be a scored split (e.g. a test file without labels), or None."""
        return None


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


class FolderPerTask(Source, ABC):
    """Layout of one folder per task (named by an upstream name) holding one file per split, named by
    `upstream.split_files` (RGB, GUE)."""

    def task_dir(self, raw: Path, suite: SuiteSpec, task: TaskSpec) -> Path | None:
        return first_existing_dir(raw, task.upstream_names)

    def split_files(self, task_dir: Path, suite: SuiteSpec, task: TaskSpec, split: str) -> list[Path]:
        path = task_dir / suite.upstream.split_files[split]
        return [path] if path.is_file() else []


@dataclass(frozen=True)
class FormatsSource(Source, ABC):
    """A source that reads each task by its record format: the first file of a split is read, the others are its
    companions (read by the format from beside it)."""

    formats: Mapping[str, RecordFormat]

    @property
    def format_names(self) -> frozenset[str]:
        return frozenset(self.formats)

    def extra_columns(self, task: TaskSpec) -> dict[str, Any]:
        return self.formats[task.format].extra_columns(task)

    def unscored_reason(self, files: list[Path], task: TaskSpec, split: str) -> str | None:
        return self.formats[task.format].unscored(files[0], task)

    def chunk_rows(self, task: TaskSpec) -> int:
        return CHUNK_ROWS

    def read(self, files: list[Path], suite: SuiteSpec, task: TaskSpec, split: str,
             features: Features) -> Iterator[pa.Table]:
        rows = self.formats[task.format].rows(files[0], task, split)
        yield from chunked(rows, features, size=self.chunk_rows(task))


@dataclass(frozen=True)
class JsonLinesSource(FolderPerTask, FormatsSource):
    """JSON Lines records in one folder per task, converted by the task's record format (RGB)."""
