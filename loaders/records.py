"""Reading upstream records with their location, and validating the values every suite shares.

Every check raises `DataFormatError` naming the file, the line and the field, so a bad upstream row can be
found in seconds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gfmbench.errors import DataFormatError
from gfmbench.suites.schema import TaskSpec

IUPAC_AMBIGUITY = "NRYSWKMBDHV"
ALPHABETS = {"DNA": "ACGT", "RNA": "ACGU"}
IGNORE_LABEL = -1
"""Class id stored for positions that are not scored (datasets' ClassLabel "no label"; the harness maps it to
the -100 that transformers' losses ignore)."""


@dataclass(frozen=True)
class RecordContext:
    """Where a record came from; every validation error is raised through it."""

    file: Path
    line: int
    index: int

    def error(self, field: str | None, message: str) -> DataFormatError:
        return DataFormatError(message, file=self.file, line=self.line, field=field)

    def require(self, record: dict[str, Any], *keys: str) -> Any:
        """The value of the first of `keys` present in the record (upstream files use synonyms like seq/sequence)."""
        for key in keys:
            if key in record:
                return record[key]
        raise self.error(keys[0], f"missing required key (record has {sorted(record)})")

    def string(self, record: dict[str, Any], *keys: str) -> str:
        value = self.require(record, *keys)
        if not isinstance(value, str):
            raise self.error(keys[0], f"expected a string, got {type(value).__name__}")
        return value

    def sequence(self, value: str, task: TaskSpec, field: str) -> str:
        """Upper-case the sequence and check every symbol against the task's alphabet."""
        seq = value.strip().upper()
        if not seq:
            raise self.error(field, "empty sequence")
        allowed = allowed_symbols(task)
        bad = set(seq) - allowed
        if bad:
            pos = next(i for i, ch in enumerate(seq) if ch in bad)
            raise self.error(
                field,
                f"invalid nucleotide {seq[pos]!r} at position {pos + 1} for a {task.alphabet} task "
                f"(allowed: {''.join(sorted(allowed))})",
            )
        return seq

    def class_ids(self, symbols: Sequence[str], task: TaskSpec, field: str) -> list[int]:
        """Map per-position label symbols to class ids, through the task's symbol aliases."""
        table = {name: i for i, name in enumerate(task.labels or [])}
        for raw, name in task.symbol_aliases.items():
            table.setdefault(raw, table[name])
        ids = []
        for pos, symbol in enumerate(symbols):
            class_id = table.get(symbol)
            if class_id is None:
                raise self.error(
                    field, f"unknown label symbol {symbol!r} at position {pos + 1} (known: {''.join(sorted(table))})"
                )
            ids.append(class_id)
        return ids

    def same_length(self, sequence: str, values: Sequence[Any], field: str, expected: int | None = None) -> None:
        want = len(sequence) if expected is None else expected
        if len(values) != want:
            raise self.error(field, f"label length {len(values)} != sequence length {want}")


def allowed_symbols(task: TaskSpec) -> set[str]:
    return set(ALPHABETS[task.alphabet]) | set(IUPAC_AMBIGUITY) | set(task.extra_symbols.upper())


def iter_json_lines(path: Path) -> Iterator[tuple[RecordContext, dict[str, Any]]]:
    """Yield (context, record) for each non-blank line of a JSON Lines file."""
    index = 0
    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            ctx = RecordContext(file=path, line=line_no, index=index)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ctx.error(None, f"not UTF-8 text ({exc.reason} at column {exc.start + 1})") from None
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ctx.error(None, f"malformed JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(record, dict):
                raise ctx.error(None, f"expected a JSON object, got {type(record).__name__}")
            yield ctx, record
            index += 1


@dataclass(frozen=True)
class RecordFormat:
    """One upstream record format (a task's `format`): how a split's file becomes canonical rows.

    `rows` yields the rows of one split file without their `id` (the builder assigns stable ids); `extra_columns`
    names the upstream extras the format keeps, with their `datasets` feature; `companions` are further files read
    beside the split's file (maps of a CSV), checksummed with it; `unscored` says why a file cannot be a scored
    split (no labels), or None.
    """

    rows: Callable[[Path, TaskSpec, str], Iterator[dict[str, Any]]]
    extra_columns: Callable[[TaskSpec], dict[str, Any]] = lambda task: {}
    companions: Callable[[Path, TaskSpec, str], list[Path]] = lambda path, task, split: []
    unscored: Callable[[Path, TaskSpec], str | None] = lambda path, task: None


RecordConverter = Callable[[dict[str, Any], RecordContext, TaskSpec], dict[str, Any]]


def json_lines_format(convert: RecordConverter,
                      extra_columns: Callable[[TaskSpec], dict[str, Any]] = lambda task: {}) -> RecordFormat:
    """A format of one JSON object per line, each converted by `convert` (RGB's files)."""

    def rows(path: Path, task: TaskSpec, split: str) -> Iterator[dict[str, Any]]:
        return (convert(record, ctx, task) for ctx, record in iter_json_lines(path))

    return RecordFormat(rows, extra_columns)


def parse_float_list(ctx: RecordContext, value: Any, field: str) -> list[float | None]:
    """A list of numbers, given as a JSON array or a comma-separated string (both occur upstream)."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ctx.error(field, f"expected a list of numbers, got {type(value).__name__}")
    out: list[float | None] = []
    for pos, item in enumerate(items):
        if item is None:
            out.append(None)
            continue
        try:
            out.append(float(item))
        except (TypeError, ValueError):
            raise ctx.error(field, f"not a number at position {pos + 1}: {item!r}") from None
    return out


def iter_csv_rows(path: Path) -> Iterator[tuple[RecordContext, list[str], list[str]]]:
    """Yield (context, fields, header) for each data row of a CSV file with a header row (Python's csv module:
    quoting and embedded commas as Excel/pandas write them). Blank lines are skipped; `line` is the file line."""
    import csv

    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        index = 0
        try:
            header = next(reader, None)
            if header is None:
                return
            for fields in reader:
                if not fields or all(not f.strip() for f in fields):
                    continue
                yield RecordContext(file=path, line=reader.line_num, index=index), fields, header
                index += 1
        except UnicodeDecodeError as exc:
            raise DataFormatError(f"not UTF-8 text ({exc.reason}) after line {reader.line_num}", file=path,
                                  line=reader.line_num + 1) from None
        except csv.Error as exc:
            raise DataFormatError(f"malformed CSV row ({exc})", file=path, line=reader.line_num) from None


def csv_field(ctx: RecordContext, fields: list[str], header: list[str], column: int | str) -> tuple[str, str]:
    """(value, field name for errors) of a column given by 1-based position or by header name."""
    if isinstance(column, str):
        if column not in header:
            raise ctx.error(column, f"no column {column!r} in the header {header}")
        position = header.index(column)
    else:
        position = column - 1
    name = header[position] if position < len(header) and header[position] else f"column {position + 1}"
    if position >= len(fields):
        raise ctx.error(name, f"the row has {len(fields)} fields, expected at least {position + 1}")
    return fields[position], name


def parse_number(ctx: RecordContext, value: str, field: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ctx.error(field, f"not a number: {value!r}") from None
    if not math.isfinite(number):
        raise ctx.error(field, f"not a finite number: {value!r}")
    return number
