"""Synthetic BEACON release files in the exact upstream layout (`downstream/<TaskId>/`), for the tests: no real
BEACON file is available here. Counts are chosen per split so that tests can compare them with what was built."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

SIZES = {"train": 24, "validation": 8, "test": 8}
EXTRA = 5  # rows of each extra test file (RFAM19, DIRECT, HSPE1, ...)
MODIFICATIONS = 12


def _seq(rng: random.Random, n: int, alphabet: str) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")


def hairpin_map(seq: str) -> np.ndarray:
    """An L x L 0/1 map of a nested stem: i pairs with L-1-i for the outer third."""
    n = len(seq)
    matrix = np.zeros((n, n), dtype=np.int64)
    for i in range(n // 3):
        matrix[i, n - 1 - i] = matrix[n - 1 - i, i] = 1
    return matrix


def contact_map(seq: str, rng: random.Random) -> np.ndarray:
    """Symmetric 0/1 contacts: the stem plus a few long-range random contacts, padded with -1 beyond L (as upstream
    maps padded to a common size)."""
    n = len(seq)
    matrix = hairpin_map(seq)
    for _ in range(3):
        i = rng.randrange(0, n - 24)
        j = rng.randrange(i + 23, n)
        matrix[i, j] = matrix[j, i] = 1
    padded = np.full((n + 4, n + 4), -1, dtype=np.int64)
    padded[:n, :n] = matrix
    return padded


def distance_map(seq: str, rng: random.Random) -> np.ndarray:
    n = len(seq)
    index = np.arange(n)
    matrix = np.abs(index[:, None] - index[None, :]) / max(n - 1, 1)
    matrix = np.round(matrix * 0.9 + 0.05, 4)
    np.fill_diagonal(matrix, 0.0)
    i, j = rng.randrange(n), rng.randrange(n)
    matrix[i, j] = matrix[j, i] = -1.0  # upstream padding inside the map: not scored
    return matrix.astype(np.float32)


def synthetic_beacon(root: Path, seed: int = 0) -> Path:
    """Write every BEACON task; returns the release root (the folder holding `downstream/`)."""
    rng = random.Random(seed)
    release = root / "BEACON"
    down = release / "downstream"
    upstream_split = {"train": "train", "validation": "val", "test": "test"}

    # Secondary structure: one bpRNA.csv for all splits + <data_name>/<file_name>.npy
    ssp = down / "Secondary_structure_prediction" / "bpRNA"
    rows = []
    for split, code in (("train", "TR0"), ("validation", "VL0"), ("test", "TS0")):
        for k in range(SIZES[split]):
            seq = _seq(rng, rng.randint(30, 60), "ACGU")
            name = f"bpRNA_{code}_{k}"
            (ssp / code).mkdir(parents=True, exist_ok=True)
            np.save(ssp / code / f"{name}.npy", hairpin_map(seq))
            dots = "".join("(" if i < len(seq) // 3 else ")" if i >= len(seq) - len(seq) // 3 else "."
                           for i in range(len(seq)))
            rows.append([code, name, seq, dots, len(seq)])
    rng.shuffle(rows)  # the splits are interleaved upstream
    _write_csv(ssp / "bpRNA.csv", ["data_name", "file_name", "seq", "dot_string", "seq_len"], rows)

    # Contact and distance maps: id,input CSVs + <map folder>/<id>.npy, two extra test sets
    for task, folder, make in (("ContactMap", "contact_map", contact_map), ("DistanceMap", "distance_map",
                                                                           distance_map)):
        base = down / task
        (base / folder).mkdir(parents=True, exist_ok=True)
        files = {**{upstream_split[s] + ".csv": SIZES[s] for s in SIZES}, "RFAM19.csv": EXTRA, "DIRECT.csv": EXTRA}
        for file, count in files.items():
            rows = []
            for k in range(count):
                uid = f"{Path(file).stem}_{k}"
                seq = _seq(rng, rng.randint(40, 70), "ACGU")
                np.save(base / folder / f"{uid}.npy", make(seq, rng))
                rows.append([uid, seq])
            _write_csv(base / file, ["id", "input"], rows)

    def per_split(task: str, header: list[str], make_row, files: dict[str, int] | None = None,
                  sub: str = "") -> None:
        targets = files or {upstream_split[s] + ".csv": SIZES[s] for s in SIZES}
        for file, count in targets.items():
            _write_csv(down / task / sub / file, header, [make_row() for _ in range(count)])

    def imputation_row() -> list[object]:
        seq = _seq(rng, 40, "ACGU")
        truth = [round(rng.random() + (ch in "AC"), 3) for ch in seq]
        observed = [-1 if rng.random() < 0.3 else v for v in truth]
        return [seq, " ".join(map(str, observed)), " ".join(map(str, truth))]

    per_split("StructuralScoreImputation", ["sequence", "observed", "truth"], imputation_row)

    def splice_row() -> list[object]:
        seq = _seq(rng, 60, "ACGT")
        labels = ["0"] * len(seq)
        for i in range(1, len(seq) - 2):  # acceptors after AG, donors before GT
            if seq[i - 1:i + 1] == "AG":
                labels[i + 1] = "1"
            elif seq[i:i + 2] == "GT" and rng.random() < 0.5:
                labels[i] = "2"
        return [seq, "".join(labels)]

    per_split("SpliceAI", ["sequence", "label"], splice_row)

    def apa_row() -> list[object]:
        seq = _seq(rng, 50, "ACGT")
        return [rng.randrange(10**6), seq, round(seq.count("A") / len(seq), 4), "lib"]

    per_split("Isoform", ["", "seq", "proportion", "library"], apa_row,
              {"train_new.csv": SIZES["train"], "val.csv": SIZES["validation"], "test.csv": SIZES["test"],
               "HSPE1.csv": EXTRA, "SNHG6.csv": EXTRA, "WHAMMP2.csv": EXTRA})
    per_split("NoncodingRNAFamily", ["sequence", "label"], lambda: [_seq(rng, rng.randint(30, 90), "ACGU"),
                                                                      rng.randrange(13)],
              {"train.csv": SIZES["train"], "val.csv": SIZES["validation"], "test.csv": SIZES["test"]})

    def modification_row() -> list[object]:
        labels = [rng.randrange(2) for _ in range(MODIFICATIONS)]
        return [_seq(rng, 41, "ACGU"), " ".join(map(str, labels))]

    per_split("Modification", ["sequence", "label"], modification_row)
    per_split("MeanRibosomeLoading", ["utr", "rl"], lambda: [_seq(rng, 50, "ACGT"), round(rng.uniform(2, 9), 3)])

    def switch_row() -> list[object]:
        on, off = round(rng.random(), 4), round(rng.random(), 4)
        return [_seq(rng, 59, "ACGT"), on, off, round(on - off, 4)]

    per_split("ProgrammableRNASwitches", ["sequence", "ON", "OFF", "ON_OFF"], switch_row)
    per_split("CRISPROnTarget", ["sgRNA", "label"], lambda: [_seq(rng, 23, "ACGT"), round(rng.random(), 4)],
              sub="HL60")

    def off_target_row() -> list[object]:
        guide = _seq(rng, 23, "ACGT")
        target = "".join(ch if rng.random() < 0.85 else rng.choice("ACGT") for ch in guide)
        return [guide, target, round(sum(a == b for a, b in zip(guide, target, strict=True)) / 23, 4)]

    per_split("CRISPROffTarget", ["sgRNA", "target", "label"], off_target_row, sub="K562")

    # Degradation: pandas JSON Lines of Kaggle OpenVaccine records; the test file has labels here
    folder = down / "Degradation" / "train-val-test"
    folder.mkdir(parents=True, exist_ok=True)
    for split, file in (("train", "train_1.json"), ("validation", "val_1.json"), ("test", "test_1.json")):
        with open(folder / file, "w") as handle:
            for k in range(SIZES[split]):
                seq = _seq(rng, 40, "ACGU")
                record = {"index": k, "id": f"id_{split}_{k}", "sequence": seq, "structure": "." * 40,
                          "predicted_loop_type": "E" * 40, "signal_to_noise": 1.5, "SN_filter": 1, "seq_length": 40,
                          "seq_scored": 30,
                          **{t: [round(rng.random() + (ch == "A"), 3) for ch in seq[:30]]
                             for t in ("reactivity", "deg_Mg_pH10", "deg_pH10", "deg_Mg_50C", "deg_50C")}}
                handle.write(json.dumps(record) + "\n")
    return release


def counts() -> dict[str, dict[str, int]]:
    """Rows per config and split as written above."""
    base = dict(SIZES)
    maps = {**base, "test_rfam19": EXTRA, "test_direct": EXTRA}
    return {
        "SSP_bpRNA": base, "contact_map": maps, "distance_map": maps, "structure_imputation": base,
        "splice_site": base, "apa_isoform": {**base, "test_hspe1": EXTRA, "test_snhg6": EXTRA, "test_whammp2": EXTRA},
        "ncrna_family": base, "modification": base, "ribosome_loading": base, "vaccine_degradation": base,
        "rna_switches": base, "crispr_on_target": base, "crispr_off_target": base,
    }
