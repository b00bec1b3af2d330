"""Benchmark the leakage audit at scale: time, peak memory and planted-pair recall for N synthetic sequences.

Each size runs in its own process (so peak RSS is that size's): 90 % of the sequences form the reference (train)
split, 10 % the queried (test) split, of which 1 % are exact copies (half reverse-complemented) and 2 % copies
with 1-5 substitutions; DNA, 150 nt.

    python scripts/bench_audit.py [--sizes 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one(n: int, seed: int = 0) -> dict:
    import resource

    from gfmbench.loaders.audit import audit_pair, reverse_complement

    rng = random.Random(seed)
    n_test = n // 10
    train = ["".join(rng.choices("ACGT", k=150)) for _ in range(n - n_test)]
    n_exact, n_near = n_test // 100, n_test // 50
    test = [reverse_complement(s) if i % 2 else s for i, s in enumerate(train[:n_exact])]
    for i in range(n_near):
        seq = list(train[n_exact + i])
        for pos in rng.sample(range(150), 1 + i % 5):
            seq[pos] = rng.choice([b for b in "ACGT" if b != seq[pos]])
        test.append("".join(seq))
    test += ["".join(rng.choices("ACGT", k=150)) for _ in range(n_test - len(test))]
    start = time.perf_counter()
    found = audit_pair(test, train, ("test", "train"), dna=True)
    seconds = time.perf_counter() - start
    return {"n": n, "seconds": round(seconds, 1), "peak_rss_mb": round(resource.getrusage(
        resource.RUSAGE_SELF).ru_maxrss / 1024), "exact": f"{found.exact}/{n_exact}", "near": f"{found.near}/{n_near}"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one)))
        return
    print(f"{'sequences':>10} {'seconds':>8} {'peak RSS MiB':>13} {'exact found':>12} {'near found':>11}")
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True,
                             cwd=ROOT)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['n']:>10} {r['seconds']:>8} {r['peak_rss_mb']:>13} {r['exact']:>12} {r['near']:>11}", flush=True)


if __name__ == "__main__":
    main()
