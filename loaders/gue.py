"""GUE (DNABERT-2's Genome Understanding Evaluation): `GUE/<group>/<task>/{train,dev,test}.csv`, header
`sequence,label`, integer labels; `dev` is the validation split. All GUE configs use the `sequence_label_csv` format."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from datasets import Features

from gfmbench.loaders.csvtable import read_sequence_label_csv
from gfmbench.loaders.sources import FolderPerTask
from gfmbench.suites.schema import SuiteSpec, TaskSpec


@dataclass(frozen=True)
class CsvSource(FolderPerTask):
    @property
    def format_names(self) -> frozenset[str]:
        return frozenset({"sequence_label_csv"})

    def extra_columns(self, task: TaskSpec) -> dict[str, Any]:
        return {}

    def read(self, files: list[Path], suite: SuiteSpec, task: TaskSpec, split: str,
             features: Features) -> Iterator[pa.Table]:
        for path in files:
            yield from read_sequence_label_csv(path, task)


SOURCE = CsvSource()
