"""Genomic Benchmarks (Grešová et al. 2023), from either of its two real distributions:

1. the published per-dataset archive, unpacked: `<name>/{train,test}/<class>/<id>.txt`, one sequence per file;
2. the interval lists of the GitHub repository: `datasets/<name>/{train,test}/<class>.csv.gz` with columns
   `id,region,start,end,strand` (0-based, half-open; `-` = reverse complement) and `metadata.yaml` naming each
   class's reference FASTA. The FASTA files (plain, bgzip-ed, or gzip-ed: then decompressed once into the cache) are
   looked up by file name in `<raw>/references/`, `<raw>/datasets/<name>/` and `<raw>/`; sequences are cut with
   pyfaidx. Genome regions named `chrN` also match a FASTA that calls them `N` (Ensembl), and transcript ids match
   without their version suffix, as the upstream `extra_processing` does.

Both routes give the same rows: classes in sorted order (label ids follow sorted class names, never directory
order), records by upstream id, and `upstream_id` = `<class>/<id>`. Validation is carved from train by the builder.
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml
from datasets import Features, Value

from gfmbench.config import raw_cache_dir
from gfmbench.errors import DataFormatError, MissingDataError
from gfmbench.loaders.records import RecordContext
from gfmbench.loaders.sources import Source, chunked
from gfmbench.suites.schema import SuiteSpec, TaskSpec

UPSTREAM_SPLITS = {"train": "train", "test": "test"}


def _sort_key(value: str) -> tuple[int, Any]:
    return (0, int(value)) if value.isdigit() else (1, value)


def read_intervals(path: Path) -> list[dict[str, Any]]:
    """Parse one `<class>.csv.gz` interval list; errors name the file, line and field."""
    import csv

    try:
        return _read_intervals(path)
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"not UTF-8 text ({exc.reason})", file=path) from None
    except (OSError, EOFError, csv.Error) as exc:  # a damaged gzip stream, a NUL byte, ...
        raise DataFormatError(f"unreadable interval file ({exc})", file=path) from None


def _read_intervals(path: Path) -> list[dict[str, Any]]:
    import csv

    opener = gzip.open if path.suffix == ".gz" else open
    rows = []
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"id", "region", "start", "end", "strand"} - set(reader.fieldnames or [])
        if missing:
            raise DataFormatError(f"missing column(s) {sorted(missing)}", file=path, line=1)
        for line, record in enumerate(reader, start=2):
            ctx = RecordContext(file=path, line=line, index=line - 2)
            try:
                start, end = int(record["start"]), int(record["end"])
            except (TypeError, ValueError):
                raise ctx.error("start", f"coordinates must be integers, got {record['start']!r}..{record['end']!r}"
                                ) from None
            if not 0 <= start < end:
                raise ctx.error("end", f"empty or negative interval {start}..{end}")
            if record["strand"] not in {"+", "-"}:
                raise ctx.error("strand", f"strand must be + or -, got {record['strand']!r}")
            rows.append({"id": record["id"], "region": record["region"], "start": start, "end": end,
                         "strand": record["strand"], "line": line})
    return rows


class References:
    """Reference FASTA files opened once with pyfaidx; gzip (non-bgzf) files are decompressed once into the cache."""

    def __init__(self, search: list[Path]) -> None:
        self.search = search
        self._open: dict[str, Any] = {}

    def find(self, url: str, metadata: Path) -> Path:
        name = url.rstrip("/").rsplit("/", 1)[-1]
        for folder in self.search:
            for candidate in (folder / name, folder / name.removesuffix(".gz")):
                if candidate.is_file():
                    return candidate
        raise MissingDataError(f"{metadata}: reference FASTA {name} not found in "
                               f"{', '.join(str(f) for f in self.search)} (the builder never downloads genomes)")

    def fasta(self, path: Path, transcriptome: bool) -> Any:
        from pyfaidx import Fasta, UnsupportedCompressionFormat

        key = f"{path}|{transcriptome}"
        if key not in self._open:
            kwargs = {"key_function": (lambda k: k.split(".")[0]) if transcriptome else (lambda k: k),
                      "sequence_always_upper": True, "rebuild": False}
            try:
                self._open[key] = Fasta(str(path), **kwargs)
            except UnsupportedCompressionFormat:
                plain = raw_cache_dir() / "references" / path.name.removesuffix(".gz")
                if not plain.is_file():
                    plain.parent.mkdir(parents=True, exist_ok=True)
                    tmp = plain.with_suffix(".partial")
                    with gzip.open(path, "rb") as src, open(tmp, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                    tmp.replace(plain)
                self._open[key] = Fasta(str(plain), **kwargs)
        return self._open[key]


def cut(fasta: Any, row: dict[str, Any], path: Path, transcriptome: bool) -> str:
    ctx = RecordContext(file=path, line=row["line"], index=row["line"] - 2)
    region = row["region"].split(".")[0] if transcriptome else row["region"]
    if region not in fasta and region.startswith("chr") and region[3:] in fasta:
        region = region[3:]
    if region not in fasta:
        raise ctx.error("region", f"{row['region']!r} is not a sequence of the reference {fasta.filename}")
    length = len(fasta[region])
    if row["end"] > length:
        raise ctx.error("end", f"interval {row['start']}..{row['end']} goes beyond the end of {region} ({length} bp)")
    piece = fasta[region][row["start"]:row["end"]]
    return str(-piece if row["strand"] == "-" else piece)  # pyfaidx: unary minus is the reverse complement


@dataclass(frozen=True)
class GenomicBenchmarksSource(Source):
    @property
    def format_names(self) -> frozenset[str]:
        return frozenset({"genomic_benchmarks"})

    def task_dir(self, raw: Path, suite: SuiteSpec, task: TaskSpec) -> Path | None:
        for name in task.upstream_names:
            for candidate in (raw / name, raw / "datasets" / name):
                if (candidate / "train").is_dir() or (candidate / "test").is_dir():
                    return candidate
        return None

    def split_files(self, task_dir: Path, suite: SuiteSpec, task: TaskSpec, split: str) -> list[Path]:
        if split not in UPSTREAM_SPLITS or not (task_dir / split).is_dir():
            return []
        folder = task_dir / split
        intervals = sorted(folder.glob("*.csv.gz")) + sorted(folder.glob("*.csv"))
        if intervals:
            return [task_dir / "metadata.yaml", *intervals] if (task_dir / "metadata.yaml").is_file() else intervals
        return sorted(p for p in folder.glob("*/*.txt"))

    def extra_columns(self, task: TaskSpec) -> dict[str, Any]:
        return {"upstream_id": Value("string")}

    def read(self, files: list[Path], suite: SuiteSpec, task: TaskSpec, split: str,
             features: Features) -> Iterator[pa.Table]:
        yield from chunked(self._rows(files, task), features)

    def _rows(self, files: list[Path], task: TaskSpec) -> Iterator[dict[str, Any]]:
        labels = list(task.labels or [])
        if files[0].name == "metadata.yaml" or files[0].name.endswith((".csv.gz", ".csv")):
            yield from self._from_intervals(files, labels, task)
        else:
            yield from self._from_archive(files, labels, task)

    def _from_archive(self, files: list[Path], labels: list[str], task: TaskSpec) -> Iterator[dict[str, Any]]:
        by_class: dict[str, list[Path]] = {}
        for path in files:
            by_class.setdefault(path.parent.name, []).append(path)
        self._check_classes(set(by_class), labels, files[0].parent.parent)
        for label in labels:
            for path in sorted(by_class.get(label, []), key=lambda p: _sort_key(p.stem)):
                ctx = RecordContext(file=path, line=1, index=0)
                text = "".join(path.read_text(encoding="utf-8").split())
                yield {"sequence": ctx.sequence(text, task, "sequence"), "label": labels.index(label),
                       "upstream_id": f"{label}/{path.stem}"}

    def _from_intervals(self, files: list[Path], labels: list[str], task: TaskSpec) -> Iterator[dict[str, Any]]:
        metadata_path = next((p for p in files if p.name == "metadata.yaml"), None)
        if metadata_path is None:
            raise MissingDataError(f"{files[0].parent.parent}: metadata.yaml (the reference of each class) is missing")
        metadata = yaml.safe_load(metadata_path.read_text()) or {}
        classes = metadata.get("classes") or {}
        interval_files = {p.name.split(".")[0]: p for p in files if p.name != "metadata.yaml"}
        self._check_classes(set(interval_files), labels, metadata_path.parent)
        raw_root = metadata_path.parent.parent.parent
        references = References([raw_root / "references", metadata_path.parent, raw_root])
        for label in labels:
            if label not in classes:
                raise DataFormatError(f"class {label!r} has no reference entry", file=metadata_path, field="classes")
            info = classes[label]
            transcriptome = "TRANSCRIPTOME" in str(info.get("extra_processing", ""))
            fasta = references.fasta(references.find(str(info.get("url", "")), metadata_path), transcriptome)
            path = interval_files[label]
            for row in sorted(read_intervals(path), key=lambda r: _sort_key(r["id"])):
                ctx = RecordContext(file=path, line=row["line"], index=row["line"] - 2)
                sequence = ctx.sequence(cut(fasta, row, path, transcriptome), task, "sequence")
                yield {"sequence": sequence, "label": labels.index(label), "upstream_id": f"{label}/{row['id']}"}

    @staticmethod
    def _check_classes(found: set[str], labels: list[str], where: Path) -> None:
        missing, unknown = set(labels) - found, found - set(labels)
        if missing:
            raise MissingDataError(f"{where}: no file for class(es) {sorted(missing)} (expected {labels})")
        if unknown:
            raise DataFormatError(f"unknown class folder(s)/file(s) {sorted(unknown)} (expected {labels})", file=where)


SOURCE = GenomicBenchmarksSource()
