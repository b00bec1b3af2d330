"""Pair-map metrics and the pair-map storage against independent references: brute-force loops over full L x L
maps, scikit-learn per map, SciPy, and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import pearsonr
from sklearn.metrics import f1_score, precision_score, recall_score

from gfmbench.metrics.functional import MetricInputError, pearson_r2, topk_accuracy
from gfmbench.metrics.pairs import pair_scores, top_l_precision
from gfmbench.pairmaps import (
    pair_map,
    pairs_to_matrix,
    pairs_to_triangle,
    positive_pairs,
    triangle_to_matrix,
    upper_triangle,
)


def _random_map(rng: np.random.Generator, n: int, density: float = 0.08) -> np.ndarray:
    upper = np.triu(rng.random((n, n)) < density, k=1)
    return (upper | upper.T).astype(int)


def _brute_top_l(ref: np.ndarray, score: np.ndarray, lo: int, hi: int | None, fraction: float) -> float | None:
    n = ref.shape[0]
    candidates = [(-score[i, j], i, j) for i in range(n) for j in range(i + 1, n)
                  if j - i >= lo and (hi is None or j - i <= hi) and ref[i, j] != -100]
    if not candidates:
        return None
    top = sorted(candidates)[:max(1, int(n * fraction))]
    return sum(ref[i, j] for _, i, j in top) / len(top)


@pytest.mark.parametrize(("lo", "hi", "fraction"), [(23, None, 1.0), (23, None, 0.5), (23, None, 0.2), (12, 22, 1.0),
                                                    (6, 11, 1.0), (1, None, 1.0)])
def test_top_l_precision_equals_a_brute_force_ranking(lo: int, hi: int | None, fraction: float) -> None:
    rng = np.random.default_rng(lo * 10 + int(fraction * 10))
    refs, scores, expected = [], [], []
    for n in (30, 45, 60, 12):
        ref = _random_map(rng, n)
        ref[rng.integers(0, n, 5), rng.integers(0, n, 5)] = -100  # a few pairs not scored (the same both ways)
        ref = np.where(ref.T == -100, -100, ref)
        score = rng.random((n, n)).round(2)  # rounding makes ties, broken row-major in both
        score = np.triu(score, 1) + np.triu(score, 1).T
        refs.append(ref)
        scores.append(score)
        expected.append(_brute_top_l(ref, score, lo, hi, fraction))
    kept = [e for e in expected if e is not None]
    value = top_l_precision(refs, scores, min_separation=lo, max_separation=hi, fraction=fraction)
    assert value == pytest.approx(sum(kept) / len(kept))
    triangles = top_l_precision([upper_triangle(r) for r in refs], [upper_triangle(s) for s in scores],
                                min_separation=lo, max_separation=hi, fraction=fraction)
    assert triangles == value


def test_top_l_precision_hand_computed() -> None:
    # 5 nucleotides, separation >= 3: candidates (0,3), (0,4), (1,4); contacts (0,4) only.
    ref = np.zeros((5, 5), dtype=int)
    ref[0, 4] = ref[4, 0] = 1
    score = np.zeros((5, 5))
    for (i, j), s in {(0, 3): 0.9, (0, 4): 0.8, (1, 4): 0.1}.items():
        score[i, j] = score[j, i] = s
    assert top_l_precision([ref], [score], min_separation=3) == pytest.approx(1 / 3)  # L = 5 > 3 candidates: all
    assert top_l_precision([ref], [score], min_separation=3, fraction=0.2) == 0.0  # top 1: (0,3), no contact
    assert top_l_precision([ref], [score], min_separation=3, fraction=0.4) == 0.5  # top 2
    with pytest.raises(MetricInputError, match="no scored pair"):
        top_l_precision([ref], [score], min_separation=5)


def test_pair_scores_equal_scikit_learn_per_map() -> None:
    rng = np.random.default_rng(7)
    refs, scores, expected = [], [], []
    for n in (20, 33, 41):
        ref = upper_triangle(_random_map(rng, n, 0.05))
        ref[:2] = 1  # every map has pairs in the reference
        score = rng.random(ref.size)
        score[:1] = 0.99  # and in the prediction
        ignored = rng.random(ref.size) < 0.05
        ref_with_ignore = np.where(ignored, -100, ref)
        refs.append(ref_with_ignore)
        scores.append(score)
        keep = ~ignored
        y, p = ref[keep], (score[keep] >= 0.5).astype(int)
        expected.append((precision_score(y, p), recall_score(y, p), f1_score(y, p)))
    got = pair_scores(refs, scores)
    mean = np.mean(expected, axis=0)
    assert (got["precision"], got["recall"], got["f1"]) == pytest.approx(tuple(mean))


def test_pair_scores_empty_maps_follow_the_structure_convention() -> None:
    assert pair_scores([[0, 0, 0]], [[0.1, 0.2, 0.3]]) == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert pair_scores([[0, 1, 0]], [[0.1, 0.2, 0.3]]) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    with pytest.raises(MetricInputError, match="triangle"):
        pair_scores([[0, 1]], [[0.1, 0.2]])  # 2 values are no upper triangle
    with pytest.raises(MetricInputError, match="3 x 3, prediction 4 x 4"):
        pair_scores([[0, 1, 0]], [[0.1] * 6])


def test_pearson_r2_equals_scipy_on_scored_positions() -> None:
    rng = np.random.default_rng(3)
    refs = [rng.random(n).tolist() for n in (10, 25, 7)]
    preds = [(np.asarray(r) + rng.normal(0, 0.2, len(r))).tolist() for r in refs]
    refs[1][3] = None  # not scored
    flat_r = [v for r in refs for v in r]
    flat_p = [p for r, ps in zip(refs, preds, strict=True) for v, p in zip(r, ps, strict=True) if v is not None]
    expected = pearsonr([v for v in flat_r if v is not None], flat_p).statistic ** 2
    assert pearson_r2(refs, preds) == pytest.approx(expected)


def _brute_topk(refs: list[list[int]], scores: list[list[list[float]]], c: int) -> float:
    flat = [(-s[c], k, r) for k, (r, s) in enumerate((r, s) for rr, ss in zip(refs, scores, strict=True)
                                                         for r, s in zip(rr, ss, strict=True))]
    k = sum(1 for _, _, r in flat if r == c)
    top = sorted(flat)[:k]
    return sum(1 for _, _, r in top if r == c) / k


def test_topk_accuracy_equals_a_brute_force_ranking() -> None:
    rng = np.random.default_rng(11)
    refs = [rng.choice(3, n, p=[0.8, 0.1, 0.1]).tolist() for n in (50, 80, 30)]
    refs[0][:2] = [1, 2]
    scores = [rng.random((len(r), 3)).round(2).tolist() for r in refs]
    acceptor, donor = _brute_topk(refs, scores, 1), _brute_topk(refs, scores, 2)
    assert topk_accuracy(refs, scores, classes=[1]) == pytest.approx(acceptor)
    assert topk_accuracy(refs, scores, classes=[2]) == pytest.approx(donor)
    assert topk_accuracy(refs, scores, classes=[1, 2]) == pytest.approx((acceptor + donor) / 2)
    with pytest.raises(MetricInputError, match="no position of class"):
        topk_accuracy([[0, 0]], [[[1, 0, 0], [1, 0, 0]]], classes=[2])


def test_pair_maps_round_trip() -> None:
    rng = np.random.default_rng(5)
    for n in (1, 2, 9, 40):
        binary = _random_map(rng, n, 0.2)
        pairs = positive_pairs(binary)
        assert all(i < j for i, j in pairs)
        assert (pairs_to_matrix(pairs, n) == binary).all()
        assert (pairs_to_triangle(pairs, n) == upper_triangle(binary)).all()
        dense = rng.random((n, n))
        dense = np.triu(dense, 1) + np.triu(dense, 1).T
        rebuilt = triangle_to_matrix(upper_triangle(dense).tolist(), n)
        off = ~np.eye(n, dtype=bool)
        assert np.allclose(rebuilt[off], dense[off]) and np.isnan(np.diag(rebuilt)).all()
    # a map written in one triangle only means the same pairs
    lower = np.zeros((4, 4), dtype=int)
    lower[3, 1] = 1
    assert positive_pairs(lower) == [[1, 3]]
    assert pair_map({"sequence": "ACGU", "label": []}).sum() == 0
    with pytest.raises(ValueError, match="do not fill"):
        triangle_to_matrix([0.1, 0.2], 3)


def test_triangle_pairs_and_covered_pairs_are_the_stored_forms() -> None:
    from gfmbench.pairmaps import covered_pairs, triangle_pairs

    rng = np.random.default_rng(9)
    binary = _random_map(rng, 12, 0.3)
    assert triangle_pairs(upper_triangle(binary) == 1, 12) == positive_pairs(binary)
    covered = np.array([True, True, False, True])
    i, j = np.triu_indices(4, k=1)
    assert covered_pairs(covered).tolist() == [bool(covered[a] and covered[b]) for a, b in zip(i, j, strict=True)]
