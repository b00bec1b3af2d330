"""Columnar reading of `sequence,label` CSV files (GUE's format) with vectorised validation.

pyarrow's streaming CSV reader gives record batches; checks run with pyarrow.compute over whole batches, and only
on failure is the offending row located, so millions of rows build at close to plain read/write speed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from gfmbench.errors import DataFormatError
from gfmbench.loaders.records import allowed_symbols
from gfmbench.suites.schema import TaskSpec

BLOCK_BYTES = 16 * 2**20


def _line_of(path: Path, text: str) -> int | None:
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if line.rstrip("\r\n") == text:
                return number
    return None


def read_sequence_label_csv(path: Path, task: TaskSpec, columns: tuple[str, str] = ("sequence", "label")
                            ) -> Iterator[pa.Table]:
    """Yield validated tables with `sequence` (upper case) and `label` (class id) columns."""
    seq_col, label_col = columns
    names = list(task.labels or [])
    allowed = "".join(sorted(allowed_symbols(task)))
    invalid = f"[^{re.escape(allowed)}]"
    options = pacsv.ConvertOptions(column_types={seq_col: pa.string(), label_col: pa.string()},
                                   include_columns=[seq_col, label_col])
    line = 2  # first data line (line 1 is the header)
    try:
        reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES), convert_options=options)
        for batch in reader:
            table = pa.Table.from_batches([batch])
            seqs = pc.utf8_upper(table.column(seq_col))
            bad = pc.or_(pc.is_null(seqs), pc.or_(pc.equal(pc.utf8_length(seqs), 0),
                                                  pc.match_substring_regex(seqs, invalid)))
            if pc.any(bad).as_py():
                i = pc.index(bad, True).as_py()
                value = seqs[i].as_py() or ""
                pos = next((k for k, ch in enumerate(value) if ch not in allowed), None)
                why = (f"invalid nucleotide {value[pos]!r} at position {pos + 1} for a {task.alphabet} task "
                       f"(allowed: {allowed})") if pos is not None else "empty sequence"
                raise DataFormatError(why, file=path, line=line + i, field=seq_col)
            raw_labels = table.column(label_col)
            ids = pc.index_in(pc.utf8_trim_whitespace(raw_labels), value_set=pa.array(names))
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
