"""Benchmark RNA design on the Eterna100 (V2) puzzles with a fixed CPU budget per puzzle: the ensemble-guided search
(with its pair-aware proposer, and with a masked LM's proposals), the genetic algorithm (random or masked-LM
mutations) and ViennaRNA's `RNA.inverse_fold`, each design checked by folding it with ViennaRNA.

    python scripts/bench_design.py [--model PATH_OR_ID] [--budget 20] [--methods ...] [--puzzles 1 8 ...]
                                   [--out results.jsonl] [--carry-solved-from results-20s.jsonl]

The budget is CPU seconds of this process (torch limited to one thread), so a busy machine does not change results.
All 100 puzzles x 20 s is at most 34 minutes per method on one core: run it outside CI. With `--out`, each
(puzzle, method) result is appended as one JSON line as soon as it is known and a rerun skips those already there,
so an interrupted run resumes; several processes can split the puzzles (`--puzzles`) into separate files.

`--carry-solved-from` takes the solved rows of a run at a smaller budget for the methods whose search does not depend
on its budget (the GA and `inverse_fold`: seeded, the budget only stops them), since the same seed reaches the same
design at the same CPU time; each carried row says so (`carried_from`). The ensemble search shares its budget among
a long target's pieces, so its rows are never carried.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

ROOT = Path(__file__).resolve().parent.parent
ETERNA = Path(os.environ.get("GFMBENCH_SAMPLES", ROOT.parent / "shared" / "samples")) / "eterna100" / \
    "eterna100_vienna2.txt"


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="masked LM for the LM-proposer methods (a folder or hub id); omitted: not run")
    parser.add_argument("--methods", nargs="*", help=f"methods to run (default: all; {', '.join(METHODS)})")
    parser.add_argument("--carry-solved-from", nargs="*", default=[],
                        help="JSON lines of a smaller budget whose solved rows of budget-independent methods count")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per puzzle and method")
    parser.add_argument("--puzzles", nargs="*", type=int, help="puzzle numbers (default: all 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="append per-puzzle results as JSON lines (resumes from them)")
    parser.add_argument("--summary-of", nargs="*", default=[], help="only print the table of these JSON lines files")
    args = parser.parse_args(argv)
    if args.summary_of:
        rows = read_rows(args.summary_of)
        print_table(rows, args.budget)
        return rows

    import torch

    torch.set_num_threads(1)

    from gfmbench.harness.design import MaskedLMProposer, design, inverse_fold, load_eterna
    from gfmbench.harness.ensemble_design import ensemble_design

    puzzles = [p for p in load_eterna(ETERNA) if not args.puzzles or p.number in args.puzzles]
    proposer = None
    if args.model:
        from gfmbench.harness.models import resolve_model

        proposer = MaskedLMProposer(resolve_model(args.model))
    runners = {
        "ensemble search": lambda t: ensemble_design(t, seed=args.seed, time_budget=args.budget),
        "ensemble search, MLM proposals": lambda t: ensemble_design(t, proposer=proposer, seed=args.seed,
                                                                    time_budget=args.budget),
        "random GA": lambda t: design(t, seed=args.seed, generations=10**9, time_budget=args.budget),
        "MLM-guided GA": lambda t: design(t, proposer=proposer, seed=args.seed, generations=10**9,
                                          time_budget=args.budget),
        "RNA.inverse_fold": lambda t: inverse_fold(t, seed=args.seed, time_budget=args.budget),
    }
    unknown = set(args.methods or []) - set(runners)
    if unknown:
        parser.error(f"unknown method(s) {sorted(unknown)}; choose from {list(runners)}")
    methods = {name: run for name, run in runners.items() if (name in args.methods if args.methods else True)
               and (proposer is not None or "MLM" not in name)}
    out = Path(args.out) if args.out else None
    rows = read_rows([out]) if out and out.exists() else []
    other = {r.get("budget") for r in rows} - {args.budget}
    if other:
        parser.error(f"{out} holds results at budget {sorted(map(str, other))}, not {args.budget}: resume with "
                     "the same budget or write another file")
    wanted = {p.number for p in puzzles}
    carried = [dict(r, budget=args.budget, carried_from=source) for source in args.carry_solved_from
               for r in read_rows([source]) if r["solved"] and r["method"] in BUDGET_INDEPENDENT
               and r["method"] in methods and r["seconds"] <= args.budget and r.get("seed", 0) == args.seed]
    known = {(r["puzzle"], r["method"]) for r in rows}
    for row in carried:
        if (row["puzzle"], row["method"]) not in known:
            rows.append(row)
            known.add((row["puzzle"], row["method"]))
            append_row(out, row)
    rows = [r for r in rows if r["puzzle"] in wanted and r["method"] in methods]
    for puzzle in tqdm(puzzles, desc="puzzles", unit="puzzle"):
        for name, run in methods.items():
            if (puzzle.number, name) in known:
                continue
            r = run(puzzle.structure)
            row = {"puzzle": puzzle.number, "length": len(puzzle.structure), "method": name, "budget": args.budget,
                   "seed": args.seed, "solved": r.solved, "distance": r.distance, "folds": r.folds,
                   "seconds": r.seconds, "design": r.sequence}
            rows.append(row)
            append_row(out, row)
    print_table(rows, args.budget)
    return rows


METHODS = ("ensemble search", "ensemble search, MLM proposals", "random GA", "MLM-guided GA", "RNA.inverse_fold")
BUDGET_INDEPENDENT = {"random GA", "MLM-guided GA", "RNA.inverse_fold"}  # seeded; the budget only stops them


def read_rows(files: Any) -> list[dict]:
    return [json.loads(line) for f in files for line in Path(f).read_text().splitlines() if line]


def append_row(out: Path | None, row: dict) -> None:
    """One complete line per result: an interrupted run loses at most the result being computed."""
    if out:
        with out.open("a") as f:
            f.write(json.dumps(row) + "\n")


def rows_at_budget(rows: list[dict], budget: float) -> list[dict]:
    """One row per (puzzle, method) at `budget`: the row run at that budget, else, for a method whose search does not
    depend on its budget, the row of a larger budget cut at `budget` (solved only if it was solved within it: the same
    seed takes the same path; how many folds it had made by then is not known, so `folds` is None unless solved)."""
    chosen: dict[tuple[int, str], dict] = {}
    for row in rows:
        key, run_at = (row["puzzle"], row["method"]), row.get("budget", budget)
        if run_at == budget:
            chosen[key] = row
        elif run_at > budget and row["method"] in BUDGET_INDEPENDENT and key not in chosen:
            solved = row["solved"] and row["seconds"] <= budget
            chosen[key] = dict(row, budget=budget, solved=solved, seconds=min(row["seconds"], budget),
                               folds=row["folds"] if solved else None, cut_from=run_at)
    return list(chosen.values())


def print_table(rows: list[dict], budget: float) -> None:
    """Solved counts, mean CPU seconds (of solved puzzles: the time to solve; of all), mean folds per method, as a
    table; then the puzzles no method solved. Rows of other budgets are cut to this one where that is exact."""
    from gfmbench.table import format_table

    rows = rows_at_budget(rows, budget)
    puzzles = sorted({r["puzzle"] for r in rows})
    print(f"Eterna100 V2, {len(puzzles)} puzzle(s), {budget:g} CPU s per puzzle and method, ViennaRNA-checked")
    print("folds: sequences scored (ensemble: partition functions; GA: MFE folds); for RNA.inverse_fold, its restarts")
    table = []
    for name in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == name]
        solved = [r for r in mine if r["solved"]]
        folds = [r["folds"] for r in mine if r["folds"] is not None]
        table.append([name, f"{len(solved)} / {len(mine)}",
                      f"{sum(r['seconds'] for r in solved) / len(solved):.2f}" if solved else "-",
                      f"{sum(r['seconds'] for r in mine) / len(mine):.2f}",
                      f"{sum(folds) / len(folds):,.0f}" if len(folds) == len(mine) else "-",
                      sum("carried_from" in r for r in mine), sum("cut_from" in r for r in mine)])
    print(format_table(["method", "solved", "mean CPU s to solve", "mean CPU s per puzzle", "mean folds",
                        "carried from a smaller budget", "cut from a larger budget"], table))
    solved_by_any = {r["puzzle"] for r in rows if r["solved"]}
    print("solved by no method: " + (", ".join(str(p) for p in puzzles if p not in solved_by_any) or "none"))


if __name__ == "__main__":
    main()
