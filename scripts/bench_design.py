"""Benchmark RNA design on the Eterna100 (V2) puzzles with a fixed CPU budget per puzzle: the masked-LM guided GA,
the random-mutation GA and ViennaRNA's `RNA.inverse_fold`, each design checked by folding with ViennaRNA.

    python scripts/bench_design.py --model PATH_OR_ID [--budget 20] [--puzzles 1 8 ...] [--out results.json]

All 100 puzzles x 3 methods x 20 s is about 100 minutes on one core: run it outside CI.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ETERNA = Path(os.environ.get("GFMBENCH_SAMPLES", ROOT.parent / "shared" / "samples")) / "eterna100" / \
    "eterna100_vienna2.txt"


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="masked LM for the guided GA (a folder or hub id); omitted: not run")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per puzzle and method")
    parser.add_argument("--puzzles", nargs="*", type=int, help="puzzle numbers (default: all 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="write the per-puzzle results as JSON")
    args = parser.parse_args(argv)

    from gfmbench.harness.design import MaskedLMProposer, design, inverse_fold, load_eterna

    puzzles = [p for p in load_eterna(ETERNA) if not args.puzzles or p.number in args.puzzles]
    methods = {"random GA": lambda t: design(t, seed=args.seed, generations=10**9, time_budget=args.budget),
               "RNA.inverse_fold": lambda t: inverse_fold(t, seed=args.seed, time_budget=args.budget)}
    if args.model:
        from gfmbench.harness.models import resolve_model

        proposer = MaskedLMProposer(resolve_model(args.model).path)
        methods["MLM-guided GA"] = lambda t: design(t, proposer=proposer, seed=args.seed, generations=10**9,
                                                    time_budget=args.budget)
    rows = []
    for puzzle in puzzles:
        for name, run in methods.items():
            r = run(puzzle.structure)
            rows.append({"puzzle": puzzle.number, "length": len(puzzle.structure), "method": name,
                         "solved": r.solved, "distance": r.distance, "folds": r.folds, "seconds": r.seconds,
                         "design": r.sequence})
    print(f"Eterna100 V2, {len(puzzles)} puzzle(s), {args.budget:.0f} s per puzzle and method, ViennaRNA-checked")
    print("folds: distinct sequences folded by the GA; for RNA.inverse_fold, its restarts")
    print(f"{'method':<20} {'solved':>8} {'mean s':>8} {'mean folds':>11}")
    for name in methods:
        mine = [r for r in rows if r["method"] == name]
        print(f"{name:<20} {sum(r['solved'] for r in mine):>4}/{len(mine):<3} "
              f"{sum(r['seconds'] for r in mine) / len(mine):>8.2f} {sum(r['folds'] for r in mine) / len(mine):>11.0f}")
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    main()
