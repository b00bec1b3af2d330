"""Writing canonical rows as Parquet shards whose bytes depend only on the rows, streaming: a split of any size is
written chunk by chunk, so memory stays bounded by one chunk.

The `datasets.Features` of a config go into the Arrow schema metadata, so plain `load_dataset` restores
ClassLabel names without any loading script.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from datasets import ClassLabel, Features, List, Value

from gfmbench.suites.schema import TaskSpec

ROWS_PER_SHARD = 100_000
ROW_GROUP_ROWS = 50_000
ROW_GROUP_BYTES = 64 * 2**20  # long sequences (tens of kb) get fewer rows per row group
SHARD_BYTES = 256 * 2**20  # a shard also ends at this much data, which bounds memory for long sequences


def task_features(task: TaskSpec, extra: dict[str, Any]) -> Features:
    """Canonical columns: `id`, `sequence`, the label column(s), then the format's upstream extras."""
    columns: dict[str, Any] = {"id": Value("string"), "sequence": Value("string")}
    if task.type == "multilabel_classification":
        columns["label"] = List(Value("int8"))  # multi-hot, one 0/1 per label
    elif task.type == "pair_classification":
        columns["label"] = List(List(Value("int32")))  # positive pairs [i, j], i < j (gfmbench.pairmaps)
    elif task.labels:
        label = ClassLabel(names=list(task.labels))
        columns["label"] = List(label) if task.type == "token_classification" else label
    elif task.targets:
        value = Value("float32")
        for target in task.targets:
            # token tasks: one value per nucleotide; pair tasks: the upper triangle (gfmbench.pairmaps)
            columns[target] = List(value) if task.is_token_level or task.is_pair_level else value
    else:  # regression whose number of outputs comes from the data: one vector per example
        columns["label"] = List(Value("float32"))
    columns.update(extra)
    return Features(columns)


def rows_to_table(rows: Sequence[dict[str, Any]], features: Features) -> pa.Table:
    """Row dicts (with or without `id`) -> an Arrow table of the config's schema (id left empty when missing)."""
    schema = features.arrow_schema
    return pa.Table.from_pylist(list(rows), schema=schema)


class ShardWriter:
    """Streams tables into `<split>-NNNNN-of-NNNNN.parquet` shards of at most `rows_per_shard` rows (or about
    `SHARD_BYTES` of data), each written whole by a background thread while the next one is read.

    At most `IN_FLIGHT` shards are held in memory, so memory does not grow with the split. Shards are written under
    temporary names and renamed when the split is complete (the total count is only known then); nothing partial
    is ever left under a final name. A shard's bytes depend only on its rows.
    """

    IN_FLIGHT = 2

    def __init__(self, folder: Path, split: str, features: Features, rows_per_shard: int = ROWS_PER_SHARD) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.folder, self.split, self.rows_per_shard = folder, split, rows_per_shard
        self.schema = features.arrow_schema
        # Dictionary encoding pays off for labels and small categorical columns, not for unique strings.
        self._dictionary = [f.name for f in self.schema if not pa.types.is_string(f.type) and
                            not pa.types.is_large_string(f.type)]
        self.folder.mkdir(parents=True, exist_ok=True)
        self._partials: list[Path] = []
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._pending_bytes = 0
        self._pool = ThreadPoolExecutor(max_workers=self.IN_FLIGHT, thread_name_prefix="gfmbench-shard")
        self._futures: list[Any] = []
        self.rows = 0
        self.min_length: int | None = None
        self.max_length = 0
        self.total_length = 0

    def _flush(self) -> None:
        if not self._pending:
            return
        table = pa.concat_tables(self._pending)
        self._pending, self._pending_rows, self._pending_bytes = [], 0, 0
        path = self.folder / f".{self.split}-{len(self._partials):05d}.partial"
        self._partials.append(path)
        mean_bytes = max(1, table.nbytes // max(1, table.num_rows))
        group_rows = max(1, min(ROW_GROUP_ROWS, ROW_GROUP_BYTES // mean_bytes))
        while len(self._futures) >= self.IN_FLIGHT:
            self._futures.pop(0).result()
        self._futures.append(self._pool.submit(
            pq.write_table, table, path, compression="zstd", row_group_size=group_rows,
            use_dictionary=self._dictionary, write_statistics=True))

    def write(self, table: pa.Table) -> None:
        table = table.select(self.schema.names).cast(self.schema)
        if table.num_rows == 0:
            return
        lengths = pc.utf8_length(table.column("sequence"))
        low, high = pc.min(lengths).as_py(), pc.max(lengths).as_py()
        self.min_length = low if self.min_length is None else min(self.min_length, low)
        self.max_length = max(self.max_length, high)
        self.total_length += pc.sum(lengths).as_py()
        self.rows += table.num_rows
        offset = 0
        while offset < table.num_rows:
            take = min(self.rows_per_shard - self._pending_rows, table.num_rows - offset)
            piece = table.slice(offset, take)
            self._pending.append(piece)
            self._pending_rows += take
            self._pending_bytes += piece.nbytes
            offset += take
            if self._pending_rows >= self.rows_per_shard or self._pending_bytes >= SHARD_BYTES:
                self._flush()

    def close(self) -> list[Path]:
        self._flush()
        try:
            for future in self._futures:
                future.result()
        finally:
            self._futures = []
            self._pool.shutdown()
        final = []
        for i, partial in enumerate(self._partials):
            with open(partial, "rb") as handle:
                os.fsync(handle.fileno())
            path = self.folder / f"{self.split}-{i:05d}-of-{len(self._partials):05d}.parquet"
            os.replace(partial, path)
            final.append(path)
        return final

    def abort(self) -> None:
        for future in self._futures:
            future.cancel()
        self._pool.shutdown(wait=True)
        self._futures, self._pending = [], []
        for partial in self._partials:
            partial.unlink(missing_ok=True)

    @property
    def mean_length(self) -> float:
        return self.total_length / self.rows if self.rows else 0.0
