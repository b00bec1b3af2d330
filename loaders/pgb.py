"""The Plant Genomic Benchmark (AgroNT, Mendoza-Revilla et al. 2024): FASTA files
`<task>/<species>_{train,validation,test}.fa` whose headers are `>name|label...`.

The label part is one value (binary class or regression value) or several (multi-label 0/1 vectors, multi-output
regression), separated by spaces or further `|`. Files are streamed record by record with Biopython, so memory does
not grow with the file; every value is checked, and an error names the file, the record and its header.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from datasets import Features

from gfmbench.errors import DataFormatError
from gfmbench.loaders.records import RecordContext
from gfmbench.loaders.sources import Source, chunked
from gfmbench.suites.schema import SuiteSpec, TaskSpec


def _values(path: Path, number: int, header: str) -> tuple[str, list[str]]:
    name, sep, labels = header.partition("|")
    values = labels.replace("|", " ").split()
    if not sep or not name.strip() or not values:
        raise DataFormatError(f"record {number}: header {header[:80]!r} is not '>name|label...'", file=path,
                              field="header")
    return name.strip(), values


def parse_label(path: Path, number: int, header: str, task: TaskSpec, width: list[int]) -> tuple[str, Any]:
    """(record name, label value for the dataset) from a PGB header; `width` pins the vector length per file."""
    name, values = _values(path, number, header)

    def fail(why: str) -> DataFormatError:
        return DataFormatError(f"record {number} ({header[:60]!r}): {why}", file=path, field="label")

    if task.type == "sequence_classification":
        if len(values) != 1 or values[0] not in (task.labels or []):
            raise fail(f"label {' '.join(values)!r} is not one of {task.labels}")
        return name, (task.labels or []).index(values[0])
    if task.type == "multilabel_classification":
        if any(v not in {"0", "1"} for v in values):
            raise fail(f"multi-label values must be 0/1, got {' '.join(values)!r}")
        vector: Any = [int(v) for v in values]
    else:
        try:
            vector = [float(v) for v in values]
        except ValueError:
            raise fail(f"label {' '.join(values)!r} is not a number") from None
        if not all(math.isfinite(v) for v in vector):
            raise fail("label is not finite")
    expected = len(task.labels or task.targets or []) or (width[0] if width else len(vector))
    if len(vector) != expected:
        raise fail(f"{len(vector)} label values, expected {expected}")
    if not width:
        width.append(len(vector))
    if task.type == "sequence_regression" and task.targets:
        return name, dict(zip(task.targets, vector, strict=True))
    return name, vector


@dataclass(frozen=True)
class FastaSource(Source):
    @property
    def format_names(self) -> frozenset[str]:
        return frozenset({"pgb_fasta"})

    def _parts(self, task: TaskSpec) -> tuple[str, str]:
        group, species = task.upstream_names[0].split("/", 1)
        return group, species

    def task_dir(self, raw: Path, suite: SuiteSpec, task: TaskSpec) -> Path | None:
        group, species = self._parts(task)
        folder = raw / group
        return folder if any(folder.glob(f"{species}_*.fa")) else None

    def split_files(self, task_dir: Path, suite: SuiteSpec, task: TaskSpec, split: str) -> list[Path]:
        _, species = self._parts(task)
        path = task_dir / f"{species}_{suite.upstream.split_files[split]}"
        return [path] if path.is_file() else []

    def extra_columns(self, task: TaskSpec) -> dict[str, Any]:
        from datasets import Value

        return {"name": Value("string")}

    def read(self, files: list[Path], suite: SuiteSpec, task: TaskSpec, split: str,
             features: Features) -> Iterator[pa.Table]:
        for path in files:
            yield from chunked(self._rows(path, task), features)

    def _rows(self, path: Path, task: TaskSpec) -> Iterator[dict[str, Any]]:
        from Bio.SeqIO.FastaIO import SimpleFastaParser

        width: list[int] = []
        number = 0
        with open(path, encoding="utf-8") as handle:
            try:
                first = handle.read(1)
                if first and first != ">":
                    raise DataFormatError("not a FASTA file (the first character is not '>')", file=path, line=1)
                handle.seek(0)
                for number, (header, sequence) in enumerate(SimpleFastaParser(handle), start=1):
                    yield self._row(path, task, number, header, sequence, width)
            except UnicodeDecodeError as exc:
                raise DataFormatError(f"not UTF-8 text ({exc.reason}) in or after record {number + 1}",
                                      file=path) from None

    def _row(self, path: Path, task: TaskSpec, number: int, header: str, sequence: str,
             width: list[int]) -> dict[str, Any]:
        name, label = parse_label(path, number, header, task, width)
        ctx = RecordContext(file=path, line=None, index=number - 1)  # type: ignore[arg-type]
        try:
            seq = ctx.sequence(sequence, task, "sequence")
        except DataFormatError as exc:
            raise DataFormatError(f"record {number} ({name}): {exc.reason}", file=path, field="sequence") from None
        row: dict[str, Any] = {"sequence": seq, "name": name}
        if isinstance(label, dict):
            row.update(label)
        else:
            row["label"] = label
        return row


SOURCE = FastaSource()
