"""Leaderboard tables from result cards: validation and exclusion, mean ± std, ranking with ties and directions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from gfmbench.leaderboard.fixtures import make_card, write_fixture_tree
from gfmbench.leaderboard.table import (
    Filters,
    build_leaderboard,
    cards_from_folder,
    leaderboard,
    load_cards,
    rank_with_ties,
    read_units,
    row_key,
    unit_rows,
)


def items(*cards) -> list[tuple[str, str]]:
    return [(f"c{i}", c.model_dump_json()) for i, c in enumerate(cards)]


def test_mean_std_over_seeds_and_direction_aware_ranks() -> None:
    cards = [make_card("m/a", "rgb", "SSP_Archive2", 0, 0.6), make_card("m/a", "rgb", "SSP_Archive2", 1, 0.8),
             make_card("m/b", "rgb", "SSP_Archive2", 0, 0.5),
             make_card("m/a", "rgb", "mRNA_degrade", 0, 0.40), make_card("m/b", "rgb", "mRNA_degrade", 0, 0.30)]
    loaded = load_cards(items(*cards))
    columns, rows = leaderboard(unit_rows(loaded.cards))
    assert columns == ["rgb/SSP_Archive2", "rgb/mRNA_degrade"]
    a, b = (next(r for r in rows if r["model"] == m) for m in ("m/a", "m/b"))
    assert a["rgb/SSP_Archive2"][0] == pytest.approx(0.7) and a["rgb/SSP_Archive2"][1] == pytest.approx(0.1414213562)
    assert math.isnan(b["rgb/SSP_Archive2"][1])  # one seed: no std
    # mcrmse is lower-is-better: b (0.30) beats a (0.40) there; a wins SSP: both average rank 1.5 -> tied rank 1
    assert a["avg rank"] == b["avg rank"] == 1.5 and a["rank"] == b["rank"] == 1
    assert a["mean score"] == pytest.approx(0.7)  # only higher-is-better tasks enter the mean score


def test_regimes_of_one_model_are_separate_rows_and_filterable() -> None:
    cards = [make_card("m/a", "rgb", "SSP_Archive2", 0, 0.6), make_card("m/a", "rgb", "SSP_Archive2", 0, 0.4,
                                                                      regime="probe")]
    units = unit_rows(load_cards(items(*cards)).cards)  # same model, task and seed: not a conflict across regimes
    _, rows = leaderboard(units)
    assert sorted((r["regime"], r["rgb/SSP_Archive2"][0]) for r in rows) == [("finetune", 0.6), ("probe", 0.4)]
    assert [r["rank"] for r in rows] == [1, 2]
    _, only = leaderboard(units, Filters(regimes=("probe",)))
    assert [(r["regime"], r["key"]) for r in only] == [("probe", row_key(units[1]))]


def test_ties_share_the_best_rank_and_missing_tasks_do_not_count() -> None:
    assert rank_with_ties({"a": 1.0, "b": 1.0, "c": 0.5}, True) == {"a": 1.0, "b": 1.0, "c": 3.0}
    assert rank_with_ties({"a": 0.2, "b": 0.1}, False) == {"a": 2.0, "b": 1.0}
    cards = [make_card("m/a", "rgb", "SSP_Archive2", 0, 0.6), make_card("m/b", "rgb", "SSP_Archive2", 0, 0.7),
             make_card("m/b", "gue", "EMP_H3", 0, 0.3)]
    _, rows = leaderboard(unit_rows(load_cards(items(*cards)).cards))
    a = next(r for r in rows if r["model"] == "m/a")
    assert "gue/EMP_H3" not in a and a["tasks"] == 1


def test_forged_broken_and_conflicting_cards_are_excluded_with_a_reason(tmp_path: Path) -> None:
    write_fixture_tree(tmp_path)
    conflict = make_card("gfmbench/model-a", "rgb", "SSP_Archive2", 0, 0.99)  # same unit, different value
    (tmp_path / "dup").mkdir()
    (tmp_path / "dup" / "result.json").write_text(conflict.model_dump_json())
    same = make_card("gfmbench/model-c", "gue", "EMP_H3", 5, 0.5)  # an exact duplicate is merged silently
    for name in ("same1", "same2"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "result.json").write_text(same.model_dump_json())
    loaded = load_cards(cards_from_folder(tmp_path))
    reasons = [e["reason"] for e in loaded.excluded]
    assert any("impossible value f1_macro = 1.7" in r for r in reasons)
    assert any(r.startswith("invalid result card") for r in reasons)
    assert sum("conflicting cards for the same unit (seed 0)" in r for r in reasons) == 2
    models = {c.result.key.model_id for c in loaded.cards}
    assert "gfmbench/forged-model" not in models
    assert sum(c.result.key.seed == 5 for c in loaded.cards) == 1
    unknown = make_card("m/a", "rgb", "SSP_Archive2", 0, 0.5).model_dump()
    unknown["key"]["task"] = "SSP_Unknown"
    assert "unknown task" in load_cards([("u", json.dumps(unknown))]).excluded[0]["reason"]


def test_filters_and_the_built_table(tmp_path: Path) -> None:
    write_fixture_tree(tmp_path / "cards")
    table, excluded = build_leaderboard(cards_from_folder(tmp_path / "cards"), tmp_path / "out")
    units = read_units(table)
    assert len(units) == 3 * 3 * 2 and len(json.loads(excluded.read_text())) == 2
    columns, rows = leaderboard(units, Filters(suite="rgb"))
    assert columns == ["rgb/SSP_Archive2", "rgb/mRNA_degrade"]
    assert [r["model"] for r in rows] == ["gfmbench/model-a", "gfmbench/model-b", "gfmbench/model-c"]
    columns, _ = leaderboard(units, Filters(task_types=("token_regression",)))
    assert columns == ["rgb/mRNA_degrade"]
    _, rows = leaderboard(units, Filters(search="MODEL-B"))
    assert [r["model"] for r in rows] == ["gfmbench/model-b"]
    columns, _ = leaderboard(units, Filters(alphabets=("DNA",)))
    assert columns == ["gue/EMP_H3"]


def test_app_frames_sorting_and_model_panel(tmp_path: Path) -> None:
    from gfmbench.leaderboard.app import _frame, _model_details

    write_fixture_tree(tmp_path / "cards")
    table, _ = build_leaderboard(cards_from_folder(tmp_path / "cards"), tmp_path / "out")
    units = read_units(table)
    frame, columns, _ = _frame(units, Filters(suite="rgb"), sort_by="rgb/mRNA_degrade")
    assert list(frame.columns)[-1] == "rgb/mRNA_degrade · mcrmse ↓"
    assert list(frame["model"]) == ["gfmbench/model-a", "gfmbench/model-b", "gfmbench/model-c"]  # lowest mcrmse first
    frame, _, _ = _frame(units, Filters(suite="rgb"), sort_by="model", descending=True)
    assert list(frame["model"]) == ["gfmbench/model-c", "gfmbench/model-b", "gfmbench/model-a"]
    key = next(row_key(u) for u in units if u["model_id"] == "gfmbench/model-b")
    panel = _model_details(units, key)
    assert panel.startswith("### gfmbench/model-b") and panel.count("| rgb | SSP_Archive2 |") == 2
    assert "/datasets/gfmbench/rgb/tree/" in panel and "mcrmse" in panel


def test_filters_offer_all_and_read_it_as_no_restriction() -> None:
    from gfmbench.leaderboard.app import ALL, _chosen, column_header

    assert _chosen([ALL]) == () and _chosen(None) == () and _chosen([ALL, "rna"]) == ("rna",)
    assert column_header("rgb/mRNA_degrade", "mcrmse", "lower") == "rgb/mRNA_degrade · mcrmse ↓"
