"""The model registry (models/families.yaml): validated as data, looked up by name or Hub id, listed by
`gfmbench models`; `gfmbench models check` on miniatures of real families."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gfmbench.cli import main
from gfmbench.errors import ConfigError, UnknownNameError
from gfmbench.models.registry import all_checkpoints, get_checkpoint, load_registry, parse_registry, registry_spec

ZOO = Path(__file__).resolve().parents[2] / "shared" / "zoo"

REQUIRED = {
    "nt-v2-50m", "nt-v2-100m", "nt-v2-250m", "nt-v2-500m", "nt-500m-human-ref", "dnabert-3", "dnabert-4",
    "dnabert-5", "dnabert-6", "dnabert-2-117m", "gena-lm-bert-base-t2t", "hyenadna-tiny-1k", "hyenadna-large-1m",
    "caduceus-ph-131k", "caduceus-ps-131k", "generator-eukaryote-1.2b", "evo-1-8k", "agront-1b", "rna-fm",
    "rinalmo", "splicebert", "utr-lm-te-el", "ernie-rna", "rna-msm", "omnigenome-52m", "omnigenome-186m",
}


def test_the_registry_holds_the_families_people_benchmark() -> None:
    names = {c.name for _, c in all_checkpoints()}
    assert REQUIRED <= names, REQUIRED - names
    for family, checkpoint in all_checkpoints():
        if family.tokenizer in ("kmer", "overlapping_kmer"):
            assert checkpoint.k or family.k
        if family.plugin_import:
            assert not family.remote_code  # a plugin registers the classes: no Hub code runs
    dnabert = {c.name: c.k for f, c in all_checkpoints() if f.family == "dnabert"}
    assert dnabert == {"dnabert-3": 3, "dnabert-4": 4, "dnabert-5": 5, "dnabert-6": 6}
    assert {f.family for f in load_registry().families if f.requires} == {"caduceus"}


MINIMAL = """
families:
  - family: x
    display_name: X
    architecture: bert
    tokenizer: {tokenizer}
    alphabet: DNA
    license: null
    remote_code: false
    paper: https://example.org
    citation: X
    checkpoints:
      - {{name: x-1, hub_id: org/x-1{extra}}}
"""


def test_invalid_entries_fail_when_the_registry_loads() -> None:
    parse_registry(MINIMAL.format(tokenizer="bpe", extra=""), "ok.yaml")
    with pytest.raises(ConfigError, match=r"bad\.yaml: invalid model registry: families\.0\.checkpoints\.0\.revison"):
        parse_registry(MINIMAL.format(tokenizer="bpe", extra=", revison: abc"), "bad.yaml")
    with pytest.raises(ConfigError, match=r"a kmer tokenizer needs k"):
        parse_registry(MINIMAL.format(tokenizer="kmer", extra=""), "k.yaml")
    with pytest.raises(ConfigError, match=r"revision"):
        parse_registry(MINIMAL.format(tokenizer="bpe", extra=", revision: main"), "rev.yaml")  # a commit only


def test_names_resolve_to_hub_ids_at_their_pinned_revision(tmp_path: Path) -> None:
    family, checkpoint = get_checkpoint("rinalmo")
    assert checkpoint.revision and family.plugin_import == "multimolecule"
    spec, found, _ = registry_spec("rinalmo")
    assert spec == f"multimolecule/rinalmo@{checkpoint.revision}" and found is family
    assert registry_spec("rinalmo@" + "0" * 40)[0] == "multimolecule/rinalmo@" + "0" * 40
    assert registry_spec("dnabert-2-117m")[0] == "zhihan1996/DNABERT-2-117M"  # no revision stated: main
    spec, found, _ = registry_spec("zhihan1996/DNABERT-2-117M")
    assert spec == "zhihan1996/DNABERT-2-117M" and found is not None and found.remote_code
    assert registry_spec("someone/other-model") == ("someone/other-model", None, None)
    assert registry_spec(str(tmp_path)) == (str(tmp_path), None, None)
    with pytest.raises(UnknownNameError, match=r"did you mean 'nt-v2-50m'.*`gfmbench models` lists them"):
        get_checkpoint("nt-v2-50")


def test_models_command_lists_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "dnabert-2-117m" in out and "zhihan1996/DNABERT-2-117M" in out and "117M" in out
    assert "plugin multimolecule" in out and "overlapping-kmer (k=6)" in out


def test_leaderboard_shows_registry_metadata() -> None:
    from gfmbench.leaderboard.table import registry_metadata

    meta = registry_metadata("InstaDeepAI/nucleotide-transformer-v2-50m-multi-species")
    assert meta is not None and meta["published parameters"] == 50_000_000 and meta["context (tokens)"] == 2048
    assert meta["tokenizer"] == "kmer (k=6)" and meta["license"] == "cc-by-nc-sa-4.0"
    assert registry_metadata("gfmbench/tiny-random-bert-nt") is None


@pytest.mark.parametrize("name, flags, tokenizer, fix", [
    ("nt_v2", [], "EsmTokenizer (slow)", None),
    ("dnabert2", ["--trust-remote-code"], "(fast)", "ALiBi bias built on the CPU"),
    ("hyenadna", ["--trust-remote-code"], "CharacterTokenizer (slow)", "CharacterTokenizer.get_vocab defined"),
])
def test_models_check_on_miniatures(name: str, flags: list[str], tokenizer: str, fix: str | None, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    from gfmbench.harness.miniatures import build_miniature

    folder = build_miniature(name, tmp_path / name, ZOO)
    assert main(["models", "check", str(folder), *flags, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert tokenizer in report["tokenizer"]
    assert report["alphabets"]["DNA"]["unknown_share"] == 0
    covered = "".join(nts for _, nts in report["alignment"] if nts != "(special)")
    assert covered.replace("U", "T") == "GCGGATTTAGCTCAGTTGGGAGAGCGCCAGACTGAAGATCTGGAGGTCCTGTGTTCGATCCACAGAATTCGCACCA"
    assert "finite: True" in report["forward"]
    assert not report["loading"]["backbone_not_loaded"] and not report["loading"]["checkpoint_unused"]
    assert all(v.startswith("yes") for k, v in report["task_types"].items())
    if fix:
        assert any(fix in f for f in report["loading"]["fixes"])
    assert main(["models", "check", str(folder), *flags]) == 0  # the human-readable form
    text = capsys.readouterr().out
    assert "alignment" in text and "can run" in text


def test_models_check_refuses_remote_code_without_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gfmbench.harness.miniatures import build_miniature

    folder = build_miniature("dnabert2", tmp_path / "d2", ZOO)
    assert main(["models", "check", str(folder)]) == 2
    assert "--trust-remote-code" in capsys.readouterr().err


def test_a_plugin_with_the_same_model_type_does_not_replace_remote_code(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """multimolecule registers its own "hyenadna" type: with it imported, HyenaDNA's Hub code (auto_map) must still
    be the class that is built and loaded (else the loading check refuses a model of other keys)."""
    pytest.importorskip("multimolecule")
    import multimolecule  # noqa: F401
    from transformers import CONFIG_MAPPING

    from gfmbench.harness.miniatures import build_miniature

    assert "hyenadna" in CONFIG_MAPPING  # the collision this test is about
    folder = build_miniature("hyenadna", tmp_path / "hyenadna", ZOO)
    assert main(["models", "check", str(folder), "--trust-remote-code", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["loading"]["model_class"] == "HyenaDNAModel" and not report["loading"]["checkpoint_unused"]
