"""Fault injection: a 3-task x 3-seed run on a tiny model is killed with SIGKILL at 20 seeded random moments and
restarted each time. No finished unit is lost or recomputed, no partial file is ever read as a result, and the final
table equals an uninterrupted run's."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gfmbench.hub.publish import LocalGitBackend
from gfmbench.hub.server import local_hub
from tests.upstream_files import synthetic_rgb

pytestmark = pytest.mark.slow
KILLS = 20


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory):
    from gfmbench.harness.tiny import publish_tiny_models
    from gfmbench.loaders.build import build_suite

    tmp = tmp_path_factory.mktemp("faults")
    raw = synthetic_rgb(tmp, random.Random(5))
    backend = LocalGitBackend(tmp / "hub")
    build_suite("rgb", raw_dir=raw, configs=["TE_Rice", "mRNA_degrade", "Region_Rice"], backend=backend,
                verification="no_checks", progress=False)
    publish_tiny_models(backend, ["gfmbench/tiny-random-bert-nt"])
    with local_hub(root=tmp / "hub") as server:
        yield {**server.env(), "GFMBENCH_HOME": str(tmp / "home"), "HF_HOME": str(tmp / "hf")}


def command(out: Path) -> list[str]:
    return [sys.executable, "-m", "gfmbench", "run", "--model", "gfmbench/tiny-random-bert-nt", "--suite", "rgb",
            "--tasks", "TE_Rice", "mRNA_degrade", "Region_Rice", "--seeds", "0", "1", "2", "--epochs", "1",
            "--batch-size", "8", "--output-dir", str(out), "--no-progress"]


def finished(out: Path) -> dict[Path, int]:
    """Units the harness would reuse, with the mtime of their result (all must be complete and valid)."""
    from gfmbench.harness.results import read_unit

    units = {}
    for path in out.rglob("result.json"):
        assert read_unit(path.parent) is not None, f"{path} is not a complete unit"
        units[path] = path.stat().st_mtime_ns
    return units


def metrics(out: Path) -> dict[tuple[str, int], dict]:
    return {(d["key"]["task"], d["key"]["seed"]): d["metrics"] for d in
            (json.loads(p.read_text()) for p in out.rglob("result.json"))}


def test_twenty_kills_then_the_same_table(hub, tmp_path: Path) -> None:
    start = time.monotonic()
    reference = subprocess.run(command(tmp_path / "reference"), env=hub, capture_output=True, text=True, timeout=900,
                               check=False)
    assert reference.returncode == 0, reference.stderr[-3000:]
    whole_run = time.monotonic() - start
    out = tmp_path / "killed"
    rng = random.Random(2026)
    kills = cycles = mid_work = 0
    # Kill moments are drawn over the first half of an uninterrupted run's duration (the same spread on a
    # fast or a loaded machine); a cycle whose run ended before its kill moment does not count as a kill.
    while kills < KILLS and cycles < 4 * KILLS:
        cycles += 1
        before = finished(out)
        proc = subprocess.Popen(command(out), env=hub, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(rng.uniform(0.5, max(2.0, whole_run / 2)))
        if proc.poll() is None:
            kills += 1
            mid_work += len(before) < 9
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        after = finished(out)  # every unit on disk is complete and valid
        for path, mtime in before.items():
            assert after.get(path) == mtime, f"{path} was lost or recomputed"
    final = subprocess.run(command(out), env=hub, capture_output=True, text=True, timeout=900, check=False)
    assert final.returncode == 0, final.stderr[-3000:]
    assert kills == KILLS, f"only {kills} kills of a running process in {cycles} cycles"
    assert mid_work >= 3, f"only {mid_work} kills while units were still missing"
    assert metrics(out) == metrics(tmp_path / "reference")
    assert len(metrics(out)) == 9
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    print(f"{kills} kills in {cycles} cycles ({mid_work} while units were missing; uninterrupted run "
          f"{whole_run:.0f} s); final table identical to the uninterrupted run")


def test_kills_during_builds_and_publishes_leave_the_old_commit_or_the_new(tmp_path: Path) -> None:
    raw = synthetic_rgb(tmp_path, random.Random(6))
    hub = tmp_path / "hub"
    backend = LocalGitBackend(hub)
    build = [sys.executable, "-m", "gfmbench", "build", "rgb", "--raw-dir", str(raw), "--no-verify", "--force-tag",
             "--configs", "TE_Rice", "mRNA_degrade", "Region_Rice", "--hub-root", str(hub), "--no-progress"]
    env = {**os.environ, "GFMBENCH_HOME": str(tmp_path / "home")}
    assert subprocess.run(build, env=env, capture_output=True, timeout=600, check=False).returncode == 0
    old = backend.head("gfmbench/rgb")
    publish = ("import sys; from pathlib import Path; from huggingface_hub import CommitOperationAdd;"
               "from gfmbench.hub.publish import LocalGitBackend, publish;"
               "ops = [CommitOperationAdd(f'f/{i}.txt', (sys.argv[2] * 2000 + str(i)).encode()) for i in range(400)];"
               "publish(LocalGitBackend(sys.argv[1]), 'gfmbench/rgb', ops, 'many files')")
    rng = random.Random(7)
    seen = {old}
    for round_ in range(10):
        marker = f"<round {round_}>"
        # alternately a build (with one config fewer every other time, so the content changes) and a publish of
        # 400 files, each killed at a random moment
        cmd = [sys.executable, "-c", publish, str(hub), marker] if round_ % 2 else \
            [a for a in build if not (round_ % 4 == 2 and a == "Region_Rice")]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(rng.uniform(0.2, 3.0))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        head = backend.head("gfmbench/rgb")
        fsck = subprocess.run(["git", "-C", str(backend.repo_path("gfmbench/rgb")), "fsck", "--connectivity-only",
                               "--no-dangling"], capture_output=True, text=True, check=False)
        assert fsck.returncode == 0, fsck.stderr  # every commit reachable from a ref is complete
        tree = subprocess.run(["git", "-C", str(backend.repo_path("gfmbench/rgb")), "ls-tree", "-r", "--name-only",
                               head], capture_output=True, text=True, check=True).stdout.split()
        files = [t for t in tree if t.startswith("f/")]
        assert len(files) in (0, 400), f"a half-applied commit: {len(files)} of 400 files"
        if files:  # one publish's content throughout, never a mix of two
            ends = {backend.read_file("gfmbench/rgb", f"f/{i}.txt", revision=head).decode().rstrip("0123456789")[-11:]
                    for i in (0, 399)}
            assert len(ends) == 1, ends
        seen.add(head)
    tag = backend.tag_target("gfmbench/rgb", "v1.0.0")
    assert tag in seen
    print(f"10 kills during builds and publishes: {len(seen) - 1} new commit(s) landed before a kill, none "
          "half-applied")


def test_hub_down_mid_run_is_a_clear_error_and_the_rerun_resumes(tmp_path: Path) -> None:
    from gfmbench.harness.tiny import publish_tiny_models
    from gfmbench.hub.server import LocalHub
    from gfmbench.loaders.build import build_suite

    raw = synthetic_rgb(tmp_path, random.Random(8))
    backend = LocalGitBackend(tmp_path / "hub")
    build_suite("rgb", raw_dir=raw, configs=["TE_Rice", "mRNA_degrade"], backend=backend, verification="no_checks",
                progress=False)
    publish_tiny_models(backend, ["gfmbench/tiny-random-bert-nt"])
    out = tmp_path / "out"
    args = [sys.executable, "-m", "gfmbench", "run", "--model", "gfmbench/tiny-random-bert-nt", "--suite", "rgb",
            "--tasks", "TE_Rice", "mRNA_degrade", "--seeds", "0", "1", "--epochs", "2", "--batch-size", "8",
            "--output-dir", str(out), "--no-progress"]
    home = {"GFMBENCH_HOME": str(tmp_path / "home"), "HF_HOME": str(tmp_path / "hf")}
    hub = LocalHub(root=tmp_path / "hub")
    hub.start()
    try:
        proc = subprocess.Popen(args, env={**hub.env(), **home}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        deadline = time.monotonic() + 300
        while not list(out.rglob("result.json")) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
    finally:
        hub.stop()  # down after the first unit: TE_Rice seed 1 still trains, then mRNA_degrade cannot be fetched
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 2, stderr[-3000:]
    assert any(why in stderr for why in ("did not answer", "cannot be reached", "could not be loaded")), stderr[-2000:]
    assert "Traceback" not in stderr
    kept = finished(out)
    assert len(kept) == 2  # both TE_Rice units finished and are complete
    again = LocalHub(root=tmp_path / "hub")  # back, on another port
    again.start()
    try:
        rerun = subprocess.run(args, env={**again.env(), **home}, capture_output=True, text=True, timeout=600,
                               check=False)
    finally:
        again.stop()
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "2 unit(s) run, 2 reused" in rerun.stdout
    assert all(finished(out)[p] == m for p, m in kept.items())
