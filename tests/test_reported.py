"""Reported results: the transcriptions are complete and in range, refused cards say why, they never count as runs,
they are ranked apart, and a reproduced-vs-reported gap is the run's mean minus the printed value with the run's
interval (checked against SciPy and by hand)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gfmbench.harness.validity import validate_card
from gfmbench.leaderboard.fixtures import write_fixture_tree, write_reported_fixture
from gfmbench.leaderboard.reported import (
    REPORTED_DIR,
    ReportedPaper,
    export_cards,
    packaged_papers,
    reported_cards,
    reported_from_folder,
    validate_reported,
)
from gfmbench.leaderboard.reported_board import gaps, reported_board
from gfmbench.leaderboard.table import Filters, build_leaderboard, cards_from_folder, leaderboard, read_units
from gfmbench.metrics.catalog import CATALOG
from gfmbench.suites.registry import get_task

ALL_CARDS = [card for paper in packaged_papers() for card in reported_cards(paper)]


def test_every_reported_card_has_a_complete_source_and_a_value_in_range() -> None:
    assert len(ALL_CARDS) == 135  # 27 mapped rows x 5 model columns of Feng et al. 2025, Tables 1-3
    for card in ALL_CARDS:
        paper = card.source.paper
        assert paper.title and paper.authors and paper.venue and paper.url.startswith("https://")
        assert paper.doi or paper.arxiv
        assert card.source.table and card.source.row and card.source.column
        assert card.source.read_from.startswith("https://")
        assert card.model_basis and card.task_basis and card.protocol.description
        assert card.verified is False and card.kind == "reported"
        low, high = CATALOG[card.metric].bounds
        assert low <= card.value <= high, card.id
        _, task = get_task(card.task, card.suite)
        assert card.primary_metric == task.primary_metric
        if card.metric != task.primary_metric:  # AUROC against GUE's MCC / GB's accuracy: declared, not hidden
            assert card.differences[0].startswith("metric: AUC (roc_auc)"), card.id
        checked, reason = validate_reported(card.id, card.model_dump_json())
        assert checked is not None, reason


def test_values_are_the_printed_strings_nothing_estimated() -> None:
    for path in sorted(REPORTED_DIR.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text())
        for table in raw["tables"]:
            for row in table["rows"]:
                for printed in row["values"]:
                    assert isinstance(printed, str) and printed.replace(".", "", 1).isdigit(), (path, row["label"])
    by_id = {c.id: c for c in ALL_CARDS}
    # spot checks against the printed tables (doi:10.1038/s41467-025-65823-8, Tables 1-3)
    assert by_id["feng2025-natcommun/gue/EMP_H3/dnabert-2"].value == 0.9137
    assert by_id["feng2025-natcommun/gue/prom_300_tata/grover"].value_as_printed == "0.78"
    assert by_id["feng2025-natcommun/gb/demo_human_or_worm/caduceus-ph"].value == 0.9915
    assert by_id["feng2025-natcommun/gue/mouse_tf_3/hyenadna"].value == 0.588
    # a checkpoint is claimed only where it is established
    assert {c.model: c.model_id for c in ALL_CARDS if c.model_id} == {"DNABERT-2": "zhihan1996/DNABERT-2-117M"}


@pytest.mark.parametrize(("change", "reason"), [
    ({"value": 1.3}, "impossible value roc_auc = 1.3"),
    ({"task": "EMP_H9"}, "unknown task"),
    ({"differences": []}, "but no difference says so"),
    ({"primary_metric": "accuracy"}, "does not match the registry's mcc"),
    ({"verified": True}, "invalid reported card"),
])
def test_refused_reported_cards_say_why(change: dict, reason: str) -> None:
    card = json.loads(next(c for c in ALL_CARDS if c.id.endswith("gue/EMP_H3/dnabert-2")).model_dump_json())
    card.update(change)
    checked, why = validate_reported("x.json", json.dumps(card))
    assert checked is None and reason in (why or "")


def test_a_source_without_doi_or_arxiv_is_refused() -> None:
    raw = yaml.safe_load(next(REPORTED_DIR.glob("*.yaml")).read_text())
    raw["source"]["doi"] = None
    with pytest.raises(ValueError, match="needs a DOI or an arXiv id"):
        ReportedPaper.model_validate(raw)


def test_a_reported_card_never_counts_as_a_run(tmp_path: Path) -> None:
    card = ALL_CARDS[0]
    result, reason, _ = validate_card("reported.json", card.model_dump_json())
    assert result is None and reason and reason.startswith("invalid result card")
    write_fixture_tree(tmp_path / "runs-only")
    write_fixture_tree(tmp_path / "both")
    export_cards(ALL_CARDS, tmp_path / "both")
    assert len(cards_from_folder(tmp_path / "both")) == len(cards_from_folder(tmp_path / "runs-only"))
    build_leaderboard(cards_from_folder(tmp_path / "runs-only"), tmp_path / "a")
    build_leaderboard(cards_from_folder(tmp_path / "both"), tmp_path / "b",
                      reported_items=reported_from_folder(tmp_path / "both"))
    alone, with_reported = (leaderboard(read_units(tmp_path / x / "leaderboard.parquet"))[1] for x in "ab")
    assert [(r["key"], r["rank"]) for r in alone] == [(r["key"], r["rank"]) for r in with_reported]
    assert len(read_units(tmp_path / "b" / "reported.parquet")) == 135
    assert read_units(tmp_path / "a" / "reported.parquet") == []


def test_reported_values_are_ranked_among_themselves_per_task_and_metric() -> None:
    rows, _ = _built(ALL_CARDS)
    columns, board = reported_board(rows, Filters(suite="gue"))
    assert len(columns) == 21 and all(c.endswith(" · roc_auc · probe") for c in columns)
    ranks = {b["model"]: b["task ranks"]["gue/EMP_H3 · roc_auc · probe"] for b in board}
    # Table 3, row "Yeast H3": Caduceus-Ph 0.9285 > DNABERT-2 0.9137 > GROVER 0.9056 > HyenaDNA 0.8996 > NT-v2 0.8951
    assert ranks == {"Caduceus-Ph": 1, "DNABERT-2": 2, "GROVER": 3, "HyenaDNA": 4, "NT-v2": 5}
    for b in board:  # the average rank is the mean of the row's task ranks
        assert b["avg rank"] == pytest.approx(sum(b["task ranks"].values()) / len(b["task ranks"]))
    assert {b["key"].split(" [")[1] for b in board} == {"reported: feng2025-natcommun, probe]"}


def _built(cards) -> tuple[list[dict], list[dict]]:
    from gfmbench.leaderboard.reported import reported_rows

    return reported_rows((c.id, c.model_dump_json()) for c in cards)


def test_gap_is_the_run_mean_minus_the_printed_value_with_the_runs_interval(tmp_path: Path) -> None:
    from scipy import stats

    write_reported_fixture(tmp_path / "cards")
    build_leaderboard(cards_from_folder(tmp_path / "cards"), tmp_path / "out",
                      reported_items=reported_from_folder(tmp_path / "cards"))
    units, reported = read_units(tmp_path / "out" / "leaderboard.parquet"), read_units(tmp_path / "out" /
                                                                                        "reported.parquet")
    excluded = json.loads((tmp_path / "out" / "excluded.json").read_text())
    assert [e["reason"] for e in excluded] == ["reported card: impossible value roc_auc = 1.3 (must lie in [0.0, 1.0])"]
    (gap,) = gaps(units, reported)  # only DNABERT-2 has a Hub id, and only EMP_H3 was run
    assert gap.column == "gue/EMP_H3 · roc_auc · probe" and gap.seeds == 2
    assert gap.reproduced == pytest.approx(0.91) and gap.value == 0.9137
    assert gap.gap == pytest.approx(0.91 - 0.9137)
    half = stats.t.ppf(0.975, 1) * stats.tstd([0.90, 0.92]) / math.sqrt(2)  # Student's t over 2 seeds
    assert gap.interval == pytest.approx((0.91 - half, 1.0))  # clipped at the metric's upper bound
    assert gap.gap_interval == pytest.approx((0.91 - half - 0.9137, 1.0 - 0.9137))
    assert gap.verdict == "reported value inside our interval"
    assert gap.differences[0] == "regime: gfmbench's run is finetune, the paper's is probe"
    assert any(d.startswith("metric: AUC") for d in gap.differences)
    assert gap.differences[-1].startswith("checkpoint revision: gfmbench ran commit ")
    # a run that did not measure the printed metric gives no gap: no other metric is ever compared
    without_auroc = [{**u, "metrics": json.dumps({"mcc": 0.6})} for u in units]
    assert gaps(without_auroc, reported) == []


def test_reported_cli_lists_exports_and_publishes(tmp_path: Path) -> None:
    from huggingface_hub import CommitOperationAdd

    from gfmbench.hub.publish import LocalGitBackend

    env_home = {"GFMBENCH_HOME": str(tmp_path / "home")}
    import os

    env = {**os.environ, **env_home}
    listed = subprocess.run([sys.executable, "-m", "gfmbench", "reported", "list"], env=env, capture_output=True,
                            text=True, check=True).stdout
    assert "feng2025-natcommun" in listed and "10.1038/s41467-025-65823-8" in listed and "135" in listed
    # a card of an earlier transcription (a row since left out) must not survive a new export or publish
    stale = "reported/feng2025-natcommun/gue/human_tf_0/dnabert-2.json"
    other_paper = "reported/other-paper/gue/EMP_H3/x.json"
    for path in (stale, other_paper):
        (tmp_path / "results" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "results" / path).write_text("{}")
    subprocess.run([sys.executable, "-m", "gfmbench", "reported", "export", str(tmp_path / "results")], env=env,
                   check=True, capture_output=True)
    assert len(list((tmp_path / "results" / "reported" / "feng2025-natcommun").rglob("*.json"))) == 135
    assert not (tmp_path / "results" / stale).exists() and (tmp_path / "results" / other_paper).exists()
    backend = LocalGitBackend(tmp_path / "hub")
    backend.create_repo("gfmbench/results")
    backend.commit("gfmbench/results", [CommitOperationAdd(p, b"{}") for p in (stale, other_paper)], "earlier")
    out = subprocess.run([sys.executable, "-m", "gfmbench", "reported", "publish", "--results-repo",
                          "gfmbench/results", "--hub-root", str(tmp_path / "hub")], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert "135 reported cards in gfmbench/results" in out and "1 stale card(s) removed" in out
    files = backend.list_files("gfmbench/results")
    assert sum(f.startswith("reported/feng2025-natcommun/") for f in files) == 135
    assert stale not in files and other_paper in files


def test_leaderboard_show_prints_reported_values_apart_with_sources_and_the_gap(tmp_path: Path) -> None:
    import os

    write_reported_fixture(tmp_path / "cards")
    env = {**os.environ, "GFMBENCH_HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, "-m", "gfmbench", "leaderboard", "show", "--results-dir",
                          str(tmp_path / "cards"), "--suite", "gue", "--kind", "both"], env=env, capture_output=True,
                         text=True, check=True).stdout
    runs, reported = out.split("Reported in papers", 1)
    assert "zhihan1996/DNABERT-2-117M" in runs and "†" not in runs
    assert "R1" in reported and "0.9137 †" in reported
    assert "† Feng et al., Nature Communications 16:10780 (2025): https://doi.org/10.1038/s41467-025-65823-8" in out
    gap_line = next(line for line in out.splitlines() if "gue/EMP_H3 · roc_auc" in line and "0.9100" in line)
    assert "-0.0037" in gap_line and "reported value inside our interval" in gap_line


def test_reported_values_of_another_regime_or_a_filtered_task_type_are_apart() -> None:
    rows, _ = _built(ALL_CARDS)
    emp = [r for r in rows if r["task"] == "EMP_H3"]
    finetuned = [{**r, "id": "other-paper/" + r["id"].split("/", 1)[1], "regime": "finetune", "value": 0.5}
                 for r in emp if r["model"] == "NT-v2"]
    columns, board = reported_board(emp + finetuned)
    assert columns == ["gue/EMP_H3 · roc_auc · finetune", "gue/EMP_H3 · roc_auc · probe"]
    alone = next(b for b in board if b["key"].startswith("NT-v2 [reported: other-paper"))
    assert alone["task ranks"] == {"gue/EMP_H3 · roc_auc · finetune": 1.0}  # never ranked with the probe values
    assert reported_board(rows, Filters(task_types=("token_classification",)))[1] == []
    assert {b["model"] for b in reported_board(rows, Filters(search="dnabert-2-117m"))[1]} == {"DNABERT-2"}


@pytest.mark.parametrize(("text", "message"), [
    ("id: x\nsource: [unclosed\n", "not valid YAML"),
    ("VALID_WITH_BAD_VALUE", "tables.2.rows.0.values.0"),
])
def test_a_broken_transcription_names_the_file_and_the_field(tmp_path: Path, text: str, message: str) -> None:
    from gfmbench.errors import GfmbenchError
    from gfmbench.leaderboard.reported import load_paper

    source = next(REPORTED_DIR.glob("*.yaml"))
    if text == "VALID_WITH_BAD_VALUE":  # a value that is not a plain decimal (a typo'd printed cell)
        raw = yaml.safe_load(source.read_text())
        raw["tables"][2]["rows"][0]["values"][0] = "0.91x"
        text = yaml.safe_dump(raw)
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(GfmbenchError) as caught:
        load_paper(path)
    assert str(path) in str(caught.value) and message in str(caught.value)
