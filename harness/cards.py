"""Result cards: the Hub-native `.eval_results/<suite>.yaml` entries and `model-index` metadata, an aggregated
Parquet table, and publishing them (results to a results dataset repo, eval results to the model repo)."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from gfmbench.atomic import atomic_write
from gfmbench.harness.kinds import TASK_KINDS
from gfmbench.harness.recipe import recipe_label
from gfmbench.harness.regimes import REGIMES, get_regime
from gfmbench.harness.results import RESULT_FILE, UnitResult

if TYPE_CHECKING:
    from gfmbench.harness.run import RunReport

log = logging.getLogger(__name__)


SOURCE_NAME = "gfmbench"
PROJECT_URL = "https://github.com/gfmbench/gfmbench"  # the source of local cards, before a results repo holds them


def _seed_words(row: dict[str, Any]) -> str:
    mean, std = row[row["primary"]]
    seeds = ", ".join(f"{s}: {v:.4f}" for s, v in row["per_seed"].items())
    if row["seeds"] == 1:
        return f"1 seed ({seeds})"
    return f"mean of {row['seeds']} seeds (std {std:.4f}; {seeds})"


def _interval_words(row: dict[str, Any]) -> str:
    if "ci95" not in row:
        return "no interval"
    low, high = row["ci95"]
    return f"95% interval of the mean [{low:.4f}, {high:.4f}] ({row['ci_method']})"


def eval_result_entries(report: RunReport, results: list[UnitResult], source_url: str | None = None) -> list[Any]:
    """The Hub's eval results of the card's units: one entry per task, on its test split."""
    from huggingface_hub import EvalResultEntry

    from gfmbench import __version__
    from gfmbench.harness.summary import summarise

    entries = []
    for row in summarise(report.suite, results):
        if row["split"] != "test":  # the Hub's eval results describe the benchmark's test split; extras are in
            continue             # the summary and the aggregated table
        mean, _ = row[row["primary"]]
        mine = [r for r in results if r.key.task == row["task"]]
        entries.append(EvalResultEntry(
            dataset_id=report.suite.dataset_repo,
            task_id=row["task"],
            dataset_revision=row["dataset_revision"],
            value=round(mean, 6),
            date=date.today().isoformat(),
            source_url=source_url or PROJECT_URL,
            source_name=SOURCE_NAME,
            notes=f"metric: {row['primary']} (test split, {row['direction']} is better); {_seed_words(row)}; "
                  f"{_interval_words(row)}; {get_regime(report.regime).card_words} with gfmbench {__version__}, recipe "
                  f"{recipe_label(row['recipe'])}"
                  + ("; WEIGHTS CHECK OVERRIDDEN (--allow-unloaded-weights): checkpoint weights were not all "
                     "loaded" if any(_overridden(r) for r in mine) else ""),
        ))
    return entries


def eval_results_yaml(entries: list[Any]) -> str:
    from huggingface_hub import eval_result_entries_to_yaml

    return yaml.safe_dump(eval_result_entries_to_yaml(entries), sort_keys=False, allow_unicode=True)


def summary_rows(report: RunReport, results: list[UnitResult]) -> list[dict[str, Any]]:
    """The card's summary (`summary-<stem>.json`): harness.summary rows with the suite, regime and dataset."""
    from gfmbench.harness.summary import summarise

    return [{**row, "suite": report.suite.name, "suite_pretty_name": report.suite.pretty_name,
             "dataset_repo": report.suite.dataset_repo, "regime": report.regime}
            for row in summarise(report.suite, results)]


