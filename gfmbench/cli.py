"""The `gfmbench` command line. Errors the user can fix print one clean message and exit 2; `--debug` shows
the traceback."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gfmbench._version import __version__
from gfmbench.errors import GfmbenchError
from gfmbench.harness.options import BatchOrder, LongSequences, LrScheduler, Precision, ZeroShotScoring, choices
from gfmbench.harness.results import Regime
from gfmbench.hub.routing import repos_of


def _built_splits(repo_id: str) -> dict[str, dict[str, int]] | None:
    """config -> split -> rows of a suite built into the local hub (its build record); None if not built here."""
    from gfmbench.config import hub_root
    from gfmbench.hub.publish import LocalGitBackend
    from gfmbench.loaders.manifest import BUILD_MANIFEST, BuildManifest

    backend = LocalGitBackend(hub_root())
    if not backend.repo_path(repo_id, "dataset").is_dir():
        return None
    raw = backend.read_file(repo_id, BUILD_MANIFEST)
    if raw is None:
        return None
    manifest = BuildManifest.from_json(raw, f"{repo_id}/{BUILD_MANIFEST}")
    return {name: {split: info.rows for split, info in entry.splits.items()}
            for name, entry in manifest.configs.items()}


def _cmd_sources(args: argparse.Namespace) -> int:
    from gfmbench.suites import get_suite
    from gfmbench.suites.registry import suite_names
    from gfmbench.table import format_table

    rows = []
    for name in [args.suite] if args.suite else suite_names():
        sources = get_suite(name).upstream.sources
        for i, source in enumerate(sources):
            rows.append([name, source.name + (" (default)" if i == 0 else ""), source.kind,
                         "yes" if source.official else "no", source.location()])
        if not sources:
            rows.append([name, "—", "—", "—", "none declared: pass --raw-dir"])
    print(format_table(["suite", "source", "kind", "official", "where"], rows))
    return 0


def _cmd_tasks(args: argparse.Namespace) -> int:
    """The task registry: by default what fits 120 columns (with the local hub's split sizes where the suite is
    built); `--long` adds alphabet, labels, license and upstream name."""
    from gfmbench.suites.registry import all_tasks
    from gfmbench.table import format_table

    built: dict[str, dict[str, dict[str, int]] | None] = {}
    rows = []
    for suite, task in all_tasks(args.suite):
        if suite.name not in built:
            built[suite.name] = _built_splits(suite.dataset_repo)
        splits = (built[suite.name] or {}).get(task.config)
        sizes = "/".join(str(splits[s]) if s in splits else "—" for s in ("train", "validation", "test")) \
            if splits else ("not built" if built[suite.name] is None else "not in the build")
        metric = f"{task.primary_metric} ({'↑' if task.direction == 'higher' else '↓'})"
        kind = task.type if args.long else task.type.replace("classification", "class.")  # 120 columns
        row = [suite.name, task.config, kind, metric, task.max_length, sizes]
        if args.long:
            classes = ",".join(task.labels) if task.labels else ",".join(task.targets or [])
            row += [task.alphabet, classes if len(classes) <= 40 else classes[:39] + "…",
                    task.license or suite.license, task.upstream_names[0]]
        rows.append(row)
    headers = ["suite", "config", "type", "primary metric", "max_len", "train/val/test"]
    if args.long:
        headers += ["alphabet", "labels/targets", "license", "upstream name"]
    print(format_table(headers, rows))
    return 0


def _human(n: int | None) -> str:
    if n is None:
        return "-"
    for unit, size in (("B", 10**9), ("M", 10**6), ("k", 10**3)):
        if n >= size:
            return f"{n / size:g}{unit}"
    return str(n)


def _cmd_models(args: argparse.Namespace) -> int:
    from gfmbench.models.registry import all_checkpoints
    from gfmbench.table import format_table

    if getattr(args, "models_command", None) == "check":
        return _cmd_models_check(args)
    rows = []
    for family, ckpt in all_checkpoints():
        k = ckpt.k or family.k
        tokenizer = family.tokenizer.replace("_", "-") + (f" (k={k})" if k else "")
        loading = "plugin " + family.plugin_import if family.plugin_import else (
            "remote code" if family.remote_code else "transformers")
        rows.append([ckpt.name, family.display_name, ckpt.hub_id, family.alphabet, tokenizer,
                     _human(ckpt.n_parameters), f"{ckpt.max_context:,}" if ckpt.max_context else "-",
                     family.license or "-", loading])
    print(format_table(["name", "family", "hub id", "alphabet", "tokenizer", "params", "context (tokens)",
                        "license", "loads with"], rows))
    return 0


def _cmd_models_check(args: argparse.Namespace) -> int:
    from gfmbench.harness.check import check_model
    from gfmbench.table import format_table

    report = check_model(args.model, trust_remote_code=args.trust_remote_code, imports=args.imports,
                         allow_unloaded_weights=args.allow_unloaded_weights)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
        return 0
    print(f"{report.model} @ {report.revision[:12]}" + (f" ({report.family})" if report.family else ""))
    print(f"tokenizer: {report.tokenizer}; input: {report.input_format}")
    for alphabet, info in report.alphabets.items():
        print(f"  {alphabet}: {info['sequence_tokens']} sequence tokens ({info['tokens']} with specials), "
              f"unknown {info['unknown_share']:.1%}")
    print("alignment (first tokens of yeast tRNA-Phe):")
    print("  " + "  ".join(f"{tok}->{nts}" for tok, nts in report.alignment[:12]))
    print(f"forward: {report.forward}")
    loading = report.loading
    print(f"loading: {loading['n_checkpoint_tensors']} checkpoint tensors; new {len(loading['new_parameters'])}, "
          f"unused (pretraining heads) {len(loading['checkpoint_ignored'])}, not loaded "
          f"{len(loading['backbone_not_loaded'])}, unused {len(loading['checkpoint_unused'])}")
    for fix in loading["fixes"]:
        print(f"  load-time fix: {fix}")
    print(format_table(["task type / regime", "can run"], [[k, v] for k, v in report.task_types.items()]))
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from gfmbench.hub.publish import select_backend
    from gfmbench.loaders.build import build_suite
    from gfmbench.table import format_table

    backend = select_backend(to_hub=args.push_to_hub, root=args.hub_root)
    report = build_suite(
        args.suite,
        raw_dir=args.raw_dir,
        configs=args.configs,
        exclude=args.exclude,
        backend=backend,
        verification="no_checks" if args.no_verify else "all_checks",
        force_tag=args.force_tag,
        progress=not args.no_progress,
        download_source=args.source,
    )
    rows = [[config, *(splits.get(s, "—") for s in ("train", "validation", "test")),
             ", ".join(f"{s}: {n}" for s, n in splits.items() if s.startswith("test_"))]
            for config, splits in report.built.items()]
    print(format_table(["config", "train", "validation", "test", "extra test sets"], rows))
    for config, reason in report.skipped.items():
        print(f"skipped {config}: {reason}")
    for config, splits in report.missing_splits.items():
        print(f"missing in raw release: {config} {', '.join(splits)}")
    result = report.publish
    if result is not None:
        state = "new commit" if result.changed else "unchanged"
        print(f"{report.repo_id}: {state} {result.commit[:12]}, tag {result.tag}")
    return 0


def _cmd_release(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gfmbench.hub.publish import select_backend
    from gfmbench.loaders.release import release_suites
    from gfmbench.suites.registry import suite_names
    from gfmbench.table import format_table

    backend = select_backend(to_hub=args.push_to_hub, root=args.hub_root)
    results = release_suites(args.suites or suite_names(), backend,
                             raw_root=Path(args.raw_root) if args.raw_root else None,
                             verification="no_checks" if args.no_verify else "all_checks", force_tag=args.force_tag,
                             progress=not args.no_progress)
    print(format_table(["suite", "repo", "tag", "commit", "configs", "shards", "raw files verified", "result"],
                       [[r.suite, r.repo_id, r.tag or "—", (r.commit or "")[:12] or "—", r.configs, r.shards,
                         r.verified_files or "—", "released" if r.error is None else "FAILED"] for r in results]))
    for r in results:
        print(f"{r.suite}: {r.error}" if r.error else f"{r.suite}: raw release: {r.raw_origin}")
    return 1 if any(r.error for r in results) else 0


def _add_hub_target_flags(parser: argparse.ArgumentParser) -> None:
    """Where a publishing command writes: the local hub (default) or, on request, the Hub."""
    parser.add_argument("--hub-root", help="local hub folder (default: $GFMBENCH_HOME/hub)")
    parser.add_argument("--push-to-hub", action="store_true", help="publish to the Hub at HF_ENDPOINT with your token "
                                                                   "instead of the local hub")


def _add_publishing_flags(parser: argparse.ArgumentParser) -> None:
    """The flags of the commands that build and publish dataset repos (build, release)."""
    _add_hub_target_flags(parser)
    parser.add_argument("--no-verify", action="store_true", help="do not compare raw files with the sha256 manifest")
    parser.add_argument("--force-tag", action="store_true", help="move an existing release tag to the new content")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("-q", "--quiet", action="store_true", help=QUIET_HELP)


def _format_cell(value: object, interval: bool = False) -> str:
    if isinstance(value, tuple) and interval:
        return f"[{value[0]:.4f}, {value[1]:.4f}]"
    if isinstance(value, tuple):
        mean, std = value
        return f"{mean:.4f}" if std != std else f"{mean:.4f} ± {std:.4f}"  # std is NaN for a single seed
    return str(value)


def _cmd_run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gfmbench.harness.run import RunConfig, run
    from gfmbench.table import format_table

    given = vars(args)  # the run command's options are named as RunConfig's options
    options = {name: given[name] for name in RunConfig.option_names() if name in given}
    options.update(output_dir=Path(args.output_dir) if args.output_dir else None, progress=not args.no_progress)
    report = run(RunConfig.from_options(**options))
    if not _is_main():  # under torchrun, the main process prints the table
        return 0
    reused = sum(u.reused for u in report.units)
    print(f"\n{report.model.short} on {report.suite.name}, {report.regime} (test split; mean ± std over seeds; "
          f"{len(report.units) - reused} unit(s) run, {reused} reused)")
    rows = report.summary()
    metrics = sorted({k for r in rows for k in r} - SUMMARY_FIELDS,
                     key=lambda m: (not any(r["primary"] == m for r in rows), m))
    print(format_table(["task", "seeds", *metrics, "95% interval of the primary mean"],
                       [[r["task"] if r["split"] == "test" else f"{r['task']} [{r['split']}]", r["seeds"],
                         *(_format_cell(r[m]) if m in r else "" for m in metrics),
                         _format_cell(r["ci95"], interval=True) if "ci95" in r else ""] for r in rows]))
    methods = sorted({r["ci_method"] for r in rows if "ci_method" in r})
    if methods:
        print("interval: " + "; ".join(methods) + " (docs/statistics.md)")
    print(f"results: {report.output_dir}")
    from gfmbench.harness.cards import card_folder

    if report.units and card_folder(report).is_dir():
        card_seeds = sorted({r.key.seed for r in report.card_units()})
        print(f"cards: {card_folder(report)} (every unit of this recipe in the store: seeds "
              f"{', '.join(map(str, card_seeds))})")
    for repo, commit in report.pushed.items():
        what = "result units and the aggregated table" if repo != report.model.model_id else ".eval_results/"
        print(f"pushed: {repo} @ {commit[:12]} ({what})")
    return 0


SUMMARY_FIELDS = {"task", "split", "seeds", "primary", "direction", "truncated_positions", "ci95", "ci_method",
                  "per_seed", "task_type", "dataset_revision", "recipe"}


def _cmd_compare(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gfmbench.harness.compare import Side, compare
    from gfmbench.harness.run import default_output_dir
    from gfmbench.table import format_table

    store = Path(args.output_dir) if args.output_dir else default_output_dir()
    a, b = Side(args.model_a, args.regime), Side(args.model_b, args.regime_b or args.regime)
    rows, across = compare(store, args.suite, a, b, args.tasks, n_resamples=args.resamples)
    if args.json:
        from dataclasses import asdict

        print(json.dumps({"a": asdict(a), "b": asdict(b), "tasks": [{**asdict(r), "verdict": r.verdict} for r in rows],
                          "across_tasks": across}, indent=2))
        return 0
    print(f"A = {a.model} ({a.regime}), B = {b.model} ({b.regime}) on {args.suite}: paired permutation test on the "
          f"same test examples and seeds ({args.resamples} resamples); effect = A − B of the primary metric")

    def cell(value: float | None) -> str:
        return "" if value is None else f"{value:.4f}"

    print(format_table(["task", "metric", "A", "B", "effect", "95% interval", "p", "seeds", "examples", "verdict"],
                       [[r.task, f"{r.metric} {'↑' if r.direction == 'higher' else '↓'}", cell(r.a_mean),
                         cell(r.b_mean), cell(r.effect),
                         "" if r.interval is None else f"[{r.interval[0]:.4f}, {r.interval[1]:.4f}]",
                         "" if r.p_value is None else f"{r.p_value:.4g}", ",".join(map(str, r.seeds)),
                         r.examples or "", r.skipped or r.verdict] for r in rows]))
    if across is not None:
        print(f"across {across['tasks']} tasks: Wilcoxon signed-rank p = {across['p']:.4g} (median difference "
              f"{across['median_difference']:+.4f}, oriented so that positive favours A)")
    return 0


def _leaderboard_tables(args: argparse.Namespace) -> Path:
    from pathlib import Path

    from gfmbench.config import gfmbench_home
    from gfmbench.leaderboard.reported import reported_from_folder
    from gfmbench.leaderboard.table import build_leaderboard, cards_from_folder, repo_snapshot

    output = Path(args.output) if args.output else gfmbench_home() / "leaderboard"
    if args.results_dir:
        root = Path(args.results_dir)
    elif args.results_repo:
        root = repo_snapshot(args.results_repo, args.revision)
    else:
        return output
    items, reported = cards_from_folder(root), reported_from_folder(root)
    table, excluded = build_leaderboard(items, output, predictions_root=root,
                                        n_resamples=getattr(args, "resamples", 1000), reported_items=reported)
    print(f"leaderboard tables: {table} ({len(items)} result cards, {len(reported)} reported cards read), "
          f"excluded: {excluded}", flush=True)
    return output


def _cmd_reported(args: argparse.Namespace) -> int:
    """The transcribed published results (gfmbench.leaderboard.reported): list them, write them as cards into a
    results folder, or publish them into a results repo, where the leaderboard reads them."""
    from collections import Counter
    from pathlib import Path

    from gfmbench.leaderboard.reported import export_cards, packaged_papers, reported_cards
    from gfmbench.table import format_table

    papers = packaged_papers()
    cards = [card for paper in papers for card in reported_cards(paper)]
    if args.reported_command == "list":
        rows = []
        for paper in papers:
            mine = [c for c in cards if c.id.startswith(paper.id + "/")]
            suites = Counter(c.suite for c in mine)
            rows.append([paper.id, paper.source.doi or paper.source.arxiv or "", str(len(mine)),
                         ", ".join(f"{k} {v}" for k, v in sorted(suites.items())),
                         str(sum(len(t.rows) for t in paper.tables)),
                         str(sum(len(t.unmapped) for t in paper.tables)), paper.metric_as_printed,
                         paper.protocol.regime])
        print(format_table(["paper", "source", "values", "per suite", "rows mapped", "rows left out", "metric",
                            "regime"], rows))
        return 0
    if args.reported_command == "export":
        written = export_cards(cards, Path(args.folder))
        print(f"{len(written)} reported cards written under {Path(args.folder) / 'reported'}")
        return 0
    import tempfile

    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    from gfmbench.hub.publish import publish, select_backend
    from gfmbench.leaderboard.reported import stale_paths

    backend = select_backend(to_hub=args.push_to_hub, root=args.hub_root)
    backend.create_repo(args.results_repo, "dataset")
    stale = stale_paths(backend.list_files(args.results_repo, "dataset"), cards)
    with tempfile.TemporaryDirectory() as tmp:
        written = export_cards(cards, Path(tmp))
        operations: list = [CommitOperationAdd(p.relative_to(tmp).as_posix(), str(p)) for p in written]
        operations += [CommitOperationDelete(path) for path in stale]
        result = publish(backend, args.results_repo, operations,
                         f"Reported results: {len(cards)} values from {len(papers)} paper(s)")
    print(f"{len(cards)} reported cards in {args.results_repo} at {result.commit}"
          + (f", {len(stale)} stale card(s) removed" if stale else "") + ("" if result.changed else " (unchanged)"))
    return 0


def _cmd_leaderboard_build(args: argparse.Namespace) -> int:
    if not (args.results_dir or args.results_repo):
        raise GfmbenchError("leaderboard build: give --results-repo REPO or --results-dir DIR")
    _leaderboard_tables(args)
    return 0


def _cmd_leaderboard_show(args: argparse.Namespace) -> int:
    from gfmbench.leaderboard.table import Filters, format_cell, leaderboard, read_reported, read_units
    from gfmbench.table import format_table

    folder = _leaderboard_tables(args)
    path = folder / "leaderboard.parquet"
    if not path.is_file():
        raise GfmbenchError(f"no leaderboard tables in {folder}: run `gfmbench leaderboard build` first")
    if args.kind in ("runs", "both"):
        columns, rows = leaderboard(read_units(path), Filters(suite=args.suite))
        fixed = ["rank", "model", "regime", "avg rank", "mean score"]
        print(format_table(fixed + columns, [[format_cell(r.get(k)) for k in fixed + columns] for r in rows]))
    if args.kind in ("reported", "both"):
        _print_reported(read_units(path), read_reported(folder), args.suite)
    return 0


def _print_reported(units: list[dict], reported: list[dict], suite: str | None) -> None:
    """The reported values (ranked among themselves, values as printed, † = transcribed from the source listed under
    the table) and the reproduced-vs-reported gaps."""
    from gfmbench.leaderboard.reported_board import gaps, reported_board
    from gfmbench.leaderboard.table import Filters
    from gfmbench.table import format_table

    columns, board = reported_board(reported, Filters(suite=suite))
    if not board:
        print("no reported results (publish them with `gfmbench reported publish` or `gfmbench reported export`)")
        return
    print("\nReported in papers (never rerun here; ranked only among reported values of the same task, metric and "
          "regime):")
    print(format_table(["rank", "model", "checkpoint", "avg rank", *columns],
                       [[f"R{b['rank']}", b["model"], b["model_id"] or "not established", f"{b['avg rank']:.2f}",
                         *[b["cells"][c]["value_as_printed"] + " †" if c in b["cells"] else "—" for c in columns]]
                        for b in board]))
    sources = sorted({(r["paper"], r["link"]) for r in reported if suite is None or r["suite"] == suite})
    for citation, link in sources:
        print(f"† {citation}: {link}")
    found = gaps(units, reported, suite)
    if found:
        print("\nReproduced vs reported (gap = reproduced − reported; interval: ours, shifted by the reported value):")
        print(format_table(["run", "task · metric", "reproduced", "reported", "gap", "gap interval", "verdict"],
                           [[g.run, g.column, f"{g.reproduced:.4f}", f"{g.value:.4f}", f"{g.gap:+.4f}",
                             f"[{g.gap_interval[0]:+.4f}, {g.gap_interval[1]:+.4f}]" if g.gap_interval else "—",
                             g.verdict] for g in found]))


def _cmd_leaderboard_serve(args: argparse.Namespace) -> int:
    from gfmbench.leaderboard.app import serve

    folder = _leaderboard_tables(args)
    if not (folder / "leaderboard.parquet").is_file():
        raise GfmbenchError(f"no leaderboard tables in {folder}: run `gfmbench leaderboard build` or pass "
                            "--results-repo / --results-dir")
    print(f"Leaderboard on http://{args.host}:{args.port or 7860}", flush=True)
    serve(folder, host=args.host, port=args.port or 7860)
    return 0


def _cmd_structure(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gfmbench.harness.results import read_predictions, read_unit
    from gfmbench.harness.structure import compare_structures
    from gfmbench.table import format_table

    folder = Path(args.unit)
    result = read_unit(folder)
    if result is None:
        raise GfmbenchError(f"{folder}: no complete result unit (result.json + predictions.parquet) here")
    rows = read_predictions(folder, result)
    if not rows or "structure" not in rows[0] or "scores" not in rows[0]:
        raise GfmbenchError(f"{folder}: not a secondary-structure unit (task {result.key.task})")
    table = compare_structures(rows, args.min_loop)
    print(f"{result.key.task} test split, {len(rows)} sequences, "
          f"model {result.key.model_id}@{result.key.model_sha[:12]}")
    print(format_table(list(table[0]), [[f"{v:.4f}" if isinstance(v, float) else v for v in r.values()]
                                        for r in table]))
    return 0


def _cmd_design(args: argparse.Namespace) -> int:
    from gfmbench.harness.design import MaskedLMProposer, design, random_proposer
    from gfmbench.harness.ensemble_design import ensemble_design
    from gfmbench.table import format_table

    proposer = None
    if args.model:
        from gfmbench.harness.models import check_remote_code, resolve_model

        model = resolve_model(args.model)
        check_remote_code(model, trust_remote_code=False)
        proposer = MaskedLMProposer(model)
    if args.method == "ensemble":
        result = ensemble_design(args.structure, proposer=proposer, seed=args.seed,
                                 time_budget=args.time_budget or 20.0)
        progress = "lowest ensemble defect after each new low (a long target's pieces first)"
    else:
        result = design(args.structure, proposer=proposer or random_proposer, population=args.population,
                        generations=args.generations, seed=args.seed, time_budget=args.time_budget)
        progress = "best base-pair distance per generation"
    print(format_table(["target", "design", "solved (ViennaRNA)", "distance", "folds", "seconds"],
                       [[result.target, result.sequence, result.solved, result.distance, result.folds,
                         f"{result.seconds:.2f}"]]))
    print(f"{progress}: " + " ".join(str(d) for d in result.history))
    if args.plot:
        from gfmbench.harness.design import fitness_plot

        print(f"fitness plot: {fitness_plot(result, args.plot, progress)}")
    return 0 if result.solved else 1


def _sweep_spec(args: argparse.Namespace) -> Any:
    from gfmbench.harness.sweep import SweepSpec

    names = ("epochs", "batch_size", "learning_rate", "warmup_ratio", "max_length", "dataset_revision")
    options = {k: getattr(args, k) for k in names if getattr(args, k, None) is not None}
    return SweepSpec(models=tuple(args.models), suites=tuple(args.suites), seeds=tuple(args.seeds),
                     tasks=tuple(args.tasks or ()), output_dir=args.output_dir or "", regime=args.regime,
                     run_options={**options, "progress": not getattr(args, "no_progress", True)})


def _cmd_sweep_run(args: argparse.Namespace) -> int:
    from gfmbench.harness.sweep import run_shard

    counts = run_shard(_sweep_spec(args), args.shards, args.shard_index)
    print(f"shard {args.shard_index}/{args.shards}: {counts['run']} unit(s) run, {counts['reused']} reused, "
          f"{counts['failed']} failed")
    return 1 if counts["failed"] else 0


def _cmd_sweep_submit(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gfmbench.config import gfmbench_home
    from gfmbench.harness.sweep import submit

    resources = {"timeout_min": args.timeout_min}
    for name in ("cpus_per_task", "gpus_per_node", "slurm_partition", "slurm_array_parallelism"):
        if getattr(args, name) is not None:
            resources[name] = getattr(args, name)
    folder = Path(args.log_dir) if args.log_dir else gfmbench_home() / "sweeps"
    jobs = submit(_sweep_spec(args), args.shards, folder, None if args.executor == "auto" else args.executor,
                  wait=not args.no_wait, **resources)
    print(f"{len(jobs)} shard job(s): {', '.join(j.job_id for j in jobs)} (logs: {folder})")
    if not args.no_wait:
        totals = {k: sum(j.result()[k] for j in jobs) for k in ("run", "reused", "failed")}
        print(f"{totals['run']} unit(s) run, {totals['reused']} reused, {totals['failed']} failed")
        return 1 if totals["failed"] else 0
    return 0


def _cmd_sweep_status(args: argparse.Namespace) -> int:
    from collections import Counter

    from gfmbench.harness.sweep import status
    from gfmbench.table import format_table

    rows = status(_sweep_spec(args))
    shown = rows if args.all else [r for r in rows if r["state"] != "done"]
    if shown:
        print(format_table(["model", "suite", "task", "seed", "state", "error"],
                           [[r["model"], r["suite"], r["task"], r["seed"], r["state"],
                             r["error"][:80]] for r in shown]))
    counts = Counter(r["state"] for r in rows)
    other = f", {counts['other settings']} done with other settings only (pass the sweep's settings)" \
        if counts["other settings"] else ""
    print(f"{len(rows)} unit(s): {counts['done']} done, {counts['missing']} missing, {counts['failed']} failed{other}")
    return 0


def _cmd_sweep_merge(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gfmbench.harness.run import default_output_dir

    args.results_dir = str(Path(args.output_dir) if args.output_dir else default_output_dir())
    args.results_repo, args.revision = None, None
    args.suite = None
    args.kind = "runs"  # the sweep's own units; reported values are not part of a sweep
    return _cmd_leaderboard_show(args)


def _is_main() -> bool:
    from gfmbench.harness.train import is_main_process

    return is_main_process()


def _cmd_audit(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gfmbench.atomic import atomic_write
    from gfmbench.config import gfmbench_home
    from gfmbench.loaders.audit import audit_suite, report_json
    from gfmbench.table import format_table

    report = audit_suite(args.suite, args.configs, args.revision, args.k, args.threshold, not args.no_progress)
    rows = [[config, f"{o['query']} in {o['reference']}", o["queried"], f"{o['exact']} ({o['exact_fraction']:.1%})",
             f"{o['near']} ({o['near_fraction']:.1%})"]
            for config, entry in report["configs"].items() for o in entry["overlaps"]]
    print(format_table(["config", "splits", "queried", "exact duplicates", "near duplicates"], rows))
    output = Path(args.output) if args.output else \
        gfmbench_home() / "audit" / f"{report['suite']}-{report['dataset_sha'][:12]}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(output, report_json(report))
    print(f"report: {output}")
    if args.publish:
        from gfmbench.loaders.audit import publish_audit

        commit = publish_audit(report, to_hub=args.push_to_hub, root=args.hub_root)
        print(f"dataset card and audit/leakage.json committed to {report['dataset_repo']} ({commit[:12]})")
    return 0


def _cmd_hub_tiny(args: argparse.Namespace) -> int:
    from gfmbench.harness.tiny import publish_tiny_models
    from gfmbench.hub.publish import select_backend

    for repo_id, commit in publish_tiny_models(select_backend(root=args.root), args.models).items():
        print(f"{repo_id}: {commit[:12]}")
    return 0


def _cmd_hub_serve(args: argparse.Namespace) -> int:
    from gfmbench.hub.server import LocalHub, serve_forever

    def announce(hub: LocalHub) -> None:
        print(f"Local hub serving {hub.root}\nexport HF_ENDPOINT={hub.endpoint}", flush=True)

    serve_forever(root=args.root, port=args.port, announce=announce)
    return 0


def _cmd_hub_exec(args: argparse.Namespace) -> int:
    from gfmbench.hub.routing import run_against_local_hub

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise GfmbenchError("hub exec: give a command after --, e.g. gfmbench hub exec -- python script.py")
    return run_against_local_hub(command, root=args.root, port=args.port,
                                 announce=lambda hub: print(f"HF_ENDPOINT={hub.endpoint}", file=sys.stderr, flush=True))


def _ranged(kind: type, low: float | None = None, high: float | None = None, high_open: bool = False,
            what: str = "") -> Any:
    """An argparse type that refuses values out of range when parsing, not after loading everything."""
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        too_high = high is not None and (value >= high if high_open else value > high)
        if (low is not None and value < low) or too_high:
            bounds = f"{'' if low is None else f'>= {low}'}{' and ' if low is not None and high is not None else ''}" \
                     f"{'' if high is None else ('< ' if high_open else '<= ') + str(high)}"
            raise argparse.ArgumentTypeError(f"{text} is out of range: {what or 'the value'} must be {bounds}")
        return value
    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


SEED = _ranged(int, 0, 2**32 - 1, what="a seed")
POSITIVE_INT = _ranged(int, 1)
POSITIVE = _ranged(float, 0, what="the value")
RATIO = _ranged(float, 0, 1, high_open=True, what="a ratio")
PORT = _ranged(int, 1, 65535, what="a port")


QUIET_HELP = "no progress bars, no warnings from the libraries: only results and errors"


def _apply_quiet(args: argparse.Namespace) -> bool:
    """--quiet: --no-progress, and the libraries' warnings and info messages silenced (errors still print)."""
    if not (getattr(args, "quiet", False) or getattr(args, "global_quiet", False)):
        return False
    import os
    import warnings

    if hasattr(args, "no_progress"):
        args.no_progress = True
    for name, value in (("TRANSFORMERS_VERBOSITY", "error"), ("DATASETS_VERBOSITY", "error"),
                        ("HF_HUB_VERBOSITY", "error"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
                        ("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1"), ("PYTHONWARNINGS", "ignore")):
        os.environ[name] = value  # read by the libraries when imported (here and in child processes)
    warnings.simplefilter("ignore")
    return True


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gfmbench", description="Benchmark genomic foundation models on "
                                     "versioned Hugging Face datasets, on the Hub or a local hub.")
    parser.add_argument("--version", action="version", version=f"gfmbench {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    parser.add_argument("-q", "--quiet", dest="global_quiet", action="store_true", help=QUIET_HELP)
    parser.set_defaults(repos=lambda args: [])  # the hub repos a command reads decide where it runs (main)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    tasks = sub.add_parser("tasks", help="list the task registry as a table")
    tasks.add_argument("--suite", help="only this suite (e.g. rgb)")
    tasks.add_argument("--long", action="store_true", help="also alphabet, labels, license and upstream name")
    tasks.set_defaults(func=_cmd_tasks)

    release = sub.add_parser("release", help="build, verify and publish suites (all by default), each tagged, then "
                             "check each release at its tag")
    release.add_argument("suites", nargs="*", help="suite names (default: every suite)")
    release.add_argument("--raw-root", help="a folder with one upstream copy per suite (RGB/, GUE/, ...); default: "
                         "GFMBENCH_RAW_DIR, else each suite's download source")
    _add_publishing_flags(release)
    release.set_defaults(func=_cmd_release)

    sources = sub.add_parser("sources", help="list where each suite's raw release can be downloaded from")
    sources.add_argument("suite", nargs="?", help="only this suite")
    sources.set_defaults(func=_cmd_sources)

    models = sub.add_parser("models", help="list the model registry; `models check MODEL` tries a model first")
    models.set_defaults(func=_cmd_models)
    models_sub = models.add_subparsers(dest="models_command", metavar="ACTION")
    check = models_sub.add_parser("check", help="load a model, tokenize DNA and RNA, show an alignment, one forward "
                                                "pass, the loading report and which task types can run")
    check.add_argument("model", help="registry name, Hub id (ORG/NAME[@REVISION]) or local folder")
    check.add_argument("--trust-remote-code", action="store_true", help="allow code shipped with the model to run")
    check.add_argument("--import", dest="imports", nargs="+", default=[], metavar="PACKAGE",
                       help="import packages that register model families first (e.g. multimolecule)")
    check.add_argument("--allow-unloaded-weights", action="store_true", help="report instead of stopping when "
                                                                             "checkpoint weights are not loaded")
    check.add_argument("--json", action="store_true", help="the report as JSON")
    check.set_defaults(func=_cmd_models, repos=lambda a: repos_of(models=[a.model]))

    build = sub.add_parser("build", help="build a suite's dataset repo from its upstream raw release")
    build.add_argument("suite", help="suite name (e.g. rgb)")
    build.add_argument("--raw-dir", help="this suite's already-downloaded upstream copy "
                                         "(else GFMBENCH_RAW_DIR/<SUITE>, else download)")
    build.add_argument("--source", metavar="NAME", help="download from this source of the suite (default: its first, "
                       "the official one where there is one; `gfmbench sources SUITE` lists them)")
    build.add_argument("--configs", nargs="+", metavar="CONFIG", help="only these configs (names or upstream aliases)")
    build.add_argument("--exclude", nargs="+", metavar="CONFIG", help="leave these configs out (e.g. data whose "
                                                                     "terms forbid redistribution)")
    _add_publishing_flags(build)
    build.set_defaults(func=_cmd_build)

    run_ = sub.add_parser("run", help="fine-tune and evaluate a model on a suite's tasks (AutoBench)")
    run_.add_argument("--model", required=True, help="ORG/NAME[@REVISION] on the hub, or a local folder")
    run_.add_argument("--suite", required=True, help="suite name (e.g. rgb)")
    run_.add_argument("--tasks", nargs="+", metavar="TASK", help="config names or upstream aliases (default: all)")
    run_.add_argument("--seeds", nargs="+", type=SEED, default=[0], metavar="SEED")
    run_.add_argument("--epochs", type=POSITIVE_INT, help="default: the suite's")
    run_.add_argument("--batch-size", type=POSITIVE_INT,
                      help="global batch, divided over processes (default: the suite's)")
    run_.add_argument("--learning-rate", type=POSITIVE, help="default: the suite's")
    run_.add_argument("--warmup-ratio", type=RATIO, help="fraction of optimizer steps warming the learning rate up "
                                                          "(default: the suite's, 0)")
    run_.add_argument("--max-length", type=POSITIVE_INT, help="max nucleotides per sequence (default: the task's)")
    run_.add_argument("--long-sequences", choices=choices(LongSequences), default="truncate",
                      help="sequences longer than max length: truncate (cut positions unscored, counted) or, for "
                           "token tasks, half-overlapping windows merged per nucleotide")
    run_.add_argument("--dataset-revision", help="dataset tag/branch/commit (default: the suite's release tag)")
    run_.add_argument("--output-dir", help="results store (default: $GFMBENCH_HOME/results)")
    run_.add_argument("--push-to", metavar="REPO", help="publish results to this dataset repo, and the eval results "
                                                        "to the model repo (a pull request if it is not yours)")
    run_.add_argument("--push-to-hub", action="store_true", help="with --push-to: publish to the Hub at "
                                                                 "HF_ENDPOINT with your token, not the local hub")
    run_.add_argument("--trust-remote-code", action="store_true", help="allow code shipped with the model to run")
    run_.add_argument("--import", dest="imports", nargs="+", default=[], metavar="PACKAGE",
                      help="import packages that register model families first (e.g. multimolecule)")
    run_.add_argument("--allow-unloaded-weights", action="store_true",
                      help="go on when checkpoint weights are not loaded into the task model (an error by default; "
                           "recorded in every result)")
    run_.add_argument("--regime", choices=choices(Regime), default="finetune",
                      help="finetune: train backbone + head; probe: frozen backbone, cached features, linear model "
                           "(scikit-learn); zeroshot: language-model likelihoods on tasks that define them")
    run_.add_argument("--zeroshot-scoring", choices=choices(ZeroShotScoring), default="masked",
                      help="zero-shot estimator of a masked LM: masked marginals (each token masked in turn; the "
                           "default) or wild-type marginals (one unmasked pass per sequence, Meier et al. 2021: much "
                           "faster, a different estimator, recorded in the recipe and ranked apart)")
    run_.add_argument("--gradient-accumulation-steps", type=POSITIVE_INT, default=1, help="batches per optimizer step")
    run_.add_argument("--lr-scheduler", choices=choices(LrScheduler),
                      default="linear", help="learning-rate schedule (default: linear decay to 0, as the Trainer)")
    run_.add_argument("--batching", choices=choices(BatchOrder), default="length",
                      help="training batches: length-grouped (little padding, faster; the default) or random "
                           "(the plain recipe; see docs/performance.md for what each costs and scores)")
    run_.add_argument("--precision", choices=choices(Precision), default="fp32",
                      help="mixed precision for fine-tuning (bf16 on recent GPUs; fp32 on CPU)")
    run_.add_argument("--streaming", action="store_true", help="train from a stream of the train split (sets larger "
                                                               "than memory); validation and test are held in memory")
    run_.add_argument("--overwrite", action="store_true", help="recompute units that are already done")
    run_.add_argument("--no-progress", action="store_true", help="no progress bars")
    run_.add_argument("-q", "--quiet", action="store_true", help=QUIET_HELP)
    run_.set_defaults(func=_cmd_run, repos=lambda a: repos_of([a.suite], [a.model]))

    compare_ = sub.add_parser("compare", help="is model A better than model B? paired tests on the saved "
                                              "predictions of the results store")
    compare_.add_argument("model_a", metavar="MODEL_A", help="Hub id, registry name or folder, optionally @CONTENT")
    compare_.add_argument("model_b", metavar="MODEL_B")
    compare_.add_argument("--suite", required=True)
    compare_.add_argument("--tasks", nargs="+", metavar="TASK", help="default: every task either model ran")
    compare_.add_argument("--regime", choices=choices(Regime), default="finetune")
    compare_.add_argument("--regime-b", choices=choices(Regime),
                          help="B's regime, to compare regimes of one model (default: --regime)")
    compare_.add_argument("--output-dir", help="results store (default: $GFMBENCH_HOME/results)")
    compare_.add_argument("--resamples", type=POSITIVE_INT, default=1000, help="permutation and bootstrap resamples")
    compare_.add_argument("--json", action="store_true", help="the comparison as JSON")
    compare_.set_defaults(func=_cmd_compare)

    sweep = sub.add_parser("sweep", help="a grid of models x suites x seeds, in shards (local, submitit, Slurm)")
    sweep_sub = sweep.add_subparsers(dest="sweep_command", required=True, metavar="ACTION")
    sweep_parsers = {
        "run": (sweep_sub.add_parser("run", help="run one shard of the grid here (all of it by default)"),
                _cmd_sweep_run),
        "submit": (sweep_sub.add_parser("submit", help="one submitit array job, one task per shard"),
                   _cmd_sweep_submit),
        "status": (sweep_sub.add_parser("status", help="done / missing / failed units of the grid"),
                   _cmd_sweep_status),
        "merge": (sweep_sub.add_parser("merge", help="leaderboard tables of the results store, printed"),
                  _cmd_sweep_merge),
    }
    for name, (p, func) in sweep_parsers.items():
        p.set_defaults(func=func)
        p.add_argument("--output-dir", help="the shared results store (default: $GFMBENCH_HOME/results)")
        if name == "merge":
            p.add_argument("--output", help="leaderboard tables folder (default: $GFMBENCH_HOME/leaderboard)")
            continue
        p.add_argument("--models", nargs="+", required=True, metavar="MODEL")
        p.add_argument("--suites", nargs="+", required=True, metavar="SUITE")
        p.add_argument("--tasks", nargs="+", metavar="TASK", help="only these tasks (default: every task)")
        p.add_argument("--seeds", nargs="+", type=SEED, default=[0], metavar="SEED")
        p.add_argument("--regime", choices=choices(Regime), default="finetune")
        for flag, kind in (("--epochs", POSITIVE_INT), ("--batch-size", POSITIVE_INT), ("--learning-rate", POSITIVE),
                           ("--warmup-ratio", RATIO), ("--max-length", POSITIVE_INT)):
            p.add_argument(flag, type=kind, help="a unit is done only if run with these settings (its recipe)"
                           if name == "status" else None)
        p.add_argument("--dataset-revision")
        if name == "status":
            p.add_argument("--all", action="store_true", help="list done units too")
            continue
        p.add_argument("--shards", type=POSITIVE_INT, default=1, help="split the grid into N shards (stable hash)")
        p.add_argument("--no-progress", action="store_true", help="no progress bars")
        p.add_argument("-q", "--quiet", action="store_true", help=QUIET_HELP)
        if name == "run":
            p.add_argument("--shard-index", type=int, default=0, help="which shard to run (0-based)")
        else:
            p.add_argument("--executor", choices=["auto", "local", "slurm", "debug"], default="auto",
                           help="auto: Slurm when sbatch is available, else local processes")
            p.add_argument("--log-dir", help="submitit logs (default: $GFMBENCH_HOME/sweeps)")
            p.add_argument("--timeout-min", type=int, default=24 * 60)
            p.add_argument("--cpus-per-task", type=int)
            p.add_argument("--gpus-per-node", type=int)
            p.add_argument("--slurm-partition")
            p.add_argument("--slurm-array-parallelism", type=int, help="shards running at once")
            p.add_argument("--no-wait", action="store_true", help="return after submitting")

    audit = sub.add_parser("audit", help="train/test leakage: exact and near-duplicate sequences across splits")
    audit.add_argument("suite", help="suite name (e.g. rgb)")
    audit.add_argument("--configs", nargs="+", metavar="CONFIG", help="only these configs (default: all)")
    audit.add_argument("--revision", help="dataset tag/branch/commit (default: the suite's release tag)")
    audit.add_argument("--k", type=int, default=7, help="k-mer length for near duplicates (default 7)")
    audit.add_argument("--threshold", type=float, default=0.5, help="k-mer Jaccard for a near duplicate (default 0.5)")
    audit.add_argument("--output", help="JSON report path (default: $GFMBENCH_HOME/audit/<suite>-<sha>.json)")
    audit.add_argument("--publish", action="store_true", help="write the audit into the dataset card and "
                                                              "audit/leakage.json of the dataset repo (a new commit)")
    audit.add_argument("--hub-root", help="local hub folder (default: $GFMBENCH_HOME/hub)")
    audit.add_argument("--push-to-hub", action="store_true", help="with --publish: the Hub at HF_ENDPOINT")
    audit.add_argument("--no-progress", action="store_true", help="no progress bars")
    audit.add_argument("-q", "--quiet", action="store_true", help=QUIET_HELP)
    audit.set_defaults(func=_cmd_audit, repos=lambda a: repos_of([a.suite]))

    structure = sub.add_parser("structure", help="RNA secondary structure: decode a fine-tuned model's predictions "
                                                   "into valid dot-brackets and compare with ViennaRNA")
    structure.add_argument("unit", help="a result unit folder of an SSP task (holds result.json, predictions.parquet)")
    structure.add_argument("--min-loop", type=int, default=3, help="minimum hairpin loop length (default 3)")
    structure.set_defaults(func=_cmd_structure)

    design = sub.add_parser("design", help="RNA design: a sequence whose ViennaRNA MFE structure is the target "
                                           "(genetic algorithm; masked-LM guided with --model)")
    design.add_argument("--structure", required=True, help="target dot-bracket, e.g. '((((....))))'")
    design.add_argument("--model", help="a masked genomic LM (ORG/NAME[@REV] or folder) proposing mutations; "
                                        "default: uniform random mutations")
    design.add_argument("--method", choices=["ensemble", "ga"], default="ensemble",
                        help="ensemble: defect-guided search on ViennaRNA's partition function (default); "
                             "ga: the genetic algorithm on MFE base-pair distance")
    design.add_argument("--population", type=int, default=20, help="GA only")
    design.add_argument("--generations", type=int, default=100, help="GA only")
    design.add_argument("--time-budget", type=float, help="CPU seconds (ensemble default: 20)")
    design.add_argument("--seed", type=int, default=0)
    design.add_argument("--plot", metavar="FILE.html", help="write the fitness curve (best distance per generation)")
    design.set_defaults(func=_cmd_design)

    board = sub.add_parser("leaderboard", help="build and serve the leaderboard from result cards")
    board_sub = board.add_subparsers(dest="board_command", required=True, metavar="ACTION")
    board_build = board_sub.add_parser("build", help="validate result cards and write the aggregated tables")
    board_serve = board_sub.add_parser("serve", help="serve the leaderboard app locally (rebuilds first when a "
                                                     "results source is given)")
    board_show = board_sub.add_parser("show", help="print the leaderboard table in the terminal")
    board_show.add_argument("--suite", help="only this suite's tasks")
    board_show.add_argument("--kind", choices=["runs", "reported", "both"], default="runs",
                            help="runs by gfmbench (default), values reported in papers, or both (ranked apart)")
    board_show.set_defaults(func=_cmd_leaderboard_show)
    for p in (board_build, board_serve, board_show):
        p.add_argument("--results-repo",
                       help="a results dataset repo on the hub at HF_ENDPOINT (e.g. gfmbench/results)")
        p.add_argument("--revision", help="pin the results repo revision (default: latest)")
        p.add_argument("--results-dir", help="a local folder of result units instead")
        p.add_argument("--output", help="where the tables go (default: $GFMBENCH_HOME/leaderboard)")
        p.add_argument("--resamples", type=POSITIVE_INT, default=1000, help="resamples of the significance tests")
    board_serve.add_argument("--host", default="127.0.0.1")
    board_serve.add_argument("--port", type=PORT, help="default 7860")
    board_build.set_defaults(func=_cmd_leaderboard_build)
    board_serve.set_defaults(func=_cmd_leaderboard_serve)
    for p in (board_build, board_serve, board_show):
        p.set_defaults(repos=lambda a: [(a.results_repo, "dataset")] if a.results_repo else [])

    reported = sub.add_parser("reported", help="published results transcribed from papers (never counted as runs)")
    reported_sub = reported.add_subparsers(dest="reported_command", required=True, metavar="ACTION")
    reported_sub.add_parser("list", help="the transcribed papers: values, mapped and left-out rows")
    export = reported_sub.add_parser("export", help="write the reported cards into a results folder")
    export.add_argument("folder", help="a results folder (the cards go to FOLDER/reported/)")
    publish_reported = reported_sub.add_parser("publish", help="commit the reported cards into a results repo")
    publish_reported.add_argument("--results-repo", default="gfmbench/results", help="default gfmbench/results")
    _add_hub_target_flags(publish_reported)
    reported.set_defaults(func=_cmd_reported)

    hub = sub.add_parser("hub", help="the local hub (a folder of git repos served like huggingface.co)")
    hub_sub = hub.add_subparsers(dest="hub_command", required=True, metavar="ACTION")
    serve = hub_sub.add_parser("serve", help="serve the local hub until interrupted; prints the HF_ENDPOINT to export")
    exec_ = hub_sub.add_parser("exec", help="start the local hub, run a command with HF_ENDPOINT set, stop the hub")
    for p in (serve, exec_):
        p.add_argument("--root", help="folder of repos (default: $GFMBENCH_HOME/hub)")
        p.add_argument("--port", type=PORT, help="port on 127.0.0.1 (default: a free one)")
    serve.set_defaults(func=_cmd_hub_serve)
    tiny = hub_sub.add_parser("publish-tiny-models", help="build tiny random test models and publish them to the "
                                                           "local hub (e.g. gfmbench/tiny-random-bert-nt)")
    tiny.add_argument("--root", help="folder of repos (default: $GFMBENCH_HOME/hub)")
    tiny.add_argument("--models", nargs="+", metavar="REPO_ID", help="only these (default: all)")
    tiny.set_defaults(func=_cmd_hub_tiny)
    exec_.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    exec_.set_defaults(func=_cmd_hub_exec)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    quiet = _apply_quiet(args)
    logging.basicConfig(level=logging.ERROR if quiet else logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    for library in ("huggingface_hub", "datasets", "transformers"):  # they print through handlers of their own:
        logging.getLogger(library).propagate = False                   # once, not again through ours
    try:
        from gfmbench.hub.routing import needs_local_hub, run_against_local_hub

        if needs_local_hub(args.repos(args)):  # each command declares the repos it reads (set_defaults)
            return run_against_local_hub([sys.executable, "-m", "gfmbench", *argv])
        return int(args.func(args))
    except GfmbenchError as exc:
        if args.debug:
            raise
        print(f"gfmbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ngfmbench: interrupted. Everything finished before is kept (completed result units, built and "
              "published commits; a half-written file never replaces a complete one); run the same command again "
              "to resume where it stopped.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug or an unexpected library error: one line, the traceback only on request
        if args.debug:
            raise
        print(f"gfmbench: unexpected error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
              file=sys.stderr)
        return 1
