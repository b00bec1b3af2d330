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
from gfmbench.harness.results import RESULT_FILE, UnitResult

if TYPE_CHECKING:
    from gfmbench.harness.run import RunReport

log = logging.getLogger(__name__)


REGIME_WORDS = {"finetune": "fine-tuned", "probe": "linear probe on frozen features",
                "zeroshot": "zero-shot (language-model likelihoods, no training)"}


def eval_result_entries(report: RunReport, source_url: str | None = None) -> list[Any]:
    from huggingface_hub import EvalResultEntry

    from gfmbench import __version__

    entries = []
    for row in report.summary():
        if row["split"] != "test":  # the Hub's eval results describe the benchmark's test split; extras are in
            continue             # the summary and the aggregated table
        mean, std = row[row["primary"]]
        results = [u.result for u in report.units if u.result.key.task == row["task"]]
        entries.append(EvalResultEntry(
            dataset_id=report.suite.dataset_repo,
            task_id=row["task"],
            dataset_revision=results[0].key.dataset_revision,
            value=round(mean, 6),
            date=date.today().isoformat(),
            source_url=source_url,
            source_name="gfmbench" if source_url else None,
            notes=f"{row['primary']} on the test split ({row['direction']} is better), "
                  + (f"mean over {row['seeds']} seeds, std {std:.4f}" if row["seeds"] > 1 else "a single seed")
                  + f"; {REGIME_WORDS[report.regime]} with gfmbench {__version__}"
                  + ("; WEIGHTS CHECK OVERRIDDEN (--allow-unloaded-weights): checkpoint weights were not all "
                     "loaded" if any(_overridden(r) for r in results) else ""),
        ))
    return entries


def eval_results_yaml(entries: list[Any]) -> str:
    from huggingface_hub import eval_result_entries_to_yaml

    return yaml.safe_dump(eval_result_entries_to_yaml(entries), sort_keys=False, allow_unicode=True)


def model_card(report: RunReport) -> str:
    """A model card whose metadata carries the legacy `model-index` results."""
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    results = []
    for row in report.summary():
        unit = next(u.result for u in report.units if u.result.key.task == row["task"])
        split_name = "" if row["split"] == "test" else f" ({row['split']})"
        results.append(EvalResult(
            task_type=unit.task_type.replace("_", "-"),
            dataset_type=report.suite.dataset_repo,
            dataset_name=f"{report.suite.pretty_name}: {row['task']}{split_name}",
            dataset_config=row["task"],
            dataset_split=row["split"],
            dataset_revision=unit.key.dataset_revision,
            metric_type=row["primary"],
            metric_value=round(row[row["primary"]][0], 6),
            metric_name=f"{row['primary']} (mean of {row['seeds']} seeds)",
        ))
    data = ModelCardData(model_name=report.model.model_id, eval_results=results, tags=["gfmbench"])
    content = (f"---\n{data.to_yaml()}\n---\n# {report.model.model_id} on {report.suite.pretty_name}\n\n"
               f"Model revision `{report.model.sha}`. Results produced by gfmbench; see `.eval_results/`.\n"
               + loading_warning([u.result for u in report.units]))
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
                rows.append({"model_id": r.key.model_id, "model_sha": r.key.model_sha, "suite": r.key.suite,
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
    model_folder = report.units[0].folder.parents[2] if report.units else report.output_dir
    return model_folder / "cards"


def write_cards(report: RunReport) -> Path | None:
    """Write the cards next to the units: `.eval_results/<suite>.yaml`, `README.md`, `summary.json`, Parquet."""
    if not report.units:
        return None
    folder = card_folder(report)
    atomic_write(folder / ".eval_results" / f"{report.card_stem}.yaml", eval_results_yaml(eval_result_entries(report)))
    atomic_write(folder / "README.md", model_card(report))
    summary = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in row.items()} for row in report.summary()]
    # NaN (the std of a single seed) is not JSON: write null
    atomic_write(folder / f"summary-{report.card_stem}.json", json.dumps(_nan_to_none(summary), indent=2) + "\n")
    write_parquet(aggregate_rows([u.result for u in report.units]), folder / f"results-{report.card_stem}.parquet")
    return folder


PUBLISH_ATTEMPTS = 12


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
        try:
            return publish(backend, repo, [*operations, table], message, parent_commit=head).commit
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

    from gfmbench.hub.publish import publish, select_backend

    from gfmbench.errors import HubError
    from gfmbench.leaderboard.table import validate_card

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
        entries = eval_result_entries(report, source_url=f"{endpoint}/datasets/{results_repo}")
        op = CommitOperationAdd(f".eval_results/{report.card_stem}.yaml", eval_results_yaml(entries).encode())
        message = f"gfmbench results on {report.suite.name}"
        if hasattr(backend, "can_write") and not backend.can_write(report.model.model_id):
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
