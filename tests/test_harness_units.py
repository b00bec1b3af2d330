"""Harness pieces that need no server: label checks, the result schema, unit folders and invalid unit files."""

from __future__ import annotations

from pathlib import Path

import pytest
from datasets import ClassLabel, Features, List, Value

from gfmbench.harness.data import TaskDataError, check_labels
from gfmbench.harness.models import ModelError, check_remote_code, parse_model_spec, resolve_model
from gfmbench.harness.results import Cost, UnitKey, UnitResult, read_unit, write_unit
from gfmbench.suites import get_suite

SSP = get_suite("rgb").task("SSP_Archive2")


def test_label_set_mismatch_is_refused() -> None:
    good = Features({"label": List(ClassLabel(names=["(", ")", "."]))})
    check_labels(SSP, good)
    reordered = Features({"label": List(ClassLabel(names=[".", "(", ")"]))})
    with pytest.raises(TaskDataError, match=r"label set mismatch: dataset has \['\.', '\(', '\)'\]"):
        check_labels(SSP, reordered)
    mrna = get_suite("rgb").task("mRNA_degrade")
    with pytest.raises(TaskDataError, match=r"target columns \['deg_Mg_50C'\] missing"):
        check_labels(mrna, Features({"reactivity": List(Value("float32")), "deg_Mg_pH10": List(Value("float32"))}))


def test_model_spec_parsing(tmp_path: Path) -> None:
    assert parse_model_spec("org/name@v1.0") == ("org/name", "v1.0")
    assert parse_model_spec("org/name") == ("org/name", None)
    folder = tmp_path / "weird@name"
    folder.mkdir()
    assert parse_model_spec(str(folder)) == (str(folder), None)  # an existing path is never split
    with pytest.raises(ModelError, match="not a transformers model folder"):
        resolve_model(str(folder))


def test_remote_code_is_detected_without_running_it(tmp_path: Path) -> None:
    from gfmbench.harness.tiny import save_tiny_model

    folder = save_tiny_model(tmp_path / "m", "bert", "char")
    check_remote_code(resolve_model(str(folder)), trust_remote_code=False)  # plain model: fine
    (folder / "tokenizer_config.json").write_text('{"auto_map": {"AutoTokenizer": ["tok.T", null]}}')
    with pytest.raises(ModelError, match="--trust-remote-code"):
        check_remote_code(resolve_model(str(folder)), trust_remote_code=False)


def _result(seed: int = 0) -> UnitResult:
    key = UnitKey(model_id="org/m", model_sha="a" * 40, model_content="c" * 64, dataset_repo="gfmbench/rgb",
                  dataset_revision="b" * 40, suite="rgb", task="SSP_Archive2", seed=seed)
    return UnitResult(key=key, suite_version="1.0.0", task_type="token_classification", primary_metric="f1_macro",
                      direction="higher", metrics={"test": {"f1_macro": 0.5}}, hyperparameters={"epochs": 1},
                      validation_source="upstream validation split", head="h", input_format="raw", truncation="t",
                      cost=Cost(wall_time_s=1.0, peak_rss_mb=1.0, n_parameters=10), environment={}, command="c",
                      timestamp="2026-11-25T00:00:00+00:00")


def test_unit_round_trip_and_invalid_files(tmp_path: Path) -> None:
    result = _result()
    folder = result.key.folder(tmp_path)
    assert folder.relative_to(tmp_path).as_posix() == "org__m@cccccccccccc/rgb/SSP_Archive2/finetune-seed0"
    write_unit(folder, result, [{"id": "test-000000", "prediction": [0, 1]}])
    assert read_unit(folder, result.key) == result
    # a new commit of the same model content (e.g. a card update) is the same experiment
    moved = result.key.model_copy(update={"model_sha": "d" * 40})
    assert read_unit(folder, moved) == result
    other_seed = result.key.model_copy(update={"seed": 1})
    assert read_unit(folder, other_seed) is None
    (folder / "result.json").write_text('{"schema_version": 1, "key": ')  # truncated by a crash
    assert read_unit(folder, result.key) is None
    write_unit(folder, result, [])
    (folder / "predictions.parquet").unlink()
    assert read_unit(folder, result.key) is None


