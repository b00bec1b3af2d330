"""Synthetic files in the exact upstream formats, for tasks with no real file here (or to plant errors): RGB JSON
Lines, PGB FASTA with label headers, GUE CSV, Genomic Benchmarks interval files with a synthetic reference, the NT
downstream tasks' Parquet files."""

from __future__ import annotations

import csv
import gzip
import random
import shutil
from pathlib import Path

from gfmbench.loaders.gb import read_intervals
from tests.helpers import write_jsonl

GOOD_SSP = [{"seq": "GGGAAACCC", "label": "(((...)))"}, {"seq": "acguacgu", "label": "((....))"}]
GB_TASK = "dummy_mouse_enhancers_ensembl"
GB_CONTIG = 20_000


def ssp_raw(root: Path, train: list | None = None, test: list | None = None, valid: list | None = None) -> Path:
    folder = root / "RGB" / "RNA-SSP-Archive2"
    write_jsonl(folder / "train.json", GOOD_SSP if train is None else train)
    write_jsonl(folder / "valid.json", GOOD_SSP if valid is None else valid)
    write_jsonl(folder / "test.json", GOOD_SSP if test is None else test)
    return root / "RGB"


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


def fasta(path: Path, records: list[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f">{h}\n" + "\n".join(s[i:i + 60] for i in range(0, len(s), 60)) + "\n"
                            for h, s in records))


def synthetic_pgb(root: Path, rng: random.Random, n: int = 24) -> Path:
    raw = root / "PGB"

    def seq(k: int) -> str:
        return "".join(rng.choice("ACGT") for _ in range(k))

    for split in ("train", "test"):  # as on the Hub: poly_a publishes no validation file
        fasta(raw / "poly_a" / f"arabidopsis_thaliana_{split}.fa",
              [(f"seq{i}|{i % 2}", seq(80)) for i in range(n)])
    for split in ("train", "validation", "test"):
        fasta(raw / "promoter_strength" / f"leaf_{split}.fa",
              [(f"p{i}|{rng.uniform(-2, 2):.3f}", seq(50)) for i in range(n)])
        fasta(raw / "gene_exp" / f"zea_mays_{split}.fa",
              [(f"g{i}|" + " ".join(f"{rng.uniform(0, 5):.2f}" for _ in range(4)), seq(120)) for i in range(n)])
        fasta(raw / "chromatin_access" / f"sorghum_bicolor_{split}.fa",
              [(f"c{i}|" + " ".join(str(rng.randrange(2)) for _ in range(5)), seq(100)) for i in range(n)])
    return raw


def nt_parquet(path: Path, task: str, rows: list[tuple[str, int]], with_task: bool = True) -> Path:
    """One split of an NT downstream task as the Hub dataset holds it: columns sequence, name, label, task."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    columns = {"sequence": [s for s, _ in rows], "name": [f"{task}_{i}" for i in range(len(rows))],
               "label": pa.array([label for _, label in rows], pa.int64())}
    if with_task:
        columns["task"] = [task] * len(rows)
    pq.write_table(pa.table(columns), path)
    return path


def synthetic_nt(root: Path, rng: random.Random, n: int = 40) -> Path:
    """Three NT tasks (binary, three-class, 1 kb histone mark) in the revised dataset's layout."""
    raw = root / "NT"
    for task, classes, length in (("promoter_tata", 2, 300), ("splice_sites_all", 3, 60), ("H3K4me3", 2, 100)):
        for split in ("train", "test"):
            nt_parquet(raw / task / f"{split}.parquet", task,
                       [("".join(rng.choice("ACGT") for _ in range(length)), i % classes) for i in range(n)])
    return raw


def write_csv(path: Path, rows: list[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("sequence,label\n" + "".join(f"{s},{label}\n" for s, label in rows))


def synthetic_gue(root: Path, samples: Path, rng: random.Random) -> Path:
    raw = root / "GUE"
    for name in ("train", "dev", "test"):  # the real DNABERT-2 format example stands in for one task
        (raw / "EMP" / "H3").mkdir(parents=True, exist_ok=True)
        shutil.copy(samples / "GUE" / "_format_example_sample_data" / f"{name}.csv", raw / "EMP" / "H3" / f"{name}.csv")
        write_csv(raw / "splice" / "reconstructed" / f"{name}.csv",
                  [("".join(rng.choice("ACGT") for _ in range(40)), str(rng.randrange(3))) for _ in range(25)])
        write_csv(raw / "virus" / "covid" / f"{name}.csv",
                  [("".join(rng.choice("ACGTN") for _ in range(60)), str(rng.randrange(9))) for _ in range(18)])
    return raw


def synthetic_gb(samples: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The real interval files re-based into small synthetic contigs (named the Ensembl way, without 'chr'),
    and a gzip-ed synthetic reference named as metadata.yaml says. The real file has only '+' intervals; every
    third one is flipped to '-' so both strands are exercised."""
    rng = random.Random(0)
    real = samples / "GB" / "datasets" / GB_TASK
    raw = tmp_path / "GB"
    target = raw / "datasets" / GB_TASK
    contigs: dict[str, str] = {}
    for split in ("train", "test"):
        for cls in ("negative", "positive"):
            rows = read_intervals(real / split / f"{cls}.csv.gz")
            out = target / split / f"{cls}.csv.gz"
            out.parent.mkdir(parents=True, exist_ok=True)
            with gzip.open(out, "wt", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["id", "region", "start", "end", "strand"])
                for i, r in enumerate(rows):
                    length = min(r["end"] - r["start"], GB_CONTIG - 1)
                    start = rng.randrange(0, GB_CONTIG - length)
                    strand = "-" if i % 3 == 0 else r["strand"]
                    writer.writerow([r["id"], r["region"], start, start + length, strand])
                    contigs.setdefault(r["region"].removeprefix("chr"), "")
    for name in contigs:
        contigs[name] = "".join(rng.choice("ACGT") for _ in range(GB_CONTIG))
    shutil.copy(real / "metadata.yaml", target / "metadata.yaml")
    (raw / "references").mkdir()
    with gzip.open(raw / "references" / "Mus_musculus.GRCm38.dna.toplevel.fa.gz", "wt") as handle:
        for name, seq in contigs.items():
            handle.write(f">{name} dna:chromosome\n" + "\n".join(seq[i:i + 60] for i in range(0, GB_CONTIG, 60)) + "\n")
    return raw, contigs
