"""Benchmark the builders, in one run:

1. build throughput on a large synthetic GUE-format CSV (default 5 million rows) vs a plain polars read + Parquet
   write of the same file (target ratio >= 0.5, as rows per second ours / polars'); reported for the conversion
   alone (validate + write shards) and for the whole `build_suite` (checksum, conversion, card, git commit);
2. build time and peak RSS of a child process building a synthetic PGB FASTA and a GUE CSV of N sequences, for
   each N of `--scale` (default 1 million and 10 million, 200 nt; `--fasta N` keeps the old N/10 and N pair of 1 kb
   sequences): streaming means the peak RSS must not grow with N.

    python scripts/bench_builders.py [--rows 5000000] [--scale 1000000 10000000] [--length 200]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def write_gue_csv(path: Path, rows: int, length: int = 100, seed: int = 0) -> None:
    """A GUE-format CSV (`sequence,label`), written in blocks with NumPy."""
    rng = np.random.default_rng(seed)
    bases = np.frombuffer(b"ACGT", dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(b"sequence,label\n")
        block = 200_000
        for start in range(0, rows, block):
            n = min(block, rows - start)
            lines = np.empty((n, length + 3), dtype=np.uint8)
            lines[:, :length] = bases[rng.integers(0, 4, (n, length))]
            lines[:, length] = ord(",")
            lines[:, length + 1] = ord("0") + rng.integers(0, 2, n)
            lines[:, length + 2] = ord("\n")
            handle.write(lines.tobytes())


def write_pgb_fasta(path: Path, records: int, length: int = 1000, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    bases = np.frombuffer(b"ACGT", dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        block = 20_000
        for start in range(0, records, block):
            n = min(block, records - start)
            seqs = bases[rng.integers(0, 4, (n, length))]
            labels = rng.integers(0, 2, n)
            handle.write(b"".join(b">s%d|%d\n" % (start + i, labels[i]) + seqs[i].tobytes() + b"\n"
                                  for i in range(n)))


def polars_baseline(csv: Path, out: Path) -> float:
    import polars as pl

    start = time.perf_counter()
    pl.read_csv(csv).write_parquet(out, compression="zstd")
    return time.perf_counter() - start


def conversion_only(csv: Path, out: Path) -> float:
    from datasets import Features

    from gfmbench.loaders.build import _with_ids
    from gfmbench.loaders.csvtable import read_sequence_label_csv
    from gfmbench.loaders.parquet import ShardWriter, task_features
    from gfmbench.suites import get_suite

    task = get_suite("gue").task("EMP_H3")
    start = time.perf_counter()
    writer = ShardWriter(out, "train", Features(task_features(task, {})))
    for table in _with_ids(read_sequence_label_csv(csv, task), "train"):
        writer.write(table)
    writer.close()
    return time.perf_counter() - start


def whole_build(raw: Path, hub: Path) -> float:
    from gfmbench.hub.publish import LocalGitBackend
    from gfmbench.loaders.build import build_suite

    start = time.perf_counter()
    build_suite("gue", raw_dir=raw, configs=["EMP_H3"], backend=LocalGitBackend(hub), verification="no_checks",
                progress=False)
    return time.perf_counter() - start


CHILD_CONFIGS = {"pgb": "poly_a_arabidopsis_thaliana", "gue": "EMP_H3"}


def build_child(suite: str, raw: str, hub: str) -> None:
    """Run in a child process: build one config and print the build time and the peak RSS."""
    from gfmbench.hub.publish import LocalGitBackend
    from gfmbench.loaders.build import build_suite

    start = time.perf_counter()
    build_suite(suite, raw_dir=raw, configs=[CHILD_CONFIGS[suite]], backend=LocalGitBackend(hub),
                verification="no_checks", progress=False)
    print(json.dumps({"seconds": time.perf_counter() - start,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def child_build(suite: str, raw: Path, hub: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", suite, str(raw), str(hub)], capture_output=True,
                         text=True, check=True, env=os.environ.copy())
    return json.loads(out.stdout.strip().splitlines()[-1])


def scale(tmp_path: Path, sizes: list[int], length: int) -> None:
    """Build time and peak RSS per N for both raw formats; raw files are deleted after each size."""
    import shutil

    print(f"{'format':<28} {'sequences':>12} {'build s':>9} {'sequences/s':>12} {'peak RSS MiB':>13}")
    for n in sizes:
        for suite in ("gue", "pgb"):
            raw = tmp_path / f"{suite}-{n}"
            if suite == "pgb":
                for split in ("train", "validation", "test"):
                    write_pgb_fasta(raw / "poly_a" / f"arabidopsis_thaliana_{split}.fa", n if split == "train" else 100,
                                    length)
            else:
                for name in ("train", "dev", "test"):
                    write_gue_csv(raw / "EMP" / "H3" / f"{name}.csv", n if name == "train" else 1000, length)
            r = child_build(suite, raw, tmp_path / f"hub-{suite}-{n}")
            label = "GUE CSV" if suite == "gue" else "PGB FASTA"
            print(f"{label + f', {length} nt':<28} {n:>12,} {r['seconds']:>9.1f} {n / r['seconds']:>12,.0f} "
                  f"{r['peak_rss_mb']:>13.0f}", flush=True)
            shutil.rmtree(raw)
            shutil.rmtree(tmp_path / f"hub-{suite}-{n}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--fasta", type=int, help="the N/10 vs N comparison with 1 kb FASTA sequences")
    parser.add_argument("--scale", nargs="*", type=int, default=[1_000_000, 10_000_000])
    parser.add_argument("--length", type=int, default=200, help="sequence length for --scale")
    parser.add_argument("--skip-throughput", action="store_true", help="only the --scale part")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gfmbench-bench-build-") as tmp:
        tmp_path = Path(tmp)
        os.environ["GFMBENCH_HOME"] = str(tmp_path / "home")
        if args.scale:
            scale(tmp_path, args.scale, args.length)
        if args.skip_throughput:
            return
        raw = tmp_path / "GUE"
        for name in ("train", "dev", "test"):
            write_gue_csv(raw / "EMP" / "H3" / f"{name}.csv", args.rows if name == "train" else 1000)
        csv = raw / "EMP" / "H3" / "train.csv"
        size_mb = csv.stat().st_size / 2**20
        t_polars = polars_baseline(csv, tmp_path / "polars.parquet")
        t_convert = conversion_only(csv, tmp_path / "converted")
        t_build = whole_build(raw, tmp_path / "hub")
        print(f"GUE-format CSV: {args.rows:,} rows, {size_mb:.0f} MiB")
        print(f"{'':<44} {'seconds':>8} {'rows/s':>12} {'ratio vs polars':>16}")
        for name, seconds in (("polars read_csv + write_parquet", t_polars),
                              ("gfmbench conversion (validate + shards)", t_convert),
                              ("gfmbench build_suite (+checksum, card, git)", t_build)):
            print(f"{name:<44} {seconds:>8.2f} {args.rows / seconds:>12,.0f} {t_polars / seconds:>16.2f}")
        print("target: ratio >= 0.5")
        if args.fasta:
            peaks = {}
            for n in (max(1, args.fasta // 10), args.fasta):
                pgb = tmp_path / f"PGB{n}"
                for split in ("train", "validation", "test"):
                    write_pgb_fasta(pgb / "poly_a" / f"arabidopsis_thaliana_{split}.fa",
                                    n if split == "train" else 100)
                peaks[n] = child_build("pgb", pgb, tmp_path / f"hub{n}")["peak_rss_mb"]
            print("PGB FASTA build, 1 kb sequences: " + ", ".join(f"{n:,} sequences -> peak RSS {mb:.0f} MiB"
                                                                 for n, mb in peaks.items()))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        build_child(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
