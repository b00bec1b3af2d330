"""Genomic Benchmarks: the real interval files, extraction from a synthetic reference (both strands, checked
against Biopython), the archive route, and their agreement."""

from __future__ import annotations

import gzip
import io
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from Bio.Seq import Seq

from gfmbench.errors import DataFormatError, MissingDataError
from gfmbench.hub.publish import LocalGitBackend
from gfmbench.loaders.build import build_suite
from gfmbench.loaders.gb import read_intervals
from tests.upstream_files import GB_CONTIG, GB_TASK

REPO = "gfmbench/gb"
def test_real_interval_files_parse_with_the_upstream_balance(samples: Path) -> None:
    folder = samples / "GB" / "datasets" / GB_TASK
    counts = {(split, cls): len(read_intervals(folder / split / f"{cls}.csv.gz"))
              for split in ("train", "test") for cls in ("negative", "positive")}
    assert counts == {("train", "negative"): 484, ("train", "positive"): 484, ("test", "negative"): 121,
                      ("test", "positive"): 121}
    rows = read_intervals(folder / "train" / "positive.csv.gz")
    assert all(r["start"] < r["end"] and r["strand"] in "+-" for r in rows)


def table(backend: LocalGitBackend, config: str, split: str) -> list[dict]:
    files = [f for f in backend.list_files(REPO) if f.startswith(f"data/{config}/{split}-")]
    return [r for f in files for r in pq.read_table(io.BytesIO(backend.read_file(REPO, f))).to_pylist()]


def expected_sequence(contigs: dict[str, str], row: dict) -> str:
    forward = contigs[row["region"].removeprefix("chr")][row["start"]:row["end"]]
    return str(Seq(forward).reverse_complement()) if row["strand"] == "-" else forward


def test_coordinates_route_extracts_both_strands(synthetic_gb_raw, tmp_path: Path) -> None:
    raw, contigs = synthetic_gb_raw
    backend = LocalGitBackend(tmp_path / "hub")
    report = build_suite("gb", raw_dir=raw, backend=backend, verification="no_checks", progress=False)
    assert report.built[GB_TASK]["train"] + report.built[GB_TASK]["validation"] == 968
    assert report.built[GB_TASK]["validation"] == 97 and report.built[GB_TASK]["test"] == 242
    test_rows = table(backend, GB_TASK, "test")
    assert sum(r["label"] == 1 for r in test_rows) == 121 and sum(r["label"] == 0 for r in test_rows) == 121
    intervals = {}
    for cls in ("negative", "positive"):
        for r in read_intervals(raw / "datasets" / GB_TASK / "test" / f"{cls}.csv.gz"):
            intervals[f"{cls}/{r['id']}"] = r
    strands = set()
    for row in test_rows:
        interval = intervals[row["upstream_id"]]
        assert row["sequence"] == expected_sequence(contigs, interval)
        strands.add(interval["strand"])
    assert strands == {"+", "-"}
    card = backend.read_file(REPO, "README.md").decode()
    assert "carved from train: 10%" in card


def test_archive_route_gives_identical_rows(synthetic_gb_raw, tmp_path: Path) -> None:
    raw, contigs = synthetic_gb_raw
    archive = tmp_path / "archive" / "GB"
    for split in ("train", "test"):
        for cls in ("negative", "positive"):
            for r in read_intervals(raw / "datasets" / GB_TASK / split / f"{cls}.csv.gz"):
                path = archive / GB_TASK / split / cls / f"{r['id']}.txt"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(expected_sequence(contigs, r))
    from_coordinates, from_archive = LocalGitBackend(tmp_path / "h1"), LocalGitBackend(tmp_path / "h2")
    build_suite("gb", raw_dir=raw, backend=from_coordinates, verification="no_checks", progress=False)
    build_suite("gb", raw_dir=archive, backend=from_archive, verification="no_checks", progress=False)
    for split in ("train", "validation", "test"):
        assert table(from_coordinates, GB_TASK, split) == table(from_archive, GB_TASK, split)


def test_interval_beyond_the_contig_end(synthetic_gb_raw, tmp_path: Path) -> None:
    raw, _ = synthetic_gb_raw
    path = raw / "datasets" / GB_TASK / "test" / "positive.csv.gz"
    with gzip.open(path, "rt") as handle:
        lines = handle.read().splitlines()
    parts = lines[3].split(",")
    parts[3] = str(GB_CONTIG + 50)
    lines[3] = ",".join(parts)
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=r"positive\.csv\.gz:4, field 'end': interval .* goes beyond the end"):
        build_suite("gb", raw_dir=raw, backend=LocalGitBackend(tmp_path / "h"), verification="no_checks",
                    progress=False)


def test_missing_class_file_and_missing_reference(synthetic_gb_raw, tmp_path: Path) -> None:
    raw, _ = synthetic_gb_raw
    (raw / "datasets" / GB_TASK / "test" / "negative.csv.gz").unlink()
    with pytest.raises(MissingDataError, match=r"no file for class\(es\) \['negative'\]"):
        build_suite("gb", raw_dir=raw, backend=LocalGitBackend(tmp_path / "h"), verification="no_checks",
                    progress=False)
    shutil.rmtree(raw / "references")
    with pytest.raises(MissingDataError, match="reference FASTA Mus_musculus.GRCm38.dna.toplevel.fa.gz not found"):
        build_suite("gb", raw_dir=raw, configs=[GB_TASK], backend=LocalGitBackend(tmp_path / "h"),
                    verification="no_checks", progress=False)


def test_unknown_nucleotide_in_an_archive_file(tmp_path: Path) -> None:
    archive = tmp_path / "GB" / "human_nontata_promoters"
    for split in ("train", "test"):
        for cls in ("negative", "positive"):
            (archive / split / cls).mkdir(parents=True)
            (archive / split / cls / "0.txt").write_text("ACGT" * 5)
            (archive / split / cls / "1.txt").write_text("ACGT" * 5)
    (archive / "test" / "positive" / "1.txt").write_text("ACGTZ")
    with pytest.raises(DataFormatError, match=r"positive/1\.txt:1, field 'sequence': invalid nucleotide 'Z'"):
        build_suite("gb", raw_dir=tmp_path / "GB", backend=LocalGitBackend(tmp_path / "h"), verification="no_checks",
                    progress=False)
