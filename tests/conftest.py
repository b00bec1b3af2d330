from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = Path(os.environ.get("GFMBENCH_SAMPLES", REPO.parent / "shared" / "samples")).resolve()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's caches, and none reaches for the network."""
    home = tmp_path_factory.mktemp("gfmbench-home")
    monkeypatch.setenv("GFMBENCH_HOME", str(home))
    monkeypatch.delenv("GFMBENCH_RAW_DIR", raising=False)
    monkeypatch.delenv("GFMBENCH_HUB_ROOT", raising=False)
    monkeypatch.setenv("HF_HOME", str(home / "hf"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")


@pytest.fixture(scope="session")
def samples() -> Path:
    if not (SAMPLES / "RGB").is_dir():
        pytest.fail(f"real upstream samples not found at {SAMPLES} (expected ../shared/samples beside the repo)")
    return SAMPLES


def write_jsonl(path: Path, records: list[Any]) -> Path:
    """Write records as JSON Lines; a str record is written as that raw line (to plant malformed lines)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_python(code: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter (HF libraries read HF_ENDPOINT at import time)."""
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


@pytest.fixture(scope="session")
def rgb_hub(tmp_path_factory: pytest.TempPathFactory, samples: Path) -> Path:
    """A local hub root holding gfmbench/rgb built once from the real upstream files."""
    from gfmbench.hub.publish import LocalGitBackend
    from gfmbench.loaders.build import build_suite

    root = tmp_path_factory.mktemp("rgb-hub")
    build_suite("rgb", raw_dir=samples / "RGB", backend=LocalGitBackend(root), progress=False)
    return root