def test_units_written_before_recipes_are_read_as_their_own_recipe_and_never_reused(tmp_path: Path) -> None:
    import json

    from gfmbench.harness.recipe import recipe_label, setting_differences
    from gfmbench.harness.summary import card_results, preferred_group

    legacy = _result()
    data = json.loads(legacy.model_dump_json())
    data["schema_version"] = 1
    del data["recipe"], data["key"]["recipe_id"]  # a result.json as schema 1 wrote it
    folder = legacy.key.folder(tmp_path)
    write_unit(folder, legacy, [{"id": "test-000000", "prediction": [0, 1]}])
    (folder / "result.json").write_text(json.dumps(data))
    old = read_unit(folder)
    assert old is not None and old.key.recipe_id is None and old.schema_version == 1
    assert recipe_label(old.key.recipe_id) == "legacy" and old.settings == {"epochs": 1}
    keyed = legacy.key.model_copy(update={"recipe_id": "0123456789abcdef"})
    assert keyed.folder(tmp_path).name == "finetune-0123456789-seed0" and read_unit(folder, keyed) is None
    new = legacy.model_copy(update={"key": keyed, "recipe": {"epochs": 2}, "timestamp": "2026-11-26T00:00:00+00:00"})
    assert card_results([old, new], {"SSP_Archive2": keyed.recipe_id}) == [new]  # never carded with the new recipe
    assert preferred_group([old, new]) == [new]  # one group per recipe, never averaged together
    assert setting_differences(old.settings, new.settings) == ["epochs 1 → 2"]


def test_unknown_schema_fields_are_refused() -> None:
    data = _result().model_dump()
    data["metrics_extra"] = 1
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        UnitResult.model_validate(data)


def test_push_to_a_model_repo_we_do_not_own_opens_a_pull_request(tmp_path: Path) -> None:
    from gfmbench.harness.cards import push_results
    from gfmbench.harness.models import ResolvedModel
    from gfmbench.harness.run import RunReport, UnitOutcome
    from gfmbench.hub.publish import HubBackend
    from tests.helpers import FakeHfApi

    class Api(FakeHfApi):
        def whoami(self) -> dict:
            return {"name": "alice", "orgs": [{"name": "lab"}]}

        def list_repo_files(self, repo_id: str, **kw) -> list[str]:
            return []

    result = _result()
    folder = result.key.folder(tmp_path)
    write_unit(folder, result, [{"id": "test-000000", "prediction": [0]}])
    model = ResolvedModel(model_id="org/m", revision=None, sha="a" * 40, path=tmp_path, content_id="c" * 64)
    report = RunReport(model=model, suite=get_suite("rgb"), units=[UnitOutcome(folder, result, False)],
                       output_dir=tmp_path)
    api = Api()
    backend = HubBackend(api=api)
    assert backend.can_write("lab/results") and not backend.can_write("org/m")
    push_results(report, "lab/results", backend)
    commits = [kw for name, kw in api.calls if name == "create_commit"]
    assert [c["repo_id"] for c in commits] == ["lab/results", "org/m"]
    assert commits[0]["create_pr"] is False and commits[1]["create_pr"] is True
    assert [op.path_in_repo for op in commits[1]["operations"]] == [".eval_results/rgb.yaml"]
    assert "aggregated/results.parquet" in [op.path_in_repo for op in commits[0]["operations"]]


def _task(**fields):
    from gfmbench.suites.schema import TaskSpec

    base = {"config": "T", "upstream_names": ["T"], "description": "d", "alphabet": "DNA", "format": "f",
            "splits": ["train", "test"], "max_length": 50}
    return TaskSpec.model_validate({**base, **fields})


