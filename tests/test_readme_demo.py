"""README command (1), the demo, run as a new user would; and the README's two commands kept true."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO

pytestmark = pytest.mark.slow


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    block = re.search(r"## Set up \(two commands\).*?```bash\n(.*?)```", text, re.S)
    assert block, "README lacks its set-up block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_has_exactly_the_two_commands_ci_runs() -> None:
    assert readme_commands() == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    assert "bash scripts/test.sh" in (REPO / ".ci" / "run").read_text()


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    from huggingface_hub import parse_eval_result_entries

    from gfmbench.hub.publish import LocalGitBackend

    env = {**os.environ, "GFMBENCH_HOME": str(tmp_path / "home"), "HF_HOME": str(tmp_path / "hf"),
           "GFMBENCH_VENV": sys.prefix}
    env.pop("GFMBENCH_HUB_ROOT", None)
    proc = subprocess.run(["bash", "scripts/demo.sh"], cwd=REPO, env=env, capture_output=True, text=True, timeout=1200,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    out = proc.stdout
    assert "SSP_Archive2     608    76          82" in out  # the build summary
    assert "num_rows: 608" in out and "num_rows: 82" in out  # loaded back through the local hub
    assert re.search(r"SSP_Archive2\s+2\s+\d\.\d{4} ± \d\.\d{4}", out), out[-2000:]  # the results table
    assert "pushed: gfmbench/results @" in out and "pushed: gfmbench/tiny-random-bert-nt @" in out  # where it went
    results = list((tmp_path / "home" / "results").rglob("result.json"))
    assert len(results) == 2 and {json.loads(p.read_text())["key"]["seed"] for p in results} == {0, 1}
    cards = next((tmp_path / "home" / "results").rglob("cards"))
    entries = parse_eval_result_entries(yaml.safe_load((cards / ".eval_results" / "rgb.yaml").read_text()))
    assert entries[0].task_id == "SSP_Archive2"
    assert "model-index" in (cards / "README.md").read_text()
    hub = LocalGitBackend(tmp_path / "home" / "hub")
    assert hub.head("gfmbench/results") is not None
    assert sum(p.endswith("result.json") for p in hub.list_files("gfmbench/results")) == 2
    assert hub.read_file("gfmbench/tiny-random-bert-nt", ".eval_results/rgb.yaml", repo_type="model")
    # the leaderboard, built from the results repo the demo pushed to (through the local hub server)
    board = subprocess.run([sys.executable, "-m", "gfmbench", "hub", "exec", "--", sys.executable, "-m", "gfmbench",
                            "leaderboard", "build", "--results-repo", "gfmbench/results"], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=300, check=False)
    assert board.returncode == 0, board.stderr[-3000:]
    from gfmbench.leaderboard.table import leaderboard, read_units

    columns, rows = leaderboard(read_units(tmp_path / "home" / "leaderboard" / "leaderboard.parquet"))
    assert columns == ["rgb/SSP_Archive2"] and rows[0]["model"] == "gfmbench/tiny-random-bert-nt"
    assert rows[0]["rgb/SSP_Archive2"][0] == pytest.approx(entries[0].value, abs=1e-6)
    # reported results published into the same repo come back through the server with the run cards, apart
    published = subprocess.run([sys.executable, "-m", "gfmbench", "reported", "publish"], cwd=REPO, env=env,
                               capture_output=True, text=True, timeout=300, check=False)
    assert published.returncode == 0, published.stderr[-3000:]
    board = subprocess.run([sys.executable, "-m", "gfmbench", "hub", "exec", "--", sys.executable, "-m", "gfmbench",
                            "leaderboard", "build", "--results-repo", "gfmbench/results"], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=300, check=False)
    assert board.returncode == 0 and "2 result cards, 135 reported cards read" in board.stdout, board.stderr[-3000:]
    assert len(read_units(tmp_path / "home" / "leaderboard" / "reported.parquet")) == 135
    assert leaderboard(read_units(tmp_path / "home" / "leaderboard" / "leaderboard.parquet"))[1] == rows
    # commands after the demo need no HF_ENDPOINT and no server: the local repos are found where they live
    plain = {k: v for k, v in env.items() if k != "HF_ENDPOINT"}
    again = subprocess.run([sys.executable, "-m", "gfmbench", "run", "--model", "gfmbench/tiny-random-bert-nt",
                            "--suite", "rgb", "--tasks", "SSP_Archive2", "--seeds", "0", "1", "--no-progress"],
                           cwd=REPO, env=plain, capture_output=True, text=True, timeout=600, check=False)
    assert again.returncode == 0 and "0 unit(s) run, 2 reused" in again.stdout, again.stderr[-3000:]
    rebuilt = subprocess.run([sys.executable, "-m", "gfmbench", "leaderboard", "build", "--results-repo",
                              "gfmbench/results"], cwd=REPO, env=plain, capture_output=True, text=True, timeout=300,
                             check=False)
    assert rebuilt.returncode == 0 and "leaderboard tables:" in rebuilt.stdout, rebuilt.stderr[-3000:]
    # the README's Python snippet, as it says to run it, prints its table from the reused units
    snippet = re.search(r"```python\n(# bench\.py.*?)```", (REPO / "README.md").read_text(), re.S)
    assert snippet, "README lacks the bench.py snippet"
    script = tmp_path / "bench.py"
    script.write_text(snippet.group(1))
    # plain python, no endpoint: the run goes where the suite is
    printed = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=plain, capture_output=True,
                             text=True, timeout=600, check=False)
    assert printed.returncode == 0, printed.stderr[-3000:]
    table = r"SSP_Archive2 f1_macro \(0\.\d+, 0\.\d+\) \{'0': .*'1': .*\} \(.*\) t over 2 seeds"
    assert re.search(table, printed.stdout), printed.stdout[-2000:]
