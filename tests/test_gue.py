"""GUE from files in its exact upstream format: the real format example plus generated files."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from gfmbench.errors import DataFormatError
from gfmbench.hub.publish import LocalGitBackend
from gfmbench.loaders.build import build_suite
from gfmbench.suites import get_suite
from tests.upstream_files import synthetic_gue, write_csv

REPO = "gfmbench/gue"


def read(backend: LocalGitBackend, path: str) -> list[dict]:
    return pq.read_table(io.BytesIO(backend.read_file(REPO, path))).to_pylist()


def test_gue_builds_from_its_format(samples: Path, tmp_path: Path) -> None:
    raw = synthetic_gue(tmp_path, samples, random.Random(0))
    backend = LocalGitBackend(tmp_path / "hub")
    report = build_suite("gue", raw_dir=raw, backend=backend, verification="no_checks", progress=False)
    assert report.built["EMP_H3"] == {"train": 15, "validation": 15, "test": 15}  # counted from the files
    assert report.built["splice_reconstructed"] == {"train": 25, "validation": 25, "test": 25}
    rows = read(backend, "data/EMP_H3/train-00000-of-00001.parquet")
    first = (samples / "GUE" / "_format_example_sample_data" / "train.csv").read_text().splitlines()[1].split(",")
    assert rows[0]["sequence"] == first[0] and rows[0]["label"] == int(first[1]) and rows[0]["id"] == "train-000000"
    assert len(report.skipped) == 25  # the other configs are not in this raw copy: reported, not faked
    manifest = json.loads(backend.read_file(REPO, "gfmbench_build.json"))
    assert manifest["configs"]["virus_covid"]["splits"]["test"]["rows"] == 18
    card = backend.read_file(REPO, "README.md").decode()
    assert "GISAID" in card and "@inproceedings{zhou2024dnabert2" in card


def test_virus_covid_can_be_excluded(samples: Path, tmp_path: Path) -> None:
    raw = synthetic_gue(tmp_path, samples, random.Random(1))
    backend = LocalGitBackend(tmp_path / "hub")
    report = build_suite("gue", raw_dir=raw, exclude=["virus_covid"], backend=backend,
                         verification="no_checks", progress=False)
    assert "virus_covid" not in report.built and not any("virus_covid" in f for f in backend.list_files(REPO))


@pytest.mark.parametrize(("content", "message"), [
    ("sequence,label\nACGT,1\nACGT,0,5\n", r"dev\.csv:3: malformed CSV row \(.*Expected 2 columns, got 3"),
    ("sequence,label\nACGT,1\nACZT,0\n", r"dev\.csv:3, field 'sequence': invalid nucleotide 'Z' at position 3"),
    ("sequence,label\nACGT,1\nACGT,one\n", r"dev\.csv:3, field 'label': label 'one' is not one of \['0', '1'\]"),
    ("sequence,label\nACGT,1\nACGT,2\n", r"dev\.csv:3, field 'label': label '2' is not one of"),
    ("seq,lab\nACGT,1\n", r"dev\.csv:1: expected a header with columns sequence,label"),
    ("sequence,label\n", r"dev\.csv: empty split 'validation'"),
])
def test_bad_csv_rows(samples: Path, tmp_path: Path, content: str, message: str) -> None:
    raw = synthetic_gue(tmp_path, samples, random.Random(2))
    (raw / "EMP" / "H3" / "dev.csv").write_text(content)
    backend = LocalGitBackend(tmp_path / "hub")
    with pytest.raises(DataFormatError, match=message):
        build_suite("gue", raw_dir=raw, configs=["EMP_H3"], backend=backend, verification="no_checks",
                    progress=False)
    assert backend.head(REPO) is None


def test_lower_case_sequences_are_upper_cased(samples: Path, tmp_path: Path) -> None:
    raw = synthetic_gue(tmp_path, samples, random.Random(3))
    write_csv(raw / "EMP" / "H3" / "test.csv", [("acgtN", "1"), ("ACGT", "0")])
    backend = LocalGitBackend(tmp_path / "hub")
    build_suite("gue", raw_dir=raw, configs=["EMP_H3"], backend=backend, verification="no_checks", progress=False)
    assert [r["sequence"] for r in read(backend, "data/EMP_H3/test-00000-of-00001.parquet")] == ["ACGTN", "ACGT"]


def test_rebuilds_are_byte_identical_for_the_columnar_and_streaming_builders(samples: Path, tmp_path: Path) -> None:
    from tests.upstream_files import synthetic_pgb

    gue = synthetic_gue(tmp_path / "g", samples, random.Random(4))
    pgb = synthetic_pgb(tmp_path / "p", random.Random(4))
    trees = []
    for attempt in ("a", "b"):
        backend = LocalGitBackend(tmp_path / attempt)
        build_suite("gue", raw_dir=gue, backend=backend, verification="no_checks", progress=False)
        build_suite("pgb", raw_dir=pgb, backend=backend, verification="no_checks", progress=False)
        trees.append((backend.tree_id("gfmbench/gue", "main"), backend.tree_id("gfmbench/pgb", "main")))
    assert trees[0] == trees[1]


def test_a_known_checksum_that_differs_stops_a_gue_build(samples: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from gfmbench.errors import ChecksumError
    from gfmbench.loaders.raw import ChecksumManifest

    raw = synthetic_gue(tmp_path, samples, random.Random(5))
    monkeypatch.setattr(ChecksumManifest, "for_suite", classmethod(
        lambda cls, suite: cls(archive=None, files={"EMP/H3/train.csv": "0" * 64})))
    backend = LocalGitBackend(tmp_path / "hub")
    with pytest.raises(ChecksumError, match=r"EMP/H3/train\.csv: checksum mismatch"):
        build_suite("gue", raw_dir=raw, configs=["EMP_H3"], backend=backend, progress=False)
    assert backend.head(REPO) is None


def test_real_gue_files_verify_against_the_observed_digests_with_either_line_ending(samples: Path,
                                                                                   tmp_path: Path) -> None:
    """The 67 observed digests are of CRLF files; the real mouse/3 files verify byte for byte, an LF copy of the same
    rows verifies with CRLF restored (said in the card), and a changed row is a checksum error."""
    import shutil

    from gfmbench.errors import ChecksumError
    from gfmbench.loaders.raw import CRLF_RESTORED, ChecksumManifest

    assert len(ChecksumManifest.for_suite(get_suite("gue")).files) == 67
    crlf = tmp_path / "crlf"
    shutil.copytree(samples / "GUE" / "mouse" / "3", crlf / "mouse" / "3")
    lf = tmp_path / "lf"
    for name in ("train.csv", "dev.csv", "test.csv"):
        target = lf / "mouse" / "3" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((crlf / "mouse" / "3" / name).read_bytes().replace(b"\r\n", b"\n"))
    built = {}
    for name, raw in (("crlf", crlf), ("lf", lf)):
        backend = LocalGitBackend(tmp_path / f"hub-{name}")
        build_suite("gue", raw_dir=raw, configs=["mouse_tf_3"], backend=backend, progress=False)
        record = json.loads(backend.read_file(REPO, "gfmbench_build.json"))["configs"]["mouse_tf_3"]["upstream_files"]
        assert all(f["verified"] for f in record.values())
        built[name] = (record, backend.read_file(REPO, "README.md").decode(),
                       read(backend, "data/mouse_tf_3/test-00000-of-00001.parquet"))
    assert not any("check" in f for f in built["crlf"][0].values())
    assert {f["check"] for f in built["lf"][0].values()} == {CRLF_RESTORED}
    assert f"yes ({CRLF_RESTORED})" in built["lf"][1]
    assert built["lf"][2] == built["crlf"][2]  # the same rows either way
    test_csv = lf / "mouse" / "3" / "test.csv"
    lines = test_csv.read_text().splitlines(keepends=True)
    sequence, label = lines[1].rstrip("\n").split(",")
    lines[1] = f"{sequence},{1 - int(label)}\n"
    test_csv.write_text("".join(lines))
    backend = LocalGitBackend(tmp_path / "hub-changed")
    with pytest.raises(ChecksumError, match=r"mouse/3/test\.csv: checksum mismatch \(sha256 expected 86b1c183"):
        build_suite("gue", raw_dir=lf, configs=["mouse_tf_3"], backend=backend, progress=False)
    assert backend.head(REPO) is None
