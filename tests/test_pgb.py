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
    assert rows(backend, "poly_a_arabidopsis_thaliana", "train")[1]["label"] == 1
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
