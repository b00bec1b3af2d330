from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import SAMPLES
from tests.upstream_files import synthetic_gb


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


@pytest.fixture(scope="session")
def rgb_hub(tmp_path_factory: pytest.TempPathFactory, samples: Path) -> Path:
    """A local hub root holding gfmbench/rgb built once from the real upstream files."""
    from gfmbench.hub.publish import LocalGitBackend
    from gfmbench.loaders.build import build_suite

    root = tmp_path_factory.mktemp("rgb-hub")
    build_suite("rgb", raw_dir=samples / "RGB", backend=LocalGitBackend(root), progress=False)
    return root


@pytest.fixture
def synthetic_gb_raw(samples: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Genomic Benchmarks interval files on a synthetic reference (see `upstream_files.synthetic_gb`)."""
    return synthetic_gb(samples, tmp_path)
