from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gfmbench.errors import ConfigError, UnknownNameError
from gfmbench.suites import get_suite, get_task
from gfmbench.suites.registry import all_tasks, load_suite_file
from gfmbench.suites.schema import TOKEN_TYPES

RGB_CONFIGS = ["mRNA_degrade", "SNMD", "SNMR", "SSP_Archive2", "SSP_RNAStralign", "SSP_bpRNA", "TE_Arabidopsis",
               "TE_Rice", "Region_Arabidopsis", "Region_Rice"]


def test_rgb_declares_the_ten_configs() -> None:
    suite = get_suite("rgb")
    assert [t.config for t in suite.tasks] == RGB_CONFIGS
    assert suite.dataset_repo == "gfmbench/rgb" and suite.tag == "v1.0.0"
    mrna = suite.task("mRNA_degrade")
    assert mrna.type == "token_regression" and mrna.targets == ["reactivity", "deg_Mg_pH10", "deg_Mg_50C"]
    assert mrna.direction == "lower"
    assert suite.task("SNMR").labels == ["A", "T", "G", "C"]
    assert all(t.labels == ["(", ")", "."] for t in suite.tasks if t.config.startswith("SSP_"))
    assert {t.type for t in suite.tasks} <= TOKEN_TYPES | {"sequence_classification"}


@pytest.mark.parametrize(("alias", "config"), [("RNA-SSP-Archive2", "SSP_Archive2"), ("RNA-mRNA", "mRNA_degrade"),
                                                ("RNA-TE-Prediction.Arabidopsis", "TE_Arabidopsis"),
                                                ("rgb/SNMD", "SNMD"), ("RNA-SSP-rnastralign", "SSP_RNAStralign")])
def test_upstream_names_are_aliases(alias: str, config: str) -> None:
    suite, task = get_task(alias)
    assert suite.name == "rgb" and task.config == config


def test_unknown_task_suggests_closest() -> None:
    with pytest.raises(UnknownNameError) as err:
        get_task("SSP_Archiv2")
    assert "did you mean 'SSP_Archive2'" in str(err.value)
    with pytest.raises(UnknownNameError, match="unknown suite 'rbg'; did you mean 'rgb'"):
        get_suite("rbg")


def _rgb_document() -> dict:
    from importlib import resources

    return yaml.safe_load(resources.files("gfmbench.suites").joinpath("rgb.yaml").read_text())


def test_unknown_key_is_an_error_naming_the_field() -> None:
    doc = _rgb_document()
    doc["tasks"][3]["primary_metrc"] = "f1_macro"
    with pytest.raises(ConfigError, match=r"tasks\.3\.primary_metrc: Extra inputs are not permitted"):
        load_suite_file(yaml.safe_dump(doc), "rgb.yaml")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("primary_metric", "auprc", "primary_metric 'auprc' is not in metrics"),
    ("type", "contact_classification", "tasks.0.type"),
    ("direction", "up", "tasks.0.direction"),
    ("targets", None, "needs distinct `targets`"),
    ("splits", ["train", "Test2"], r"unknown split\(s\) \['Test2'\]; expected .* test_<name>"),
    ("pair_input", "target_sequence", "pair_input is for sequence-level tasks"),
])
def test_inconsistent_task_is_rejected(field: str, value: object, message: str) -> None:
    doc = _rgb_document()
    doc["tasks"][0][field] = value
    with pytest.raises(ConfigError, match=message):
        load_suite_file(yaml.safe_dump(doc), "rgb.yaml")


@pytest.mark.parametrize(("task", "field", "value", "message"), [
    (3, "metrics", ["f1_macr", "mcc"], r"tasks\.3: .*unknown metric 'f1_macr' \(did you mean f1_macro"),
    (0, "direction", "higher", r"direction 'higher' contradicts the primary metric 'mcrmse', for which lower"),
    (3, "format", "dot_brakcet", r"tasks\.3\.format: SSP_Archive2: gfmbench\.loaders\.rgb reads no format "
                                 r"'dot_brakcet' \(did you mean dot_bracket\?"),
    (7, "format", "sequence_label_csv", r"tasks\.7\.format: .*its formats: dot_bracket, mrna_regions"),
])
def test_metrics_directions_and_formats_are_checked_when_the_suite_loads(task: int, field: str, value: object,
                                                                          message: str) -> None:
    """A typo in a metric or a format, or a direction against the metric's, fails at load naming the field."""
    doc = _rgb_document()
    doc["tasks"][task][field] = value
    with pytest.raises(ConfigError, match=message):
        load_suite_file(yaml.safe_dump(doc), "rgb.yaml")


@pytest.mark.parametrize(("builder", "message"), [
    ("gfmbench.loaders.rgbx", r"builder 'gfmbench\.loaders\.rgbx': no such module"),
    ("gfmbench.loaders.records", r"builder 'gfmbench\.loaders\.records': the module has no SOURCE"),
    (None, r"builder: Field required"),
])
def test_a_suite_names_its_builder(builder: str | None, message: str) -> None:
    doc = _rgb_document()
    if builder is None:
        del doc["builder"]
    else:
        doc["builder"] = builder
    with pytest.raises(ConfigError, match=message):
        load_suite_file(yaml.safe_dump(doc), "rgb.yaml")


def test_every_suite_reads_its_formats_with_the_builder_it_names() -> None:
    from gfmbench.loaders.sources import Source
    from gfmbench.suites.registry import suite_names

    for name in suite_names():
        suite = get_suite(name)
        source = suite.source()
        assert isinstance(source, Source) and suite.builder == f"gfmbench.loaders.{name}"
        assert {t.format for t in suite.tasks} <= source.format_names


