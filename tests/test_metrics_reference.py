"""Every metric against an independent reference (scikit-learn, SciPy) on generated inputs, and on hand-computed
cases for the edges (ties, one class, nothing left after masking)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn import metrics as skm

from gfmbench.metrics import functional as F
from gfmbench.metrics.functional import MetricInputError

CASES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def label_pairs(draw, min_size: int = 1, max_classes: int = 5):
    k = draw(st.integers(2, max_classes))
    n = draw(st.integers(min_size, 60))
    y = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    p = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    return np.array(y), np.array(p), k


@st.composite
def token_batches(draw):
    """Padded (n, L) references with -100 at ignored positions, and logits (n, L, C)."""
    k = draw(st.integers(2, 4))
    n, length = draw(st.integers(1, 6)), draw(st.integers(1, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    refs = rng.integers(0, k, size=(n, length))
    refs[rng.random((n, length)) < 0.3] = -100
    refs[0, 0] = rng.integers(0, k)  # at least one scored position
    logits = rng.normal(size=(n, length, k))
    return refs, logits, k


@CASES
@given(label_pairs())
def test_label_metrics_match_sklearn(case) -> None:
    y, p, _ = case
    assert F.accuracy(y, p) == pytest.approx(skm.accuracy_score(y, p))
    assert F.mcc(y, p) == pytest.approx(skm.matthews_corrcoef(y, p), abs=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for average in ("macro", "micro", "weighted"):
            assert F.f1(y, p, average=average) == pytest.approx(skm.f1_score(y, p, average=average, zero_division=0))
            assert F.precision(y, p, average=average) == pytest.approx(
                skm.precision_score(y, p, average=average, zero_division=0))
            assert F.recall(y, p, average=average) == pytest.approx(
                skm.recall_score(y, p, average=average, zero_division=0))


@CASES
@given(label_pairs(max_classes=2))
def test_binary_average_matches_sklearn(case) -> None:
    y, p, _ = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert F.f1(y, p, average="binary") == pytest.approx(skm.f1_score(y, p, average="binary", zero_division=0))


@CASES
@given(token_batches())
def test_token_level_flattens_only_scored_positions(batch) -> None:
    refs, logits, _ = batch
    mask = refs != -100
    y, p = refs[mask], logits.argmax(-1)[mask]
    assert F.f1(refs, logits) == pytest.approx(skm.f1_score(y, p, average="macro", zero_division=0))
    assert F.mcc(refs, logits) == pytest.approx(skm.matthews_corrcoef(y, p), abs=1e-12)
    assert F.accuracy(refs, logits.argmax(-1)) == pytest.approx(skm.accuracy_score(y, p))
    # ragged lists (each sequence cut at a random length, no padding) give the same as padded arrays
    lengths = [max(1, int(m.nonzero()[0].max()) + 1) if m.any() else 1 for m in mask]
    ragged_refs = [list(r[:n]) for r, n in zip(refs, lengths, strict=True)]
    ragged_preds = [list(q[:n]) for q, n in zip(logits.argmax(-1), lengths, strict=True)]
    if any(r != -100 for row in ragged_refs for r in row):
        assert F.f1(ragged_refs, ragged_preds) == pytest.approx(F.f1(refs, logits))


@CASES
@given(st.integers(0, 2**32 - 1), st.integers(4, 80))
def test_binary_curves_match_sklearn(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    scores = np.round(rng.random(n), 1)  # rounding creates ties
    assert F.roc_auc(y, scores) == pytest.approx(skm.roc_auc_score(y, scores))
    assert F.pr_auc(y, scores) == pytest.approx(skm.average_precision_score(y, scores))
    two_column = np.stack([1 - scores, scores], axis=1)
    assert F.roc_auc(y, two_column) == pytest.approx(skm.roc_auc_score(y, scores))


@CASES
@given(st.integers(0, 2**32 - 1), st.integers(3, 5), st.integers(10, 80))
def test_multiclass_roc_auc_matches_sklearn_ovr(seed: int, k: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])
    logits = rng.normal(size=(n, k))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert F.roc_auc(y, probs) == pytest.approx(skm.roc_auc_score(y, probs, multi_class="ovr", average="macro"))
    # unnormalised scores are accepted too (scikit-learn refuses them): each column is ranked as given
    assert F.roc_auc(y, logits) == pytest.approx(np.mean([skm.roc_auc_score(y == c, logits[:, c]) for c in range(k)]))


@CASES
@given(st.integers(0, 2**32 - 1), st.integers(2, 60), st.integers(2, 6))  # sklearn reads one column as multiclass
def test_multilabel_matches_sklearn(seed: int, n: int, labels: int) -> None:
    rng = np.random.default_rng(seed)
    refs = rng.integers(0, 2, (n, labels))
    scores = rng.random((n, labels))
    pred = (scores >= 0.5).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert F.multilabel_f1(refs, scores) == pytest.approx(skm.f1_score(refs, pred, average="macro",
                                                                           zero_division=0))
        assert F.multilabel_f1(refs, scores, average="micro") == pytest.approx(
            skm.f1_score(refs, pred, average="micro", zero_division=0))
        assert F.subset_accuracy(refs, scores) == pytest.approx(skm.accuracy_score(refs, pred))
        both = [j for j in range(labels) if 0 < refs[:, j].sum() < n]
        result = F.multilabel_roc_auc(refs, scores)
        assert result["skipped_labels"] == [j for j in range(labels) if j not in both]
        if both:
            assert result["roc_auc"] == pytest.approx(
                skm.roc_auc_score(refs[:, both], scores[:, both], average="macro"))
            assert F.multilabel_pr_auc(refs, scores)["pr_auc"] == pytest.approx(
                skm.average_precision_score(refs[:, both], scores[:, both], average="macro"))
        else:
            assert math.isnan(result["roc_auc"])


@CASES
@given(st.integers(0, 2**32 - 1), st.integers(3, 60), st.integers(1, 3))
def test_regression_matches_sklearn_and_scipy(seed: int, n: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    refs = rng.normal(size=(n, k))
    preds = refs + rng.normal(scale=0.5, size=(n, k))
    for j, value in enumerate(np.atleast_1d(F.mse(refs, preds, n_targets=k) if k > 1 else [F.mse(refs, preds)])):
        assert value == pytest.approx(skm.mean_squared_error(refs[:, j], preds[:, j]))
    per = lambda fn: F.__dict__[fn](refs, preds, n_targets=k) if k > 1 else [F.__dict__[fn](refs, preds)]  # noqa: E731
    for j in range(k):
        assert per("mae")[j] == pytest.approx(skm.mean_absolute_error(refs[:, j], preds[:, j]))
        assert per("rmse")[j] == pytest.approx(math.sqrt(skm.mean_squared_error(refs[:, j], preds[:, j])))
        assert per("r2")[j] == pytest.approx(skm.r2_score(refs[:, j], preds[:, j]))
        assert per("pearson")[j] == pytest.approx(stats.pearsonr(refs[:, j], preds[:, j]).statistic)
        assert per("spearman")[j] == pytest.approx(stats.spearmanr(refs[:, j], preds[:, j]).statistic)


@CASES
@given(st.integers(0, 2**32 - 1), st.integers(1, 8), st.integers(2, 20))
def test_mcrmse_matches_columnwise_sklearn_over_scored_positions(seed: int, n: int, length: int) -> None:
    rng = np.random.default_rng(seed)
    refs = rng.normal(size=(n, length, 3))
    preds = rng.normal(size=(n, length, 3))
    scored = rng.integers(1, length + 1, n)
    masked = refs.copy()
    for i, s in enumerate(scored):
        masked[i, s:] = np.nan  # nulls after seq_scored
    keep = np.arange(length)[None, :] < scored[:, None]
    expected = np.mean([math.sqrt(skm.mean_squared_error(refs[keep][:, j], preds[keep][:, j])) for j in range(3)])
    assert F.mcrmse(masked, preds) == pytest.approx(expected)
    assert F.mcrmse(refs, preds, mask=keep) == pytest.approx(expected)


# ------------------------------------------------------------------------------------------ hand-computed edges
def test_hand_computed_cases() -> None:
    assert F.f1([0, 0, 1, 1], [0, 1, 1, 1]) == pytest.approx((2 / 3 + 0.8) / 2)
    assert F.mcc([1, 1, 0, 0], [1, 0, 0, 0]) == pytest.approx(1 / math.sqrt(3))
    assert F.roc_auc([0, 1], [0.5, 0.5]) == 0.5  # a tie is half right
    # target 0 is perfect (RMSE 0); target 1 has errors 3 and 4 (RMSE sqrt(12.5)); the mean of the two columns:
    assert F.mcrmse([[1.0, 1.0], [1.0, 5.0]], [[1.0, 4.0], [1.0, 1.0]]) == pytest.approx(math.sqrt(12.5) / 2)
    assert F.r2([2.0, 2.0], [2.0, 2.0]) == 1.0 and F.r2([2.0, 2.0], [1.0, 3.0]) == 0.0


def test_one_class_only() -> None:
    assert F.mcc([1, 1, 1], [1, 1, 0]) == 0.0  # undefined -> 0.0, as scikit-learn
    assert F.f1([1, 1], [1, 1]) == 1.0
    with pytest.warns(UserWarning, match="one class only"):
        assert math.isnan(F.roc_auc([1, 1, 1], [0.2, 0.5, 0.9]))
    assert math.isnan(F.pearson([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]))


def test_nothing_left_after_masking_is_an_error_not_zero() -> None:
    with pytest.raises(MetricInputError, match="no position left to score"):
        F.f1([[-100, -100]], [[0, 1]])
    with pytest.raises(MetricInputError, match="no position left to score"):
        F.rmse([None, None], [1.0, 2.0])


@pytest.mark.parametrize(("call", "message"), [
    (lambda: F.f1([0, 1, 1], [0, 1]), "shape mismatch"),
    (lambda: F.f1([[0, 1], [1]], [[0, 1], [1, 0]]), "ragged"),
    (lambda: F.f1([[0, 1], [1]], [[0, 1], [1, 0, 1]]), r"differ in length \(sequence 1: 1 vs 3\)"),
    (lambda: F.accuracy(["a", "b"], [0, 1]), "expected integer class labels"),
    (lambda: F.accuracy([0.5, 1.0], [0, 1]), "expected integer class labels"),
    (lambda: F.f1([0, 3], [0, 1], num_classes=3), "outside 0..2"),
    (lambda: F.f1([0, -5], [0, 1]), "ignored positions must equal ignore_index"),
    (lambda: F.f1([0, 1], [[0.1, 0.2, 0.7], [0.1, 0.2, 0.7]], num_classes=2), "3 score columns for 2 classes"),
    (lambda: F.multilabel_f1([[0, 2]], [[0.1, 0.2]]), "must be 0/1"),
    (lambda: F.mse([1.0, 2.0], [1.0, float("nan")]), "NaN or infinity"),
    (lambda: F.rmse([[1.0, 2.0]], [[1.0, 2.0]], n_targets=3), "last axis to hold 3 targets"),
    (lambda: F.f1([0, 2], [0, 1], average="binary"), "needs binary labels"),
    (lambda: F.mcrmse([[1.0, 2.0], [3.0, None]], [[1.0, float("nan")], [1.0, 1.0]]), "NaN or infinity"),
    (lambda: F.f1([0, 1], [0, 1], average="sample"), "unknown average"),
])
def test_bad_input_is_a_clear_error(call, message: str) -> None:
    with pytest.raises(MetricInputError, match=message):
        call()


def test_benchmark_script_smoke() -> None:
    """The benchmark runs and both sides agree (its timings are reported, never asserted)."""
    import importlib.util

    from tests.helpers import REPO

    spec = importlib.util.spec_from_file_location("bench_metrics", REPO / "scripts" / "bench_metrics.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.main(["--positions", "20000", "--length", "50", "--repeats", "1"])
    assert [r["same"] for r in rows] == [True, True]
