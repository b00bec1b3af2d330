"""End to end through the local hub server (olah): plain `datasets` / `huggingface_hub` calls with HF_ENDPOINT."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd

from gfmbench.errors import ChecksumError
from gfmbench.hub.publish import LocalGitBackend, publish
from gfmbench.hub.server import LocalHub, local_hub
from gfmbench.loaders.raw import ChecksumManifest, download_release, sha256_file
from gfmbench.suites import get_suite
from tests.helpers import run_python

pytestmark = pytest.mark.slow

LOAD = """
import json, datasets
from huggingface_hub import HfApi, snapshot_download
datasets.disable_progress_bars()
out = {}
ssp = datasets.load_dataset("gfmbench/rgb", "SSP_Archive2")
out["ssp"] = {k: v.num_rows for k, v in ssp.items()}
out["ssp_labels"] = ssp["train"].features["label"].feature.names
pinned = datasets.load_dataset("gfmbench/rgb", "SSP_Archive2", revision="v1.0.0")
out["same_at_tag"] = pinned["test"]["structure"] == ssp["test"]["structure"]
mrna = datasets.load_dataset("gfmbench/rgb", "mRNA_degrade", revision="v1.0.0")
out["mrna"] = {k: v.num_rows for k, v in mrna.items()}
row = mrna["test"][0]
out["mrna_targets"] = [len(row[t]) == len(row["sequence"]) for t in ("reactivity", "deg_Mg_pH10", "deg_Mg_50C")]
out["configs"] = datasets.get_dataset_config_names("gfmbench/rgb")
path = snapshot_download("gfmbench/rgb", repo_type="dataset", revision="v1.0.0")
out["snapshot_has_eval_yaml"] = (__import__("pathlib").Path(path) / "eval.yaml").exists()
out["tag_sha"] = HfApi().dataset_info("gfmbench/rgb", revision="v1.0.0").sha
api = HfApi()  # what users and libraries call without a revision, as on the Hub
out["info_main"] = api.dataset_info("gfmbench/rgb").sha
out["files"] = "README.md" in api.list_repo_files("gfmbench/rgb", repo_type="dataset")
out["refs"] = [t.name for t in api.list_repo_refs("gfmbench/rgb", repo_type="dataset").tags]
out["exists"] = [api.repo_exists(repo, repo_type="dataset") for repo in ("gfmbench/rgb", "gfmbench/nope")]
print(json.dumps(out))
"""


def test_load_dataset_through_the_local_hub(rgb_hub: Path) -> None:
    with local_hub(root=rgb_hub) as hub:
        result = run_python(LOAD, hub.env())
        port = hub.port
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["ssp"] == {"train": 608, "validation": 76, "test": 82}
    assert out["ssp_labels"] == ["(", ")", "."]
    assert out["same_at_tag"] is True
    assert out["mrna"] == {"test": 192}
    assert out["mrna_targets"] == [True, True, True]
    assert out["configs"] == ["mRNA_degrade", "SNMD", "SNMR", "SSP_Archive2", "SSP_RNAStralign", "SSP_bpRNA",
                              "TE_Rice"]
    assert out["snapshot_has_eval_yaml"] is True
    assert out["tag_sha"] == LocalGitBackend(rgb_hub).tag_target("gfmbench/rgb", "v1.0.0")
    assert out["info_main"] == LocalGitBackend(rgb_hub).head("gfmbench/rgb")
    assert out["files"] is True and out["refs"] == ["v1.0.0"] and out["exists"] == [True, False]
    with socket.socket() as sock:  # the server is gone once the block ends
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_new_commits_are_visible_at_once(tmp_path: Path) -> None:
    backend = LocalGitBackend(tmp_path)
    publish(backend, "gfmbench/live", [CommitOperationAdd("a.txt", b"one")], "one")
    code = ("from huggingface_hub import hf_hub_download; import sys; "
            "print(open(hf_hub_download('gfmbench/live', 'a.txt', repo_type='dataset', revision=sys.argv[1])).read())")
    with local_hub(root=tmp_path) as hub:
        first = subprocess.run([sys.executable, "-c", code, "main"], env=hub.env(), capture_output=True, text=True,
                               check=False)
        second_commit = publish(backend, "gfmbench/live", [CommitOperationAdd("a.txt", b"two")], "two").commit
        second = subprocess.run([sys.executable, "-c", code, second_commit], env=hub.env(), capture_output=True,
                                text=True, check=False)
    assert first.stdout.strip() == "one", first.stderr[-2000:]
    assert second.stdout.strip() == "two", second.stderr[-2000:]


def test_hub_exec_runs_a_command_with_the_endpoint(tmp_path: Path) -> None:
    code = "import os, sys; print(os.environ['HF_ENDPOINT']); sys.exit(3)"
    out = subprocess.run([sys.executable, "-m", "gfmbench", "hub", "exec", "--root", str(tmp_path), "--",
                          sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 3
    assert out.stdout.strip().startswith("http://127.0.0.1:")


def test_hub_serve_prints_the_endpoint_and_stops(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "gfmbench", "hub", "serve", "--root", str(tmp_path)],
                            stdout=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(2)]
        endpoint = lines[1].strip().removeprefix("export HF_ENDPOINT=")
        assert endpoint.startswith("http://127.0.0.1:")
        host, port = endpoint.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5):
            pass
    finally:
        proc.send_signal(2)  # Ctrl-C
        assert proc.wait(timeout=30) == 0
    with socket.socket() as sock:
        assert sock.connect_ex((host, int(port))) != 0


@pytest.mark.parametrize("command", [["serve"], ["exec", "--", sys.executable, "-c", "import time; time.sleep(60)"]])
def test_sigterm_stops_the_hub_and_its_olah_child(tmp_path: Path, command: list[str]) -> None:
    """`kill` (SIGTERM) of `hub serve` / `hub exec` must stop olah too: Python's default would die at once and
    leave the olah child running."""
    import psutil

    proc = subprocess.Popen([sys.executable, "-m", "gfmbench", "hub", command[0], "--root", str(tmp_path),
                             *command[1:]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stream = proc.stdout if command[0] == "serve" else proc.stderr
        line = ""
        while "HF_ENDPOINT=" not in line:
            line = stream.readline()
            assert line, "the hub did not announce its endpoint"
        host, port = line.strip().split("HF_ENDPOINT=")[1].removeprefix("http://").split(":")
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children, "no olah child found"
        proc.terminate()
        assert proc.wait(timeout=60) == 143
        gone, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, [p.cmdline() for p in alive]
        with socket.socket() as sock:
            assert sock.connect_ex((host, int(port))) != 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        hub = LocalHub(root=tmp_path, port=port)
        with pytest.raises(Exception, match=f"127.0.0.1:{port}: address already in use"):
            hub.start(timeout=15)
        hub.stop()
        proc = subprocess.run([sys.executable, "-m", "gfmbench", "hub", "serve", "--root", str(tmp_path), "--port",
                               str(port)], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "HF_ENDPOINT" not in proc.stdout  # nothing announced before the failure
    assert proc.stderr.strip() == (f"gfmbench: error: cannot serve the local hub on 127.0.0.1:{port}: address "
                                   "already in use (pick another --port, or leave it out for a free one)")


def test_download_route_verifies_and_extracts(samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The download path, against an upstream-layout archive published in the local hub."""
    archive = tmp_path / "RGB.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("train.json", "valid.json", "test.json"):
            zf.write(samples / "RGB" / "RNA-SSP-Archive2" / name, f"RGB/RNA-SSP-Archive2/{name}")
    backend = LocalGitBackend(tmp_path / "hub")
    publish(backend, "upstream/rgb-release", [CommitOperationAdd("benchmarks/RGB.zip", str(archive))], "release")
    rgb = get_suite("rgb")
    mirror = rgb.upstream.sources[0].model_copy(update={"repo": "upstream/rgb-release", "repo_type": "dataset",
                                                        "official": False, "name": "mirror"})
    suite = rgb.model_copy(update={"upstream": rgb.upstream.model_copy(update={"sources": [mirror]})})
    with local_hub(root=tmp_path / "hub") as hub:
        release = download_release(suite, endpoint=hub.endpoint)
        raw = release.path
        assert release.origin.startswith("source `mirror` (not the authors' own): dataset `upstream/rgb-release`")
        assert sorted(p.name for p in (raw / "RNA-SSP-Archive2").iterdir()) == ["test.json", "train.json", "valid.json"]
        assert sha256_file(raw / "RNA-SSP-Archive2" / "test.json") == ChecksumManifest.for_suite(rgb).files[
            "RNA-SSP-Archive2/test.json"]
        # A manifest that knows a different archive digest: the download is refused before extraction.
        monkeypatch.setattr(ChecksumManifest, "for_suite", classmethod(lambda cls, s: cls(archive="0" * 64, files={})))
        with pytest.raises(ChecksumError, match="RGB.zip: checksum mismatch"):
            download_release(suite, endpoint=hub.endpoint)


