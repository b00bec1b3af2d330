"""RGB built from the real upstream files: contents, label encodings, card, and byte-identical rebuilds."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from datasets import Features

from gfmbench.hub.publish import LocalGitBackend
from gfmbench.loaders.build import build_suite
from gfmbench.suites import get_suite

REPO = "gfmbench/rgb"


def read_split(root: Path, config: str, split: str) -> tuple[list[dict], Features]:
    backend = LocalGitBackend(root)
    files = [f for f in backend.list_files(REPO) if f.startswith(f"data/{config}/{split}-")]
    assert files, f"no shards for {config}/{split}"
    tables = [pq.read_table(io.BytesIO(backend.read_file(REPO, f))) for f in files]
    return [row for t in tables for row in t.to_pylist()], Features.from_arrow_schema(tables[0].schema)


def raw_records(samples: Path, folder: str, name: str) -> list[dict]:
    return [json.loads(line) for line in (samples / "RGB" / folder / name).read_text().splitlines() if line.strip()]


SPLIT_FILES = {"train": "train.json", "validation": "valid.json", "test": "test.json"}


def test_row_counts_match_the_raw_files(rgb_hub: Path, samples: Path) -> None:
    manifest = json.loads(LocalGitBackend(rgb_hub).read_file(REPO, "gfmbench_build.json"))
    suite = get_suite("rgb")
    for config, entry in manifest["configs"].items():
        folder = suite.task(config).upstream_names[0]
        for split, info in entry["splits"].items():
            assert info["rows"] == len(raw_records(samples, folder, SPLIT_FILES[split])), (config, split)
    archive = manifest["configs"]["SSP_Archive2"]["splits"]
    assert [archive[s]["rows"] for s in ("train", "validation", "test")] == [608, 76, 82]
    assert list(manifest["configs"]["mRNA_degrade"]["splits"]) == ["test"]
    assert manifest["configs"]["mRNA_degrade"]["missing_splits"] == ["train", "validation"]
    assert manifest["configs"]["SNMD"]["missing_splits"] == ["train"]
    rice = manifest["configs"]["TE_Rice"]["splits"]  # the complete upstream task is in the samples
    assert [rice[s]["rows"] for s in ("train", "validation", "test")] == [4697, 587, 588]
    assert all(info["verified"] for info in manifest["configs"]["TE_Rice"]["upstream_files"].values())
    assert not {"TE_Arabidopsis", "Region_Arabidopsis", "Region_Rice"} & set(manifest["configs"])


@pytest.mark.parametrize("config", ["SSP_Archive2", "SSP_RNAStralign", "SSP_bpRNA"])
def test_ssp_labels_decode_to_the_upstream_dot_bracket(rgb_hub: Path, samples: Path, config: str) -> None:
    task = get_suite("rgb").task(config)
    aliases = dict(task.symbol_aliases)
    with_pseudoknot_letters = 0
    for split, name in SPLIT_FILES.items():
        rows, features = read_split(rgb_hub, config, split)
        names = features["label"].feature.names
        upstream = raw_records(samples, task.upstream_names[0], name)
        assert len(rows) == len(upstream)
        for row, raw in zip(rows, upstream, strict=True):
            decoded = "".join(names[i] for i in row["label"])
            assert row["structure"] == raw["label"]  # the upstream string, kept exactly
            assert row["sequence"] == raw["seq"].upper()
            if decoded != raw["label"]:
                with_pseudoknot_letters += 1
                assert decoded == "".join(aliases.get(ch, ch) for ch in raw["label"])
    # Only two bpRNA training rows use the letter pseudoknot notation (A/a); every other row decodes exactly.
    assert with_pseudoknot_letters == (2 if config == "SSP_bpRNA" else 0)


def test_snmd_and_snmr_labels(rgb_hub: Path, samples: Path) -> None:
    raw = raw_records(samples, "RNA-SNMD", "valid.json")
    snmd, snmd_features = read_split(rgb_hub, "SNMD", "validation")
    snmr, snmr_features = read_split(rgb_hub, "SNMR", "validation")
    assert snmd_features["label"].feature.names == ["not_mutated", "mutated"]
    bases = snmr_features["label"].feature.names
    mutated_total = 0
    for r, d, m in zip(raw, snmd, snmr, strict=True):
        assert d["sequence"] == r["mut"] and d["reference"] == r["seq"]
        for pos, (ref, mut) in enumerate(zip(r["seq"], r["mut"], strict=True)):
            assert d["label"][pos] == int(ref != mut)
            assert m["label"][pos] == (bases.index(ref) if ref != mut else -1)
            mutated_total += ref != mut
        assert d["ratio"] == pytest.approx([float(x) for x in r["ratio"].split(",")])
    assert mutated_total == sum(sum(d["label"]) for d in snmd) > 0


def test_mrna_targets_are_padded_with_nulls(rgb_hub: Path, samples: Path) -> None:
    rows, features = read_split(rgb_hub, "mRNA_degrade", "test")
    raw = raw_records(samples, "RNA-mRNA", "test.json")
    assert len(rows) == 192
    for row, r in zip(rows, raw, strict=True):
        n, scored = len(r["sequence"]), r["seq_scored"]
        assert row["upstream_id"] == r["id"] and row["seq_scored"] == scored
        for target in ("reactivity", "deg_Mg_pH10", "deg_Mg_50C"):
            values = row[target]
            assert len(values) == n
            assert values[:scored] == pytest.approx(r[target], abs=1e-6)
            assert values[scored:] == [None] * (n - scored)


def test_card_and_eval_yaml(rgb_hub: Path) -> None:
    from huggingface_hub import DatasetCard

    backend = LocalGitBackend(rgb_hub)
    card = DatasetCard(backend.read_file(REPO, "README.md").decode())
    data = card.data.to_dict()
    assert data["license"] == "apache-2.0"
    assert [c["config_name"] for c in data["configs"]] == ["mRNA_degrade", "SNMD", "SNMR", "SSP_Archive2",
                                                           "SSP_RNAStralign", "SSP_bpRNA", "TE_Rice"]
    assert data["gfmbench"]["num_rows"]["SSP_Archive2"] == {"train": 608, "validation": 76, "test": 82}
    assert data["size_categories"] == ["10K<n<100K"]
    assert "arXiv:2410.01784" in card.text and "@article{yang2024omnigenome" in card.text
    assert data["gfmbench"]["num_rows"]["TE_Rice"] == {"train": 4697, "validation": 587, "test": 588}
    assert "not built: missing from the raw release" in card.text  # TE_Arabidopsis / Region are reported, not faked
    assert "RNA-SSP-Archive2/train.json" in card.text and "| yes |" in card.text
    eval_yaml = yaml.safe_load(backend.read_file(REPO, "eval.yaml"))
    assert eval_yaml["evaluation_framework"] == "gfmbench"
    assert {"id": "SSP_Archive2", "config": "SSP_Archive2", "split": "test"} in eval_yaml["tasks"]
    assert backend.tag_target(REPO, "v1.0.0") == backend.head(REPO)


def test_rebuild_is_byte_identical(rgb_hub: Path, samples: Path, tmp_path: Path) -> None:
    first = LocalGitBackend(rgb_hub)
    other = LocalGitBackend(tmp_path)
    build_suite("rgb", raw_dir=samples / "RGB", backend=other, progress=False)
    assert other.tree_id(REPO, "main") == first.tree_id(REPO, "main")
    again = build_suite("rgb", raw_dir=samples / "RGB", backend=other, progress=False)
    assert again.publish is not None and not again.publish.changed


def test_subset_rebuild_keeps_other_configs(samples: Path, tmp_path: Path) -> None:
    backend = LocalGitBackend(tmp_path)
    build_suite("rgb", raw_dir=samples / "RGB", configs=["SSP_Archive2"], backend=backend, progress=False)
    build_suite("rgb", raw_dir=samples / "RGB", configs=["RNA-mRNA"], backend=backend, progress=False,
                force_tag=True)
    manifest = json.loads(backend.read_file(REPO, "gfmbench_build.json"))
    assert set(manifest["configs"]) == {"mRNA_degrade", "SSP_Archive2"}
    assert any(f.startswith("data/SSP_Archive2/") for f in backend.list_files(REPO))
