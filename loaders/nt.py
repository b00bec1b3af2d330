"""The Nucleotide Transformer downstream tasks, revised (Dalla-Torre et al., Nature Methods 2024), as the Hub dataset
`InstaDeepAI/nucleotide_transformer_downstream_tasks_revised` lays them out: one folder per task holding
`train.parquet` and `test.parquet`, columns `sequence`, `name`, `label` (integer class) and, in later revisions,
`task` (the folder's name). The FASTA files beside them (`train.fna`, `test.fna`) hold the same records.

Parquet is read in record batches with pyarrow, so memory stays bounded; sequences and labels are checked per batch
with the vectorised checks of the CSV reader, and an error names the file, the row (1-based, in file order) and the
column (`file:row`, rows counted from 1 in file order).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from datasets import Features

from gfmbench.errors import DataFormatError
from gfmbench.loaders.csvtable import class_ids, normalise
from gfmbench.loaders.records import allowed_symbols
from gfmbench.loaders.sources import FolderPerTask
from gfmbench.suites.schema import SuiteSpec, TaskSpec

REQUIRED = ("sequence", "label")
BATCH_ROWS = 10_000


@dataclass(frozen=True)
class ParquetSource(FolderPerTask):
    @property
    def format_names(self) -> frozenset[str]:
        return frozenset({"nt_parquet"})

    def extra_columns(self, task: TaskSpec) -> dict[str, Any]:
        from datasets import Value

        return {"name": Value("string")}

    def read(self, files: list[Path], suite: SuiteSpec, task: TaskSpec, split: str,
             features: Features) -> Iterator[pa.Table]:
        for path in files:
            yield from read_task_parquet(path, task)


def read_task_parquet(path: Path, task: TaskSpec) -> Iterator[pa.Table]:
    """Validated tables with `sequence` (upper case), `label` (class id) and `name` columns."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataFormatError(f"not a Parquet file ({exc})", file=path) from None
    columns = parquet.schema_arrow.names
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise DataFormatError(f"missing column(s) {missing} (the file has {columns})", file=path, field=missing[0])
    names = list(task.labels or [])
    allowed = "".join(sorted(allowed_symbols(task))).encode()
    wanted = [c for c in ("sequence", "label", "name", "task") if c in columns]
    row = 1
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
        table = pa.Table.from_batches([batch])

        def fail(index: int, field: str, why: str, first: int = row) -> DataFormatError:
            return DataFormatError(f"row {first + index}: {why}", file=path, line=first + index, field=field)

        sequences = table.column("sequence").combine_chunks()
        if not pa.types.is_string(sequences.type) and not pa.types.is_large_string(sequences.type):
            raise fail(0, "sequence", f"expected strings, got {sequences.type}")
        sequences, bad = normalise(sequences.cast(pa.string()), allowed)
        if bad is not None:
            value = sequences[bad].as_py() or ""
            pos = next((k for k, ch in enumerate(value) if ch.encode() not in allowed), None)
            raise fail(bad, "sequence", f"invalid nucleotide {value[pos]!r} at position {pos + 1} for a "
                                        f"{task.alphabet} task (allowed: {allowed.decode()})" if pos is not None
                       else "empty or missing sequence")
        raw_labels = table.column("label")
        ids = class_ids(pc.cast(raw_labels, pa.string()), names)
        if pc.any(pc.is_null(ids)).as_py():
            i = pc.index(pc.is_null(ids), True).as_py()
            raise fail(i, "label", f"label {raw_labels[i].as_py()!r} is not one of {names}")
        if "task" in table.column_names:
            other = pc.not_equal(table.column("task"), pa.scalar(task.upstream_names[0]))
            if pc.any(pc.fill_null(other, True)).as_py():
                i = pc.index(pc.fill_null(other, True), True).as_py()
                raise fail(i, "task", f"row of task {table.column('task')[i].as_py()!r} in the file of "
                                      f"{task.upstream_names[0]!r}")
        record_names = table.column("name").cast(pa.string()) if "name" in table.column_names else \
            pa.nulls(table.num_rows, pa.string())
        row += table.num_rows
        yield pa.table({"sequence": sequences, "label": ids.cast(pa.int64()), "name": record_names})


SOURCE = ParquetSource()
