"""BEACON from synthetic files in its exact upstream layout (no real BEACON file exists here): every config builds
and loads through the local hub, maps round-trip through their compact storage, bad rows are refused with their
file/line/field, and a tiny model runs the pair task (contact_map), the nucleotide task (splice_site) and the
sequence-pair task (crispr_off_target) end to end with result cards."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from gfmbench.errors import DataFormatError
from gfmbench.hub.publish import LocalGitBackend
from gfmbench.hub.server import local_hub
from gfmbench.loaders.build import build_suite
from gfmbench.pairmaps import pair_map
from tests.beacon_files import counts, synthetic_beacon
from tests.helpers import run_python

REPO = "gfmbench/beacon"
DOWN = "downstream"


def _rows(backend: LocalGitBackend, config: str, split: str) -> list[dict]:
    path = next(p for p in backend.list_files(REPO) if p.startswith(f"data/{config}/{split}-"))
    return pq.read_table(io.BytesIO(backend.read_file(REPO, path))).to_pylist()


def test_the_registry_lists_thirteen_beacon_configs() -> None:
    proc = subprocess.run([sys.executable, "-m", "gfmbench", "tasks", "--suite", "beacon", "--long"],
                          capture_output=True,
                          text=True, timeout=60, check=True)
    listed = [line.split()[1] for line in proc.stdout.splitlines()[2:] if line.startswith("beacon")]
    assert len(listed) == 13 and {"contact_map", "splice_site", "crispr_off_target", "SSP_bpRNA"} <= set(listed)
    assert "pair_classification" in proc.stdout and "pair_regression" in proc.stdout


@pytest.fixture(scope="module")
def beacon(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LocalGitBackend, object]:
    root = tmp_path_factory.mktemp("beacon")
    raw = synthetic_beacon(root)
    backend = LocalGitBackend(root / "hub")
    report = build_suite("beacon", raw_dir=raw, backend=backend, verification="no_checks", progress=False)
    return raw, backend, report


def test_every_config_builds_with_the_counts_of_its_files(beacon) -> None:
    _, backend, report = beacon
    assert report.built == counts() and not report.skipped and not report.missing_splits
    card = backend.read_file(REPO, "README.md").decode()
    assert "8 (+ test_rfam19: 5, test_direct: 5)" in card  # the extra test sets, reported apart
    assert "gfmbench.pairmaps.pair_map(row)" in card and "SpliceAI-derived" in card and "Kaggle" in card
    assert "@article{danaee2018bprna" in card and card.count("@article{chuai2018deepcrispr") == 1
    assert "config_name: contact_map" in card and "split: test_rfam19" in card


def test_maps_round_trip_through_their_stored_form(beacon) -> None:
    raw, backend, _ = beacon
    contact = _rows(backend, "contact_map", "test_direct")[2]
    upstream = np.load(raw / DOWN / "ContactMap" / "contact_map" / f"{contact['upstream_id']}.npy")
    n = len(contact["sequence"])
    assert upstream.shape[0] > n  # padded upstream; cropped to L x L here
    assert (pair_map(contact) == upstream[:n, :n]).all()
    assert all(i < j for i, j in contact["label"])
    distance = _rows(backend, "distance_map", "train")[0]
    upstream = np.load(raw / DOWN / "DistanceMap" / "distance_map" / f"{distance['upstream_id']}.npy")
    rebuilt = pair_map(distance, "distance")
    off = ~np.eye(len(distance["sequence"]), dtype=bool)
    expected = np.where(upstream == -1, np.nan, upstream)[off]
    assert np.allclose(rebuilt[off], expected, equal_nan=True) and np.isnan(rebuilt[off]).sum() == 2
    ssp = _rows(backend, "SSP_bpRNA", "validation")
    first = ssp[0]
    upstream = np.load(raw / DOWN / "Secondary_structure_prediction" / "bpRNA" / "VL0" / f"{first['file_name']}.npy")
    assert (pair_map(first) == upstream).all() and len(ssp) == 8


def test_nucleotide_and_sequence_configs_keep_their_upstream_values(beacon) -> None:
    raw, backend, _ = beacon
    imputation = _rows(backend, "structure_imputation", "train")[0]
    lines = (raw / DOWN / "StructuralScoreImputation" / "train.csv").read_text().splitlines()
    seq, observed, truth = lines[1].split(",")
    gaps = [float(v) == -1 for v in observed.split()]
    assert imputation["sequence"] == seq
    assert [v is not None for v in imputation["score"]] == gaps  # the target exists at the gaps only
    assert imputation["score"][gaps.index(True)] == pytest.approx(float(truth.split()[gaps.index(True)]), abs=1e-6)
    splice = _rows(backend, "splice_site", "test")[0]
    first = (raw / DOWN / "SpliceAI" / "test.csv").read_text().splitlines()[1].split(",")
    assert splice["label"] == [int(d) for d in first[1]]
    off = _rows(backend, "crispr_off_target", "validation")[0]
    first = (raw / DOWN / "CRISPROffTarget" / "K562" / "val.csv").read_text().splitlines()[1].split(",")
    assert (off["sequence"], off["target_sequence"]) == (first[0], first[1])
    assert off["cleavage"] == pytest.approx(float(first[2]))
    apa = _rows(backend, "apa_isoform", "test_whammp2")
    assert len(apa) == 5 and apa[0]["sequence"] == (raw / DOWN / "Isoform" / "WHAMMP2.csv").read_text(
    ).splitlines()[1].split(",")[1]
    switches = _rows(backend, "rna_switches", "train")[0]
    assert set(switches) >= {"ON", "OFF", "ON_OFF"}
    modification = _rows(backend, "modification", "test")[0]
    assert len(modification["label"]) == 12


LOAD_ALL = """
import json, datasets
from gfmbench.pairmaps import pair_map
datasets.disable_progress_bars()
out = {}
for config in %s:
    ds = datasets.load_dataset("gfmbench/beacon", config, revision="v1.0.0")
    out[config] = {k: v.num_rows for k, v in ds.items()}
