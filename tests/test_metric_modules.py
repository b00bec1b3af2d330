"""The `evaluate` modules: each loads offline from its folder, agrees with its pure function, and its examples run
as doctests; the catalog serves every metric the suites name."""

from __future__ import annotations

import ast
import doctest
import importlib.util
import math
import warnings

import numpy as np
import pytest

from gfmbench.metrics.catalog import CATALOG, get_metric, module_path
from gfmbench.suites.registry import all_tasks
from tests.helpers import REPO

METRICS_DIR = REPO / "metrics"
MODULES = sorted(p.name for p in METRICS_DIR.iterdir() if (p / f"{p.name}.py").is_file())


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_EVALUATE_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(REPO)


def _load_file(name: str):
    spec = importlib.util.spec_from_file_location(f"gfmbench_metric_{name}", METRICS_DIR / name / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_module_has_a_card() -> None:
    assert len(MODULES) >= 19
    for name in MODULES:
        card = (METRICS_DIR / name / "README.md").read_text()
        for section in ("## Metric description", "### Inputs", "### Output values", "### Examples",
                        "## Limitations and bias", "## Citation"):
            assert section in card, f"{name}/README.md lacks {section}"


def _close(want: object, got: object) -> bool:
    if isinstance(want, float) and isinstance(got, float):
        return math.isclose(want, got, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(want) and math.isnan(got))
    if isinstance(want, dict) and isinstance(got, dict):
        return want.keys() == got.keys() and all(_close(want[k], got[k]) for k in want)
    if isinstance(want, (list, tuple)) and isinstance(got, (list, tuple)):
        return len(want) == len(got) and all(_close(a, b) for a, b in zip(want, got, strict=True))
    return want == got


class FloatTolerantChecker(doctest.OutputChecker):
    """Printed floats may differ in the last digit across BLAS builds and thread counts: outputs that are Python
    literals are compared with a relative tolerance of 1e-9, everything else exactly."""

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        if super().check_output(want, got, optionflags):
            return True
        try:
            return _close(ast.literal_eval(want.strip()), ast.literal_eval(got.strip()))
        except (ValueError, SyntaxError):
            return False


def test_float_tolerant_checker_still_fails_on_other_numbers() -> None:
    checker = FloatTolerantChecker()
    assert checker.check_output("{'pearson': 0.9979487157886732}\n", "{'pearson': 0.9979487157886733}\n", 0)
    assert not checker.check_output("{'pearson': 0.9979487157886732}\n", "{'pearson': 0.9979}\n", 0)
    assert not checker.check_output("{'mcc': 0.5}\n", "{'f1': 0.5}\n", 0)


@pytest.mark.parametrize("name", MODULES)
def test_module_examples_run_as_doctests(name: str) -> None:
    module = _load_file(name)
    test = doctest.DocTestParser().get_doctest(module._INPUTS, {}, name, str(METRICS_DIR / name), 0)
    runner = doctest.DocTestRunner(checker=FloatTolerantChecker())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = runner.run(test)
    assert result.attempted >= 3 and result.failed == 0


@pytest.mark.parametrize("module", ["gfmbench.metrics.functional", "gfmbench.metrics.structure",
                                    "gfmbench.metrics.aggregate", "gfmbench.atomic", "gfmbench.table"])
def test_library_docstring_examples(module: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def _random_inputs(inputs: str, rng: np.random.Generator, classes: int = 3, metric: str = ""):
    if metric.startswith("topk"):  # per-position class scores, three classes, ragged sequences
        refs = [rng.integers(0, 3, n).tolist() for n in (12, 20, 7)]
        refs[0][:3] = [0, 1, 2]
        return refs, [rng.random((len(r), 3)).tolist() for r in refs]
    if inputs == "pairs":  # upper triangles of 40 x 40 maps, a few pairs not scored
        refs = [(rng.random(780) < 0.1).astype(int) for _ in range(3)]
        for r in refs:
            r[rng.integers(0, 780, 20)] = -100
        return [r.tolist() for r in refs], [rng.random(780).tolist() for _ in refs]
    if inputs == "labels":
        return [rng.integers(0, classes, rng.integers(3, 9)).tolist() for _ in range(6)], None
    if inputs == "scores":
        refs = rng.integers(0, 2, 40)
        refs[:2] = [0, 1]
        return refs.tolist(), rng.random(40).tolist()
    if inputs == "multilabel":
        refs = rng.integers(0, 2, (30, 3))
        refs[:2] = [[0, 0, 0], [1, 1, 1]]
        return refs.tolist(), rng.random((30, 3)).tolist()
    if inputs == "regression":
        return rng.normal(size=50).tolist(), rng.normal(size=50).tolist()
    return ["((..))..", "(((...)))", "..((..))"], ["((..))..", "((.....))", "(......)"]


@pytest.mark.parametrize("metric", sorted(CATALOG))
def test_evaluate_module_matches_the_pure_function(metric: str) -> None:
    import evaluate

    entry = get_metric(metric)
    rng = np.random.default_rng(len(metric))
    classes = 2 if metric.endswith("binary") else 3
    refs, preds = _random_inputs(entry.inputs, rng, classes, metric)
    if preds is None:  # token-level ragged labels
        preds = [rng.integers(0, classes, len(r)).tolist() for r in refs]
    loaded = evaluate.load(str(module_path(entry.module)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = loaded.compute(references=refs, predictions=preds, **entry.kwargs)
        expected = entry(refs, preds)
    key = entry.key or next(k for k in result if k != "skipped_labels")
    assert result[key] == pytest.approx(expected, nan_ok=True)


def test_modules_accept_token_level_scores_and_regression_targets() -> None:
    import evaluate

    roc = evaluate.load("metrics/roc_auc")
    refs = [[0, 1, -100], [1, 0, 1]]
    scores = [[0.2, 0.9, 0.5], [0.7, 0.1, 0.4]]
    assert roc.compute(references=refs, predictions=scores)["roc_auc"] == pytest.approx(
        get_metric("roc_auc")(refs, scores))
    mcrmse = evaluate.load("metrics/mcrmse")
    refs3 = [[[0.0, 1.0, 2.0], [1.0, None, None]]]
    preds3 = [[[0.5, 1.0, 2.5], [1.0, 2.0, 3.0]]]
    assert mcrmse.compute(references=refs3, predictions=preds3)["mcrmse"] == pytest.approx(
        get_metric("mcrmse")(refs3, preds3))


def test_every_suite_metric_is_in_the_catalog() -> None:
    named = {m for _, task in all_tasks() for m in task.metrics}
    assert named <= set(CATALOG), sorted(named - set(CATALOG))
    for _, task in all_tasks():
        assert get_metric(task.primary_metric).direction == task.direction, task.config


def test_unknown_metric_suggests() -> None:
    from gfmbench.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="did you mean 'mcrmse'"):
        get_metric("mcrmsee")
