"""Concurrent publishers: 8 processes push result cards to one results repo of the local hub at the same moment;
the commit's parent check refuses the losers, which read again and retry, so all 8 land and the aggregated table
covers all 8 (nothing overwritten)."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PUSHER = r"""
import logging, sys, time
logging.basicConfig(level=logging.INFO)
from pathlib import Path
from gfmbench.harness.cards import push_results
from gfmbench.harness.models import ResolvedModel
from gfmbench.harness.results import write_unit
from gfmbench.harness.run import RunReport, UnitOutcome
from gfmbench.hub.publish import LocalGitBackend
from gfmbench.leaderboard.fixtures import make_card
from gfmbench.suites.registry import get_suite

index, out, hub, start = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], float(sys.argv[4])
card = make_card(f"gfmbench/model-{index}", "rgb", "SSP_Archive2", 0, 0.5 + index / 100)
folder = card.key.folder(out)
write_unit(folder, card, [{"id": "x", "prediction": 0}])
local_model = out / "model"  # a local folder: no model repo to update, only the shared results repo
local_model.mkdir(exist_ok=True)
model = ResolvedModel(model_id=str(local_model), revision=None, sha="0" * 40, path=local_model, content_id="0" * 64)
report = RunReport(model=model, suite=get_suite("rgb"), units=[UnitOutcome(folder, card, reused=False)],
                   output_dir=out)
while time.time() < start:  # all eight start together
    time.sleep(0.001)
print(push_results(report, "gfmbench/results", LocalGitBackend(hub))["gfmbench/results"])
"""


def test_eight_concurrent_publishers_all_land(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from gfmbench.hub.publish import LocalGitBackend

    hub = tmp_path / "hub"
    backend = LocalGitBackend(hub)
    backend.create_repo("gfmbench/results", "dataset")
    start = time.time() + 4.0
    procs = [subprocess.Popen([sys.executable, "-c", PUSHER, str(i), str(tmp_path / f"out{i}"), str(hub), str(start)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(8)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err[-3000:]
    retries = sum(err.count("moved while publishing; retrying") for _, err in outputs)
    assert retries >= 1  # the race happened: at least one publisher lost a round and retried
    print(f"8 publishers, {retries} retries")
    commits = {out.strip() for out, _ in outputs}
    assert len(commits) == 8  # eight distinct commits, one per publisher
    files = backend.list_files("gfmbench/results")
    results = [f for f in files if f.endswith("/result.json")]
    assert len(results) == 8 and {f.split("@")[0] for f in results} == {f"gfmbench__model-{i}" for i in range(8)}
    table = pq.read_table(io.BytesIO(backend.read_file("gfmbench/results", "aggregated/results.parquet")))
    rows = table.to_pylist()  # the long table: one row per (unit, split, metric)
    tested = sorted(r["model_id"] for r in rows if r["split"] == "test")
    assert tested == sorted(f"gfmbench/model-{i}" for i in range(8))
    log = subprocess.run(["git", "-C", str(backend.repo_path("gfmbench/results")), "rev-list", "--count", "main"],
                         capture_output=True, text=True, check=True)
    assert int(log.stdout) == 8  # a linear history: every commit on top of the previous one
