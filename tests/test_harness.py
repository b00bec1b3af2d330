"""The harness end to end on the local hub: tiny models fine-tuned on the real SSP_Archive2 data, result units,
cards, pushing, resume after a kill -9, and clear errors for bad models and tasks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from gfmbench.hub.publish import LocalGitBackend
from gfmbench.hub.server import local_hub

pytestmark = pytest.mark.slow

RUN = [sys.executable, "-m", "gfmbench", "run", "--suite", "rgb", "--epochs", "1", "--batch-size", "16",
       "--no-progress"]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, samples: Path):
    from gfmbench.harness.tiny import publish_tiny_models
    from gfmbench.loaders.build import build_suite

    root = tmp_path_factory.mktemp("harness-hub")
    backend = LocalGitBackend(root)
    build_suite("rgb", raw_dir=samples / "RGB", configs=["SSP_Archive2", "mRNA_degrade"], backend=backend,
                progress=False)
    publish_tiny_models(backend)
    home = tmp_path_factory.mktemp("harness-home")
    with local_hub(root=root) as server:
        env = {**server.env(), "GFMBENCH_HOME": str(home), "HF_HOME": str(home / "hf")}
        yield server, backend, env


def gfm_run(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RUN, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


def results(folder: Path) -> dict[tuple[str, int], dict]:
    out = {}
    for path in folder.rglob("result.json"):
        data = json.loads(path.read_text())
        out[(data["key"]["task"], data["key"]["seed"])] = data
    return out


FAKE_TOKEN = "hf_gfmbenchFakeTokenThatMustNeverLeak0123"


@pytest.fixture(scope="module")
def demo_run(hub, tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, backend, env = hub
    out = tmp_path_factory.mktemp("demo-results")
    proc = gfm_run({**env, "HF_TOKEN": FAKE_TOKEN}, "--model", "gfmbench/tiny-random-bert-nt", "--tasks",
                   "SSP_Archive2", "--seeds", "0", "1", "--output-dir", str(out), "--push-to", "gfmbench/results")
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "2 unit(s) run, 0 reused" in proc.stdout
    assert "SSP_Archive2" in proc.stdout and "±" in proc.stdout
    # the token reaches no log, result, card or pushed file
    assert FAKE_TOKEN not in proc.stdout + proc.stderr
    for path in out.rglob("*"):
        assert not path.is_file() or FAKE_TOKEN.encode() not in path.read_bytes(), path
    for repo, kind in (("gfmbench/results", "dataset"), ("gfmbench/tiny-random-bert-nt", "model")):
        for name in backend.list_files(repo, kind):
            assert FAKE_TOKEN.encode() not in (backend.read_file(repo, name, kind) or b""), name
    return out


def test_units_cards_and_push(hub, demo_run: Path) -> None:
    from huggingface_hub import parse_eval_result_entries

    from gfmbench.harness.results import UnitResult

    _, backend, _ = hub
    units = results(demo_run)
    assert set(units) == {("SSP_Archive2", 0), ("SSP_Archive2", 1)}
    for data in units.values():
        result = UnitResult.model_validate(data)  # the versioned schema
        assert result.key.model_sha and result.key.dataset_revision == backend.tag_target("gfmbench/rgb", "v1.0.0")
        assert result.cost.n_parameters > 0 and result.cost.wall_time_s > 0
        assert result.environment["torch"] and result.hyperparameters["epochs"] == 1
        assert "hf_" not in json.dumps(data)  # no token anywhere
    cards = next(demo_run.rglob("cards"))
    entries = parse_eval_result_entries(yaml.safe_load((cards / ".eval_results" / "rgb.yaml").read_text()))
    assert [(e.dataset_id, e.task_id) for e in entries] == [("gfmbench/rgb", "SSP_Archive2")]
    mean = sum(u["metrics"]["test"]["f1_macro"] for u in units.values()) / 2
    assert entries[0].value == pytest.approx(mean, abs=1e-6)
    assert "model-index" in (cards / "README.md").read_text()
    files = backend.list_files("gfmbench/results")
    assert "aggregated/results.parquet" in files
    assert sum(f.endswith("result.json") for f in files) == 2 and sum(f.endswith(".parquet") for f in files) == 3
    pushed = backend.read_file("gfmbench/tiny-random-bert-nt", ".eval_results/rgb.yaml", repo_type="model")
    (entry,) = parse_eval_result_entries(yaml.safe_load(pushed))
    assert entry.task_id == "SSP_Archive2" and entry.source_name == "gfmbench"
    assert entry.source_url.endswith("/datasets/gfmbench/results")
    assert "configs:" in (backend.read_file("gfmbench/results", "README.md") or b"").decode()
    from tests.helpers import run_python

    loaded = run_python("import json\nfrom datasets import load_dataset\n"
                        "rows = load_dataset('gfmbench/results', split='train')\n"
                        "from huggingface_hub import HfApi\n"
                        "sha = HfApi().model_info('gfmbench/tiny-random-bert-nt').sha\n"  # no revision, as on the Hub
                        "print(json.dumps([len(rows), sorted(set(rows['seed'])), rows[0]['model_content'], sha]))",
                        hub[2])
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    count, seeds, content, sha = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert sha == backend.head("gfmbench/tiny-random-bert-nt", "model")
    assert count > 0 and seeds == [0, 1] and content == units[("SSP_Archive2", 0)]["key"]["model_content"]


def test_card_scores_match_a_recomputation_from_saved_predictions(demo_run: Path) -> None:
    import pyarrow.parquet as pq

    from gfmbench.metrics.functional import f1
    from gfmbench.metrics.structure import structure_scores

    for path in demo_run.rglob("result.json"):
        data = json.loads(path.read_text())
        rows = pq.read_table(path.parent / "predictions.parquet").to_pylist()
        assert len(rows) == 82  # the real SSP_Archive2 test split
        refs = [[-100 if r < 0 else r for r in row["reference"]] for row in rows]
        assert f1(refs, [row["prediction"] for row in rows]) == pytest.approx(data["metrics"]["test"]["f1_macro"])
        predicted = ["".join("().".__getitem__(p) for p in row["prediction"]) for row in rows]
        bp = structure_scores([row["structure"] for row in rows], predicted)["bp_f1"]
        assert bp == pytest.approx(data["metrics"]["test"]["bp_f1"])


def test_rerun_reuses_units_and_recomputes_a_corrupt_one(hub, demo_run: Path) -> None:
    _, _, env = hub
    before = results(demo_run)
    args = ["--model", "gfmbench/tiny-random-bert-nt", "--tasks", "RNA-SSP-Archive2", "--seeds", "0", "1",
            "--output-dir", str(demo_run)]
    again = gfm_run(env, *args)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "0 unit(s) run, 2 reused" in again.stdout
    victim = next(demo_run.rglob("finetune-*-seed1/result.json"))
    victim.write_text(victim.read_text()[:100])  # a half-written file, as a crash without atomic writes would leave
    third = gfm_run(env, *args)
    assert "1 unit(s) run, 1 reused" in third.stdout, third.stderr[-3000:]
    after = results(demo_run)
    assert after[("SSP_Archive2", 1)]["metrics"] == before[("SSP_Archive2", 1)]["metrics"]  # deterministic


def test_other_settings_compute_new_units_and_cards_cover_every_seed_on_disk(hub, tmp_path: Path) -> None:
    from huggingface_hub import parse_eval_result_entries

    _, _, env = hub
    out = tmp_path / "store"
    base = ["--model", "gfmbench/tiny-random-bert-nt", "--tasks", "SSP_Archive2", "--output-dir", str(out)]
    for seed in ("0", "1"):  # two commands, one seed each
        proc = gfm_run(env, *base, "--seeds", seed)
        assert proc.returncode == 0 and "1 unit(s) run, 0 reused" in proc.stdout, proc.stderr[-3000:]
        for noise in ("{'loss'", "it/s]", "Writing model shards", "Loading weights"):  # --no-progress is quiet
            assert noise not in proc.stdout + proc.stderr, noise
    assert "cards:" in proc.stdout and "seeds 0, 1" in proc.stdout
    cards = next(out.rglob("cards"))
    (summary,) = [r for r in json.loads((cards / "summary-rgb.json").read_text()) if r["split"] == "test"]
    values = [summary["per_seed"][s] for s in ("0", "1")]
    mean = sum(values) / 2
    assert summary["seeds"] == 2 and summary["f1_macro"][0] == pytest.approx(mean)
    low, high = summary["ci95"]
    assert low <= mean <= high and summary["ci_method"].startswith("t over 2 seeds")
    (entry,) = parse_eval_result_entries(yaml.safe_load((cards / ".eval_results" / "rgb.yaml").read_text()))
    assert entry.value == pytest.approx(mean, abs=1e-6) and entry.source_name == "gfmbench" and entry.source_url
    assert entry.notes.startswith("metric: f1_macro") and "mean of 2 seeds" in entry.notes
    card = (cards / "README.md").read_text()
    assert "mean of 2 seeds" in card and "- gfmbench/rgb" in card and "base_model: gfmbench/tiny-random-bert-nt" in card
    assert "- type: bp_f1" in card and "std:" in card  # every metric, with its std

    changed = gfm_run(env, *base, "--seeds", "0", "--learning-rate", "0.01")
    assert changed.returncode == 0, changed.stderr[-3000:]
    assert "1 unit(s) run, 0 reused" in changed.stdout  # not the 10x smaller learning rate's score
    assert "a unit with other settings exists" in changed.stderr and "learning_rate 2e-05 → 0.01" in changed.stderr
    units = [json.loads(p.read_text()) for p in out.rglob("result.json")]
    assert sorted((u["key"]["seed"], u["recipe"]["learning_rate"]) for u in units) == [(0, 2e-05), (0, 0.01),
                                                                                      (1, 2e-05)]
    assert len({u["key"]["recipe_id"] for u in units}) == 2  # the old units are kept beside the new one
    again = gfm_run(env, *base, "--seeds", "0", "1")
    assert "0 unit(s) run, 2 reused" in again.stdout, again.stderr[-3000:]  # the first recipe is still reusable


def test_quiet_prints_only_the_results(hub, demo_run: Path) -> None:
    _, _, env = hub
    proc = gfm_run(env, "--model", "gfmbench/tiny-random-bert-nt", "--tasks", "SSP_Archive2", "--seeds", "0", "1",
                   "--output-dir", str(demo_run), "--quiet")
    assert proc.returncode == 0 and "0 unit(s) run, 2 reused" in proc.stdout
    assert proc.stderr.strip() == "" and "it/s" not in proc.stdout, proc.stderr[-2000:]


def test_ctrl_c_says_what_was_kept_and_how_to_resume(hub, tmp_path: Path) -> None:
    _, _, env = hub
    # A terminal's foreground job starts with SIGINT at its default; a background job of a non-interactive shell
    # (`bash -c '... &'`, how CI is often launched) starts with it ignored, and Python keeps an inherited SIG_IGN (the
    # nohup convention), so the child would never see the Ctrl-C. A Python-level handler is reset to the default on
    # exec, an ignored signal is not: install one for the duration of the spawn.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen([*RUN, "--model", "gfmbench/tiny-random-bert-nt", "--tasks", "SSP_Archive2",
                                 "--epochs", "50", "--output-dir", str(tmp_path)], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    time.sleep(8)  # loading or training by now
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted" in err and "run the same command again to resume" in err and "Traceback" not in err


def test_kill_9_mid_run_then_rerun_finishes_identically(hub, demo_run: Path, tmp_path: Path) -> None:
    _, _, env = hub
    out = tmp_path / "killed"
    args = [*RUN, "--model", "gfmbench/tiny-random-bert-nt", "--tasks", "SSP_Archive2", "--seeds", "0", "1",
            "--output-dir", str(out)]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 300
    while not list(out.rglob("result.json")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = list(out.rglob("result.json"))
    assert len(finished) == 1, "expected to kill the run after its first unit"
    first_mtime = finished[0].stat().st_mtime_ns
    rerun = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "1 unit(s) run, 1 reused" in rerun.stdout
    assert finished[0].stat().st_mtime_ns == first_mtime  # the finished unit was not recomputed
    resumed, reference = results(out), results(demo_run)
    assert {k: v["metrics"] for k, v in resumed.items()} == {k: v["metrics"] for k, v in reference.items()}
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("model", ["gfmbench/tiny-random-bert-kmer3", "gfmbench/tiny-random-bert-kmer3-overlap",
                                   "gfmbench/tiny-random-bert-bpe", "gfmbench/tiny-random-gpt2-nt"])
def test_other_tokenizers_and_a_causal_model(hub, model: str, tmp_path: Path) -> None:
    _, _, env = hub
    proc = gfm_run(env, "--model", model, "--tasks", "SSP_Archive2", "--output-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    (data,) = results(tmp_path).values()
    assert data["metrics"]["test"]["truncated_positions"] == 0
    assert 0 <= data["metrics"]["test"]["f1_macro"] <= 1
    if "overlap" in model:
        assert data["input_format"].startswith("overlapping 3-mers")


@pytest.mark.parametrize(("args", "message"), [
    (["--model", "gfmbench/no-such-model", "--tasks", "SSP_Archive2"], "not found on the hub"),
    (["--model", "gfmbench/tiny-random-bert-nt@v9.9.9", "--tasks", "SSP_Archive2"], "has no revision 'v9.9.9'"),
    (["--model", "gfmbench/tiny-random-bert-nt", "--tasks", "RNA-mRNA"], "no train split"),
    (["--model", "gfmbench/tiny-random-bert-nt", "--tasks", "SSP_Archiv2"], "did you mean 'SSP_Archive2'"),
])
def test_bad_runs_fail_with_a_clear_message(hub, args: list[str], message: str, tmp_path: Path) -> None:
    _, _, env = hub
    proc = gfm_run(env, *args, "--output-dir", str(tmp_path))
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_an_architecture_without_a_token_head_gets_the_hidden_state_head(hub, tmp_path: Path) -> None:
    from gfmbench.harness.tiny import save_tiny_opt

    _, _, env = hub
    folder = save_tiny_opt(tmp_path / "opt")
    proc = gfm_run(env, "--model", str(folder), "--tasks", "SSP_Archive2", "--output-dir", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    (data,) = results(tmp_path / "o").values()
    assert data["head"].startswith("OPTModel + linear head over each token")
    assert data["key"]["model_id"] == str(folder)


def test_a_model_transformers_cannot_load_is_a_clear_error(hub, tmp_path: Path) -> None:
    from gfmbench.harness.tiny import save_tiny_model

    _, _, env = hub
    folder = save_tiny_model(tmp_path / "alien", "bert", "char")
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "no-such-architecture"
    (folder / "config.json").write_text(json.dumps(config))
    proc = gfm_run(env, "--model", str(folder), "--tasks", "SSP_Archive2", "--output-dir", str(tmp_path / "o"))
    assert proc.returncode == 2 and "cannot serve" in proc.stderr, proc.stderr[-2000:]
    assert "no-such-architecture" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_remote_code_needs_the_flag(hub, tmp_path: Path) -> None:
    from gfmbench.harness.tiny import save_tiny_model

    _, _, env = hub
    folder = save_tiny_model(tmp_path / "remote", "bert", "char")
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoModel": "modeling_evil.EvilModel"}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "modeling_evil.py").write_text("raise SystemExit('remote code ran')\n")
    proc = gfm_run(env, "--model", str(folder), "--tasks", "SSP_Archive2", "--output-dir", str(tmp_path / "o"))
    assert proc.returncode == 2 and "--trust-remote-code" in proc.stderr
    assert "remote code ran" not in proc.stderr + proc.stdout


@pytest.mark.parametrize("mode", ["truncate", "window"])
def test_long_sequences_truncate_or_window(hub, mode: str, tmp_path: Path) -> None:
    _, _, env = hub
    proc = gfm_run(env, "--model", "gfmbench/tiny-random-bert-nt", "--tasks", "SSP_Archive2", "--max-length", "100",
                   "--long-sequences", mode, "--output-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    (data,) = results(tmp_path).values()
    cut = data["metrics"]["test"]["truncated_positions"]
    assert (cut > 0) if mode == "truncate" else (cut == 0)
    assert data["truncation"].startswith("truncate" if mode == "truncate" else "half-overlapping windows")
