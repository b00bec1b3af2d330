"""Serve a directory of git repos as a Hugging Face Hub with `olah`, so Hub ids, revisions, `load_dataset` and
`snapshot_download` work unchanged on a machine without internet.

olah reads repos from `mirrors-path` laid out as `<root>/datasets/<org>/<name>` and `<root>/models/<org>/<name>`
(bare or not); in offline mode it never contacts huggingface.co. We run it as a child process so that the caller
(tests, the CLI, the demo) controls its lifetime.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from gfmbench.atomic import atomic_write
from gfmbench.config import hub_root
from gfmbench.errors import HubError

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """A port that is free right now (the OS picks it); the caller retries if it is taken in between."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _olah_config(root: Path, host: str, port: int, state: Path) -> str:
    # metadata-cache-ttl = 0: a freshly published commit must be visible at once.
    return (
        "[basic]\n"
        f'host = "{host}"\n'
        f"port = {port}\n"
        f'repos-path = "{state / "cache"}"\n'
        f'mirrors-path = ["{root}"]\n'
        "metadata-cache-ttl = 0\n"
        "[accessibility]\n"
        "offline = true\n"
    )


def check_port_free(host: str, port: int) -> None:
    """A one-line error naming the cause when a requested port is taken, before anything is announced or started
    (olah would fail later with the reason buried in its log)."""
    import errno

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            reason = "address already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
            raise HubError(f"cannot serve the local hub on {host}:{port}: {reason} (pick another --port, or leave "
                           "it out for a free one)") from None


class LocalHub:
    """A running (or not yet started) local hub server.

    >>> with LocalHub(root="/tmp/hub").running() as hub:   # doctest: +SKIP
    ...     print(hub.endpoint)                              # export as HF_ENDPOINT
    """

    def __init__(self, root: str | Path | None = None, host: str = LOOPBACK, port: int | None = None) -> None:
        self.root = Path(root).expanduser().resolve() if root is not None else hub_root().resolve()
        self.host = host
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None
        self._state: tempfile.TemporaryDirectory[str] | None = None

    @property
    def endpoint(self) -> str:
        if self.port is None:
            raise HubError("the local hub has not been started")
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment for a child process that should talk to this hub instead of huggingface.co (reads through
        HF_ENDPOINT, publishes into the same folder through GFMBENCH_HUB_ROOT)."""
        return {**os.environ, "HF_ENDPOINT": self.endpoint, "GFMBENCH_HUB_ROOT": str(self.root)}

    def start(self, timeout: float = 60.0) -> str:
        (self.root / "datasets").mkdir(parents=True, exist_ok=True)
        (self.root / "models").mkdir(parents=True, exist_ok=True)
        attempts = 1 if self.port is not None else 3
        if self.port is not None:
            check_port_free(self.host, self.port)
        last_error = ""
        for _ in range(attempts):
            port = self.port if self.port is not None else free_port(self.host)
            self._state = tempfile.TemporaryDirectory(prefix="gfmbench-olah-")
            state = Path(self._state.name)
            config = atomic_write(state / "olah.toml", _olah_config(self.root, self.host, port, state))
            log_file = open(state / "server.log", "wb")
            self._process = subprocess.Popen(
                [sys.executable, "-c", "from gfmbench.hub.olah_app import cli; cli()", "--config", str(config),
                 "--log-path", str(state / "logs")],
                cwd=state,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log_file.close()
            self.port = port
            if self._wait_ready(timeout):
                log.info("local hub serving %s at %s", self.root, self.endpoint)
                return self.endpoint
            last_error = self._tail_log()
            self.stop()
            self.port = None if attempts > 1 else port
        raise HubError(f"the local hub (olah) did not start on {self.host}: {last_error}")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        url = f"http://{self.host}:{self.port}/api/datasets/_gfmbench_probe/_probe/revision/main"
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            try:
                urllib.request.urlopen(url, timeout=2).close()
                return True
            except urllib.error.HTTPError:
                return True  # it answered (404/401 for the probe repo): the server is up
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.2)
        return False

    def _tail_log(self) -> str:
        if self._state is None:
            return ""
        path = Path(self._state.name) / "server.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if self._state is not None:
            self._state.cleanup()
            self._state = None

    @contextlib.contextmanager
    def running(self) -> Iterator[LocalHub]:
        self.start()
        try:
            yield self
        finally:
            self.stop()


class SigtermGuard:
    """While active, SIGTERM raises SystemExit(143) in the main thread, except inside `deferred()` blocks, where it
    is held and raised at the end of the block (so a child process is never started without its handle)."""

    def __init__(self) -> None:
        self.deferring = False
        self.pending: int | None = None

    def handle(self, signum: int, frame: object) -> None:
        if self.deferring:
            self.pending = signum
            return
        raise SystemExit(128 + signum)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False
        if self.pending is not None:
            raise SystemExit(128 + self.pending)


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[SigtermGuard]:
    """SIGTERM (what `kill`, job schedulers and CI runners send) raises SystemExit(143) in the main thread for the
    duration of the block, so `finally` blocks run and the olah child is stopped instead of orphaned. Python's
    default for SIGTERM is to die without running them."""
    import threading

    guard = SigtermGuard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    previous = signal.signal(signal.SIGTERM, guard.handle)
    try:
        yield guard
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def local_hub(root: str | Path | None = None, port: int | None = None) -> Iterator[LocalHub]:
    """Start a local hub on a free loopback port for the duration of the block."""
    with LocalHub(root=root, port=port).running() as hub:
        yield hub


def serve_forever(root: str | Path | None = None, port: int | None = None,
                  announce: Callable[[LocalHub], None] | None = None) -> None:
    """Run the local hub in the foreground until interrupted (the `gfmbench hub serve` command)."""
    with stop_on_sigterm():
        _serve(LocalHub(root=root, port=port), announce)


def _serve(hub: LocalHub, announce: Callable[[LocalHub], None] | None) -> None:
    try:  # Ctrl-C or SIGTERM at any point after this line (even right after the announcement) is a clean stop
        hub.start()
        if announce is not None:
            announce(hub)
        while hub._process is not None and hub._process.poll() is None:
            time.sleep(0.5)
        raise HubError(f"the local hub stopped unexpectedly: {hub._tail_log()}")
    except KeyboardInterrupt:
        pass
    finally:  # a second Ctrl-C or SIGTERM must not interrupt the shutdown
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            hub.stop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
