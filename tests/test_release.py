"""`gfmbench release`: several suites built from one raw root (real RGB and GUE files, synthetic NT), verified,
published tagged, read back at their tags, and loadable with plain `datasets.load_dataset` through the local hub;
a suite whose raw data is missing fails alone."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gfmbench.hub.publish import LocalGitBackend
from gfmbench.hub.server import local_hub
from gfmbench.loaders.release import check_release
from gfmbench.suites import get_suite
from tests.helpers import load_with_datasets
from tests.upstream_files import synthetic_nt

pytestmark = pytest.mark.slow



def test_release_builds_verifies_publishes_and_checks_each_suite(samples: Path, tmp_path: Path) -> None:
    root = tmp_path / "raw"
    shutil.copytree(samples / "RGB" / "RNA-SSP-Archive2", root / "RGB" / "RNA-SSP-Archive2")
    shutil.copytree(samples / "GUE" / "mouse" / "3", root / "GUE" / "mouse" / "3")
    synthetic_nt(root, random.Random(0))
    hub = tmp_path / "hub"
    proc = subprocess.run([sys.executable, "-m", "gfmbench", "release", "rgb", "gue", "nt", "pgb", "--raw-root",
                           str(root), "--hub-root", str(hub), "--no-progress"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 1, proc.stderr[-3000:]  # pgb has no raw folder: it fails, the others are released
    table = {line.split()[0]: line.split() for line in proc.stdout.splitlines()[2:6]}
    assert [table[s][-1] for s in ("rgb", "gue", "nt", "pgb")] == ["released", "released", "released", "FAILED"]
    assert table["gue"][2] == "v1.0.0" and table["gue"][6:9] == ["3", "/", "3"]  # the real files, verified
    assert table["rgb"][6:9] == ["3", "/", "3"] and table["nt"][6:9] == ["0", "/", "6"]  # NT: no digests known
    assert "pgb: " in proc.stdout and "PGB" in proc.stdout.split("pgb: ", 1)[1].splitlines()[0]
    assert "nt: raw release: a local copy (--raw-dir)" in proc.stdout
    backend = LocalGitBackend(hub)
    for name in ("rgb", "gue", "nt"):
        manifest, shards = check_release(backend, get_suite(name), "v1.0.0")
        assert shards >= 3 and manifest.verification == "all_checks"
    with local_hub(root=hub) as server:
        loaded = load_with_datasets(server.env(), [("gfmbench/gue", "mouse_tf_3"), ("gfmbench/nt", "splice_sites_all"),
                                                   ("gfmbench/rgb", "SSP_Archive2")])
    rows = {repo: entry["rows"] for repo, entry in loaded.items()}
    assert rows["gfmbench/gue"] == {"train": 1904, "validation": 239, "test": 239}
    assert rows["gfmbench/nt"] == {"train": 36, "validation": 4, "test": 40}
    assert rows["gfmbench/rgb"] == {"train": 608, "validation": 76, "test": 82}


def test_a_damaged_release_is_found_when_read_back(tmp_path: Path) -> None:
    from huggingface_hub import CommitOperationAdd

    from gfmbench.errors import DataFormatError
    from gfmbench.hub.publish import publish
    from gfmbench.loaders.build import build_suite

    backend = LocalGitBackend(tmp_path / "hub")
    build_suite("nt", raw_dir=synthetic_nt(tmp_path, random.Random(1)), backend=backend, verification="no_checks",
                progress=False)
    record = json.loads(backend.read_file("gfmbench/nt", "gfmbench_build.json"))
    record["configs"]["H3K4me3"]["splits"]["test"]["files"].append("data/H3K4me3/test-00001-of-00002.parquet")
    publish(backend, "gfmbench/nt", [CommitOperationAdd("gfmbench_build.json", json.dumps(record).encode())],
            "a record listing a shard the release lacks", tag="v1.0.0", force_tag=True)
    with pytest.raises(DataFormatError, match=r"gfmbench/nt@v1\.0\.0: 1 shard\(s\) .* data/H3K4me3/test-00001"):
        check_release(backend, get_suite("nt"), "v1.0.0")
