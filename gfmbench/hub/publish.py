"""Publish a folder of files as one commit (and optionally a release tag) to a hub repo.

Two backends behind one API, so the builder and the harness never care where they publish:

* `LocalGitBackend` writes into the local hub's bare git repos with git plumbing. The new tree is assembled in
  a private index and the branch is moved with a compare-and-swap (`git update-ref <new> <old>`), so a killed
  publish leaves the repo at its previous commit and two concurrent publishers cannot overwrite each other.
* `HubBackend` does the same through `huggingface_hub` (`create_repo`, `create_commit` with `parent_commit`,
  `create_tag`) for huggingface.co or any compatible endpoint.

Both take `huggingface_hub.CommitOperationAdd` / `CommitOperationDelete` objects.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from gfmbench.config import hub_root
from gfmbench.errors import ConcurrentUpdateError, HubError

if TYPE_CHECKING:
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    Operation = CommitOperationAdd | CommitOperationDelete

log = logging.getLogger(__name__)

REPO_TYPES = {"dataset": "datasets", "model": "models", "space": "spaces"}
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_repo_id(repo_id: str) -> str:
    """Refuse ids that could escape the hub folder (`..`, absolute paths) or that the Hub would refuse."""
    if not _REPO_ID.match(repo_id) or ".." in repo_id:
        raise HubError(f"invalid repo id {repo_id!r}: expected 'org/name' with letters, digits, '.', '_' or '-'")
    return repo_id


def check_path_in_repo(path: str) -> str:
    parts = Path(path).parts
    if not path or Path(path).is_absolute() or ".." in parts or path.startswith(".git/") or path == ".git":
        raise HubError(f"invalid path in repo {path!r}")
    return path


class PublishBackend(Protocol):
    def create_repo(self, repo_id: str, repo_type: str = "dataset") -> None: ...

    def head(self, repo_id: str, repo_type: str = "dataset", revision: str = "main") -> str | None: ...

    def list_files(self, repo_id: str, repo_type: str = "dataset", revision: str = "main") -> list[str]: ...

    def read_file(self, repo_id: str, path: str, repo_type: str = "dataset",
                  revision: str = "main") -> bytes | None: ...

    def commit(
        self,
        repo_id: str,
        operations: Sequence[Operation],
        message: str,
        repo_type: str = "dataset",
        parent_commit: str | None = None,
    ) -> str: ...

    def tag_target(self, repo_id: str, tag: str, repo_type: str = "dataset") -> str | None: ...

    def create_tag(self, repo_id: str, tag: str, revision: str, repo_type: str = "dataset",
                   force: bool = False) -> None: ...

    def tree_id(self, repo_id: str, revision: str, repo_type: str = "dataset") -> str: ...


def _operation_bytes(op: CommitOperationAdd) -> bytes:
    obj = op.path_or_fileobj
    if isinstance(obj, bytes):
        return obj
    if isinstance(obj, (str, Path)):
        return Path(obj).read_bytes()
    data = obj.read()
    obj.seek(0)
    return data


class LocalGitBackend:
    """Publishes into `<root>/<datasets|models|spaces>/<org>/<name>` bare git repos (the local hub)."""

    AUTHOR = ("gfmbench", "gfmbench@localhost")

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else hub_root()

    def repo_path(self, repo_id: str, repo_type: str = "dataset") -> Path:
        if repo_type not in REPO_TYPES:
            raise HubError(f"unknown repo type {repo_type!r}; expected one of {sorted(REPO_TYPES)}")
        return self.root / REPO_TYPES[repo_type] / check_repo_id(repo_id)

    def _git(self, repo: Path, *args: str, input: bytes | None = None, env: dict[str, str] | None = None,
             check: bool = True) -> subprocess.CompletedProcess[bytes]:
        name, email = self.AUTHOR
        full_env = {
            **os.environ,
            "GIT_DIR": str(repo),
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            **(env or {}),
        }
        result = subprocess.run(["git", *args], input=input, env=full_env, capture_output=True, check=False)
        if check and result.returncode != 0:
            stderr = result.stderr.decode(errors="replace").strip()
            raise HubError(f"git {' '.join(args[:2])} failed in {repo}: {stderr}")
        return result

    def create_repo(self, repo_id: str, repo_type: str = "dataset") -> None:
        path = self.repo_path(repo_id, repo_type)
        if (path / "HEAD").exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Initialise next to the target and rename, so a half-created repo is never visible to the server.
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(tmp)], check=True,
                       capture_output=True)
        # Parquet shards are compressed already: zlib level 1 keeps publishing fast at almost no size cost.
        subprocess.run(["git", "--git-dir", str(tmp), "config", "core.compression", "1"], check=True,
                       capture_output=True)
        try:
            os.rename(tmp, path)
        except OSError:
            subprocess.run(["rm", "-rf", str(tmp)], check=False)
            if not (path / "HEAD").exists():
                raise

    def _require(self, repo_id: str, repo_type: str) -> Path:
        path = self.repo_path(repo_id, repo_type)
        if not (path / "HEAD").exists():
            raise HubError(f"{REPO_TYPES[repo_type]}/{repo_id} does not exist in the local hub at {self.root}")
        return path

    def _resolve(self, repo: Path, revision: str) -> str | None:
        result = self._git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", check=False)
        return result.stdout.decode().strip() or None

    def head(self, repo_id: str, repo_type: str = "dataset", revision: str = "main") -> str | None:
        path = self.repo_path(repo_id, repo_type)
        if not (path / "HEAD").exists():
            return None
        return self._resolve(path, revision)

    def list_files(self, repo_id: str, repo_type: str = "dataset", revision: str = "main") -> list[str]:
        path = self.repo_path(repo_id, repo_type)
        if self.head(repo_id, repo_type, revision) is None:
            return []
        out = self._git(path, "ls-tree", "-r", "-z", "--name-only", revision).stdout.decode()
        return sorted(p for p in out.split("\0") if p)

    def read_file(self, repo_id: str, path: str, repo_type: str = "dataset", revision: str = "main") -> bytes | None:
        repo = self.repo_path(repo_id, repo_type)
        if self.head(repo_id, repo_type, revision) is None:
            return None
        result = self._git(repo, "cat-file", "blob", f"{revision}:{check_path_in_repo(path)}", check=False)
        return result.stdout if result.returncode == 0 else None

    def tree_id(self, repo_id: str, revision: str, repo_type: str = "dataset") -> str:
        repo = self._require(repo_id, repo_type)
        return self._git(repo, "rev-parse", f"{revision}^{{tree}}").stdout.decode().strip()

    def commit(
        self,
        repo_id: str,
        operations: Sequence[Operation],
        message: str,
        repo_type: str = "dataset",
        parent_commit: str | None = None,
    ) -> str:
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        repo = self._require(repo_id, repo_type)
        current = self._resolve(repo, "refs/heads/main")
        parent = parent_commit if parent_commit is not None else current
        if parent_commit is not None and parent_commit != current:
            raise ConcurrentUpdateError(f"{repo_id}: main moved (expected parent {parent_commit}, found {current}); "
                                        "retry")
        with tempfile.TemporaryDirectory(prefix="gfmbench-index-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if parent is not None:
                self._git(repo, "read-tree", parent, env=env)
            # Files on disk are hashed by one git process reading them itself (no copy through Python).
            on_disk = [op for op in operations if isinstance(op, CommitOperationAdd)
                       and isinstance(op.path_or_fileobj, (str, Path))]
            shas = {}
            if on_disk:
                paths = "\n".join(str(Path(op.path_or_fileobj).resolve())  # type: ignore[arg-type]
                                  for op in on_disk) + "\n"
                out = self._git(repo, "hash-object", "-w", "--stdin-paths", input=paths.encode()).stdout.split()
                shas = {id(op): sha.decode() for op, sha in zip(on_disk, out, strict=True)}
            for op in operations:
                if isinstance(op, CommitOperationAdd):
                    target = check_path_in_repo(op.path_in_repo)
                    blob = shas.get(id(op)) or self._git(repo, "hash-object", "-w", "--stdin",
                                                         input=_operation_bytes(op)).stdout.decode().strip()
                    info = f"100644,{blob},{target}"
                    self._git(repo, "update-index", "--add", "--cacheinfo", info, env=env)
                elif isinstance(op, CommitOperationDelete):
                    target = check_path_in_repo(op.path_in_repo.rstrip("/"))
                    if op.is_folder or op.path_in_repo.endswith("/"):
                        self._git(repo, "rm", "--cached", "-r", "--quiet", "--ignore-unmatch", "--", target, env=env)
                    else:
                        # `rm --cached` works in the bare repo (update-index --force-remove wants a work tree)
                        self._git(repo, "rm", "--cached", "--quiet", "--", target, env=env)
                else:
                    raise HubError(f"unsupported commit operation {type(op).__name__}")
            tree = self._git(repo, "write-tree", env=env).stdout.decode().strip()
        if parent is not None and tree == self.tree_id(repo_id, parent, repo_type):
            log.info("no change to %s/%s: nothing committed", REPO_TYPES[repo_type], repo_id)
            return parent  # like the Hub: an empty commit is skipped
        args = ["commit-tree", tree, "-m", message]
        if parent is not None:
            args[2:2] = ["-p", parent]
        new = self._git(repo, *args).stdout.decode().strip()
        # Compare-and-swap: refuse if someone else moved main since we read it.
        expected_old = parent if parent is not None else "0" * 40
        swap = self._git(repo, "update-ref", "refs/heads/main", new, expected_old, check=False)
        if swap.returncode != 0:
            raise ConcurrentUpdateError(f"{repo_id}: main moved while committing ({swap.stderr.decode().strip()}); "
                                        "retry")
        log.info("committed %s to %s/%s", new[:12], REPO_TYPES[repo_type], repo_id)
        return new

    def tag_target(self, repo_id: str, tag: str, repo_type: str = "dataset") -> str | None:
        repo = self.repo_path(repo_id, repo_type)
        if not (repo / "HEAD").exists():
            return None
        return self._resolve(repo, f"refs/tags/{tag}")

    def create_tag(self, repo_id: str, tag: str, revision: str, repo_type: str = "dataset",
                   force: bool = False) -> None:
        if not _TAG.match(tag):
            raise HubError(f"invalid tag name {tag!r}")
        repo = self._require(repo_id, repo_type)
        target = self._resolve(repo, revision)
        if target is None:
            raise HubError(f"{repo_id}: revision {revision!r} not found")
        if force:
            self._git(repo, "update-ref", f"refs/tags/{tag}", target)
        else:
            result = self._git(repo, "update-ref", f"refs/tags/{tag}", target, "0" * 40, check=False)
            if result.returncode != 0:
                raise HubError(f"{repo_id}: tag {tag!r} already exists")


def is_network_error(exc: BaseException) -> bool:
    """A transport failure talking to a hub (refused, reset, timeout), whichever HTTP client raised it."""
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    return any(c.__name__ in {"TransportError", "RequestError", "ConnectError", "TimeoutException"}
               for c in type(exc).__mro__)


def _hub_call(method: Any) -> Any:
    """Transport failures of a Hub call become a HubError naming the endpoint (never the token)."""
    import functools

    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            if not is_network_error(exc):
                raise
            raise HubError(f"{self.api.endpoint} did not answer ({type(exc).__name__}: {exc}); nothing was "
                           "published, retry when it is reachable") from None

    return call


class HubBackend:
    """Publishes to huggingface.co (or any compatible endpoint) through `huggingface_hub.HfApi`.

    The token is resolved by huggingface_hub itself (HF_TOKEN, the login cache) unless given; it is never logged.
    """

    def __init__(self, endpoint: str | None = None, token: str | None = None, api: Any = None) -> None:
        if api is None:
            from huggingface_hub import HfApi

            api = HfApi(endpoint=endpoint, token=token)
        self.api = api

    def __repr__(self) -> str:  # never show the token
        return f"HubBackend(endpoint={getattr(self.api, 'endpoint', None)!r})"

    @_hub_call
    def create_repo(self, repo_id: str, repo_type: str = "dataset") -> None:
        self.api.create_repo(check_repo_id(repo_id), repo_type=repo_type, exist_ok=True)

    @_hub_call
    def head(self, repo_id: str, repo_type: str = "dataset", revision: str = "main") -> str | None:
        from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

        try:
            return self.api.repo_info(repo_id, repo_type=repo_type, revision=revision).sha
        except (RepositoryNotFoundError, RevisionNotFoundError):
            return None

    @_hub_call
    def list_files(self, repo_id: str, repo_type: str = "dataset", revision: str = "main") -> list[str]:
        if self.head(repo_id, repo_type, revision) is None:
            return []
        return sorted(self.api.list_repo_files(repo_id, repo_type=repo_type, revision=revision))

    @_hub_call
    def read_file(self, repo_id: str, path: str, repo_type: str = "dataset", revision: str = "main") -> bytes | None:
        from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

        try:
            local = self.api.hf_hub_download(repo_id, check_path_in_repo(path), repo_type=repo_type, revision=revision)
        except (EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError):
            return None
        return Path(local).read_bytes()

    @_hub_call
    def tree_id(self, repo_id: str, revision: str, repo_type: str = "dataset") -> str:
        # The Hub exposes no tree hash; a digest of (path, blob id) pairs identifies the content equally well.
        infos = self.api.list_repo_tree(repo_id, repo_type=repo_type, revision=revision, recursive=True)
        pairs = sorted((i.path, getattr(i, "blob_id", "") or "") for i in infos if hasattr(i, "blob_id"))
        return hashlib.sha256(repr(pairs).encode()).hexdigest()

    @_hub_call
    def commit(
        self,
        repo_id: str,
        operations: Sequence[Operation],
        message: str,
        repo_type: str = "dataset",
        parent_commit: str | None = None,
        create_pr: bool = False,
    ) -> str:
        from huggingface_hub.errors import HfHubHTTPError

        try:
            info = self.api.create_commit(
                repo_id,
                operations=list(operations),
                commit_message=message,
                repo_type=repo_type,
                parent_commit=parent_commit,
                create_pr=create_pr,
            )
        except HfHubHTTPError as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if parent_commit is not None and status in (409, 412):  # the Hub's answer to a stale parent commit
                raise ConcurrentUpdateError(f"{repo_id}: main moved since {parent_commit[:12]}; retry") from None
            raise
        return info.oid

    @_hub_call
    def can_write(self, repo_id: str) -> bool:
        """Whether the token's user owns the repo's namespace (or is in that org): else changes go as a PR."""
        owner = repo_id.split("/", 1)[0]
        who = self.api.whoami()
        return owner == who.get("name") or owner in {org.get("name") for org in who.get("orgs", [])}

    @_hub_call
    def tag_target(self, repo_id: str, tag: str, repo_type: str = "dataset") -> str | None:
        refs = self.api.list_repo_refs(repo_id, repo_type=repo_type)
        return next((t.target_commit for t in refs.tags if t.name == tag), None)

    @_hub_call
    def create_tag(self, repo_id: str, tag: str, revision: str, repo_type: str = "dataset",
                   force: bool = False) -> None:
        if force and self.tag_target(repo_id, tag, repo_type) is not None:
            self.api.delete_tag(repo_id, tag=tag, repo_type=repo_type)
        self.api.create_tag(repo_id, tag=tag, revision=revision, repo_type=repo_type)


def select_backend(to_hub: bool = False, root: str | Path | None = None, endpoint: str | None = None,
                   token: str | None = None) -> PublishBackend:
    """The local hub unless the caller asks for the real Hub explicitly (`--push-to-hub`).

    Publishing to huggingface.co is never a default: a cached login must not turn a local build into a push.
    """
    if to_hub:
        return HubBackend(endpoint=endpoint, token=token)
    return LocalGitBackend(root)


@dataclass(frozen=True)
class PublishResult:
    repo_id: str
    commit: str
    changed: bool
    tag: str | None


def publish(
    backend: PublishBackend,
    repo_id: str,
    operations: Sequence[Operation],
    message: str,
    repo_type: str = "dataset",
    tag: str | None = None,
    force_tag: bool = False,
    parent_commit: str | None = None,
) -> PublishResult:
    """Commit `operations` unless they change nothing, then point `tag` at the result.

    An existing tag is a release: moving it to different content is refused unless `force_tag`, because people
    pin it (`revision="v1.0.0"`) and must get the same bytes next year.
    """
    backend.create_repo(repo_id, repo_type)
    before = backend.head(repo_id, repo_type)
    parent = parent_commit if parent_commit is not None else before
    commit = backend.commit(repo_id, operations, message, repo_type=repo_type, parent_commit=parent)
    changed = commit != before
    if tag is not None:
        existing = backend.tag_target(repo_id, tag, repo_type)
        if existing is None:
            backend.create_tag(repo_id, tag, commit, repo_type)
        elif backend.tree_id(repo_id, existing, repo_type) != backend.tree_id(repo_id, commit, repo_type):
            if not force_tag:
                raise HubError(
                    f"{repo_id}: release tag {tag!r} already points at different content; bump the suite version, "
                    "or pass --force-tag to move it (anyone who pinned it will see new data)"
                )
            backend.create_tag(repo_id, tag, commit, repo_type, force=True)
    return PublishResult(repo_id=repo_id, commit=commit, changed=changed, tag=tag)