def test_an_unreachable_hub_is_one_error_at_once_and_a_cached_model_still_loads(tmp_path: Path) -> None:
    """Offline: a fetch reads the cache without retries; what is not cached is one line naming the endpoint and
    what to do (not half a minute of retry warnings and a library exception)."""
    from gfmbench.harness.tiny import publish_tiny_models

    publish_tiny_models(LocalGitBackend(tmp_path / "hub"), ["gfmbench/tiny-random-bert-nt"])
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "GFMBENCH_HOME": str(tmp_path / "home"),
           "GFMBENCH_HUB": "hub"}
    code = "from gfmbench.harness.models import resolve_model; print(resolve_model('gfmbench/tiny-random-bert-nt').sha)"
    with local_hub(root=tmp_path / "hub") as hub:
        endpoint = hub.endpoint
        online = run_python(code, {**env, "HF_ENDPOINT": endpoint})
    assert online.returncode == 0, online.stderr[-2000:]
    down = {**env, "HF_ENDPOINT": endpoint}  # the server is stopped: nothing answers on that port
    cached = run_python(code, down)
    assert cached.returncode == 0 and cached.stdout == online.stdout, cached.stderr[-2000:]
    assert "Retrying" not in cached.stderr
    model = subprocess.run([sys.executable, "-m", "gfmbench", "models", "check", "gfmbench/not-cached"],
                           capture_output=True, text=True, env=down, timeout=120, check=False)
    assert model.returncode == 2 and "Retrying" not in model.stderr, model.stderr[-2000:]
    assert f"cannot be fetched from {endpoint}" in model.stderr and "not in the cache" in model.stderr
    build = subprocess.run([sys.executable, "-m", "gfmbench", "build", "rgb", "--no-progress"],
                           capture_output=True, text=True, env=down, timeout=120, check=False)
    assert build.returncode == 2 and "Retrying" not in build.stderr, build.stderr[-2000:]
    assert f"cannot download suite 'rgb' from {endpoint}/spaces/" in build.stderr and "pass --raw-dir" in build.stderr
    assert len(build.stderr.strip().splitlines()) == 1