def test_multilabel_and_sequence_regression_loss_and_scoring() -> None:
    import numpy as np
    import torch

    from gfmbench.harness.align import EncodedSequence
    from gfmbench.harness.data import Collator, Example
    from gfmbench.harness.kinds import kind_of
    from gfmbench.harness.scoring import example_outputs, score_predictions
    from gfmbench.metrics import functional as F

    enc = EncodedSequence(input_ids=[2, 5, 6, 3], token_type_ids=None, spans=np.array([[-1, -1], [0, 1], [1, 2],
                                                                                       [-1, -1]]),
                          nt_to_token=np.array([1, 2]))
    multilabel = _task(type="multilabel_classification", labels=["a", "b", "c"],
                       metrics=["multilabel_f1_macro", "multilabel_roc_auc", "subset_accuracy"],
                       primary_metric="multilabel_roc_auc", direction="higher")
    refs = [[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]]
    examples = [Example(id=str(i), encoded=enc, labels=r, reference=r) for i, r in enumerate(refs)]
    batch = Collator(multilabel, 0)([{"input_ids": e.encoded.input_ids, "labels": e.labels} for e in examples])
    assert batch["labels"].dtype == torch.float32 and batch["labels"].shape == (4, 3)
    logits = torch.tensor([[2.0, -1.0, 0.5], [-2.0, 1.0, -0.5], [1.0, 0.3, -1.0], [-1.0, -1.0, 2.0]])
    loss = kind_of(multilabel).loss(multilabel)(logits, batch["labels"])
    assert loss.item() == pytest.approx(torch.nn.functional.binary_cross_entropy_with_logits(
        logits, batch["labels"]).item())
    scores = score_predictions(multilabel, example_outputs(multilabel, examples, logits.numpy()))
    probs = 1 / (1 + np.exp(-logits.numpy()))
    assert scores["multilabel_f1_macro"] == pytest.approx(F.multilabel_f1(refs, probs))
    assert scores["multilabel_roc_auc"] == pytest.approx(F.multilabel_roc_auc(refs, probs)["roc_auc"])

    regression = _task(type="sequence_regression", targets=["on", "off"], metrics=["r2", "mse"],
                       primary_metric="r2", direction="higher")
    values = [[0.1, 0.5], [0.4, 0.2], [0.9, 0.7]]
    examples = [Example(id=str(i), encoded=enc, labels=v, reference=v) for i, v in enumerate(values)]
    batch = Collator(regression, 0)([{"input_ids": e.encoded.input_ids, "labels": e.labels} for e in examples])
    preds = torch.tensor([[0.2, 0.4], [0.3, 0.3], [0.8, 0.9]])
    assert kind_of(regression).loss(regression)(preds, batch["labels"]).item() == pytest.approx(
        torch.nn.functional.mse_loss(preds, batch["labels"]).item())
    scores = score_predictions(regression, example_outputs(regression, examples, preds.numpy().astype(np.float64)))
    assert scores["r2"] == pytest.approx(np.mean(F.r2(values, preds.numpy().astype(np.float64).tolist(),
                                                      n_targets=2)))
    assert scores["mse"] == pytest.approx(np.mean(F.mse(values, preds.numpy().tolist(), n_targets=2)), rel=1e-6)