row = datasets.load_dataset("gfmbench/beacon", "contact_map", revision="v1.0.0", split="test")[0]
out["contact_pairs"] = int(pair_map(row).sum())
out["contact_label_feature"] = str(ds["train"].features)
print(json.dumps(out))
"""


@pytest.mark.slow
def test_every_config_loads_through_the_local_hub(beacon) -> None:
    _, backend, _ = beacon
    with local_hub(root=backend.root) as hub:
        result = run_python(LOAD_ALL % json.dumps(sorted(counts())), hub.env())
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    for config, splits in counts().items():
        assert out[config] == splits, config
    assert out["contact_pairs"] > 0 and out["contact_pairs"] % 2 == 0  # a symmetric 0/1 map


def _build(raw: Path, tmp: Path, config: str) -> LocalGitBackend:
    backend = LocalGitBackend(tmp / "hub")
    build_suite("beacon", raw_dir=raw, configs=[config], backend=backend, verification="no_checks", progress=False)
    return backend


def _edit_csv_row(path: Path, line: int, column: int, value: str) -> None:
    lines = path.read_text().splitlines()
    fields = lines[line - 1].split(",")
    fields[column] = value
    lines[line - 1] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")


def _resave(path: Path, change) -> None:
    array = np.load(path)
    np.save(path, change(array))


@pytest.mark.parametrize(("config", "damage", "message"), [
    ("contact_map", lambda d: _edit_csv_row(d / "ContactMap" / "val.csv", 3, 1, "ACGZ"),
     r"val\.csv:3, field 'input': invalid nucleotide 'Z' at position 4"),
    ("contact_map", lambda d: (d / "ContactMap" / "contact_map" / "test_1.npy").unlink(),
     r"test\.csv:3: the map file .*test_1\.npy of this row does not exist"),
    ("contact_map", lambda d: _resave(d / "ContactMap" / "contact_map" / "train_0.npy", lambda a: a[:10, :10]),
     r"train_0\.npy: map of shape \(10, 10\) does not fit the sequence of length \d+ at train\.csv:2"),
    ("contact_map", lambda d: _resave(d / "ContactMap" / "contact_map" / "train_0.npy",
                                      lambda a: np.where(np.eye(len(a), dtype=bool), 2, a)),
     r"train_0\.npy: binary map has 2 at \(1, 1\); expected 0 or 1"),
    ("distance_map", lambda d: _resave(d / "DistanceMap" / "distance_map" / "val_0.npy", lambda a: a * 3),
     r"val_0\.npy: distance .* is neither in \[0, 1\] nor the padding value -1"),
    ("splice_site", lambda d: _edit_csv_row(d / "SpliceAI" / "train.csv", 4, 1, "0012"),
     r"train\.csv:4, field 'label': label length 4 != sequence length 60"),
    ("splice_site", lambda d: _edit_csv_row(d / "SpliceAI" / "test.csv", 2, 1, "3" * 60),
     r"test\.csv:2, field 'label': label '3' at position 1 is not a class id 0\.\.2"),
    ("SSP_bpRNA", lambda d: (d / "Secondary_structure_prediction" / "bpRNA" / "bpRNA.csv").open("a").write(
        "TS0,bpRNA_TS0_0,ACGU,....,5\n"),
     r"bpRNA\.csv:\d+, field 'seq_len': seq_len '5' != length of seq 4"),
    ("modification", lambda d: _edit_csv_row(d / "Modification" / "val.csv", 2, 1, "0 1 1"),
     r"val\.csv:2, field 'label': expected 12 space-separated 0/1 values"),
    ("ribosome_loading", lambda d: _edit_csv_row(d / "MeanRibosomeLoading" / "test.csv", 5, 1, "high"),
     r"test\.csv:5, field 'rl': not a number: 'high'"),
    ("ncrna_family", lambda d: _edit_csv_row(d / "NoncodingRNAFamily" / "train.csv", 2, 1, "13"),
     r"train\.csv:2, field 'label': label '13' is not one of"),
    ("crispr_off_target", lambda d: _edit_csv_row(d / "CRISPROffTarget" / "K562" / "test.csv", 2, 1, "ACGTX"),
     r"test\.csv:2, field 'target': invalid nucleotide 'X' at position 5"),
])
def test_bad_upstream_rows_are_refused_and_nothing_is_published(tmp_path: Path, config: str, damage,
                                                               message: str) -> None:
    raw = synthetic_beacon(tmp_path, seed=3)
    damage(raw / DOWN)
    backend = LocalGitBackend(tmp_path / "hub")
    with pytest.raises(DataFormatError, match=message):
        build_suite("beacon", raw_dir=raw, configs=[config], backend=backend, verification="no_checks",
                    progress=False)
    assert backend.head(REPO) is None


def test_a_test_file_without_labels_gives_no_scored_test_split(tmp_path: Path) -> None:
    raw = synthetic_beacon(tmp_path, seed=4)
    test_file = raw / DOWN / "Degradation" / "train-val-test" / "test_1.json"
    unlabelled = [{k: v for k, v in json.loads(line).items() if k not in
                   ("reactivity", "deg_Mg_pH10", "deg_pH10", "deg_Mg_50C", "deg_50C")}
                  for line in test_file.read_text().splitlines()]
    test_file.write_text("".join(json.dumps(r) + "\n" for r in unlabelled))
    backend = LocalGitBackend(tmp_path / "hub")
    report = build_suite("beacon", raw_dir=raw, configs=["vaccine_degradation"], backend=backend,
                         verification="no_checks", progress=False)
    assert report.built["vaccine_degradation"] == {"train": 24, "validation": 8}
    assert report.missing_splits["vaccine_degradation"] == ["test"]
    manifest = json.loads(backend.read_file(REPO, "gfmbench_build.json"))
    reason = manifest["configs"]["vaccine_degradation"]["unscored_splits"]["test"]
    assert "test_1.json carries no labels" in reason and reason in backend.read_file(REPO, "README.md").decode()


def test_a_pandas_json_document_reads_like_json_lines(tmp_path: Path) -> None:
    import pandas as pd

    raw = synthetic_beacon(tmp_path, seed=5)
    folder = raw / DOWN / "Degradation" / "train-val-test"
    pd.read_json(folder / "val_1.json", lines=True).to_json(folder / "val_1.json")  # pandas' default orient
    backend = _build(raw, tmp_path, "vaccine_degradation")
    rows = _rows(backend, "vaccine_degradation", "validation")
    assert len(rows) == 8 and rows[0]["upstream_id"] == "id_validation_0" and len(rows[0]["reactivity"]) == 40


def test_optional_cell_line_subfolders_are_optional(tmp_path: Path) -> None:
    raw = synthetic_beacon(tmp_path, seed=6)
    on = raw / DOWN / "CRISPROnTarget"
    for file in (on / "HL60").iterdir():
        shutil.move(file, on / file.name)
    (on / "HL60").rmdir()
    backend = _build(raw, tmp_path, "crispr_on_target")
    assert len(_rows(backend, "crispr_on_target", "train")) == 24


@pytest.mark.slow
def test_tiny_model_runs_contact_map_splice_site_and_a_sequence_pair_task(beacon, tmp_path: Path) -> None:
    import yaml
    from huggingface_hub import parse_eval_result_entries

    from gfmbench.harness.tiny import publish_tiny_models
    from gfmbench.metrics.catalog import get_metric
    from gfmbench.pairmaps import pairs_to_triangle

    _, built, _ = beacon
    hub_root = tmp_path / "hub"
    shutil.copytree(built.root, hub_root)
    publish_tiny_models(LocalGitBackend(hub_root), ["gfmbench/tiny-random-bert-kmer3"])
    with local_hub(root=hub_root) as hub:
        env = {**hub.env(), "GFMBENCH_HOME": str(tmp_path / "home"), "HF_HOME": str(tmp_path / "hf")}
        proc = subprocess.run([sys.executable, "-m", "gfmbench", "run", "--model", "gfmbench/tiny-random-bert-kmer3",
                               "--suite", "beacon", "--tasks", "contact_map", "SpliceAI", "crispr_off_target",
                               "--epochs", "2", "--batch-size", "8", "--learning-rate", "1e-3", "--output-dir",
                               str(tmp_path / "out"), "--no-progress"], env=env, capture_output=True, text=True,
                              timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    found = {json.loads(p.read_text())["key"]["task"]: (p.parent, json.loads(p.read_text()))
             for p in (tmp_path / "out").rglob("result.json")}
    assert set(found) == {"contact_map", "splice_site", "crispr_off_target"}

    folder, contact = found["contact_map"]
    assert set(contact["metrics"]) == {"validation", "test", "test_rfam19", "test_direct"}
    assert "pair head" in contact["head"]
    rows = pq.read_table(folder / "predictions.parquet").to_pylist()
    assert len(rows) == 8
    n = len(rows[0]["sequence"])
    assert len(rows[0]["scores"]) == n * (n - 1) // 2  # one score per nucleotide pair (upper triangle)
    refs = [pairs_to_triangle(r["reference"], len(r["sequence"])) for r in rows]
    recomputed = get_metric("top_l_precision_long")(refs, [r["scores"] for r in rows])
    assert recomputed == pytest.approx(contact["metrics"]["test"]["top_l_precision_long"])

    folder, splice = found["splice_site"]
    rows = pq.read_table(folder / "predictions.parquet").to_pylist()
    topk = get_metric("topk_accuracy")([r["reference"] for r in rows], [r["scores"] for r in rows])
    assert topk == pytest.approx(splice["metrics"]["test"]["topk_accuracy"])
    assert {"topk_accuracy_acceptor", "topk_accuracy_donor"} <= set(splice["metrics"]["test"])

    folder, off = found["crispr_off_target"]
    rows = pq.read_table(folder / "predictions.parquet").to_pylist()
    assert len(rows) == 8 and len(rows[0]["target_sequence"]) == 23 and "spearman" in off["metrics"]["test"]

    card_dir = next((tmp_path / "out").rglob("cards"))
    entries = parse_eval_result_entries(yaml.safe_load((card_dir / ".eval_results" / "beacon.yaml").read_text()))
    assert sorted(e.task_id for e in entries) == ["contact_map", "crispr_off_target", "splice_site"]  # test only
    summary = json.loads((card_dir / "summary-beacon.json").read_text())
    assert {(r["task"], r["split"]) for r in summary} >= {("contact_map", "test_rfam19"), ("contact_map",
                                                                                           "test_direct")}
    assert "contact_map [test_rfam19]" in proc.stdout


def test_a_sequence_pair_is_tokenised_together_and_only_the_first_is_aligned() -> None:
    from gfmbench.harness.align import detect_input_format, encode
    from gfmbench.harness.tiny import build_tokenizer

    tokenizer = build_tokenizer("kmer3")
    fmt = detect_input_format(tokenizer)
    guide, target = "ACGTACGTA", "ACGTTCGTAGG"
    alone = encode(tokenizer, fmt, [guide], None)[0]
    pair = encode(tokenizer, fmt, [guide], None, pairs=[target])[0]
    second = encode(tokenizer, fmt, [target], None)[0]
    assert len(pair.input_ids) == len(alone.input_ids) + len(second.input_ids) - 1  # [CLS] a [SEP] b [SEP]
    assert pair.input_ids[len(alone.input_ids):] == second.input_ids[1:]  # the target follows the guide
    assert (pair.nt_to_token == alone.nt_to_token).all()  # nucleotides of the first sequence only


def test_pairs_cut_by_truncation_are_ignored_and_indexed_through_tokens() -> None:
    from gfmbench.harness.align import (
        detect_input_format,
        encode,
        pair_labels,
        pair_token_index,
    )
    from gfmbench.harness.tiny import build_tokenizer
    from gfmbench.pairmaps import pairs_to_triangle, triangle_size

    tokenizer = build_tokenizer("kmer3")
    fmt = detect_input_format(tokenizer)
    seq = "ACGUACGUACGUAC"  # 14 nt -> 5 k-mer tokens; max_length 4 keeps 2 of them (6 nt)
    enc = encode(tokenizer, fmt, [seq], 4)[0]
    covered = enc.nt_to_token >= 0
    assert covered.sum() == 6
    labels = pair_labels(enc, pairs_to_triangle([[0, 5], [0, 13], [2, 3]], len(seq)).astype(np.int64))
    i, j = np.triu_indices(len(seq), k=1)
    assert labels.size == triangle_size(14)
    assert labels[(i == 0) & (j == 5)][0] == 1 and labels[(i == 2) & (j == 3)][0] == 1
    assert labels[(i == 0) & (j == 13)][0] == -100  # nucleotide 13 was cut off
    assert ((labels == -100) == ~(covered[i] & covered[j])).all()
    index = pair_token_index(enc.nt_to_token, width=7)
    k = np.flatnonzero((i == 1) & (j == 4))[0]
    assert index[k] == enc.nt_to_token[1] * 7 + enc.nt_to_token[4]
    assert (index[labels == -100] == -1).all()


def test_an_undefined_bootstrap_interval_is_none_not_nan() -> None:
    from gfmbench.harness.scoring import primary_confidence_interval
    from gfmbench.suites.registry import get_task

    _, task = get_task("beacon/crispr_on_target")
    constant = [{"id": str(i), "reference": [i / 10], "prediction": [0.5]} for i in range(10)]  # Spearman undefined
    assert primary_confidence_interval(task, constant) is None
    varied = [{"id": str(i), "reference": [i / 10], "prediction": [i / 10 + (i % 3) / 50]} for i in range(10)]
    low, high = primary_confidence_interval(task, varied)
    assert 0.0 < low <= high <= 1.0
