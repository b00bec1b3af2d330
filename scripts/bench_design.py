"""Benchmark RNA design on the Eterna100 (V2) puzzles with a fixed CPU budget per puzzle: the masked-LM guided GA,
the random-mutation GA and ViennaRNA's `RNA.inverse_fold`, each design checked by folding with ViennaRNA.

    python scripts/bench_design.py --model PATH_OR_ID [--budget 20] [--puzzles 1 8 ...] [--out results.jsonl]

The budget is CPU seconds of this process (torch limited to one thread), so a busy machine does not change results.
All 100 puzzles x 3 methods x 20 s is at most 100 minutes per method on one core: run it outside CI. With `--out`, each
(puzzle, method) result is appended as one JSON line as soon as it is known and a rerun skips those already there,
so an interrupted run resumes; several processes can split the puzzles (`--puzzles`) into separate files.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from tqdm.auto import tqdm

ROOT = Path(__file__).resolve().parent.parent
ETERNA = Path(os.environ.get("GFMBENCH_SAMPLES", ROOT.parent / "shared" / "samples")) / "eterna100" / \
    "eterna100_vienna2.txt"


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="masked LM for the guided GA (a folder or hub id); omitted: not run")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per puzzle and method")
    parser.add_argument("--puzzles", nargs="*", type=int, help="puzzle numbers (default: all 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="append per-puzzle results as JSON lines (resumes from them)")
    parser.add_argument("--summary-of", nargs="*", default=[], help="only print the table of these JSON lines files")
    args = parser.parse_args(argv)
    if args.summary_of:
        rows = [json.loads(line) for f in args.summary_of for line in Path(f).read_text().splitlines() if line]
        print_table(rows, args.budget)
        return rows

    import torch

    torch.set_num_threads(1)

    from gfmbench.harness.design import MaskedLMProposer, design, inverse_fold, load_eterna

    puzzles = [p for p in load_eterna(ETERNA) if not args.puzzles or p.number in args.puzzles]
    methods = {"random GA": lambda t: design(t, seed=args.seed, generations=10**9, time_budget=args.budget),
               "RNA.inverse_fold": lambda t: inverse_fold(t, seed=args.seed, time_budget=args.budget)}
    if args.model:
        from gfmbench.harness.models import resolve_model

        proposer = MaskedLMProposer(resolve_model(args.model))
        methods["MLM-guided GA"] = lambda t: design(t, proposer=proposer, seed=args.seed, generations=10**9,
                                                    time_budget=args.budget)
    out = Path(args.out) if args.out else None
    rows = [json.loads(line) for line in out.read_text().splitlines() if line] if out and out.exists() else []
    done = {(r["puzzle"], r["method"]) for r in rows}
    wanted = {p.number for p in puzzles}
    rows = [r for r in rows if r["puzzle"] in wanted and r["method"] in methods]
    for puzzle in tqdm(puzzles, desc="puzzles", unit="puzzle"):
        for name, run in methods.items():
            if (puzzle.number, name) in done:
                continue
            r = run(puzzle.structure)
            row = {"puzzle": puzzle.number, "length": len(puzzle.structure), "method": name, "solved": r.solved,
                   "distance": r.distance, "folds": r.folds, "seconds": r.seconds, "design": r.sequence}
            rows.append(row)
            if out:
                with out.open("a") as f:  # one complete line per result: an interrupted run loses at most one
                    f.write(json.dumps(row) + "\n")
    print_table(rows, args.budget)
    return rows


def print_table(rows: list[dict], budget: float) -> None:
    puzzles = {r["puzzle"] for r in rows}
    print(f"Eterna100 V2, {len(puzzles)} puzzle(s), {budget:.0f} CPU s per puzzle and method, ViennaRNA-checked")
    print("folds: distinct sequences folded by the GA; for RNA.inverse_fold, its restarts")
    print(f"{'method':<20} {'solved':>8} {'mean CPU s':>11} {'mean folds':>11}")
    for name in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == name]
        print(f"{name:<20} {sum(r['solved'] for r in mine):>4}/{len(mine):<3} "
              f"{sum(r['seconds'] for r in mine) / len(mine):>11.2f} "
              f"{sum(r['folds'] for r in mine) / len(mine):>11.0f}")


if __name__ == "__main__":
    main()
