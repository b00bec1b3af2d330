"""Columnar reading of `sequence,label` CSV files (GUE's format) with vectorised validation.

pyarrow's streaming CSV reader gives record batches; checks run with pyarrow.compute over whole batches, and only
on failure is the offending row located, so millions of rows build at close to plain read/write speed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from gfmbench.errors import DataFormatError
from gfmbench.loaders.records import allowed_symbols
from gfmbench.suites.schema import TaskSpec

# pyarrow's streaming reader reads ahead a few dozen blocks whatever the consumer does; 4 MiB blocks keep that
# window (and so the peak memory) near 150 MiB for any file size, and are no slower than larger ones
# (measured in scripts/bench_builders.py: 16 MiB blocks held ~500 MiB on files over 500 MiB).
BLOCK_BYTES = 4 * 2**20


def _line_of(path: Path, text: str) -> int | None:
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if line.rstrip("\r\n") == text:
                return number
    return None


def _bytes(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The character bytes and offsets of a string array, without copying."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[array.offset:array.offset + len(array) + 1]
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8) if array.buffers()[2] is not None else \
        np.zeros(0, dtype=np.uint8)
    return data[offsets[0]:offsets[-1]], offsets - offsets[0]


LOWERCASE = bytes(range(ord("a"), ord("z") + 1))


def normalise(array: pa.Array, allowed: bytes) -> tuple[pa.Array, int | None]:
    """Upper-cased sequences and the index of the first null, empty or invalid one (None if all are valid).

    The common case (valid, upper case) costs one `bytes.translate` pass in C; lower case costs one more; only on
    failure is the offending row located."""
    if array.null_count:
        return array, int(np.flatnonzero(~np.asarray(array.is_valid()))[0])
    data, offsets = _bytes(array)
    leftover = data.tobytes().translate(None, allowed)
    if leftover and not leftover.translate(None, LOWERCASE):  # only lower-case letters left: upper-case them
        array = pc.ascii_upper(array)
        data, offsets = _bytes(array)
        leftover = data.tobytes().translate(None, allowed)
    empty = np.flatnonzero(np.diff(offsets) == 0)
    candidates = [int(empty[0])] if empty.size else []
    if leftover:
        if set(leftover) & set(LOWERCASE):
            array = pc.ascii_upper(array)
            data, offsets = _bytes(array)
        lookup = np.zeros(256, dtype=bool)
        lookup[np.frombuffer(allowed, dtype=np.uint8)] = True
        bad = np.flatnonzero(~lookup[data])
        if bad.size:
            candidates.append(int(np.searchsorted(offsets, bad[0], side="right") - 1))
    return array, (min(candidates) if candidates else None)


def class_ids(raw_labels: pa.ChunkedArray, names: list[str]) -> pa.Array:
    """Label strings -> class ids (null where not a label). Labels named 0..k-1 are parsed as integers (fast)."""
    if names == [str(i) for i in range(len(names))]:
        try:
            ids = pc.cast(raw_labels, pa.int64())
            if pc.min(ids).as_py() >= 0 and pc.max(ids).as_py() < len(names):
                return ids
        except pa.ArrowInvalid:
            pass
    return pc.index_in(pc.utf8_trim_whitespace(raw_labels), value_set=pa.array(names))


def read_sequence_label_csv(path: Path, task: TaskSpec, columns: tuple[str, str] = ("sequence", "label")
                            ) -> Iterator[pa.Table]:
    """Yield validated tables with `sequence` (upper case) and `label` (class id) columns."""
    seq_col, label_col = columns
    names = list(task.labels or [])
    allowed = "".join(sorted(allowed_symbols(task)))
    allowed_bytes = allowed.encode()
    options = pacsv.ConvertOptions(column_types={seq_col: pa.string(), label_col: pa.string()},
                                   include_columns=[seq_col, label_col])
    line = 2  # first data line (line 1 is the header)
    try:
        reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES), convert_options=options)
        for batch in reader:
            table = pa.Table.from_batches([batch])
            seqs, i = normalise(table.column(seq_col).combine_chunks(), allowed_bytes)
            if i is not None:
                value = seqs[i].as_py() or ""
                pos = next((k for k, ch in enumerate(value) if ch not in allowed), None)
                why = (f"invalid nucleotide {value[pos]!r} at position {pos + 1} for a {task.alphabet} task "
                       f"(allowed: {allowed})") if pos is not None else "empty sequence"
                raise DataFormatError(why, file=path, line=line + i, field=seq_col)
            raw_labels = table.column(label_col)
            ids = class_ids(raw_labels, names)
            if pc.any(pc.is_null(ids)).as_py():
                i = pc.index(pc.is_null(ids), True).as_py()
                raise DataFormatError(f"label {raw_labels[i].as_py()!r} is not one of {names}", file=path,
                                      line=line + i, field=label_col)
            line += table.num_rows
            yield pa.table({"sequence": seqs, "label": ids.cast(pa.int64())})
    except pa.ArrowKeyError as exc:
        raise DataFormatError(f"expected a header with columns {seq_col},{label_col} ({exc})", file=path,
                              line=1) from None
    except pa.ArrowInvalid as exc:
        message = str(exc)
        match = re.search(r"got \d+: (.*)$", message)
        where = _line_of(path, match.group(1)) if match else None
        raise DataFormatError(f"malformed CSV row ({message})", file=path, line=where) from None
