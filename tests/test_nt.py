"""The NT downstream tasks (revised) from synthetic Parquet files in the Hub dataset's exact layout: the build (train
and test upstream, validation carved from train), labels and names kept, and bad files named by file, row and
column."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gfmbench.errors import DataFormatError
from gfmbench.hub.publish import LocalGitBackend
from gfmbench.loaders.build import build_suite
from gfmbench.suites import get_suite
from tests.upstream_files import nt_parquet, synthetic_nt

REPO = "gfmbench/nt"


def rows(backend: LocalGitBackend, config: str, split: str) -> list[dict]:
    return pq.read_table(io.BytesIO(backend.read_file(REPO,
                                                      f"data/{config}/{split}-00000-of-00001.parquet"))).to_pylist()


def test_the_suite_declares_the_eighteen_tasks() -> None:
    suite = get_suite("nt")
    assert len(suite.tasks) == 18 and {t.primary_metric for t in suite.tasks} == {"mcc"}
    assert {t.config for t in suite.tasks if len(t.labels or []) == 3} == {"enhancers_types", "splice_sites_all"}
    assert suite.task("H3K4me3").max_length == 1000 and suite.task("promoter_all").max_length == 300


def test_nt_builds_with_a_carved_validation_split(tmp_path: Path) -> None:
    raw = synthetic_nt(tmp_path, random.Random(0))
    backend = LocalGitBackend(tmp_path / "hub")
    report = build_suite("nt", raw_dir=raw, backend=backend, verification="no_checks", progress=False)
    assert set(report.built) == {"promoter_tata", "splice_sites_all", "H3K4me3"}
    train, valid, test = (rows(backend, "splice_sites_all", s) for s in ("train", "validation", "test"))
    assert len(train) + len(valid) == 40 and len(valid) == 4 and len(test) == 40
    upstream = pq.read_table(raw / "splice_sites_all" / "test.parquet").to_pylist()
    assert [(r["sequence"], r["label"], r["name"]) for r in test] == \
        [(r["sequence"], r["label"], r["name"]) for r in upstream]
    assert {r["label"] for r in train + valid} == {0, 1, 2}
    card = backend.read_file(REPO, "README.md").decode()
    assert "carved from train: 10%" in card and "declares no license" in card
    assert "Raw release: a local copy (--raw-dir)." in card
    manifest = json.loads(backend.read_file(REPO, "gfmbench_build.json"))
    assert manifest["configs"]["promoter_tata"]["splits"]["test"]["max_length"] == 300


def test_a_file_without_the_task_column_builds(tmp_path: Path) -> None:  # the earlier revisions had none
    raw = synthetic_nt(tmp_path, random.Random(1))
    rng = random.Random(2)
    nt_parquet(raw / "promoter_tata" / "test.parquet", "promoter_tata",
               [("".join(rng.choice("ACGT") for _ in range(30)), i % 2) for i in range(10)], with_task=False)
    backend = LocalGitBackend(tmp_path / "hub")
    build_suite("nt", raw_dir=raw, backend=backend, configs=["promoter_tata"], verification="no_checks",
                progress=False)
    assert len(rows(backend, "promoter_tata", "test")) == 10


def _bad_label(path: Path) -> None:
    nt_parquet(path, "promoter_tata", [("ACGT", 0), ("ACGT", 1), ("ACGT", 2)])


def _bad_sequence(path: Path) -> None:
    nt_parquet(path, "promoter_tata", [("ACGT", 0), ("ACGTXZ", 1)])


def _other_task(path: Path) -> None:
    nt_parquet(path, "enhancers", [("ACGT", 0)])


def _no_label_column(path: Path) -> None:
    path.unlink()
    pq.write_table(pa.table({"sequence": ["ACGT"], "name": ["a"]}), path)


def _not_parquet(path: Path) -> None:
    path.write_text("sequence,label\nACGT,1\n")


@pytest.mark.parametrize(("damage", "message"), [
    (_bad_label, r"test\.parquet:3, field 'label': row 3: label 2 is not one of \['0', '1'\]"),
    (_bad_sequence, r"test\.parquet:2, field 'sequence': row 2: invalid nucleotide 'X' at position 5"),
    (_other_task, r"test\.parquet:1, field 'task': row 1: row of task 'enhancers' in the file of 'promoter_tata'"),
    (_no_label_column, r"missing column\(s\) \['label'\]"),
    (_not_parquet, r"not a Parquet file"),
])
def test_bad_parquet(tmp_path: Path, damage, message: str) -> None:
    raw = synthetic_nt(tmp_path, random.Random(3), n=6)
    damage(raw / "promoter_tata" / "test.parquet")
    backend = LocalGitBackend(tmp_path / "hub")
    with pytest.raises(DataFormatError, match=message) as err:
        build_suite("nt", raw_dir=raw, backend=backend, verification="no_checks", progress=False)
    assert err.value.file.endswith("promoter_tata/test.parquet")
    assert backend.head(REPO) is None


def test_download_route_fetches_the_release_files_at_the_pinned_revision(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The Hub route against the local hub: the upstream repo's layout (Parquet beside FASTA files that are not
    fetched) published there, the suite pinned to that commit; the build from the download equals the build from
    the same files given with --raw-dir."""
    from huggingface_hub import CommitOperationAdd

    from gfmbench.hub.publish import publish
    from gfmbench.hub.server import local_hub
    from gfmbench.loaders.raw import download_release

    monkeypatch.setenv("GFMBENCH_HOME", str(tmp_path / "home"))
    raw = synthetic_nt(tmp_path, random.Random(4), n=12)
    (raw / "H3K4me3" / "train.fna").write_text(">H3K4me3_0|1\nACGT\n")
    upstream = LocalGitBackend(tmp_path / "hub")
    nt = get_suite("nt")
    files = sorted(p for p in raw.rglob("*") if p.is_file())
    official = nt.upstream.sources[0]
    publish(upstream, official.repo, [CommitOperationAdd(str(p.relative_to(raw)), str(p)) for p in files],
            "upstream layout")
    head = upstream.head(official.repo)

    def pinned(revision: str):
        source = official.model_copy(update={"revision": revision})
        return nt.model_copy(update={"upstream": nt.upstream.model_copy(update={"sources": [source]})})

    suite = pinned(head)
    with local_hub(root=tmp_path / "hub") as hub:
        release = download_release(suite, endpoint=hub.endpoint)
        fetched = release.path
    assert sorted(str(p.relative_to(fetched)) for p in fetched.rglob("*.parquet")) == \
        sorted(str(p.relative_to(raw)) for p in raw.rglob("*.parquet"))
    assert not list(fetched.rglob("*.fna"))  # only the patterns the suite names
    assert release.origin.startswith(f"source `instadeep` (official): dataset `{official.repo}` at commit `{head}`, "
                                     "files `{name}/train.parquet`, `{name}/test.parquet` of 18 task(s)")
    built = {}
    for name, source in (("downloaded", fetched), ("raw-dir", raw)):
        backend = LocalGitBackend(tmp_path / name)
        build_suite("nt", raw_dir=source, backend=backend, verification="no_checks", progress=False)
        built[name] = [rows(backend, "splice_sites_all", split) for split in ("train", "validation", "test")]
    assert built["downloaded"] == built["raw-dir"]
    with local_hub(root=tmp_path / "hub") as hub, pytest.raises(Exception, match="cannot download suite 'nt'"):
        download_release(pinned("0" * 40), endpoint=hub.endpoint)


