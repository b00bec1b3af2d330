"""The other task types end to end on synthetic files in their exact upstream formats (no real TE, Region or mRNA
training data exists here): sequence classification, token classification from segments, token regression."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from gfmbench.hub.publish import LocalGitBackend
from gfmbench.hub.server import local_hub
from tests.upstream_files import synthetic_rgb

pytestmark = pytest.mark.slow


def test_sequence_classification_token_regression_and_regions(tmp_path: Path) -> None:
    from gfmbench.harness.tiny import publish_tiny_models
    from gfmbench.loaders.build import build_suite

    backend = LocalGitBackend(tmp_path / "hub")
    raw = synthetic_rgb(tmp_path, random.Random(0))
    build_suite("rgb", raw_dir=raw, backend=backend, verification="no_checks", progress=False)
    publish_tiny_models(backend, ["gfmbench/tiny-random-bert-kmer3"])
    with local_hub(root=tmp_path / "hub") as hub:
        env = {**hub.env(), "GFMBENCH_HOME": str(tmp_path / "home"), "HF_HOME": str(tmp_path / "hf")}
        proc = subprocess.run([sys.executable, "-m", "gfmbench", "run", "--model", "gfmbench/tiny-random-bert-kmer3",
                               "--suite", "rgb", "--tasks", "TE_Rice", "RNA-mRNA", "Region_Rice", "--epochs", "2",
                               "--batch-size", "8", "--output-dir", str(tmp_path / "out"), "--no-progress"],
                              env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    found = {json.loads(p.read_text())["key"]["task"]: (p.parent, json.loads(p.read_text()))
             for p in (tmp_path / "out").rglob("result.json")}
    assert set(found) == {"TE_Rice", "mRNA_degrade", "Region_Rice"}
    te = found["TE_Rice"][1]
    assert te["head"].startswith("BertForSequenceClassification (2 outputs)")
    assert set(te["metrics"]["test"]) == {"f1_macro", "mcc", "accuracy", "roc_auc"}
    mrna_folder, mrna = found["mRNA_degrade"]
    assert mrna["direction"] == "lower" and mrna["metrics"]["test"]["mcrmse"] > 0
    import pyarrow.parquet as pq

    from gfmbench.metrics.functional import mcrmse

    rows = pq.read_table(mrna_folder / "predictions.parquet").to_pylist()
    assert len(rows[0]["prediction"]) == 40 and len(rows[0]["prediction"][0]) == 3  # per nucleotide, 3 targets
    refs = [[[float("nan") if v is None else v for v in pos] for pos in r["reference"]] for r in rows]
    assert mcrmse(refs, [r["prediction"] for r in rows]) == pytest.approx(mrna["metrics"]["test"]["mcrmse"])
    region = found["Region_Rice"][1]
    assert region["metrics"]["test"]["truncated_positions"] == 0
    assert region["validation_source"].startswith("carved from train: 10%, seed 0")
    assert te["validation_source"] == "upstream validation split"
    assert "mcrmse" in proc.stdout and "TE_Rice" in proc.stdout
