"""Writing canonical rows as Parquet shards whose bytes depend only on the rows.

The `datasets.Features` of a config go into the Arrow schema metadata, so plain `load_dataset` restores
ClassLabel names without any loading script.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import ClassLabel, Features, List, Value

from gfmbench.atomic import atomic_path
from gfmbench.suites.schema import TaskSpec

ROWS_PER_SHARD = 100_000
ROW_GROUP_SIZE = 10_000


def task_features(task: TaskSpec, extra: dict[str, Any]) -> Features:
    """Canonical columns: `id`, `sequence`, the label column(s), then the format's upstream extras."""
    columns: dict[str, Any] = {"id": Value("string"), "sequence": Value("string")}
    if task.labels:
        label = ClassLabel(names=list(task.labels))
        columns["label"] = List(label) if task.type in {"token_classification", "multilabel_classification"} else label
    else:
        value = Value("float32")
        for target in task.targets or []:
            columns[target] = List(value) if task.is_token_level else value
    columns.update(extra)
    return Features(columns)


def shard_names(split: str, rows: int, rows_per_shard: int = ROWS_PER_SHARD) -> list[str]:
    count = max(1, -(-rows // rows_per_shard))
    return [f"{split}-{i:05d}-of-{count:05d}.parquet" for i in range(count)]


def write_shards(
    rows: Sequence[dict[str, Any]],
    features: Features,
    folder: Path,
    split: str,
    rows_per_shard: int = ROWS_PER_SHARD,
) -> list[Path]:
    """Write `rows` as `<split>-NNNNN-of-NNNNN.parquet` shards in `folder`; returns the shard paths."""
    schema = features.arrow_schema
    paths = []
    for i, name in enumerate(shard_names(split, len(rows), rows_per_shard)):
        chunk = rows[i * rows_per_shard : (i + 1) * rows_per_shard]
        table = pa.Table.from_pylist(list(chunk), schema=schema)
        path = folder / name
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp, compression="zstd", row_group_size=ROW_GROUP_SIZE, write_statistics=True)
        paths.append(path)
    return paths
