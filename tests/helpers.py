"""What many test modules share: where the repository and the real samples are, writing JSON Lines, running
code in a fresh interpreter, and a stand-in for huggingface_hub's HfApi."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import MagicMock

REPO = Path(__file__).resolve().parent.parent
SAMPLES = Path(os.environ.get("GFMBENCH_SAMPLES", REPO.parent / "shared" / "samples")).resolve()


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


LOAD_WITH_DATASETS = """
import json, sys, datasets
datasets.disable_progress_bars()
out = {}
for repo, config, revision in json.loads(sys.argv[1]):
    ds = datasets.load_dataset(repo, config, revision=revision)
    out[repo] = {"rows": {k: v.num_rows for k, v in ds.items()}, "features": str(ds["train"].features["label"])}
print(json.dumps(out))
"""


def release_tag(repo: str) -> str:
    """The tag a suite's release gets (`v<version>` of the suite whose dataset repo this is)."""
    from gfmbench.suites import get_suite
    from gfmbench.suites.registry import suite_names

    return next(f"v{s.version}" for s in map(get_suite, suite_names()) if s.dataset_repo == repo)


def load_with_datasets(env: dict[str, str], configs: list[tuple[str, str]], revision: str | None = None
                       ) -> dict[str, dict[str, Any]]:
    """Plain `datasets.load_dataset(repo, config, revision=...)` in a fresh interpreter against the hub at
    HF_ENDPOINT, as a user would: per repo, the split sizes and the label feature. Each repo is read at `revision`,
    by default at its suite's release tag."""
    import json

    entries = [(repo, config, revision or release_tag(repo)) for repo, config in configs]
    proc = subprocess.run([sys.executable, "-c", LOAD_WITH_DATASETS, json.dumps(entries)], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


class FakeHfApi:
    """Records the calls HubBackend makes; stands in for huggingface_hub.HfApi without network."""

    endpoint = "https://hub.example"

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sha = None
        self.tags: dict[str, str] = {}

    def create_repo(self, repo_id: str, **kw: Any) -> None:
        self.calls.append(("create_repo", {"repo_id": repo_id, **kw}))

    def repo_info(self, repo_id: str, **kw: Any) -> SimpleNamespace:
        from huggingface_hub.errors import RepositoryNotFoundError

        if self.sha is None:
            raise RepositoryNotFoundError("not found", response=MagicMock(status_code=404))
        return SimpleNamespace(sha=self.sha)

    def create_commit(self, repo_id: str, **kw: Any) -> SimpleNamespace:
        self.calls.append(("create_commit", {"repo_id": repo_id, **kw}))
        self.sha = f"{len(self.calls):040d}"
        return SimpleNamespace(oid=self.sha)

    def list_repo_refs(self, repo_id: str, **kw: Any) -> SimpleNamespace:
        return SimpleNamespace(tags=[SimpleNamespace(name=n, target_commit=c) for n, c in self.tags.items()])

    def create_tag(self, repo_id: str, tag: str, revision: str, **kw: Any) -> None:
        self.calls.append(("create_tag", {"repo_id": repo_id, "tag": tag, "revision": revision, **kw}))
        self.tags[tag] = revision
