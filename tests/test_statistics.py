"""The numbers around the numbers: intervals of the mean over seeds, paired tests between models, rank tests across
tasks — each checked against SciPy or a hand computation — and `gfmbench compare` / the leaderboard's
significance on stores built to differ (or not)."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from gfmbench.metrics.aggregate import mean_interval
from gfmbench.metrics.functional import accuracy
from gfmbench.metrics.significance import (
    friedman_nemenyi,
    nemenyi_critical_difference,
    paired_comparison,
    wilcoxon_holm,
)


@pytest.mark.parametrize("trial", range(5))
def test_the_seed_interval_is_scipys_t_interval_of_the_mean(trial: int) -> None:
    rng = np.random.default_rng(trial)
    values = rng.uniform(0.2, 0.8, size=int(rng.integers(2, 8)))
    low, high, method = mean_interval(values)
    ref_low, ref_high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert (low, high) == pytest.approx((ref_low, ref_high), rel=1e-9)
    assert method == f"t over {len(values)} seeds"


def test_the_interval_adds_test_set_uncertainty_in_quadrature_and_widens_with_seed_spread() -> None:
    values = [0.2776, 0.4047]  # the two seeds: both outside the old averaged bootstrap bounds
    low, high, method = mean_interval(values, [(0.26, 0.30), (0.39, 0.42)], bounds=(0.0, 1.0))
    mean = sum(values) / 2
    assert low <= min(values) and high >= max(values) and low < mean < high
    seed_half = stats.t.ppf(0.975, 1) * np.std(values, ddof=1) / math.sqrt(2)
    test_half = (0.02 + 0.015) / 2
    assert high == pytest.approx(min(1.0, mean + math.hypot(seed_half, test_half)))
    assert low == 0.0  # clipped to the metric's range
    assert "test-set bootstrap" in method
    narrow = mean_interval([0.33, 0.35])
    wide = mean_interval([0.30, 0.38])
    assert (narrow[1] - narrow[0]) < (wide[1] - wide[0])


def test_one_seed_says_seed_variance_is_not_included() -> None:
    low, high, method = mean_interval([0.5], [(0.45, 0.56)])
    assert (low, high) == (0.45, 0.56) and "seed variance not included" in method


def _exact_sign_flip_p(d: np.ndarray) -> float:
    """Two-sided p of the paired permutation test of mean(d), enumerated over all 2^n swaps by hand."""
    observed = abs(d.mean())
    flips = [abs((d * np.array(signs)).mean()) for signs in itertools.product((1, -1), repeat=len(d))]
    return sum(f >= observed - 1e-12 for f in flips) / len(flips)


@pytest.mark.parametrize("trial", range(4))
def test_the_paired_permutation_p_value_matches_an_exact_enumeration(trial: int) -> None:
    rng = np.random.default_rng(10 + trial)
    n = 10  # 2^10 = 1024 swaps: scipy enumerates them all (exact test)
    refs = list(rng.integers(0, 2, n))
    a = [r if rng.random() < 0.8 else 1 - r for r in refs]
    b = [r if rng.random() < 0.5 else 1 - r for r in refs]
    result = paired_comparison(accuracy, [(refs, a)], [(refs, b)], n_resamples=5000)
    d = np.array([float(x == r) - float(y == r) for r, x, y in zip(refs, a, b, strict=True)])
    assert result.effect == pytest.approx(d.mean())
    assert result.p_value == pytest.approx(_exact_sign_flip_p(d), rel=1e-9)
    assert result.interval[0] <= result.effect <= result.interval[1]


def test_a_model_trained_on_shuffled_labels_loses_significantly_and_a_copy_does_not() -> None:
    rng = np.random.default_rng(0)
    refs = list(rng.integers(0, 2, 300))
    trained = [[r if rng.random() < 0.8 else 1 - r for r in refs] for _ in range(3)]
    shuffled = [list(rng.permutation(refs)) for _ in range(3)]  # a model that learned the label frequencies only
    worse = paired_comparison(accuracy, [(refs, p) for p in trained], [(refs, p) for p in shuffled],
                              n_resamples=500)
    assert worse.p_value < 0.01 and worse.effect > 0.2 and worse.interval[0] > 0
    same = paired_comparison(accuracy, [(refs, p) for p in trained], [(refs, p) for p in trained], n_resamples=500)
    assert same.p_value == 1.0 and same.effect == 0.0


def test_ranks_friedman_and_the_critical_difference_against_hand_computations() -> None:
    rng = np.random.default_rng(3)
    models = ["a", "b", "c", "d"]
    tasks = [f"t{i}" for i in range(8)]
    scores = {t: {m: float(rng.uniform()) + 0.1 * i for i, m in enumerate(models)} for t in tasks}
    higher = {t: i % 2 == 0 for i, t in enumerate(tasks)}  # half the tasks are lower-is-better
    summary = friedman_nemenyi(scores, higher)
    ranks = np.array([stats.rankdata([-scores[t][m] if higher[t] else scores[t][m] for m in models]) for t in tasks])
    assert [summary.average_ranks[m] for m in models] == pytest.approx(ranks.mean(axis=0).tolist())
    k, n = len(models), len(tasks)
    chi2 = 12 * n / (k * (k + 1)) * (np.sum(ranks.mean(axis=0) ** 2) - k * (k + 1) ** 2 / 4)  # no ties
    assert summary.friedman_p == pytest.approx(stats.chi2.sf(chi2, k - 1), rel=1e-9)
    # Demšar (2006), Table 5(a): q_0.05 for k = 2..6
    for groups, q in zip(range(2, 7), (1.960, 2.343, 2.569, 2.728, 2.850), strict=True):
        assert nemenyi_critical_difference(groups, 1) / math.sqrt(groups * (groups + 1) / 6) == pytest.approx(q,
                                                                                                              abs=2e-3)
    assert set(summary.nemenyi_p["a"]) == {"b", "c", "d"}
    assert all(0 <= p <= 1 for row in summary.nemenyi_p.values() for p in row.values())


def test_wilcoxon_holm_against_scipy_and_a_hand_holm_correction() -> None:
    rng = np.random.default_rng(5)
    tasks = [f"t{i}" for i in range(12)]
    scores = {t: {"a": 0.7 + rng.normal(0, 0.02), "b": 0.6 + rng.normal(0, 0.02), "c": 0.6 + rng.normal(0, 0.02)}
              for t in tasks}
    rows = wilcoxon_holm(scores, {t: True for t in tasks})
    raw = []
    for row in rows:
        diffs = [scores[t][row["a"]] - scores[t][row["b"]] for t in tasks]
        raw.append(stats.wilcoxon(diffs).pvalue)
        assert row["p"] == pytest.approx(raw[-1], rel=1e-9)
    order = np.argsort(raw)
    adjusted = np.empty(len(raw))
    running = 0.0
    for rank, i in enumerate(order):  # Holm: p_(i) * (m - i + 1), made monotone, capped at 1
        running = max(running, min(1.0, raw[i] * (len(raw) - rank)))
        adjusted[i] = running
    assert [r["p_holm"] for r in rows] == pytest.approx(adjusted.tolist(), rel=1e-9)
    by_pair = {(r["a"], r["b"]): r for r in rows}
    assert by_pair[("a", "b")]["significant"] and not by_pair[("b", "c")]["significant"]


def _store(tmp_path: Path) -> tuple[Path, list[int]]:
    from gfmbench.leaderboard.fixtures import write_classification_units

    rng = np.random.default_rng(1)
    refs = [int(x) for x in rng.integers(0, 2, 200)]
    trained = {s: [r if rng.random() < 0.85 else 1 - r for r in refs] for s in (0, 1, 2)}
    shuffled = {s: [int(x) for x in rng.permutation(refs)] for s in (0, 1, 2)}
    write_classification_units(tmp_path, "org/trained", refs, trained)
    write_classification_units(tmp_path, "org/shuffled-labels", refs, shuffled)
    write_classification_units(tmp_path, "org/trained-copy", refs, trained)
    return tmp_path, refs


def test_gfmbench_compare_finds_the_difference_built_in_and_none_between_copies(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gfmbench.cli import main

    store, _ = _store(tmp_path)
    assert main(["compare", "org/trained", "org/shuffled-labels", "--suite", "gue", "--output-dir", str(store),
                 "--resamples", "300", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (row,) = report["tasks"]
    assert row["task"] == "EMP_H3" and row["seeds"] == [0, 1, 2] and row["examples"] == 200
    assert row["verdict"] == "A better" and row["p_value"] < 0.01 and row["effect"] > 0.5
    assert main(["compare", "org/trained", "org/trained-copy", "--suite", "gue", "--output-dir", str(store),
                 "--resamples", "300"]) == 0
    out = capsys.readouterr().out
    assert "no significant difference" in out and "EMP_H3" in out
    assert main(["compare", "org/trained", "org/nobody", "--suite", "gue", "--output-dir", str(store)]) == 2
    assert "no gue results of org/nobody" in capsys.readouterr().err


def test_the_leaderboard_marks_ties_with_the_best_and_ranks_across_tasks(tmp_path: Path) -> None:
    from gfmbench.leaderboard.app import MARK_BEST, MARK_TIED, _frame
    from gfmbench.leaderboard.table import SIGNIFICANCE_FILE, Filters, build_leaderboard, cards_from_folder, read_units

    store, _ = _store(tmp_path / "store")
    table, _ = build_leaderboard(cards_from_folder(store), tmp_path / "board", predictions_root=store,
                                 n_resamples=300)
    report = json.loads((tmp_path / "board" / SIGNIFICANCE_FILE).read_text())
    verdicts = {e["model"].split("@")[0]: e for e in report["per_task"]}
    (best,) = {e["best"].split("@")[0] for e in report["per_task"]}
    assert best in {"org/trained", "org/trained-copy"}  # the two tie exactly; each other model is tested against it
    twin = ({"org/trained", "org/trained-copy"} - {best}).pop()
    assert set(verdicts) == {"org/shuffled-labels", twin}
    assert verdicts["org/shuffled-labels"]["tied_with_best"] is False
    assert verdicts["org/shuffled-labels"]["p_value"] < 0.01
    assert verdicts[twin]["tied_with_best"] is True and verdicts[twin]["p_value"] == 1.0
    assert report["ranks"]["tasks"] == 1 and len(report["ranks"]["models"]) == 3
    frame, _, _ = _frame(read_units(table), Filters(), significance=report)
    cells = dict(zip(frame["model"], frame["gue/EMP_H3 · mcc ↑"], strict=True))
    assert not cells["org/shuffled-labels"].endswith((MARK_BEST, MARK_TIED))
    assert cells[best].endswith(MARK_BEST) and cells[twin].endswith(MARK_TIED)
    assert sum(c.endswith(MARK_BEST) for c in cells.values()) == 1
    assert sum(c.endswith(MARK_TIED) for c in cells.values()) == 1


def test_the_leaderboard_never_averages_two_recipes_of_one_model(tmp_path: Path) -> None:
    from gfmbench.leaderboard.fixtures import make_card
    from gfmbench.leaderboard.table import build_leaderboard, cards_from_folder, leaderboard, read_units

    cards = [make_card("org/m", "rgb", "SSP_Archive2", s, v, recipe_id=r, timestamp=t)
             for s, v, r, t in ((0, 0.30, "a" * 16, "2026-11-01T00:00:00+00:00"),
                                (1, 0.32, "a" * 16, "2026-11-01T00:00:00+00:00"),
                                (0, 0.90, "b" * 16, "2026-11-02T00:00:00+00:00"))]
    for card in cards:
        path = card.key.folder(tmp_path / "cards") / "result.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(card.model_dump_json())
    table, _ = build_leaderboard(cards_from_folder(tmp_path / "cards"), tmp_path / "out")
    _, rows = leaderboard(read_units(table))
    mean, std = rows[0]["rgb/SSP_Archive2"]
    assert mean == pytest.approx(0.31) and std == pytest.approx(np.std([0.30, 0.32], ddof=1))  # the 2-seed recipe


def test_pairs_without_predictions_are_marked_untested_not_tied(tmp_path: Path) -> None:
    from gfmbench.leaderboard.app import MARK_TIED, MARK_UNTESTED, _frame
    from gfmbench.leaderboard.fixtures import write_fixture_tree
    from gfmbench.leaderboard.table import SIGNIFICANCE_FILE, Filters, build_leaderboard, cards_from_folder, read_units

    write_fixture_tree(tmp_path / "cards")  # result cards only, no predictions files
    table, _ = build_leaderboard(cards_from_folder(tmp_path / "cards"), tmp_path / "out",
                                 predictions_root=tmp_path / "cards", n_resamples=100)
    report = json.loads((tmp_path / "out" / SIGNIFICANCE_FILE).read_text())
    assert report["per_task"] and all(e["tied_with_best"] is None and e["reason"].startswith("not testable")
                                      for e in report["per_task"])
    frame, _, _ = _frame(read_units(table), Filters(), significance=report)
    cells = [c for column in frame.columns if "/" in column for c in frame[column]]
    assert any(c.endswith(MARK_UNTESTED) for c in cells) and not any(c.endswith(MARK_TIED) for c in cells)


def test_compare_names_an_unreadable_predictions_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gfmbench.cli import main

    store, _ = _store(tmp_path)
    victim = next(store.glob("org__shuffled-labels@*/gue/EMP_H3/*-seed1/predictions.parquet"))
    victim.write_bytes(b"not parquet")
    assert main(["compare", "org/trained", "org/shuffled-labels", "--suite", "gue", "--output-dir", str(store),
                 "--resamples", "50"]) == 2
    err = capsys.readouterr().err
    assert str(victim) in err and "unreadable predictions" in err and "Traceback" not in err
