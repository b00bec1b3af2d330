"""The upstream formats of BEACON (`downstream/<TaskId>/` of terry-r123/RNABenchmark's data release).

Formats (the task's `format`, options in its `format_options`):
* `bprna_maps` (SSP_bpRNA): `bpRNA/bpRNA.csv` with columns by name `data_name` (TR0/VL0/TS0 = the split, option
  `split_codes`), `file_name`, `seq` (and `dot_string`, `seq_len`, checked when present), plus one L x L 0/1 map per
  row in `bpRNA/<data_name>/<file_name>.npy` (a folder named after the split is accepted too).
* `id_input_maps` (contact_map, distance_map): CSV `id,input` plus `<map_folder>/<id>.npy`; `kind: binary` (0/1) or
  `dense` (floats in [0, 1], -1 = padding, not scored).
* `track_imputation` (structure_imputation): positional columns: sequence, observed track, true track (space-separated
  floats; -1 in the observed track marks a position to impute).
* `per_nucleotide_digits` (splice_site): sequence and a label string with one digit (class id) per nucleotide.
* `csv_columns` (the sequence-level tasks): `sequence` column, and `label` (class), `multilabel` (space-separated 0/1)
  or `values` (one column per regression target), optionally `pair` (a second sequence); columns by 1-based position
  or by header name.
* `openvaccine_json` (vaccine_degradation): pandas JSON (JSON Lines or one document) of Kaggle OpenVaccine records,
  converted as RGB's mRNA task. A file without target fields (Kaggle's private test set) is not a scored split.

Maps larger than the sequence (padded to a common size) are cropped to L x L; what they store is described in
`gfmbench.pairmaps`. Every error names the file, the line and the field (or the map file).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from datasets import List, Value

from gfmbench.errors import DataFormatError
from gfmbench.loaders.openvaccine import convert_openvaccine, openvaccine_columns
from gfmbench.loaders.records import (
    RecordContext,
    RecordFormat,
    csv_field,
    iter_csv_rows,
    parse_number,
)
from gfmbench.loaders.sources import CHUNK_ROWS, FormatsSource, first_existing_dir
from gfmbench.pairmaps import positive_pairs, upper_triangle
from gfmbench.suites.schema import SuiteSpec, TaskSpec

PADDING = -1.0
DENSE_MAP_CHUNK_ROWS = 64


def load_map(ctx: RecordContext, path: Path, length: int, kind: str) -> Any:
    """The stored form of one upstream map: positive pairs (binary) or the upper triangle with None (dense)."""
    if not path.is_file():
        raise ctx.error(None, f"the map file {path} of this row does not exist")
    try:
        matrix = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataFormatError(f"not a NumPy .npy array ({exc})", file=path) from None
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < length:
        raise DataFormatError(f"map of shape {matrix.shape} does not fit the sequence of length {length} at "
                              f"{ctx.file.name}:{ctx.line}", file=path)
    matrix = matrix[:length, :length]
    if not np.issubdtype(matrix.dtype, np.number) and matrix.dtype != bool:
        raise DataFormatError(f"map of dtype {matrix.dtype}, expected numbers", file=path)
    if kind == "binary":
        bad = ~np.isin(matrix, (0, 1))
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise DataFormatError(f"binary map has {matrix[i, j].item()!r} at ({i + 1}, {j + 1}); expected 0 or 1",
                                  file=path)
        return positive_pairs(matrix)
    values = upper_triangle(matrix).astype(np.float64)
    bad = ~(np.isclose(values, PADDING) | ((values >= 0.0) & (values <= 1.0)))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        i, j = np.triu_indices(length, k=1)
        raise DataFormatError(f"distance {values[k].item()!r} at ({i[k] + 1}, {j[k] + 1}) is neither in [0, 1] nor the "
                              "padding value -1", file=path)
    return [None if math.isclose(v, PADDING) else float(v) for v in values]


def _float_track(ctx: RecordContext, value: str, field: str, length: int) -> list[float]:
    items = value.split()
    track = [parse_number(ctx, item, field) for item in items]
    ctx.same_length("x" * length, track, field)
    return track


# --------------------------------------------------------------------------------------------- one reader per format
def _bprna_rows(path: Path, task: TaskSpec, split: str) -> Iterator[dict[str, Any]]:
    code = task.format_options["split_codes"][split]
    for ctx, fields, header in iter_csv_rows(path):
        if csv_field(ctx, fields, header, "data_name")[0].strip() != code:
            continue
        name = csv_field(ctx, fields, header, "file_name")[0].strip()
        seq = ctx.sequence(csv_field(ctx, fields, header, "seq")[0], task, "seq")
        if "seq_len" in header:
            stated = csv_field(ctx, fields, header, "seq_len")[0].strip()
            if stated != str(len(seq)):
                raise ctx.error("seq_len", f"seq_len {stated!r} != length of seq {len(seq)}")
        structure = csv_field(ctx, fields, header, "dot_string")[0].strip() if "dot_string" in header else None
        if structure is not None:
            ctx.same_length(seq, structure, "dot_string")
        yield {"sequence": seq, "label": load_map(ctx, _bprna_map(path, code, split, name), len(seq), "binary"),
               "file_name": name, "structure": structure}


def _bprna_map(csv_path: Path, code: str, split: str, name: str) -> Path:
    first = csv_path.parent / code / f"{name}.npy"
    by_split = csv_path.parent / split
    return first if first.is_file() or not by_split.is_dir() else by_split / f"{name}.npy"


def _bprna_companions(path: Path, task: TaskSpec, split: str) -> list[Path]:
    code = task.format_options["split_codes"][split]
    names = [csv_field(ctx, fields, header, "file_name")[0].strip() for ctx, fields, header in iter_csv_rows(path)
             if csv_field(ctx, fields, header, "data_name")[0].strip() == code]
    return [p for p in (_bprna_map(path, code, split, n) for n in names) if p.is_file()]


def _id_input_rows(path: Path, task: TaskSpec, split: str) -> Iterator[dict[str, Any]]:
    folder = path.parent / task.format_options["map_folder"]
    kind = task.format_options["kind"]
    for ctx, fields, header in iter_csv_rows(path):
        uid = csv_field(ctx, fields, header, "id")[0].strip()
        seq = ctx.sequence(csv_field(ctx, fields, header, "input")[0], task, "input")
        stored = load_map(ctx, folder / f"{uid}.npy", len(seq), kind)
        row: dict[str, Any] = {"sequence": seq, "upstream_id": uid}
        row["label" if kind == "binary" else (task.targets or ["label"])[0]] = stored
        yield row


def _id_input_companions(path: Path, task: TaskSpec, split: str) -> list[Path]:
    folder = path.parent / task.format_options["map_folder"]
    ids = [csv_field(ctx, fields, header, "id")[0].strip() for ctx, fields, header in iter_csv_rows(path)]
    return [p for p in (folder / f"{i}.npy" for i in ids) if p.is_file()]


def _imputation_rows(path: Path, task: TaskSpec, split: str) -> Iterator[dict[str, Any]]:
    opts = task.format_options
    target = (task.targets or ["score"])[0]
    for ctx, fields, header in iter_csv_rows(path):
        value, name = csv_field(ctx, fields, header, opts["sequence"])
        seq = ctx.sequence(value, task, name)
        value, name = csv_field(ctx, fields, header, opts["observed"])
        observed = _float_track(ctx, value, name, len(seq))
        value, name = csv_field(ctx, fields, header, opts["truth"])
        truth = _float_track(ctx, value, name, len(seq))
        gaps = [math.isclose(v, PADDING) for v in observed]
        yield {"sequence": seq, target: [t if g else None for t, g in zip(truth, gaps, strict=True)],
               "observed": [None if g else v for v, g in zip(observed, gaps, strict=True)]}


def _digit_rows(path: Path, task: TaskSpec, split: str) -> Iterator[dict[str, Any]]:
    opts = task.format_options
    classes = len(task.labels or [])
    for ctx, fields, header in iter_csv_rows(path):
        value, name = csv_field(ctx, fields, header, opts["sequence"])
        seq = ctx.sequence(value, task, name)
        digits, name = csv_field(ctx, fields, header, opts["label"])
        digits = digits.strip()
        ctx.same_length(seq, digits, name)
        bad = next((k for k, d in enumerate(digits) if not (d.isdigit() and int(d) < classes)), None)
        if bad is not None:
            raise ctx.error(name, f"label {digits[bad]!r} at position {bad + 1} is not a class id 0..{classes - 1}")
        yield {"sequence": seq, "label": [int(d) for d in digits]}


def _class_id(ctx: RecordContext, raw: str, names: list[str], field: str) -> int:
    key = raw.strip()
    if key not in names:
        try:
            as_int = float(key)
            key = str(int(as_int)) if as_int.is_integer() else key
        except ValueError:
            pass
    if key not in names:
        raise ctx.error(field, f"label {raw!r} is not one of {names}")
    return names.index(key)


def _column_rows(path: Path, task: TaskSpec, split: str) -> Iterator[dict[str, Any]]:
    opts = task.format_options
    names = list(task.labels or [])
    for ctx, fields, header in iter_csv_rows(path):
        value, name = csv_field(ctx, fields, header, opts["sequence"])
        row: dict[str, Any] = {"sequence": ctx.sequence(value, task, name)}
        if "pair" in opts:
            value, name = csv_field(ctx, fields, header, opts["pair"])
            row[task.pair_input or "pair"] = ctx.sequence(value, task, name)
        if "label" in opts:
            value, name = csv_field(ctx, fields, header, opts["label"])
            row["label"] = _class_id(ctx, value, names, name)
        if "multilabel" in opts:
            value, name = csv_field(ctx, fields, header, opts["multilabel"])
            items = value.split()
            if len(items) != len(names) or any(v not in {"0", "1"} for v in items):
                raise ctx.error(name, f"expected {len(names)} space-separated 0/1 values, got {value!r}")
            row["label"] = [int(v) for v in items]
        for target, column in zip(task.targets or [], opts.get("values", []), strict=False):
            value, name = csv_field(ctx, fields, header, column)
            row[target] = parse_number(ctx, value, name)
        yield row


def _read_pandas_json(path: Path) -> Any:
    import pandas as pd

    try:  # one document (any of pandas' orients); JSON Lines fail here ("Trailing data", or scalars of one line)
        return pd.read_json(path)
    except ValueError:
        pass
    try:
        return pd.read_json(path, lines=True)
    except ValueError as exc:
        raise DataFormatError(f"not pandas JSON (JSON Lines or one JSON document): {exc}", file=path) from None


def _openvaccine_rows(path: Path, task: TaskSpec, split: str) -> Iterator[dict[str, Any]]:
    frame = _read_pandas_json(path)
    for index, record in enumerate(frame.to_dict(orient="records")):
        record = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
        if isinstance(record.get("seq_scored"), float) and record["seq_scored"].is_integer():
            record["seq_scored"] = int(record["seq_scored"])
        yield convert_openvaccine(record, RecordContext(file=path, line=index + 1, index=index), task)


def _openvaccine_unscored(path: Path, task: TaskSpec) -> str | None:
    columns = set(_read_pandas_json(path).columns)
    missing = [t for t in task.targets or [] if t not in columns]
    if missing:
        return f"{path.name} carries no labels ({', '.join(missing)} absent): no scored split is built from it"
    return None


FORMATS: dict[str, RecordFormat] = {
    "bprna_maps": RecordFormat(_bprna_rows, lambda t: {"file_name": Value("string"), "structure": Value("string")},
                         _bprna_companions),
    "id_input_maps": RecordFormat(_id_input_rows, lambda t: {"upstream_id": Value("string")}, _id_input_companions),
    "track_imputation": RecordFormat(_imputation_rows, lambda t: {"observed": List(Value("float32"))}),
    "per_nucleotide_digits": RecordFormat(_digit_rows, lambda t: {}),
    "csv_columns": RecordFormat(_column_rows, lambda t: {t.pair_input: Value("string")} if t.pair_input else {}),
    "openvaccine_json": RecordFormat(_openvaccine_rows, openvaccine_columns, unscored=_openvaccine_unscored),
}


@dataclass(frozen=True)
class BeaconSource(FormatsSource):
    """One folder per task id (under the release root or its `downstream/`), per-task file names."""

    def task_dir(self, raw: Path, suite: SuiteSpec, task: TaskSpec) -> Path | None:
        return first_existing_dir(raw, task.upstream_names) or first_existing_dir(raw / "downstream",
                                                                                  task.upstream_names)

    def split_files(self, task_dir: Path, suite: SuiteSpec, task: TaskSpec, split: str) -> list[Path]:
        candidates = task.split_files.get(split) or [suite.upstream.split_files[split]]
        main = next((task_dir / c for c in candidates if (task_dir / c).is_file()), None)
        if main is None:
            return []
        return [main, *self.formats[task.format].companions(main, task, split)]

    def chunk_rows(self, task: TaskSpec) -> int:
        # a dense map is L(L-1)/2 values per row: small chunks keep the Python rows of one chunk in memory bounded
        return DENSE_MAP_CHUNK_ROWS if task.type == "pair_regression" else CHUNK_ROWS


SOURCE = BeaconSource(FORMATS)
