"""Sweeps: the grid of (model, suite, task, seed) units, split into shards that any scheduler can run.

Why shards and not a scheduler: clusters already have one (Slurm, or `submitit` in front of it). A unit's shard is
a stable hash of its identity, so every machine computes the same split without coordination, and because a shard
runs units through the harness's resume (finished units are reused), re-submitting a shard, or the whole sweep,
only computes what is missing. A unit that fails is recorded (`.sweep/failed/*.json` in the results store) and the
shard goes on; `status` lists done, missing and failed units; `merge` builds the leaderboard tables from the store.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gfmbench.atomic import atomic_write
from gfmbench.errors import GfmbenchError

if TYPE_CHECKING:
    from gfmbench.harness.results import Regime

log = logging.getLogger(__name__)


@dataclass(frozen=True, order=True)
class SweepUnit:
    """A cell of the grid, as the sweep names it before the model is fetched (the unit's `UnitKey` adds the model's
    content, the dataset commit and the recipe when it runs)."""

    model: str
    suite: str
    task: str
    seed: int
    regime: Regime = "finetune"

    def shard(self, shards: int) -> int:
        """Stable across machines and Python runs (unlike `hash`), and across regimes: a probe sweep of a grid puts
        each cell in the shard its fine-tuning sweep did."""
        digest = hashlib.sha256(f"{self.model}\0{self.suite}\0{self.task}\0{self.seed}".encode()).hexdigest()
        return int(digest[:16], 16) % shards

    @property
    def slug(self) -> str:
        """The cell in file names (failure records): a failed unit of one regime is not another regime's."""
        name = f"{self.model}\0{self.suite}\0{self.task}\0{self.seed}\0{self.regime}"
        return hashlib.sha256(name.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SweepSpec:
    """What to run and how: the grid, the shared results store, and the run settings every unit gets."""

    models: tuple[str, ...]
    suites: tuple[str, ...]
    seeds: tuple[int, ...] = (0,)
    tasks: tuple[str, ...] = ()  # names or aliases; each is looked up in every suite that has it; () = all tasks
    output_dir: str = ""
    regime: Regime = "finetune"
    run_options: dict[str, Any] = field(default_factory=dict)  # epochs, batch_size, ... (RunConfig.option_names)

    def units(self) -> list[SweepUnit]:
        from gfmbench.suites.registry import get_suite

        grid = []
        matched: set[str] = set()
        for suite_name in self.suites:
            suite = get_suite(suite_name)
            for task in suite.tasks:
                names = task.names
                if self.tasks and not names & set(self.tasks):
                    continue
                matched |= names & set(self.tasks)
                grid += [SweepUnit(m, suite.name, task.config, s, self.regime) for m in self.models for s in self.seeds]
        unknown = set(self.tasks) - matched
        if unknown:
            raise GfmbenchError(f"task(s) {sorted(unknown)} are in none of the suites {list(self.suites)}")
        return sorted(grid)

    def shard(self, shards: int, index: int) -> list[SweepUnit]:
        if shards < 1 or not 0 <= index < shards:
            raise GfmbenchError(f"shard index {index} out of range for {shards} shard(s)")
        return [u for u in self.units() if u.shard(shards) == index]


def _store(spec: SweepSpec) -> Path:
    from gfmbench.harness.run import default_output_dir

    return Path(spec.output_dir) if spec.output_dir else default_output_dir()


def _failure_path(spec: SweepSpec, unit: SweepUnit) -> Path:
    return _store(spec) / ".sweep" / "failed" / f"{unit.slug}.json"


def run_shard(spec: SweepSpec, shards: int = 1, index: int = 0) -> dict[str, int]:
    """Run one shard's units in this process (in a child against a local hub started for the shard when the grid
    reads local repos: a submitted shard routes itself where it runs); returns counts of run / reused / failed
    units."""
    from gfmbench.harness.run import RunConfig, run
    from gfmbench.hub.routing import call_against_local_hub, needs_local_hub, repos_of

    if needs_local_hub(repos_of(spec.suites, spec.models)):
        return call_against_local_hub(run_shard, spec, shards, index)

    counts = {"run": 0, "reused": 0, "failed": 0}
    mine = spec.shard(shards, index)
    log.info("shard %d/%d: %d unit(s)", index, shards, len(mine))
    for unit in mine:
        failure = _failure_path(spec, unit)
        try:
            report = run(RunConfig.from_options(
                model=unit.model, suite=unit.suite, tasks=[unit.task], seeds=[unit.seed], output_dir=_store(spec),
                regime=unit.regime, write_cards=False, command=f"gfmbench sweep (shard {index}/{shards})",
                **spec.run_options))
        except Exception as exc:  # one bad unit must not stop the shard: record it, go on
            counts["failed"] += 1
            log.error("%s %s/%s seed %d failed: %s", unit.model, unit.suite, unit.task, unit.seed, exc)
            failure.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(failure, json.dumps({**asdict(unit), "error": f"{type(exc).__name__}: {exc}"}) + "\n")
            continue
        failure.unlink(missing_ok=True)
        for outcome in report.units:
            counts["reused" if outcome.reused else "run"] += 1
    return counts


def status(spec: SweepSpec) -> list[dict[str, Any]]:
    """Every unit of the grid with its state in the results store: done (a unit of the sweep's recipe), failed
    (with the error), "other settings" (units exist, but none with the sweep's settings: they would not be reused)
    or missing."""
    from gfmbench.harness.models import keyed_model_id
    from gfmbench.harness.results import RESULT_FILE, read_unit
    from gfmbench.harness.run import RunConfig, task_recipes
    from gfmbench.suites.registry import get_suite

    store = _store(spec)
    done: set[tuple[str, str, str, int, str | None]] = set()
    done_any: set[tuple[str, str, str, int]] = set()
    for path in store.glob(f"*/*/*/{spec.regime}-*/{RESULT_FILE}"):
        result = read_unit(path.parent)
        if result is not None:
            k = result.key
            done.add((k.model_id, k.suite, k.task, k.seed, k.recipe_id))
            done_any.add((k.model_id, k.suite, k.task, k.seed))
    options = {k: v for k, v in spec.run_options.items() if k != "progress"}
    recipes: dict[tuple[str, str], dict[str, tuple[str, dict[str, Any]]]] = {}
    rows = []
    for unit in spec.units():
        if (unit.model, unit.suite) not in recipes:
            recipes[(unit.model, unit.suite)] = task_recipes(
                get_suite(unit.suite), RunConfig.from_options(model=unit.model, suite=unit.suite, regime=spec.regime,
                                                              **options))
        expected = recipes[(unit.model, unit.suite)].get(unit.task, (None, {}))[0]
        model_id = keyed_model_id(unit.model)
        row: dict[str, Any] = {**asdict(unit), "state": "missing", "error": ""}
        if (model_id, unit.suite, unit.task, unit.seed, expected) in done:
            row["state"] = "done"
        elif _failure_path(spec, unit).is_file():
            row["state"] = "failed"
            row["error"] = json.loads(_failure_path(spec, unit).read_text())["error"]
        elif (model_id, unit.suite, unit.task, unit.seed) in done_any:
            row["state"] = "other settings"
        rows.append(row)
    return rows


def submit(spec: SweepSpec, shards: int, folder: Path, cluster: str | None = None, wait: bool = True,
           **resources: Any) -> list[Any]:
    """One `submitit` array job, one task per shard. `cluster`: None lets submitit pick (Slurm when available),
    "local" runs the shards as local processes, "debug" in this process. `resources` are submitit parameters
    (`timeout_min`, `gpus_per_node`, `cpus_per_task`, `slurm_partition`, `slurm_array_parallelism`, ...)."""
    import submitit

    executor = submitit.AutoExecutor(folder=str(folder), cluster=cluster)
    executor.update_parameters(name="gfmbench-sweep", **resources)
    jobs = executor.map_array(run_shard, [spec] * shards, [shards] * shards, list(range(shards)))
    log.info("submitted %d shard(s): %s", shards, ", ".join(j.job_id for j in jobs))
    if wait:
        for job in jobs:
            job.result()  # re-raises a shard's crash (a failing unit is recorded, not raised)
    return jobs