def test_evaluation_keeps_the_example_order() -> None:
    """transformers 5 groups evaluation batches by length when training does; the harness must not, since
    predictions are matched to examples by position (a reordering silently scores against the wrong references)."""
    from torch.utils.data import SequentialSampler

    from gfmbench.harness.train import _trainer_class, check_order

    sampler = _trainer_class()._get_eval_sampler(object.__new__(_trainer_class()), [1, 2, 3])
    assert isinstance(sampler, SequentialSampler)

    class Ex:
        def __init__(self, id_: str, labels: list[int]) -> None:
            self.id, self.labels = id_, labels

    examples = [Ex("a", [-100, 1, 2, -100]), Ex("b", [-100, 0, -100])]
    check_order([[-100, 1, 2, -100], [-100, 0, -100, -100]], examples)  # padded to the batch: fine
    with pytest.raises(RuntimeError, match="prediction 0 does not belong to example a"):
        check_order([[-100, 0, -100, -100], [-100, 1, 2, -100]], examples)


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--seeds", "-1", "a seed must be >= 0"), ("--epochs", "0", "must be >= 1"),
    ("--warmup-ratio", "1.5", "a ratio must be >= 0 and < 1"), ("--batch-size", "two", "'two' is not an integer"),
])
def test_bad_values_are_refused_by_the_parser(flag: str, value: str, message: str) -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "gfmbench", "run", "--model", "org/m", "--suite", "rgb", flag, value],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_repos_are_read_where_they_live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gfmbench.errors import GfmbenchError
    from gfmbench.hub.routing import HUB_ENDPOINT, ROUTED, needs_local_hub, remote_source

    monkeypatch.setenv("GFMBENCH_HUB_ROOT", str(tmp_path))
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.delenv(ROUTED, raising=False)
    (tmp_path / "datasets" / "gfmbench" / "rgb").mkdir(parents=True)
    local_suite, hub_model = ("gfmbench/rgb", "dataset"), ("InstaDeepAI/nt-v2", "model")
    assert needs_local_hub([local_suite, hub_model])  # auto: a suite built here is read from the local hub
    assert not needs_local_hub([hub_model, ("gfmbench/gue", "dataset")])  # nothing local: straight to the Hub
    monkeypatch.setenv("GFMBENCH_HUB", "hub")
    assert not needs_local_hub([local_suite])
    monkeypatch.setenv("GFMBENCH_HUB", "local")
    assert needs_local_hub([hub_model])
    monkeypatch.setenv("GFMBENCH_HUB", "nowhere")
    with pytest.raises(GfmbenchError, match="choose one of auto, local, hub"):
        needs_local_hub([local_suite])
    monkeypatch.setenv("GFMBENCH_HUB", "auto")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:1")
    assert not needs_local_hub([local_suite])  # an exported endpoint is obeyed as is
    monkeypatch.delenv("HF_ENDPOINT")
    monkeypatch.setenv(ROUTED, "1")  # inside the command run against the local hub:
    assert remote_source("gfmbench/rgb", "dataset") is None  # the local suite from the local hub
    assert remote_source("InstaDeepAI/nt-v2", "model")[0] == HUB_ENDPOINT  # the published model from the Hub


