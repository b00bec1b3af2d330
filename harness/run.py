"""AutoBench: benchmark one model on the tasks of a suite over several seeds, resuming what is already done.

    from gfmbench.harness.run import RunConfig, run
    report = run(RunConfig(model="gfmbench/tiny-random-bert-nt", suite="rgb", tasks=["SSP_Archive2"], seeds=[0, 1]))
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gfmbench.atomic import remove_stale_temp_files
from gfmbench.config import gfmbench_home
from gfmbench.harness.data import load_task_data
from gfmbench.harness.models import ResolvedModel, check_remote_code, import_plugins, resolve_model
from gfmbench.harness.regimes import get_regime
from gfmbench.harness.results import (
    Regime,
    UnitKey,
    UnitResult,
    environment,
    read_unit,
    write_unit,
)
from gfmbench.harness.runconfig import RunConfig
from gfmbench.harness.train import Hyperparameters, is_main_process, wait_for_all_processes
from gfmbench.suites.registry import get_suite, get_task
from gfmbench.suites.schema import SuiteSpec, TaskSpec

log = logging.getLogger(__name__)


@dataclass
class UnitOutcome:
    folder: Path
    result: UnitResult
    reused: bool


@dataclass
class RunReport:
    model: ResolvedModel
    suite: SuiteSpec
    units: list[UnitOutcome]
    output_dir: Path
    regime: Regime = "finetune"

    @property
    def card_stem(self) -> str:
        """File stem of this run's cards: the suite, plus the regime when it is not fine-tuning (so a probe run
        never overwrites the fine-tuned cards)."""
        return self.suite.name if self.regime == "finetune" else f"{self.suite.name}-{self.regime}"

    recipes: dict[str, str] = field(default_factory=dict)  # task config -> the recipe id this run gives it
    revisions: dict[str, str] = field(default_factory=dict)  # task config -> the dataset commit this run used
    pushed: dict[str, str] = field(default_factory=dict)  # repo -> commit of what --push-to published

    _card_units: list[UnitResult] | None = field(default=None, repr=False)  # read once from the store

    @property
    def model_folder(self) -> Path:
        """The model's folder in the results store (`<model>@<content12>`)."""
        from gfmbench.harness.results import model_folder

        return model_folder(self.output_dir, self.model.model_id, self.model.content_id)

    def summary(self) -> list[dict[str, Any]]:
        """This command's units per task (see harness.summary.summarise)."""
        from gfmbench.harness.summary import summarise

        return summarise(self.suite, [u.result for u in self.units])

    def card_units(self) -> list[UnitResult]:
        """Every unit of this model, suite, regime and recipe in the results store (all seeds run so far, by any
        command), which the cards describe."""
        from gfmbench.harness.results import store_units
        from gfmbench.harness.summary import card_results

        if self._card_units is None:  # the cards, the push and the CLI's last lines all ask: scan the store once
            stored = [r for _, r in store_units(self.model_folder, self.suite.name, self.regime)
                      if r.key.model_content == self.model.content_id]
            self._card_units = card_results(stored, self.recipes, self.revisions)
        return self._card_units


def default_output_dir() -> Path:
    return gfmbench_home() / "results"


def resolve_tasks(suite: SuiteSpec, names: list[str] | None) -> list[TaskSpec]:
    if not names:
        return list(suite.tasks)
    return [get_task(name, suite.name)[1] for name in names]


def hyperparameters(suite: SuiteSpec, task: TaskSpec, config: RunConfig,
                    model_defaults: Any = None) -> Hyperparameters:
    """Flags first, then the model family's published defaults (model registry), then the suite's."""
    defaults = suite.training_for(task)
    options = config.training
    learning_rate = getattr(model_defaults, "learning_rate", None)
    batch_size = getattr(model_defaults, "batch_size", None)
    return Hyperparameters(
        epochs=options.epochs or defaults.epochs,
        batch_size=options.batch_size or batch_size or defaults.batch_size,
        learning_rate=options.learning_rate or learning_rate or defaults.learning_rate,
        weight_decay=defaults.weight_decay,
        patience=defaults.patience,
        warmup_ratio=defaults.warmup_ratio if options.warmup_ratio is None else options.warmup_ratio,
        max_length=options.max_length or task.max_length,
        long_sequences=options.long_sequences,
        gradient_accumulation_steps=options.gradient_accumulation_steps,
        precision=options.precision,
        lr_scheduler=options.lr_scheduler,
        batching=options.batching,
        streaming=options.streaming,
    )


def recipe_settings(suite: SuiteSpec, task: TaskSpec, config: RunConfig, hp: Hyperparameters) -> dict[str, Any]:
    """Every setting of this unit that can change its result (see harness.recipe): the regime's own settings, the
    validation carve-out and the scoring version."""
    from gfmbench.harness.recipe import SCORING_VERSION

    own = get_regime(config.regime).settings(task, config, hp)
    # a unit run with the weights check overridden is its own experiment: a later run that would have refused the
    # checkpoint must not reuse it (keyed only when set, so ordinary recipes keep their ids)
    forced = {"allow_unloaded_weights": True} if config.loading.allow_unloaded_weights else {}
    return {"regime": config.regime, **own, "validation_fraction": suite.training_for(task).validation_fraction,
            **forced, "scoring_version": SCORING_VERSION}


