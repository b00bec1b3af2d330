"""Benchmark: our masked token-level metrics vs scikit-learn on the same valid positions, in one run.

Ours receives padded arrays with the ignore value (it masks and flattens itself); scikit-learn receives the
already-flattened valid positions. Prints a table of best-of-N wall times and the ratio ours / scikit-learn
(target <= 1.0), and checks both give the same value.

    python scripts/bench_metrics.py                 # 10 million positions
    python scripts/bench_metrics.py --positions 100000 --repeats 1   # smoke run
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from collections.abc import Callable

import numpy as np


def best_time(fn: Callable[[], float], repeats: int) -> tuple[float, float]:
    times, value = [], float("nan")
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return min(times), value


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=10_000_000, help="padded token positions in total")
    parser.add_argument("--length", type=int, default=100, help="padded sequence length")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import sklearn
    from sklearn.metrics import f1_score, mean_squared_error

    from gfmbench.metrics.functional import IGNORE_INDEX, f1, mcrmse

    rng = np.random.default_rng(args.seed)
    n = max(1, args.positions // args.length)
    lengths = rng.integers(args.length // 2, args.length + 1, n)
    valid = np.arange(args.length)[None, :] < lengths[:, None]

    refs = rng.integers(0, 3, (n, args.length))
    refs[~valid] = IGNORE_INDEX
    preds = np.where(rng.random((n, args.length)) < 0.7, refs, rng.integers(0, 3, (n, args.length)))
    preds[~valid] = 0
    flat_refs, flat_preds = refs[valid], preds[valid]

    targets = rng.normal(size=(n, args.length, 3))
    guesses = targets + rng.normal(scale=0.3, size=targets.shape)
    targets_masked = targets.copy()
    targets_masked[~valid] = np.nan
    flat_t, flat_g = targets[valid], guesses[valid]

    cases = [
        ("masked token macro F1", lambda: f1(refs, preds, average="macro"),
         lambda: float(f1_score(flat_refs, flat_preds, average="macro"))),
        ("MCRMSE (3 targets, masked)", lambda: mcrmse(targets_masked, guesses),
         lambda: float(np.mean([math.sqrt(mean_squared_error(flat_t[:, j], flat_g[:, j])) for j in range(3)]))),
    ]
    rows = []
    print(f"positions: {n * args.length:,} padded, {int(valid.sum()):,} scored; best of {args.repeats}; "
          f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, {platform.processor() or platform.machine()}")
    print(f"{'metric':<28} {'gfmbench s':>11} {'sklearn s':>10} {'ratio':>6} {'target':>7} {'same value':>10}")
    for name, ours, theirs in cases:
        t_ours, v_ours = best_time(ours, args.repeats)
        t_ref, v_ref = best_time(theirs, args.repeats)
        ratio = t_ours / t_ref
        same = math.isclose(v_ours, v_ref, rel_tol=1e-9, abs_tol=1e-12)
        rows.append({"metric": name, "ours_s": t_ours, "sklearn_s": t_ref, "ratio": ratio, "same": same})
        print(f"{name:<28} {t_ours:>11.3f} {t_ref:>10.3f} {ratio:>6.2f} {'<= 1.0':>7} {str(same):>10}")
    return rows


if __name__ == "__main__":
    main()