def model_card(model: Any, summaries: list[dict[str, Any]], results: list[UnitResult]) -> str:
    """A model card over every summary in the card folder (all suites and regimes run for this model): its
    `model-index` lists each task's every metric with its std, seeds and interval, and `datasets:` the suites."""
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    entries = []
    for row in summaries:
        split_name = "" if row["split"] == "test" else f" ({row['split']})"
        regime = "" if row["regime"] == "finetune" else f", {row['regime']}"
        metrics = [row["primary"], *sorted(m for m in row if isinstance(row[m], list | tuple) and len(row[m]) == 2
                                           and m not in {row["primary"], "ci95", "truncated_positions"})]
        for metric in metrics:
            mean, std = row[metric]
            args: dict[str, Any] = {"seeds": row["seeds"], "std": None if std is None or std != std else round(std, 6),
                                    "regime": row["regime"], "recipe": recipe_label(row["recipe"])}
            if metric == row["primary"]:
                args["per_seed"] = row["per_seed"]
                if "ci95" in row:
                    args["ci95"] = [round(v, 6) for v in row["ci95"]]
                    args["ci_method"] = row["ci_method"]
            entries.append(EvalResult(
                task_type=TASK_KINDS[row["task_type"]].card_category,
                dataset_type=row["dataset_repo"],
                dataset_name=f"{row['suite_pretty_name']}: {row['task']}{split_name}",
                dataset_config=row["task"],
                dataset_split=row["split"],
                dataset_revision=row["dataset_revision"],
                metric_type=metric,
                metric_value=round(mean, 6),
                metric_name=f"{metric}{regime} (mean of {row['seeds']} seed{'s' if row['seeds'] > 1 else ''})",
                metric_args=args,
                source_name=SOURCE_NAME,
                source_url=PROJECT_URL,
            ))
    regimes = sorted({row["regime"] for row in summaries})
    derived = any(r in REGIMES and REGIMES[r].derived_network for r in regimes)
    data = ModelCardData(model_name=model.model_id, eval_results=entries, tags=["gfmbench"],
                         datasets=sorted({row["dataset_repo"] for row in summaries}),
                         # the networks scored are heads trained on (or probes of) this model
                         base_model=model.model_id if derived and
                         not Path(model.model_id).exists() else None)
    content = (f"---\n{data.to_yaml()}\n---\n# {model.model_id} on gfmbench\n\n"
               f"Model `{model.model_id}` with content digest `{model.content_id[:12]}` (the digest of its weights, "
               f"config and tokenizer files: the identity gfmbench keys results by; fetched at commit "
               f"`{model.sha[:12]}`). Results produced by gfmbench ({', '.join(regimes)}); see `.eval_results/` "
               "and the `summary-*.json` files. Each value is the mean over the seeds listed; intervals are 95% "
               "intervals of that mean (docs/statistics.md).\n"
               + loading_warning(results))
    return str(ModelCard(content))


def _overridden(result: UnitResult) -> bool:
    return bool(result.loading and result.loading.get("allowed_unloaded"))


def loading_warning(results: list[UnitResult]) -> str:
    """A card paragraph for units run with --allow-unloaded-weights: their scores may not be the named model's."""
    forced = [r for r in results if _overridden(r)]
    if not forced:
        return ""
    lines = [f"- {r.key.task} (seed {r.key.seed}): {r.loading['model_class']}, "
             f"{len(r.loading['checkpoint_unused'])} checkpoint tensors unused, "
             f"{len(r.loading['backbone_not_loaded'])} backbone parameters not from the checkpoint"
             for r in forced if r.loading]
    return ("\n**Warning: the weights check was overridden (`--allow-unloaded-weights`).** These units ran a task "
            "model that does not hold all of the checkpoint's weights, so their scores may not be the named "
            "model's:\n\n" + "\n".join(lines) + "\n")


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    return value


def aggregate_rows(results: list[UnitResult]) -> list[dict[str, Any]]:
    """One row per (unit, split, metric): the long table the leaderboard reads."""
    rows = []
    for r in results:
        for split, metrics in r.metrics.items():
            for metric, value in metrics.items():
                rows.append({"model_id": r.key.model_id, "model_sha": r.key.model_sha,
                             "model_content": r.key.model_content, "recipe_id": r.key.recipe_id, "suite": r.key.suite,
                             "task": r.key.task, "seed": r.key.seed, "regime": r.key.regime,
                             "dataset_revision": r.key.dataset_revision, "split": split, "metric": metric,
                             "value": value, "primary": metric == r.primary_metric, "direction": r.direction})
    return rows