def test_a_download_source_has_the_fields_of_its_kind_and_a_unique_name() -> None:
    from pydantic import ValidationError

    from gfmbench.errors import ConfigError
    from gfmbench.suites.schema import DownloadSource, UpstreamSpec

    common = {"official": True, "description": "d"}
    with pytest.raises(ValidationError, match="a hub_files source needs repo, patterns"):
        DownloadSource(name="a", kind="hub_files", **common)
    with pytest.raises(ValidationError, match="a gdrive_archive source needs file_id"):
        DownloadSource(name="a", kind="gdrive_archive", **common)
    with pytest.raises(ValidationError, match="one sha256 cannot check one archive per task"):
        DownloadSource(name="a", kind="http_archive", url="https://x/{name}.zip", sha256="0" * 64, **common)
    one = DownloadSource(name="a", kind="http_archive", url="https://x/r.zip", **common)
    with pytest.raises(ValidationError, match="names must be unique"):
        UpstreamSpec(folder="NT", split_files={"train": "train.parquet"}, sources=[one, one])
    upstream = UpstreamSpec(folder="NT", split_files={"train": "train.parquet"}, sources=[one])
    assert upstream.download_source() is one and upstream.download_source("a") is one
    with pytest.raises(ConfigError, match=r"no download source 'b' \(this suite declares: a\)"):
        upstream.download_source("b")
