"""Bad raw input: every failure names the file, line and field, and the hub repo is left exactly as it was."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gfmbench.errors import ChecksumError, DataFormatError, MissingDataError, UnknownNameError
from gfmbench.hub.publish import LocalGitBackend
from gfmbench.loaders.build import build_suite
from gfmbench.loaders.raw import safe_extract_zip
from tests.helpers import write_jsonl
from tests.upstream_files import GOOD_SSP, ssp_raw

REPO = "gfmbench/rgb"
@pytest.fixture
def published(tmp_path: Path) -> LocalGitBackend:
    """A hub whose gfmbench/rgb already has a good synthetic build (so we can check it is left untouched)."""
    backend = LocalGitBackend(tmp_path / "hub")
    build_suite("rgb", raw_dir=ssp_raw(tmp_path / "good"), backend=backend, verification="no_checks", progress=False)
    return backend


def build_fails(backend: LocalGitBackend, raw: Path, error: type[Exception], match: str, **kw) -> Exception:
    before = (backend.head(REPO), backend.list_files(REPO))
    with pytest.raises(error, match=match) as info:
        build_suite("rgb", raw_dir=raw, backend=backend, verification=kw.pop("verification", "no_checks"),
                    progress=False, **kw)
    assert (backend.head(REPO), backend.list_files(REPO)) == before, "a failed build changed the hub repo"
    return info.value


def test_good_synthetic_build(published: LocalGitBackend) -> None:
    manifest = json.loads(published.read_file(REPO, "gfmbench_build.json"))
    assert manifest["configs"]["SSP_Archive2"]["splits"]["train"]["rows"] == 2
    assert manifest["verification"] == "no_checks"


def test_malformed_json_line(published: LocalGitBackend, tmp_path: Path) -> None:
    raw = ssp_raw(tmp_path, test=[GOOD_SSP[0], GOOD_SSP[1], '{"seq": "ACGU", "label": "....'])
    err = build_fails(published, raw, DataFormatError, r"test\.json:3: malformed JSON")
    assert err.line == 3 and err.file.endswith("RNA-SSP-Archive2/test.json")


def test_unknown_nucleotide(published: LocalGitBackend, tmp_path: Path) -> None:
    raw = ssp_raw(tmp_path, train=[GOOD_SSP[0], {"seq": "GGGAZACCC", "label": "(((...)))"}])
    err = build_fails(published, raw, DataFormatError,
                      r"train\.json:2, field 'seq': invalid nucleotide 'Z' at position 5")
    assert err.field == "seq"


def test_dna_base_in_an_rna_task(published: LocalGitBackend, tmp_path: Path) -> None:
    raw = ssp_raw(tmp_path, valid=[{"seq": "GGGTAACCC", "label": "(((...)))"}])
    build_fails(published, raw, DataFormatError, r"valid\.json:1, field 'seq': invalid nucleotide 'T' .* RNA task")


def test_label_length_mismatch(published: LocalGitBackend, tmp_path: Path) -> None:
    raw = ssp_raw(tmp_path, train=[{"seq": "GGGAAACCC", "label": "(((..)))"}])
    build_fails(published, raw, DataFormatError, r"train\.json:1, field 'label': label length 8 != sequence length 9")


def test_unknown_label_symbol(published: LocalGitBackend, tmp_path: Path) -> None:
    raw = ssp_raw(tmp_path, test=[GOOD_SSP[0], {"seq": "GGGAAACCC", "label": "(((.x.)))"}])
    build_fails(published, raw, DataFormatError, r"test\.json:2, field 'label': unknown label symbol 'x' at position 5")


def test_missing_required_key(published: LocalGitBackend, tmp_path: Path) -> None:
    raw = ssp_raw(tmp_path, train=[GOOD_SSP[0], {"seq": "GGGAAACCC"}])
    build_fails(published, raw, DataFormatError, r"train\.json:2, field 'label': missing required key")


def test_empty_split(published: LocalGitBackend, tmp_path: Path) -> None:
    raw = ssp_raw(tmp_path)
    (raw / "RNA-SSP-Archive2" / "valid.json").write_text("\n")
    build_fails(published, raw, DataFormatError, r"valid\.json: empty split 'validation'")


def test_a_damaged_build_record_stops_the_next_build(published: LocalGitBackend, tmp_path: Path) -> None:
    """The build record is read back as a typed model: a damaged one names the repo file and the field, and the
    repo is left as it was (a rebuild merges the configs it does not rebuild from that record)."""
    from huggingface_hub import CommitOperationAdd

    record = json.loads(published.read_file(REPO, "gfmbench_build.json"))
    record["configs"]["SSP_Archive2"]["splits"]["train"]["rows"] = "two"
    published.commit(REPO, [CommitOperationAdd("gfmbench_build.json", json.dumps(record).encode())], "damage")
    err = build_fails(published, ssp_raw(tmp_path / "again"), DataFormatError,
                      r"gfmbench/rgb/gfmbench_build\.json, field 'configs\.SSP_Archive2\.splits\.train\.rows': "
                      "not a gfmbench build record")
    assert err.file == "gfmbench/rgb/gfmbench_build.json"


def test_checksum_mismatch(published: LocalGitBackend, samples: Path, tmp_path: Path) -> None:
    raw = tmp_path / "RGB"
    shutil.copytree(samples / "RGB" / "RNA-SSP-Archive2", raw / "RNA-SSP-Archive2")
    test_file = raw / "RNA-SSP-Archive2" / "test.json"
    test_file.write_bytes(test_file.read_bytes().replace(b"GG", b"GA", 1))
    err = build_fails(published, raw, ChecksumError, r"test\.json: checksum mismatch", verification="all_checks")
    assert err.expected != err.actual
    # Accepting the risk explicitly builds, and the card says the files were not verified.
    build_suite("rgb", raw_dir=raw, backend=published, verification="no_checks", progress=False, force_tag=True)
    card = published.read_file(REPO, "README.md").decode()
    assert "Checksum verification: `no_checks`" in card and "| not listed |" in card


def test_verified_files_are_marked(samples: Path, tmp_path: Path) -> None:
    backend = LocalGitBackend(tmp_path)
    build_suite("rgb", raw_dir=samples / "RGB", configs=["SSP_Archive2"], backend=backend, progress=False)
    files = json.loads(backend.read_file(REPO, "gfmbench_build.json"))["configs"]["SSP_Archive2"]["upstream_files"]
    assert all(info["verified"] for info in files.values()) and len(files) == 3


def test_unknown_config_suggests_closest(published: LocalGitBackend, tmp_path: Path) -> None:
    build_fails(published, ssp_raw(tmp_path), UnknownNameError, "unknown rgb config 'SSP_Archiv2'; did you mean "
                "'SSP_Archive2'", configs=["SSP_Archiv2"])


def test_raw_dir_missing_a_task(published: LocalGitBackend, tmp_path: Path) -> None:
    raw = ssp_raw(tmp_path)
    build_fails(published, raw, MissingDataError, r"TE_Rice: raw release .* has no folder RNA-TE-Prediction\.Rice",
                configs=["TE_Rice"])
    report = build_suite("rgb", raw_dir=raw, backend=published, verification="no_checks", progress=False)
    assert "TE_Rice" in report.skipped and list(report.built) == ["SSP_Archive2"]


def test_raw_dir_with_no_task_at_all(published: LocalGitBackend, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    build_fails(published, tmp_path / "empty", MissingDataError, "no task of the suite was found")


def test_missing_split_is_reported_not_faked(tmp_path: Path) -> None:
    raw = ssp_raw(tmp_path)
    (raw / "RNA-SSP-Archive2" / "train.json").unlink()
    backend = LocalGitBackend(tmp_path / "hub")
    report = build_suite("rgb", raw_dir=raw, backend=backend, verification="no_checks", progress=False)
    assert report.missing_splits == {"SSP_Archive2": ["train"]}
    assert not any("/train-" in f for f in backend.list_files(REPO))
    assert "SSP_Archive2: train" in backend.read_file(REPO, "README.md").decode()


def test_raw_dir_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match="no such directory"):
        build_suite("rgb", raw_dir=tmp_path / "nope", backend=LocalGitBackend(tmp_path), progress=False)


def test_raw_root_without_the_suite_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GFMBENCH_RAW_DIR", str(tmp_path))
    with pytest.raises(MissingDataError, match=r"GFMBENCH_RAW_DIR=.* has no RGB/ folder"):
        build_suite("rgb", backend=LocalGitBackend(tmp_path / "hub"), progress=False)


def test_raw_root_route(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ssp_raw(tmp_path / "root")
    monkeypatch.setenv("GFMBENCH_RAW_DIR", str(tmp_path / "root"))
    report = build_suite("rgb", backend=LocalGitBackend(tmp_path / "hub"), verification="no_checks", progress=False)
    assert report.built == {"SSP_Archive2": {"train": 2, "validation": 2, "test": 2}}


def test_other_rgb_formats_and_their_errors(tmp_path: Path) -> None:
    """TE (sequence label) and Region (three segments) have no real file here: synthetic files in their format."""
    raw = tmp_path / "RGB"
    for name in ("train.json", "valid.json", "test.json"):
        write_jsonl(raw / "RNA-TE-Prediction.Rice" / name, [{"seq": "ATGGCCTAA", "label": 1}, {"sequence": "ATGC",
                                                                                            "label": "0"}])
        write_jsonl(raw / "RNA-Region-Classification.Rice" / name, [{"5utr": "AC", "cds": "ATGTAA", "3utr": "G"}])
    backend = LocalGitBackend(tmp_path / "hub")
    report = build_suite("rgb", raw_dir=raw, backend=backend, verification="no_checks", progress=False)
    assert set(report.built) == {"TE_Rice", "Region_Rice"}
    import io

    import pyarrow.parquet as pq

    region = pq.read_table(io.BytesIO(backend.read_file(REPO, "data/Region_Rice/test-00000-of-00001.parquet")))
    assert region.column("label").to_pylist() == [[0, 0, 1, 1, 1, 1, 1, 1, 2]]
    te = pq.read_table(io.BytesIO(backend.read_file(REPO, "data/TE_Rice/train-00000-of-00001.parquet")))
    assert te.column("label").to_pylist() == [1, 0]
    write_jsonl(raw / "RNA-TE-Prediction.Rice" / "test.json", [{"seq": "ATGC", "label": 2}])
    with pytest.raises(DataFormatError, match=r"test\.json:1, field 'label': unknown label 2"):
        build_suite("rgb", raw_dir=raw, backend=backend, verification="no_checks", progress=False)


def test_mrna_and_mutation_errors(tmp_path: Path) -> None:
    raw = tmp_path / "RGB"
    row = {"id": "id_1", "sequence": "GGAAAC", "seq_scored": 3, "reactivity": [0.1, 0.2, 0.3],
           "deg_Mg_pH10": [0.1, 0.2, 0.3], "deg_Mg_50C": [0.1, 0.2]}
    write_jsonl(raw / "RNA-mRNA" / "test.json", [row])
    with pytest.raises(DataFormatError, match=r"test\.json:1, field 'deg_Mg_50C': label length 2 != sequence length 3"):
        build_suite("rgb", raw_dir=raw, configs=["mRNA_degrade"], backend=LocalGitBackend(tmp_path / "h"),
                    verification="no_checks", progress=False)
    write_jsonl(raw / "RNA-SNMD" / "test.json", [{"seq": "ACGT", "mut": "ACG", "ratio": "1,1,1,1"}])
    with pytest.raises(DataFormatError, match=r"test\.json:1, field 'mut': label length 3 != sequence length 4"):
        build_suite("rgb", raw_dir=raw, configs=["SNMD"], backend=LocalGitBackend(tmp_path / "h"),
                    verification="no_checks", progress=False)
    write_jsonl(raw / "RNA-SNMR" / "test.json", [{"seq": "ACGT", "mut": "ACGA", "ratio": "1,1,x,1"}])
    with pytest.raises(DataFormatError, match=r"field 'ratio': not a number at position 3"):
        build_suite("rgb", raw_dir=raw, configs=["SNMR"], backend=LocalGitBackend(tmp_path / "h"),
                    verification="no_checks", progress=False)


def test_cli_prints_a_clean_error(tmp_path: Path) -> None:
    raw = ssp_raw(tmp_path, train=[{"seq": "GGGAZACCC", "label": "(((...)))"}])
    out = subprocess.run([sys.executable, "-m", "gfmbench", "build", "rgb", "--raw-dir", str(raw), "--no-verify",
                          "--hub-root", str(tmp_path / "hub"), "--no-progress"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 2
    assert "train.json:1, field 'seq': invalid nucleotide 'Z'" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "hub" / "datasets" / "gfmbench" / "rgb").exists()


def test_zip_slip_entries_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("RGB/RNA-SNMD/test.json", "{}\n")
        zf.writestr("../../escaped.txt", "owned")
    with pytest.raises(DataFormatError, match="archive entry escapes the target folder"):
        safe_extract_zip(archive, tmp_path / "out" / "rgb")
    assert not (tmp_path / "out" / "rgb").exists() and not (tmp_path / "escaped.txt").exists()


def test_checksum_mismatch_is_reported_before_the_bad_rows_it_explains(published: LocalGitBackend, samples: Path,
                                                                      tmp_path: Path) -> None:
    raw = tmp_path / "RGB"
    shutil.copytree(samples / "RGB" / "RNA-SSP-Archive2", raw / "RNA-SSP-Archive2")
    train = raw / "RNA-SSP-Archive2" / "train.json"
    train.write_text('{"seq": "GGZ", "label": "(.)"}\n' + train.read_text())  # corrupted download: bad row
    build_fails(published, raw, ChecksumError, r"train\.json: checksum mismatch", verification="all_checks")