def write_parquet(rows: list[dict[str, Any]], path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from gfmbench.atomic import atomic_path

    with atomic_path(path) as tmp:
        pq.write_table(pa.Table.from_pylist(rows), tmp, compression="zstd")
    return path


def card_folder(report: RunReport) -> Path:
    return report.model_folder / "cards"


def _card_summaries(folder: Path) -> list[dict[str, Any]]:
    """The rows of every `summary-*.json` in the card folder (all suites and regimes run for this model). Summaries
    written before this format, or unreadable ones, are left out of the model card with a warning naming them."""
    rows = []
    for path in sorted(folder.glob("summary-*.json")):
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("%s: unreadable summary (%s); left out of the model card", path, exc)
            continue
        rows += [row for row in found if isinstance(row, dict) and "regime" in row] if isinstance(found, list) else []
    return rows


def write_cards(report: RunReport) -> Path | None:
    """Write the cards from the results store (every unit of this model, suite, regime and recipe, whichever
    command ran it): `.eval_results/<stem>.yaml`, `summary-<stem>.json`, `results-<stem>.parquet`, and `README.md`
    over every suite and regime summarised in the folder."""
    results = report.card_units()
    if not results:
        return None
    folder = card_folder(report)
    atomic_write(folder / ".eval_results" / f"{report.card_stem}.yaml",
                 eval_results_yaml(eval_result_entries(report, results)))
    summary = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in row.items()}
               for row in summary_rows(report, results)]
    # NaN (the std of a single seed) is not JSON: write null
    atomic_write(folder / f"summary-{report.card_stem}.json", json.dumps(_nan_to_none(summary), indent=2) + "\n")
    write_parquet(aggregate_rows(results), folder / f"results-{report.card_stem}.parquet")
    atomic_write(folder / "README.md", model_card(report.model, _card_summaries(folder), results))
    return folder


PUBLISH_ATTEMPTS = 12


def results_repo_card(repo: str, results: list[UnitResult]) -> str:
    """The results dataset's card: its `configs:` point `datasets.load_dataset(repo)` at the aggregated table (one
    row per unit, split and metric), so the results load like any dataset, without remote code."""
    from huggingface_hub import DatasetCard, DatasetCardData

    data = DatasetCardData(pretty_name=f"gfmbench results ({repo})", tags=["gfmbench", "evaluation-results"],
                           configs=[{"config_name": "default",
                                     "data_files": [{"split": "train", "path": "aggregated/results.parquet"}]}])
    models = sorted({r.key.model_id for r in results})
    suites = sorted({r.key.suite for r in results})
    body = (f"# gfmbench results\n\n{len(results)} result unit(s) of {len(models)} model(s) on "
            f"{', '.join(suites) or 'no suite'}. Each unit folder holds `result.json` (the full recipe, versions, "
            "hardware) and `predictions.parquet`; `aggregated/results.parquet` has one row per unit, split and "
            "metric and is rebuilt from every unit on each publication.\n\n"
            f"```python\nfrom datasets import load_dataset\nresults = load_dataset({repo!r}, split=\"train\")\n```\n")
    return str(DatasetCard(f"---\n{data.to_yaml()}\n---\n{body}"))


