"""PGB from synthetic FASTA in the exact upstream header format: binary, regression, multi-output regression and
multi-label tasks; header and label errors; and the harness on the vector-label tasks."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from gfmbench.errors import DataFormatError
from gfmbench.hub.publish import LocalGitBackend
from gfmbench.loaders.build import build_suite
from tests.upstream_files import synthetic_pgb

REPO = "gfmbench/pgb"


def rows(backend: LocalGitBackend, config: str, split: str) -> list[dict]:
    return pq.read_table(io.BytesIO(backend.read_file(REPO,
                                                      f"data/{config}/{split}-00000-of-00001.parquet"))).to_pylist()


def test_pgb_builds_every_task_kind(tmp_path: Path) -> None:
    raw = synthetic_pgb(tmp_path, random.Random(0))
    backend = LocalGitBackend(tmp_path / "hub")
    report = build_suite("pgb", raw_dir=raw, backend=backend, verification="no_checks", progress=False)
    assert set(report.built) == {"poly_a_arabidopsis_thaliana", "promoter_strength_leaf", "gene_exp_zea_mays",
                                 "chromatin_access_sorghum_bicolor"}
    # poly_a has no validation file upstream: 10 % of train is carved off (seeded), declared in the suite, recorded
    train, valid = (rows(backend, "poly_a_arabidopsis_thaliana", s) for s in ("train", "validation"))
    assert (len(train), len(valid)) == (22, 2)
    assert sorted(r["name"] for r in train + valid) == sorted(f"seq{i}" for i in range(24))
    assert all(r["label"] == int(r["name"][3:]) % 2 for r in train + valid)
    record = json.loads(backend.read_file(REPO, "gfmbench_build.json"))["configs"]
    assert record["poly_a_arabidopsis_thaliana"]["validation"].startswith("carved from train: 10% of the records")
    assert not record["promoter_strength_leaf"].get("validation")  # upstream's own validation file is used
    promoter = rows(backend, "promoter_strength_leaf", "test")[0]
    assert isinstance(promoter["strength"], float) and promoter["name"] == "p0"
    gene = rows(backend, "gene_exp_zea_mays", "train")[0]
    assert len(gene["label"]) == 4 and len(gene["sequence"]) == 120  # the FASTA lines are joined
    access = rows(backend, "chromatin_access_sorghum_bicolor", "validation")[0]
    assert len(access["label"]) == 5 and set(access["label"]) <= {0, 1}
    card = backend.read_file(REPO, "README.md").decode()
    assert "> **License: cc-by-nc-sa-4.0.**" in card and "non-commercial" in card
    assert json.loads(backend.read_file(REPO, "gfmbench_build.json"))["configs"]["gene_exp_zea_mays"]["splits"][
        "train"]["max_length"] == 120


@pytest.mark.parametrize(("file", "content", "message"), [
    ("poly_a/arabidopsis_thaliana_test.fa", ">seq0\nACGT\n", r"record 1: header 'seq0' is not '>name\|label\.\.\.'"),
    ("poly_a/arabidopsis_thaliana_test.fa", ">seq0|2\nACGT\n", r"record 1 .*label '2' is not one of \['0', '1'\]"),
    ("promoter_strength/leaf_test.fa", ">p0|0.5\nACGT\n>p1|high\nACGT\n", r"record 2 .*label 'high' is not a number"),
    ("gene_exp/zea_mays_test.fa", ">g0|1 2 3 4\nACGT\n>g1|1 2 3\nACGT\n", r"record 2 .*3 label values, expected 4"),
    ("chromatin_access/sorghum_bicolor_test.fa", ">c0|0 1 2 0 1\nACGT\n", r"multi-label values must be 0/1"),
    ("poly_a/arabidopsis_thaliana_test.fa", ">s|1\nACGTXZ\n", r"record 1 \(s\): invalid nucleotide 'X' at position 5"),
    ("poly_a/arabidopsis_thaliana_test.fa", "seq,label\nACGT,1\n", r"not a FASTA file"),
])
def test_bad_fasta(tmp_path: Path, file: str, content: str, message: str) -> None:
    raw = synthetic_pgb(tmp_path, random.Random(1), n=4)
    (raw / file).write_text(content)
    backend = LocalGitBackend(tmp_path / "hub")
    with pytest.raises(DataFormatError, match=message) as err:
        build_suite("pgb", raw_dir=raw, backend=backend, verification="no_checks", progress=False)
    assert err.value.file.endswith(file)
    assert backend.head(REPO) is None


@pytest.mark.slow
def test_harness_on_multilabel_and_multi_output_regression(tmp_path: Path) -> None:
    from gfmbench.harness.tiny import publish_tiny_models
    from gfmbench.hub.server import local_hub

    backend = LocalGitBackend(tmp_path / "hub")
    build_suite("pgb", raw_dir=synthetic_pgb(tmp_path, random.Random(2)), backend=backend, verification="no_checks",
                progress=False)
    publish_tiny_models(backend, ["gfmbench/tiny-random-bert-kmer3"])
    with local_hub(root=tmp_path / "hub") as hub:
        env = {**hub.env(), "GFMBENCH_HOME": str(tmp_path / "home"), "HF_HOME": str(tmp_path / "hf")}
        proc = subprocess.run([sys.executable, "-m", "gfmbench", "run", "--model", "gfmbench/tiny-random-bert-kmer3",
                               "--suite", "pgb", "--tasks", "gene_exp_zea_mays", "chromatin_access.sorghum_bicolor",
                               "promoter_strength_leaf", "--epochs", "1", "--output-dir", str(tmp_path / "out"),
                               "--no-progress"], env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    found = {json.loads(p.read_text())["key"]["task"]: json.loads(p.read_text())
             for p in (tmp_path / "out").rglob("result.json")}
    assert found["gene_exp_zea_mays"]["head"].startswith("BertForSequenceClassification (4 outputs)")
    assert found["chromatin_access_sorghum_bicolor"]["head"].startswith("BertForSequenceClassification (5 outputs)")
    assert set(found["chromatin_access_sorghum_bicolor"]["metrics"]["test"]) == {
        "multilabel_roc_auc", "multilabel_f1_macro", "multilabel_pr_auc"}
    assert found["promoter_strength_leaf"]["head"].startswith("BertForSequenceClassification (1 outputs)")
    assert "r2" in found["gene_exp_zea_mays"]["metrics"]["test"]


def test_download_fetches_only_the_selected_tasks_at_the_pinned_commit(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The Hub route against the local hub: PGB's upstream layout published there (and a large family that must not
    be fetched when not asked for), the suite's source at that commit; a build of two configs from the download
    equals the build from --raw-dir, poly_a's validation carved the same way."""
    from huggingface_hub import CommitOperationAdd

    from gfmbench.hub.publish import publish
    from gfmbench.hub.server import local_hub
    from gfmbench.loaders import build as build_module
    from gfmbench.loaders.raw import download_release
    from gfmbench.suites import get_suite

    monkeypatch.setenv("GFMBENCH_HOME", str(tmp_path / "home"))
    raw = synthetic_pgb(tmp_path, random.Random(5))
    pgb = get_suite("pgb")
    official = pgb.upstream.sources[0]
    assert len(official.revision or "") == 40  # pinned to a full commit id
    upstream = LocalGitBackend(tmp_path / "hub")
    files = sorted(p for p in raw.rglob("*.fa"))
    publish(upstream, official.repo, [CommitOperationAdd(str(p.relative_to(raw)), str(p)) for p in files], "upstream")
    suite = pgb.model_copy(update={"upstream": pgb.upstream.model_copy(update={
        "sources": [official.model_copy(update={"revision": upstream.head(official.repo)})]})})
    wanted = ["poly_a_arabidopsis_thaliana", "promoter_strength_leaf"]
    with local_hub(root=tmp_path / "hub") as hub:
        release = download_release(suite, endpoint=hub.endpoint, tasks=[suite.task(c) for c in wanted])
    fetched = sorted(str(p.relative_to(release.path)) for p in release.path.rglob("*.fa"))
    assert fetched == ["poly_a/arabidopsis_thaliana_test.fa", "poly_a/arabidopsis_thaliana_train.fa",
                       "promoter_strength/leaf_test.fa", "promoter_strength/leaf_train.fa",
                       "promoter_strength/leaf_validation.fa"]  # not gene_exp, not chromatin_access
    assert "of 2 task(s)" in release.origin
    monkeypatch.setattr(build_module, "get_suite", lambda name: suite)
    built = {}
    for name, source in (("downloaded", release.path), ("raw-dir", raw)):
        backend = LocalGitBackend(tmp_path / name)
        build_suite("pgb", raw_dir=source, configs=wanted, backend=backend, verification="no_checks", progress=False)
        built[name] = [rows(backend, c, s) for c in wanted for s in ("train", "validation", "test")]
    assert built["downloaded"] == built["raw-dir"]