def task_recipes(suite: SuiteSpec, config: RunConfig) -> dict[str, tuple[str, dict[str, Any]]]:
    """task config -> (recipe id, settings) that `config` gives each task of the suite (offline: the model
    registry's defaults are data, no hub is asked)."""
    from gfmbench.harness.recipe import recipe_id
    from gfmbench.models.registry import registry_spec

    _, family, _ = registry_spec(config.model)
    defaults = family.defaults if family is not None else None
    regime = get_regime(config.regime)
    out = {}
    for task in suite.tasks:
        if regime.skip_reason(task) is not None:
            continue  # e.g. no zero-shot definition: no zero-shot units
        settings = recipe_settings(suite, task, config, hyperparameters(suite, task, config, defaults))
        out[task.config] = (recipe_id(settings), settings)
    return out


def _announce_near_matches(folder: Path, key: UnitKey, settings: dict[str, Any]) -> None:
    """A unit of the same model, task, seed and regime with other settings exists: say which settings differ, so
    that nobody mistakes the new number for a rerun of the old one (the old unit is kept)."""
    from gfmbench.harness.recipe import recipe_label, setting_differences

    for sibling in sorted(folder.parent.glob(f"{key.regime}-*")):
        if sibling == folder:
            continue
        other = read_unit(sibling)
        if other is None or other.key.seed != key.seed or other.key.model_content != key.model_content:
            continue
        changed = setting_differences(other.settings, settings)
        log.warning("%s seed %d: a unit with other settings exists (recipe %s: %s); computing a new unit beside "
                    "it, the old one is kept", key.task, key.seed, recipe_label(other.key.recipe_id),
                    "; ".join(changed) or "same settings, other harness scoring")


def run(config: RunConfig) -> RunReport:
    """Run (or reuse) every unit of the config and write the cards. The repos are read where they live, as on the
    command line: when the suite (or model) is in the local hub and this process talks to the Hub, the run happens
    in a child process against a local hub started for it (gfmbench.hub.routing), and its report comes back."""
    from gfmbench.hub.routing import call_against_local_hub, needs_local_hub, repos_of
    from gfmbench.progress import library_progress

    regime = get_regime(config.regime)
    suite = get_suite(config.suite)
    if needs_local_hub(repos_of([config.suite], [config.model])):
        return call_against_local_hub(run, config)
    library_progress(config.progress)
    tasks = regime.select(resolve_tasks(suite, config.tasks))
    regime.refuse(config)
    from gfmbench.models.registry import registry_spec

    spec, family, _ = registry_spec(config.model)
    family_plugin = [family.plugin_import] if family is not None and family.plugin_import else []
    plugins = [*config.loading.imports, *family_plugin]
    import_plugins(list(dict.fromkeys(plugins)))
    model = resolve_model(spec)
    check_remote_code(model, config.loading.trust_remote_code)
    output_dir = Path(config.output_dir) if config.output_dir else default_output_dir()
    recipes = task_recipes(suite, config)
    outcomes: list[UnitOutcome] = []
    revisions: dict[str, str] = {}
    for task in tasks:
        data = load_task_data(suite, task, config.dataset_revision, need_train=regime.reads_train,
                              streaming=config.training.streaming)
        revisions[task.config] = data.dataset_revision
        hp = hyperparameters(suite, task, config, family.defaults if family is not None else None)
        unit_recipe, settings = recipes[task.config]
        for seed in config.seeds:
            key = UnitKey(model_id=model.model_id, model_sha=model.sha, model_content=model.content_id,
                          dataset_repo=suite.dataset_repo,
                          dataset_revision=data.dataset_revision, suite=suite.name, task=task.config, seed=seed,
                          regime=config.regime, recipe_id=unit_recipe)
            folder = key.folder(output_dir)
            existing = None if config.overwrite else read_unit(folder, key)
            if existing is not None:
                log.info("%s seed %d: already done, reused (%s)", task.config, seed, folder)
                outcomes.append(UnitOutcome(folder, existing, reused=True))
                continue
            if is_main_process() and folder.is_dir():
                remove_stale_temp_files(folder)  # left by a killed earlier attempt at this unit
            if is_main_process():
                _announce_near_matches(folder, key, settings)
            log.info("%s seed %d: %s %s", task.config, seed, config.regime, model.short)
            output = regime.compute(suite, task, model, data, hp, seed, config, folder)
            result = UnitResult(
                key=key,
                recipe=settings,
                suite_version=suite.version,
                task_type=task.type,
                primary_metric=task.primary_metric,
                direction=task.direction,
                metrics=output.metrics,
                confidence_interval=output.confidence_interval,
                hyperparameters={**regime.hyperparameters(hp, output), "seed": seed,
                                 "model_revision": model.revision or "main",
                                 "dataset_revision_requested": config.dataset_revision or suite.tag},
                validation_source=data.validation_source,
                head=output.head,
                loading=output.loading,
                input_format=output.input_format,
                truncation=output.truncation,
                cost=output.cost,
                environment=environment(),
                command=config.command,
                timestamp=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            )
            if is_main_process():  # under torchrun/accelerate every process trained; one writes
                write_unit(folder, result, output.predictions)
            wait_for_all_processes()
            outcomes.append(UnitOutcome(folder, result, reused=False))
    report = RunReport(model=model, suite=suite, units=outcomes, output_dir=output_dir, regime=config.regime,
                       recipes={t: r for t, (r, _) in recipes.items()}, revisions=revisions)
    if not is_main_process():
        return report
    from gfmbench.harness.cards import write_cards

    publishing = config.publishing
    if publishing.write_cards:
        write_cards(report)
    if publishing.push_to:
        from gfmbench.harness.cards import push_results
        from gfmbench.hub.publish import select_backend

        report.pushed = push_results(report, publishing.push_to, select_backend(to_hub=publishing.push_to_hub))
    return report