def test_a_python_call_runs_against_a_local_hub_started_for_it(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python API's routing: the function runs in a child whose HF_ENDPOINT is a local hub (stopped after), with
    the local hub's own cache; its result comes back, its exceptions are raised here with the child's traceback."""
    import operator
    import os

    from gfmbench.errors import GfmbenchError
    from gfmbench.hub.routing import ROUTED, call_against_local_hub
    from gfmbench.suites.registry import get_suite

    monkeypatch.setenv("GFMBENCH_HUB_ROOT", str(tmp_path))
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.delenv(ROUTED, raising=False)
    endpoint = call_against_local_hub(os.getenv, "HF_ENDPOINT")
    assert endpoint.startswith("http://127.0.0.1:")
    assert call_against_local_hub(os.getenv, ROUTED) == "1"
    assert call_against_local_hub(os.getenv, "HF_HUB_CACHE").endswith(os.path.join("hub-cache", "hub"))
    import urllib.request

    with pytest.raises(OSError):  # the server was stopped with the call
        urllib.request.urlopen(endpoint, timeout=5)
    with pytest.raises(ZeroDivisionError) as raised:
        call_against_local_hub(operator.truediv, 1, 0)
    assert any("in the child process against the local hub" in note for note in raised.value.__notes__)
    with pytest.raises(GfmbenchError, match="unknown suite"):
        call_against_local_hub(get_suite, "no-such-suite")


def test_the_python_api_routes_a_run_whose_suite_is_built_here(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import gfmbench.hub.routing as routing
    from gfmbench.harness.run import RunConfig, run

    monkeypatch.setenv("GFMBENCH_HUB_ROOT", str(tmp_path))
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.delenv(routing.ROUTED, raising=False)
    (tmp_path / "datasets" / "gfmbench" / "rgb").mkdir(parents=True)
    calls = []
    monkeypatch.setattr(routing, "call_against_local_hub", lambda func, *args: calls.append((func, args)) or "report")
    config = RunConfig(model="org/m", suite="rgb", tasks=["SSP_Archive2"])
    assert run(config) == "report" and calls == [(run, (config,))]
    from gfmbench.harness.sweep import SweepSpec, run_shard  # a submitted shard routes itself where it runs

    spec = SweepSpec(models=("org/m",), suites=("rgb",), seeds=(0,))
    assert run_shard(spec, 4, 1) == "report" and calls[-1] == (run_shard, (spec, 4, 1))


def test_an_overridden_weights_check_is_its_own_recipe() -> None:
    from gfmbench.harness.run import RunConfig, task_recipes

    plain = task_recipes(get_suite("rgb"), RunConfig(model="org/m", suite="rgb"))["SSP_Archive2"]
    forced = task_recipes(get_suite("rgb"), RunConfig.from_options(model="org/m", suite="rgb",
                                                                   allow_unloaded_weights=True))["SSP_Archive2"]
    assert plain[0] != forced[0] and forced[1]["allow_unloaded_weights"] is True
    assert "allow_unloaded_weights" not in plain[1]  # ordinary recipes keep their ids


def test_validation_inside_training_adds_no_second_bar() -> None:
    """One progress bar per phase: the validation passes during training write an epoch line, not a bar of their
    own; the prediction phase after training has its bar."""
    from types import SimpleNamespace

    from gfmbench.harness.trainlog import EpochLinesAboveBar

    callback = EpochLinesAboveBar("f1_macro")
    state = SimpleNamespace(is_world_process_zero=True, max_steps=4, global_step=0)
    callback.on_train_begin(None, state, None)
    assert callback.training_bar is not None
    callback.on_prediction_step(None, state, None, eval_dataloader=[1, 2, 3])
    assert callback.prediction_bar is None
    callback.on_train_end(None, state, None)
    callback.on_prediction_step(None, state, None, eval_dataloader=[1, 2, 3])
    assert callback.prediction_bar is not None
    callback.on_predict(None, state, None)
    assert callback.prediction_bar is None


def test_regimes_and_the_run_command_take_their_values_from_one_place() -> None:
    """The regime registry and the CLI's choices are the typed values, and every option of `gfmbench run` reaches
    a RunConfig option of the same name (none is dropped on the way), in its group."""
    from typing import get_args

    from gfmbench.cli import build_parser
    from gfmbench.errors import GfmbenchError
    from gfmbench.harness.options import LongSequences, Precision, ZeroShotScoring
    from gfmbench.harness.regimes import REGIMES
    from gfmbench.harness.results import Regime
    from gfmbench.harness.run import RunConfig

    assert list(REGIMES) == list(get_args(Regime))
    parser = build_parser()
    run_parser = next(a for a in parser._subparsers._group_actions[0].choices.values() if a.prog.endswith(" run"))
    by_dest = {a.dest: a for a in run_parser._actions}
    assert by_dest["regime"].choices == list(get_args(Regime))
    assert by_dest["long_sequences"].choices == list(get_args(LongSequences))
    assert by_dest["precision"].choices == list(get_args(Precision))
    assert by_dest["zeroshot_scoring"].choices == list(get_args(ZeroShotScoring))
    config_fields = set(RunConfig.option_names())
    cli_only = {"help", "quiet", "no_progress"}
    assert set(by_dest) - config_fields == cli_only, set(by_dest) - config_fields - cli_only
    config = RunConfig.from_options(model="m", suite="rgb", epochs=3, push_to="org/results", imports=["x"])
    assert (config.training.epochs, config.publishing.push_to, config.loading.imports) == (3, "org/results", ["x"])
    with pytest.raises(GfmbenchError, match=r"unknown run option\(s\) \['epoch'\]"):
        RunConfig.from_options(model="m", suite="rgb", epoch=3)
