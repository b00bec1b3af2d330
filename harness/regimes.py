"""The evaluation regimes, one object each, registered by name: fine-tuning, the linear probe, zero-shot scoring.

A regime says which tasks it can serve, which run settings it refuses, which of its settings make a unit's recipe
(harness.recipe), how it computes one unit (a typed `UnitOutput`) and what the result records of it. `harness.run`
drives any regime the same way, so a new regime is one subclass here registered under its name (plus the name in
`harness.results.Regime`).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from gfmbench.errors import GfmbenchError
from gfmbench.harness.results import Regime, UnitOutput
from gfmbench.suites.registry import all_tasks
from gfmbench.suites.schema import SuiteSpec, TaskSpec

if TYPE_CHECKING:
    from gfmbench.harness.models import ResolvedModel
    from gfmbench.harness.runconfig import RunConfig
    from gfmbench.harness.train import Hyperparameters

log = logging.getLogger(__name__)


class RunRegime:
    """What every regime shares; subclasses set `name` and override what differs."""

    name: ClassVar[Regime]
    reads_train: ClassVar[bool] = True  # zero-shot scores test only
    streams: ClassVar[bool] = False  # can read train as a stream (--streaming)
    distributed: ClassVar[bool] = False  # can run in several processes (torchrun / accelerate)
    scores_zeroshot: ClassVar[bool] = False  # takes --zeroshot-scoring
    card_words: ClassVar[str]  # how model cards name what was scored
    derived_network: ClassVar[bool] = True  # scores a head trained on (or a probe of) the model: its `base_model`

    def skip_reason(self, task: TaskSpec) -> str | None:
        """Why this regime cannot serve `task` (the task is skipped with a message), or None."""
        return None

    def none_left(self) -> str:
        """The error when no selected task can be served."""
        return f"none of the selected tasks can run in the {self.name} regime"

    def select(self, tasks: list[TaskSpec]) -> list[TaskSpec]:
        """The tasks this regime serves; the others are skipped with a message, and none left is an error."""
        kept = []
        for task in tasks:
            reason = self.skip_reason(task)
            if reason is None:
                kept.append(task)
            else:
                log.warning("%s: %s", task.config, reason)
        if not kept:
            raise GfmbenchError(self.none_left())
        return kept

    def refuse(self, config: RunConfig) -> None:
        """Settings of `config` this regime has no use for are errors, not silently ignored."""
        from gfmbench.harness.train import world_size

        if config.zeroshot_scoring != "masked" and not self.scores_zeroshot:
            raise GfmbenchError(f"--zeroshot-scoring is for the zeroshot regime, not {self.name}")
        if config.training.streaming and not self.streams:
            raise GfmbenchError(f"--streaming is for fine-tuning; the {self.name} regime reads its splits whole")
        if world_size() > 1 and not self.distributed:
            raise GfmbenchError(f"the {self.name} regime runs in one process; launch it without torchrun/accelerate")

    def settings(self, task: TaskSpec, config: RunConfig, hp: Hyperparameters) -> dict[str, Any]:
        """The regime's settings that change a unit's result (part of its recipe)."""
        raise NotImplementedError

    def compute(self, suite: SuiteSpec, task: TaskSpec, model: ResolvedModel, data: Any, hp: Hyperparameters,
                seed: int, config: RunConfig, unit_folder: Path) -> UnitOutput:
        raise NotImplementedError

    def hyperparameters(self, hp: Hyperparameters, output: UnitOutput) -> dict[str, Any]:
        """What the result records of how the unit was made (fine-tuning: its training settings; the probe: its
        grid and choice; zero-shot: its scoring rule)."""
        return {"regime": self.name, "max_length": hp.max_length, **output.record}


class FineTune(RunRegime):
    name = "finetune"
    card_words = "fine-tuned"
    streams = True
    distributed = True

    def settings(self, task: TaskSpec, config: RunConfig, hp: Hyperparameters) -> dict[str, Any]:
        return hp.as_dict()

    def compute(self, suite: SuiteSpec, task: TaskSpec, model: ResolvedModel, data: Any, hp: Hyperparameters,
                seed: int, config: RunConfig, unit_folder: Path) -> UnitOutput:
        from gfmbench.harness.train import is_main_process, train_unit, wait_for_all_processes, world_size

        def train(work: Path) -> UnitOutput:
            return train_unit(suite, task, model, data, hp, seed, work, config.loading.trust_remote_code,
                              config.progress, config.loading.allow_unloaded_weights)

        if world_size() > 1:  # every process must see the checkpoints the main process saves: a shared folder
            work = unit_folder.parent / f".{unit_folder.name}.work"
            try:
                return train(work)
            finally:
                wait_for_all_processes()
                if is_main_process():
                    shutil.rmtree(work, ignore_errors=True)
        with tempfile.TemporaryDirectory(prefix="gfmbench-unit-") as tmp:
            return train(Path(tmp))

    def hyperparameters(self, hp: Hyperparameters, output: UnitOutput) -> dict[str, Any]:
        return {"regime": self.name, **hp.as_dict()}


class Probe(RunRegime):
    """Frozen backbone, cached features, a linear model (scikit-learn)."""

    name = "probe"
    card_words = "linear probe on frozen features"

    def skip_reason(self, task: TaskSpec) -> str | None:
        # pair maps and sequence pairs would need pair construction from features, which the probe does not have
        if task.is_pair_level or task.pair_input is not None:
            return (f"{'pair-level maps' if task.is_pair_level else 'sequence-pair input'}; skipped in the probe "
                    "regime (fine-tune it instead)")
        return None

    def none_left(self) -> str:
        return "none of the selected tasks can be probed (pair maps and sequence pairs are fine-tuned only)"

    def settings(self, task: TaskSpec, config: RunConfig, hp: Hyperparameters) -> dict[str, Any]:
        from gfmbench.harness.probe import probe_settings

        return {"max_length": hp.max_length, **probe_settings(task)}

    def compute(self, suite: SuiteSpec, task: TaskSpec, model: ResolvedModel, data: Any, hp: Hyperparameters,
                seed: int, config: RunConfig, unit_folder: Path) -> UnitOutput:
        from gfmbench.harness.probe import probe_unit

        return probe_unit(task, model, data, hp.max_length, seed, config.loading.trust_remote_code, config.progress,
                          allow_unloaded_weights=config.loading.allow_unloaded_weights)


class ZeroShot(RunRegime):
    """Language-model likelihoods on the tasks the registry gives a zero-shot definition; nothing is trained."""

    name = "zeroshot"
    card_words = "zero-shot (language-model likelihoods, no training)"
    derived_network = False
    reads_train = False
    scores_zeroshot = True

    def skip_reason(self, task: TaskSpec) -> str | None:
        if task.zeroshot is None:
            return "no zero-shot definition in the registry; skipped in the zeroshot regime"
        return None

    def none_left(self) -> str:
        have = [f"{s.name}/{t.config}" for s, t in all_tasks() if t.zeroshot is not None]
        return ("none of the selected tasks has a zero-shot definition (registry field `zeroshot`); tasks that have "
                "one: " + ", ".join(have))

    def settings(self, task: TaskSpec, config: RunConfig, hp: Hyperparameters) -> dict[str, Any]:
        from gfmbench.harness.zeroshot import zeroshot_settings

        return {"max_length": hp.max_length, **zeroshot_settings(task, config.zeroshot_scoring)}

    def compute(self, suite: SuiteSpec, task: TaskSpec, model: ResolvedModel, data: Any, hp: Hyperparameters,
                seed: int, config: RunConfig, unit_folder: Path) -> UnitOutput:
        from gfmbench.harness.zeroshot import zeroshot_unit

        return zeroshot_unit(task, model, data, hp.max_length, config.loading.trust_remote_code, config.progress,
                             config.loading.allow_unloaded_weights, scoring=config.zeroshot_scoring)


REGIMES: dict[str, RunRegime] = {regime.name: regime for regime in (FineTune(), Probe(), ZeroShot())}


def get_regime(name: str) -> RunRegime:
    if name not in REGIMES:
        raise GfmbenchError(f"unknown regime {name!r}; choose one of {', '.join(REGIMES)}")
    return REGIMES[name]