def test_a_task_is_found_by_config_or_alias_in_one_place() -> None:
    rgb = get_suite("rgb")
    assert rgb.task("RNA-SSP-Archive2") is rgb.task("SSP_Archive2") is get_task("RNA-SSP-Archive2")[1]
    assert rgb.find_task("nope") is None
    with pytest.raises(UnknownNameError, match="did you mean 'RNA-SNMD'"):
        rgb.task("RNA-SNMDD")


def test_pair_tasks_are_binary_maps_and_extra_splits_need_files() -> None:
    doc = _rgb_document()
    doc["tasks"][2].update(type="pair_classification", labels=["A", "C", "G"], zeroshot=None)
    with pytest.raises(ConfigError, match="a pair_classification task is a binary map"):
        load_suite_file(yaml.safe_dump(doc), "rgb.yaml")
    doc = _rgb_document()
    doc["tasks"][0]["splits"] = ["train", "validation", "test", "test_rfam19"]
    with pytest.raises(ConfigError, match=r"splits \['test_rfam19'\] have no file names"):
        load_suite_file(yaml.safe_dump(doc), "rgb.yaml")
    doc["tasks"][0]["split_files"] = {"test_rfam19": ["RFAM19.json"]}
    assert load_suite_file(yaml.safe_dump(doc), "rgb.yaml").tasks[0].extra_test_splits == ["test_rfam19"]


def test_duplicate_alias_is_rejected() -> None:
    doc = _rgb_document()
    doc["tasks"][1]["upstream_names"].append("RNA-mRNA")
    with pytest.raises(ConfigError, match="'RNA-mRNA' is used by both"):
        load_suite_file(yaml.safe_dump(doc), "rgb.yaml")


def test_tasks_command_prints_the_registry() -> None:
    out = subprocess.run([sys.executable, "-m", "gfmbench", "tasks", "--suite", "rgb", "--long"],
                         capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["suite", "config", "type"]
    assert len(lines) == 2 + len(RGB_CONFIGS)
    assert any("SSP_Archive2" in line and "f1_macro (↑)" in line and "apache-2.0" in line for line in lines)
    assert any("mRNA_degrade" in line and "mcrmse (↓)" in line for line in lines)
    short = subprocess.run([sys.executable, "-m", "gfmbench", "tasks"], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    assert max(len(line) for line in short) <= 120 and all("not built" in line for line in short[2:])


def test_tasks_shows_the_split_sizes_of_suites_built_here(rgb_hub: Path) -> None:
    import os

    out = subprocess.run([sys.executable, "-m", "gfmbench", "tasks", "--suite", "rgb"], capture_output=True,
                         text=True, check=True, env={**os.environ, "GFMBENCH_HUB_ROOT": str(rgb_hub)}).stdout
    (ssp,) = [line for line in out.splitlines() if line.startswith("rgb") and " SSP_Archive2 " in line]
    assert ssp.rstrip().endswith("608/76/82")  # rows of the built splits


def test_tasks_command_unknown_suite_exits_cleanly() -> None:
    out = subprocess.run([sys.executable, "-m", "gfmbench", "tasks", "--suite", "rbg"], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 2
    assert "did you mean 'rgb'" in out.stderr and "Traceback" not in out.stderr


def test_six_suites_with_their_config_counts_and_licenses() -> None:
    from gfmbench.suites.registry import suite_names

    assert suite_names() == ["beacon", "gb", "gue", "nt", "pgb", "rgb"]
    counts = {name: len(get_suite(name).tasks) for name in suite_names()}
    assert counts == {"rgb": 10, "gue": 28, "gb": 9, "pgb": 31, "beacon": 13, "nt": 18}
    assert get_suite("nt").license == "other" and "declares no license" in get_suite("nt").license_notice
    beacon = get_suite("beacon")
    assert beacon.license == "other" and "restrict reuse" in beacon.license_notice
    assert "SpliceAI" in beacon.task("splice_site").license and "Kaggle" in beacon.task("vaccine_degradation").license
    assert get_suite("pgb").license == "cc-by-nc-sa-4.0" and "non-commercial" in get_suite("pgb").license_notice
    gue = get_suite("gue")
    assert all(t.primary_metric == "mcc" for t in gue.tasks if t.config != "virus_covid")
    assert gue.task("virus_covid").primary_metric == "f1_macro" and "GISAID" in gue.task("virus_covid").license
    assert get_suite("gb").task("human_ensembl_regulatory").labels == ["enhancer", "ocr", "promoter"]
    for suite in ("gb", "gue"):  # label names are given in a deterministic (sorted) order
        for task in get_suite(suite).tasks:
            assert task.labels == sorted(task.labels, key=lambda x: (len(x), x)) or task.labels == sorted(task.labels)
    out = subprocess.run([sys.executable, "-m", "gfmbench", "tasks", "--long"], capture_output=True, text=True,
                         check=True)
    rows = out.stdout.splitlines()[2:]
    assert len(rows) == 109 and any("cc-by-nc-sa-4.0" in r and r.startswith("pgb") for r in rows)
    assert sum(r.startswith("nt ") for r in rows) == 18


def test_every_task_type_has_one_kind_and_every_metric_fits_its_task_kind() -> None:
    """A metric whose inputs the task's kind cannot produce (f1 on a regression task) would fail after training."""
    from gfmbench.harness.kinds import TASK_KINDS, kind_of
    from gfmbench.metrics.catalog import CATALOG
    from gfmbench.suites.schema import TaskType

    assert set(TASK_KINDS) == set(TaskType.__args__)
    for suite, task in all_tasks():
        kind = kind_of(task)
        unfit = [m for m in task.metrics if CATALOG[m].inputs not in kind.metric_inputs]
        assert not unfit, f"{suite.name}/{task.config}: {unfit} need inputs a {task.type} task does not give"
