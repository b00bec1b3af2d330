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
again, once, in a child whose environment points at the server (what `gfmbench hub exec` does by hand): the CLI
re-runs its own command line (`run_against_local_hub`), the Python API calls its function in a child
(`call_against_local_hub`). The local hub's downloads and prepared datasets go to their own caches
(`$GFMBENCH_HOME/hub-cache/{hub,datasets}`), so a local `gfmbench/rgb` never shadows or collides with a Hub repo
of the same id in the Hugging Face caches.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from gfmbench.config import gfmbench_home, hub_root
from gfmbench.errors import GfmbenchError

MODES = ("auto", "local", "hub")
HUB_ENDPOINT = "https://huggingface.co"
ROUTED = "GFMBENCH_HUB_ROUTED"  # set in the child: the command runs against a local hub started for it
REMOTE_CACHE = "GFMBENCH_HUB_REMOTE_CACHE"  # the user's Hugging Face cache, for repos fetched from the Hub

Repo = tuple[str, str]  # (repo id, "dataset" | "model")
T = TypeVar("T")
log = logging.getLogger(__name__)


def hub_mode() -> str:
    mode = os.environ.get("GFMBENCH_HUB", "auto").strip().lower() or "auto"
    if mode not in MODES:
        raise GfmbenchError(f"GFMBENCH_HUB={mode!r}: choose one of {', '.join(MODES)}")
    return mode


def is_local(repo_id: str, repo_type: str) -> bool:
    """The repo exists in the local hub folder (`<root>/<type>s/<org>/<name>`)."""
    return (hub_root() / f"{repo_type}s" / repo_id).is_dir()


def needs_local_hub(repos: list[Repo]) -> bool:
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


def unreachable(endpoint: str | None = None, timeout: float = 3.0) -> str | None:
    """Why the endpoint (default: huggingface_hub's) cannot be reached right now — its host does not resolve or
    refuses a connection — or None. One look before a download: offline, a fetch then reads the cache at once
    (`local_files_only`) instead of spending half a minute on retries meant for a flaky network, and the error can
    name the endpoint once and say what to do."""
    import socket
    from urllib.parse import urlsplit

    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return "HF_HUB_OFFLINE is set"
    url = urlsplit(endpoint or constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname or "", port), timeout=timeout).close()
    except socket.gaierror:
        return f"{url.hostname} does not resolve (no network?)"
    except OSError as exc:
        return f"{url.hostname}:{port} does not answer ({exc.strerror or type(exc).__name__})"
    return None


def where(repo_id: str, repo_type: str) -> str:
    """Where a repo was looked for, for error messages."""
    if remote_source(repo_id, repo_type) is not None:
        return HUB_ENDPOINT
    if os.environ.get(ROUTED):
        return f"the local hub ({hub_root()})"
    return os.environ.get("HF_ENDPOINT") or HUB_ENDPOINT


def repos_of(suites: Iterable[str] = (), models: Iterable[str] = ()) -> list[Repo]:
    """The hub repos of suites (their dataset repos) and model specs (registry name, `ORG/NAME[@REV]`; a local
    folder reads none)."""
    from gfmbench.harness.models import keyed_model_id
    from gfmbench.suites.registry import get_suite

    names = [keyed_model_id(spec) for spec in models]
    return [*((get_suite(name).dataset_repo, "dataset") for name in suites),
            *((name, "model") for name in names if not Path(name).expanduser().exists())]


def run_against_local_hub(command: list[str], root: str | Path | None = None, port: int | None = None,
                          announce: Callable[[Any], None] | None = None) -> int:
    """Run `command` in a child pointed at a local hub server started for it (the local hub's own caches), then
    stop the server; the child's exit status. Ctrl-C reaches the child too, which says what was kept; SIGTERM
    stops the child and the server."""
    from gfmbench.hub.server import local_hub, stop_on_sigterm

    with stop_on_sigterm() as guard, local_hub(root=root, port=port) as hub:
        log.info("reading local repos through a local hub at %s", hub.endpoint)
        if announce is not None:
            announce(hub)
        process = None
        try:
            with guard.deferred():
                process = subprocess.Popen(command, env=local_hub_environment(hub.env()))
            return process.wait()
        except KeyboardInterrupt:
            return process.wait() if process is not None else 130
        finally:
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()


def call_against_local_hub(func: Callable[..., T], *args: Any) -> T:
    """`func(*args)` run in a child process against a local hub started for it (the Python API's counterpart of
    the CLI's re-run): arguments, result and exception travel pickled through files, so `func` must be a
    module-level function and its arguments and result picklable. A child's exception is raised here, its
    traceback added as a note."""
    with tempfile.TemporaryDirectory(prefix="gfmbench-call-") as tmp:
        call, answer = Path(tmp) / "call.pkl", Path(tmp) / "answer.pkl"
        call.write_bytes(pickle.dumps((func, args)))
        status = run_against_local_hub([sys.executable, "-m", "gfmbench.hub.routed_call", str(call), str(answer)])
        if not answer.exists():
            if status in (130, -2):
                raise KeyboardInterrupt
            raise GfmbenchError(f"{func.__module__}.{func.__qualname__} stopped without a result (exit status "
                                f"{status}) in its child process against the local hub")
        ok, value = pickle.loads(answer.read_bytes())
    if ok:
        return value
    raise value
