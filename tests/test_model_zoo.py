"""Every major model family runs through `gfmbench run`: miniatures (random weights, real architecture code, real
tokenizers; see gfmbench.harness.miniatures) on real data — RGB SSP_Archive2 (token task), GUE mouse_tf_3 from the
real upstream files (sequence task, CRLF as upstream), the probe regime, zero-shot SNMD — with the loading report
of every unit checked, and a model that would silently be another architecture refused.

The real files are cut to their first rows (a few sequences per family) so that the whole zoo stays in budget."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gfmbench.hub.server import local_hub
from tests.helpers import REPO

pytestmark = pytest.mark.slow

ZOO = REPO.parent / "shared" / "zoo"


@pytest.fixture(scope="module")
def zoo_hub(tmp_path_factory: pytest.TempPathFactory, samples: Path):
    from gfmbench.harness.miniatures import excerpt_hub

    raw = tmp_path_factory.mktemp("zoo-raw")
    root = tmp_path_factory.mktemp("zoo-hub")
    excerpt_hub(samples, raw, root)
    assert b"\r\n" in (raw / "GUE" / "mouse" / "3" / "dev.csv").read_bytes()  # upstream line endings kept
    home = tmp_path_factory.mktemp("zoo-home")
    with local_hub(root=root) as server:
        yield {**server.env(), "GFMBENCH_HOME": str(home), "HF_HOME": str(home / "hf")}


@pytest.fixture(scope="module")
def minis(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gfmbench.harness.miniatures import MINIATURES, build_miniature

    root = tmp_path_factory.mktemp("miniatures")
    for name in MINIATURES:
        build_miniature(name, root / name, ZOO)
    return root


SCRIPT = """
import json, sys
from gfmbench.cli import main
print(json.dumps([main(args) for args in json.loads(sys.argv[1])]))
"""


def gfm_runs(env: dict[str, str], runs: list[list[str]], timeout: float = 600) -> tuple[list[int], str]:
    """Several `gfmbench run` commands in one interpreter (one start-up); their exit codes and stderr."""
    proc = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps([["run", "--no-progress", *r] for r in runs])],
                          env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def units(folder: Path) -> dict[tuple[str, str], dict]:
    out = {}
    for path in folder.rglob("result.json"):
        data = json.loads(path.read_text())
        out[(data["key"]["task"], data["key"]["regime"])] = data
    return out


# family -> (token-task class, sequence-task class, backbone class, expected load-time fixes); flags from
# gfmbench.harness.miniatures.MINIATURE_RUNS
FAMILIES = {
    "nt_v2": ("EsmForTokenClassification", "EsmForSequenceClassification", "EsmModel", 0),
    "omnigenome": ("EsmForTokenClassification", "EsmForSequenceClassification", "EsmModel", 0),
    "dnabert1": ("BertForTokenClassification", "BertForSequenceClassification", "BertModel", 0),
    "generator": ("LlamaForTokenClassification", "LlamaForSequenceClassification", "LlamaModel", 0),
    # DNABERT-2's auto_map has no token class: its own BertModel (ALiBi, remote code) + gfmbench's head
    "dnabert2": ("BertModel", "BertForSequenceClassification", "BertModel", 2),
    "hyenadna": ("HyenaDNAModel", "HyenaDNAForSequenceClassification", "HyenaDNAModel", 2),
    "rnafm": ("RnaFmForTokenPrediction", "RnaFmForSequencePrediction", "RnaFmModel",
              0),
    "rinalmo": ("RiNALMoForTokenPrediction", "RiNALMoForSequencePrediction",
                "RiNALMoModel", 0),
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_family_runs_token_sequence_and_probe(family: str, zoo_hub: dict[str, str], minis: Path,
                                              tmp_path: Path) -> None:
    from gfmbench.harness.miniatures import MINIATURE_RUNS

    token_class, sequence_class, backbone_class, n_fixes = FAMILIES[family]
    flags = MINIATURE_RUNS[family][1]
    common = ["--model", str(minis / family), "--epochs", "1", "--batch-size", "8", "--output-dir", str(tmp_path),
              *flags]
    codes, stderr = gfm_runs(zoo_hub, [
        [*common, "--suite", "rgb", "--tasks", "SSP_Archive2"],
        [*common, "--suite", "gue", "--tasks", "mouse_tf_3"],
        [*common, "--suite", "gue", "--tasks", "mouse_tf_3", "--regime", "probe"],
    ])
    assert codes == [0, 0, 0], stderr[-4000:]
    found = units(tmp_path)
    assert set(found) == {("SSP_Archive2", "finetune"), ("mouse_tf_3", "finetune"), ("mouse_tf_3", "probe")}
    for (task, regime), unit in found.items():
        loading = unit["loading"]
        expected = token_class if task == "SSP_Archive2" else sequence_class if regime == "finetune" else \
            backbone_class
        assert loading["model_class"] == expected, (task, regime, loading)
        assert not loading["backbone_not_loaded"] and not loading["checkpoint_unused"], loading
        assert not loading["allowed_unloaded"] and len(loading["fixes"]) == n_fixes, loading["fixes"]
        assert loading["n_checkpoint_tensors"] > 0
        if regime == "finetune":
            assert loading["new_parameters"], "a task head is new"
        assert all(isinstance(v, float) for v in unit["metrics"]["test"].values())
    ssp = found[("SSP_Archive2", "finetune")]
    assert ssp["metrics"]["test"]["truncated_positions"] == 0
    if family.startswith(("rnafm", "rinalmo")):  # their token heads leave out <cls>/<eos>: realigned, reported
        assert "special positions left out" in ssp["loading"]["token_outputs"]
    if token_class.endswith("Model"):
        assert "linear head over each token" in ssp["head"]
    if family in ("generator", "hyenadna"):  # causal: the probe pools the last token
        assert "last-token" in found[("mouse_tf_3", "probe")]["head"]


def test_zero_shot_masked_and_causal(zoo_hub: dict[str, str], minis: Path, tmp_path: Path) -> None:
    from gfmbench.harness.miniatures import MINIATURE_RUNS

    runs = [["--model", str(minis / name), "--suite", "rgb", "--tasks", "SNMD", "--regime", "zeroshot",
             "--output-dir", str(tmp_path / name), *MINIATURE_RUNS[name][1]] for name in ("nt_v2", "generator",
                                                                                        "rinalmo")]
    codes, stderr = gfm_runs(zoo_hub, runs)
    assert codes == [0, 0, 0], stderr[-4000:]
    # RiNALMo's class declares lm_head.decoder.bias tied to lm_head.bias; transformers 5 leaves it untied and
    # random, which the strict LM-head check would refuse: the declared tie is applied and recorded
    rinalmo = units(tmp_path / "rinalmo")[("SNMD", "zeroshot")]["loading"]
    assert any("lm_head.decoder.bias -> lm_head.bias" in fix for fix in rinalmo["fixes"])
    assert not rinalmo["backbone_not_loaded"]
    masked = units(tmp_path / "nt_v2")[("SNMD", "zeroshot")]
    causal = units(tmp_path / "generator")[("SNMD", "zeroshot")]
    assert masked["loading"]["model_class"] == "EsmForMaskedLM" and "masked marginals" in \
        masked["hyperparameters"]["likelihoods"]
    assert causal["loading"]["model_class"] == "LlamaForCausalLM" and "causal" in \
        causal["hyperparameters"]["likelihoods"]
    for unit in (masked, causal):
        assert not unit["loading"]["new_parameters"] and not unit["loading"]["backbone_not_loaded"]


def test_caduceus_names_its_missing_dependency(zoo_hub: dict[str, str], minis: Path, tmp_path: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("mamba_ssm") is not None:
        pytest.skip("mamba_ssm is installed here")
    codes, stderr = gfm_runs(zoo_hub, [["--model", str(minis / "caduceus"), "--suite", "gue", "--tasks",
                                        "mouse_tf_3", "--trust-remote-code", "--output-dir", str(tmp_path)]])
    assert codes == [2]
    errors = [line for line in stderr.splitlines() if line.startswith("gfmbench: error")]
    assert len(errors) == 1 and "mamba_ssm" in errors[0] and "CUDA" in errors[0], stderr[-2000:]
    assert "Traceback" not in stderr


def _claims_plain_bert(minis: Path, tmp_path: Path) -> Path:
    """DNABERT-2's checkpoint under a config that names plain BERT (no auto_map): what transformers' fallback to
    the `model_type` class loads when a family's auto_map lacks the task class."""
    import shutil

    folder = tmp_path / "dnabert2-as-bert"
    shutil.copytree(minis / "dnabert2", folder)
    config = json.loads((folder / "config.json").read_text())
    config.pop("auto_map")
    config["model_type"] = "bert"
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_a_silently_different_architecture_is_refused(zoo_hub: dict[str, str], minis: Path, tmp_path: Path) -> None:
    folder = _claims_plain_bert(minis, tmp_path)
    common = ["--model", str(folder), "--suite", "rgb", "--tasks", "SSP_Archive2", "--epochs", "1"]
    codes, stderr = gfm_runs(zoo_hub, [[*common, "--output-dir", str(tmp_path / "refused")],
                                       [*common, "--output-dir", str(tmp_path / "forced"),
                                        "--allow-unloaded-weights"]])
    assert codes[0] == 2, stderr[-3000:]
    error = next(line for line in stderr.splitlines() if line.startswith("gfmbench: error"))
    assert "BertForTokenClassification does not hold the checkpoint's weights" in error
    assert "of 32 checkpoint tensors were left unused" in error and "Wqkv" in error
    assert "randomly initialised" in error and "--allow-unloaded-weights" in error
    assert not list((tmp_path / "refused").rglob("result.json"))  # nothing scored
    # told to go on: it runs, and the unit and the card say what was overridden
    assert codes[1] == 0, stderr[-3000:]
    unit = units(tmp_path / "forced")[("SSP_Archive2", "finetune")]
    assert unit["loading"]["allowed_unloaded"] and unit["loading"]["checkpoint_unused"]
    card = next((tmp_path / "forced").rglob("cards/README.md")).read_text()
    assert "weights check was overridden" in card
