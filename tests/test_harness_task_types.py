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
from tests.conftest import write_jsonl

pytestmark = pytest.mark.slow


def synthetic_rgb(root: Path, rng: random.Random) -> Path:
    raw = root / "RGB"

    def seq(n: int, alphabet: str = "ACGT") -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    for split, n in (("train", 40), ("valid", 12), ("test", 12)):
        te = []
        for i in range(n):
            label = i % 2
            te.append({"seq": seq(30, "GC" if label else "AT") + seq(20), "label": label})
        write_jsonl(raw / "RNA-TE-Prediction.Rice" / f"{split}.json", te)
        if split != "valid":  # Region_Rice gets no validation file: the harness must carve one from train
            write_jsonl(raw / "RNA-Region-Classification.Rice" / f"{split}.json",
                        [{"5utr": seq(rng.randint(3, 10)), "cds": "ATG" + seq(rng.randint(10, 20)) + "TAA",
                          "3utr": seq(rng.randint(3, 10))} for _ in range(n)])
        mrna = []
        for i in range(n):
            length, scored = 40, 30
            s = seq(length, "ACGU")
            mrna.append({"id": f"id_{split}_{i}", "sequence": s, "structure": "." * length,
                         "predicted_loop_type": "E" * length, "seq_scored": scored, "signal_to_noise": 1.0,
                         **{t: [round(rng.random() + (ch == "A"), 3) for ch in s[:scored]]
                            for t in ("reactivity", "deg_Mg_pH10", "deg_Mg_50C")}})
        write_jsonl(raw / "RNA-mRNA" / f"{split}.json", mrna)
    return raw


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
                              env=env, capture_output=True, text=True, timeout=600)
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