def _publish_with_retries(backend: Any, repo: str, operations: list[Any], results: list[Any], message: str) -> str:
    """Commit our units plus an aggregated table rebuilt from everything in the repo, on top of the head we read.
    If another publisher committed in between, the commit is refused (parent check), so we read again and retry:
    concurrent publishers all land, and the table always covers every unit in the repo."""
    import io
    import random
    import time

    import pyarrow as pa
    import pyarrow.parquet as pq
    from huggingface_hub import CommitOperationAdd

    from gfmbench.errors import ConcurrentUpdateError
    from gfmbench.harness.results import UnitResult as Result
    from gfmbench.hub.publish import publish

    ours = {op.path_in_repo for op in operations}
    for attempt in range(PUBLISH_ATTEMPTS):
        head = backend.head(repo)
        everything = list(results)
        for path in backend.list_files(repo, revision=head or "main") if head else []:
            if not path.endswith(f"/{RESULT_FILE}") or path in ours:
                continue
            try:
                everything.append(Result.model_validate_json(backend.read_file(repo, path, revision=head) or b""))
            except ValueError:
                log.warning("%s:%s is not a valid result; left out of the aggregated table", repo, path)
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(aggregate_rows(everything)), buffer, compression="zstd")
        table = CommitOperationAdd("aggregated/results.parquet", buffer.getvalue())
        card = CommitOperationAdd("README.md", results_repo_card(repo, everything).encode())
        try:
            return publish(backend, repo, [*operations, table, card], message, parent_commit=head).commit
        except ConcurrentUpdateError:
            if attempt == PUBLISH_ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0.05, 0.3) * (attempt + 1))  # jittered backoff: the racers spread out
            log.info("%s moved while publishing; retrying (%d)", repo, attempt + 1)
    raise AssertionError("unreachable")


def push_results(report: RunReport, results_repo: str, backend: Any | None = None) -> dict[str, str]:
    """Publish every unit (result + predictions) and a rebuilt aggregated table to `results_repo` (a dataset), and
    the eval results YAML to the model repo when the model comes from a hub."""
    from huggingface_hub import CommitOperationAdd

    from gfmbench.errors import HubError
    from gfmbench.harness.validity import validate_card
    from gfmbench.hub.publish import HubBackend, publish, select_backend

    backend = backend if backend is not None else select_backend()
    for unit in report.units:  # the leaderboard would refuse it: refuse to publish it in the first place
        _, reason, _ = validate_card(str(unit.folder), unit.result.model_dump_json())
        if reason is not None:
            raise HubError(f"{unit.folder}: not published: {reason}")
    operations = []
    for unit in report.units:
        prefix = unit.folder.relative_to(report.output_dir).as_posix()
        for name in (RESULT_FILE, unit.result.predictions_file):
            operations.append(CommitOperationAdd(f"{prefix}/{name}", str(unit.folder / name)))
    backend.create_repo(results_repo, "dataset")
    commit = _publish_with_retries(backend, results_repo, operations, [u.result for u in report.units],
                                   f"Results of {report.model.short} on {report.suite.name}")
    commits = {results_repo: commit}
    if not Path(report.model.model_id).exists():  # a hub model: add the Hub-native eval results to its repo
        endpoint = getattr(getattr(backend, "api", None), "endpoint", None) or "local-hub"
        entries = eval_result_entries(report, report.card_units() or [u.result for u in report.units],
                                      source_url=f"{endpoint}/datasets/{results_repo}")
        op = CommitOperationAdd(f".eval_results/{report.card_stem}.yaml", eval_results_yaml(entries).encode())
        message = f"gfmbench results on {report.suite.name}"
        if isinstance(backend, HubBackend) and not backend.can_write(report.model.model_id):
            # Not our repo on the Hub: propose the eval results as a pull request, as the Hub expects.
            commits[report.model.model_id] = backend.commit(report.model.model_id, [op], message, repo_type="model",
                                                            create_pr=True)
        elif backend.head(report.model.model_id, "model") is not None:
            commits[report.model.model_id] = publish(backend, report.model.model_id, [op], message,
                                                     repo_type="model").commit
        else:
            log.warning("model repo %s not writable here; eval results kept in %s", report.model.model_id,
                        card_folder(report))
    return commits
