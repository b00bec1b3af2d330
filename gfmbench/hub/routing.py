"""Where a command's repos are read from, without ceremony: suites built on this machine from the local hub, the
rest from the Hub (huggingface.co, or `HF_ENDPOINT` when the user sets it).

`GFMBENCH_HUB` chooses:
- `auto` (default): a command whose repos (its suite's dataset, its model, a results repo) include one in the local
  hub folder runs against a local hub server started for the command and stopped after it; a repo of that command
  that is not in the local hub (a published model) is fetched from the Hub (`HUB_ENDPOINT`). A command with no local
  repo talks to the Hub directly. An exported `HF_ENDPOINT` is always obeyed as is.
- `local`: everything from the local hub (an air-gapped machine: a missing repo is "not found on the local hub").
- `hub`: everything from the Hub, never the local hub.

Why a child process: huggingface_hub and datasets read `HF_ENDPOINT` when they are imported, so the command is run
again, once, in a child whose environment points at the server (what `gfmbench hub exec` does by hand). The
local hub's downloads and prepared datasets go to their own caches (`$GFMBENCH_HOME/hub-cache/{hub,datasets}`),
so a local `gfmbench/rgb` never shadows or collides with a Hub repo of the same id in the Hugging Face caches.
"""

from __future__ import annotations

import os
from pathlib import Path

from gfmbench.config import gfmbench_home, hub_root
from gfmbench.errors import GfmbenchError

MODES = ("auto", "local", "hub")
HUB_ENDPOINT = "https://huggingface.co"
ROUTED = "GFMBENCH_HUB_ROUTED"  # set in the child: the command runs against a local hub started for it
REMOTE_CACHE = "GFMBENCH_HUB_REMOTE_CACHE"  # the user's Hugging Face cache, for repos fetched from the Hub


def hub_mode() -> str:
    mode = os.environ.get("GFMBENCH_HUB", "auto").strip().lower() or "auto"
    if mode not in MODES:
        raise GfmbenchError(f"GFMBENCH_HUB={mode!r}: choose one of {', '.join(MODES)}")
    return mode


def is_local(repo_id: str, repo_type: str) -> bool:
    """The repo exists in the local hub folder (`<root>/<type>s/<org>/<name>`)."""
    return (hub_root() / f"{repo_type}s" / repo_id).is_dir()


def needs_local_hub(repos: list[tuple[str, str]]) -> bool:
    """Whether the command should run against a local hub server started for it."""
    if os.environ.get("HF_ENDPOINT") or os.environ.get(ROUTED):
        return False  # the user's endpoint, or we are that command already
    mode = hub_mode()
    if mode == "hub" or not repos:
        return False
    return mode == "local" or any(is_local(repo, kind) for repo, kind in repos)


def local_hub_environment(endpoint_env: dict[str, str]) -> dict[str, str]:
    """The child's environment: the server's HF_ENDPOINT, the local hub's own cache, and the user's cache kept
    for what is fetched from the Hub."""
    from huggingface_hub import constants

    cache = gfmbench_home() / "hub-cache"
    return {**endpoint_env, ROUTED: "1", "HF_HUB_CACHE": str(cache / "hub"),
            "HF_DATASETS_CACHE": str(cache / "datasets"),
            REMOTE_CACHE: os.environ.get("HF_HUB_CACHE") or constants.HF_HUB_CACHE}


def remote_source(repo_id: str, repo_type: str) -> tuple[str, str] | None:
    """(endpoint, cache dir) for a repo this routed command must fetch from the Hub (auto mode, not in the local
    hub); None when it is read from the current endpoint."""
    if not os.environ.get(ROUTED) or hub_mode() != "auto" or is_local(repo_id, repo_type):
        return None
    return HUB_ENDPOINT, os.environ.get(REMOTE_CACHE) or str(Path.home() / ".cache" / "huggingface" / "hub")


def where(repo_id: str, repo_type: str) -> str:
    """Where a repo was looked for, for error messages."""
    if remote_source(repo_id, repo_type) is not None:
        return HUB_ENDPOINT
    if os.environ.get(ROUTED):
        return f"the local hub ({hub_root()})"
    return os.environ.get("HF_ENDPOINT") or HUB_ENDPOINT
