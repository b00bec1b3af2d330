"""Publishing: the local git backend's commit semantics, and the real-Hub backend's calls (without network)."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete

from gfmbench.errors import HubError
from gfmbench.hub.publish import HubBackend, LocalGitBackend, publish, select_backend
from tests.helpers import FakeHfApi

REPO = "gfmbench/demo"


def add(path: str, data: bytes) -> CommitOperationAdd:
    return CommitOperationAdd(path_in_repo=path, path_or_fileobj=data)


def test_commit_list_read_and_delete(tmp_path: Path) -> None:
    backend = LocalGitBackend(tmp_path)
    result = publish(backend, REPO, [add("README.md", b"# demo\n"), add("data/a/x.parquet", b"x")], "first", tag="v1")
    assert result.changed and (tmp_path / "datasets" / "gfmbench" / "demo" / "HEAD").exists()
    assert backend.list_files(REPO) == ["README.md", "data/a/x.parquet"]
    assert backend.read_file(REPO, "README.md") == b"# demo\n"
    assert backend.tag_target(REPO, "v1") == result.commit
    second = backend.commit(REPO, [CommitOperationDelete("data/a/", is_folder=True), add("data/b/y.parquet", b"y")],
                            "second")
    assert backend.list_files(REPO) == ["README.md", "data/b/y.parquet"]
    assert backend.read_file(REPO, "data/a/x.parquet") is None
    assert backend.read_file(REPO, "data/a/x.parquet", revision="v1") == b"x"  # the release is untouched
    assert backend.head(REPO) == second
    backend.commit(REPO, [CommitOperationDelete("data/b/y.parquet")], "one file")  # the bare repo has no work tree
    assert backend.list_files(REPO) == ["README.md"]
    with pytest.raises(HubError, match="did not match any files"):  # like the Hub: a missing file is an error
        backend.commit(REPO, [CommitOperationDelete("data/b/y.parquet")], "again")


def test_identical_content_makes_no_commit(tmp_path: Path) -> None:
    backend = LocalGitBackend(tmp_path)
    first = publish(backend, REPO, [add("a.txt", b"1")], "one", tag="v1")
    again = publish(backend, REPO, [add("a.txt", b"1")], "two", tag="v1")
    assert not again.changed and again.commit == first.commit


def test_release_tag_is_immutable_unless_forced(tmp_path: Path) -> None:
    backend = LocalGitBackend(tmp_path)
    first = publish(backend, REPO, [add("a.txt", b"1")], "one", tag="v1")
    with pytest.raises(HubError, match="release tag 'v1' already points at different content"):
        publish(backend, REPO, [add("a.txt", b"2")], "two", tag="v1")
    assert backend.tag_target(REPO, "v1") == first.commit
    forced = publish(backend, REPO, [add("a.txt", b"3")], "three", tag="v1", force_tag=True)
    assert backend.tag_target(REPO, "v1") == forced.commit


def test_stale_parent_is_refused(tmp_path: Path) -> None:
    """Compare-and-swap: a publisher that read an old head cannot overwrite a newer commit."""
    backend = LocalGitBackend(tmp_path)
    backend.create_repo(REPO)
    old = backend.commit(REPO, [add("a.txt", b"1")], "one")
    new = backend.commit(REPO, [add("b.txt", b"2")], "two")
    with pytest.raises(HubError, match="main moved"):
        backend.commit(REPO, [add("c.txt", b"3")], "three", parent_commit=old)
    assert backend.head(REPO) == new
    assert backend.list_files(REPO) == ["a.txt", "b.txt"]


@pytest.mark.parametrize("bad", ["../escape", "gfmbench/../x", "/abs/path", "noslash", "a/b/c"])
def test_repo_ids_cannot_escape_the_hub(tmp_path: Path, bad: str) -> None:
    with pytest.raises(HubError, match="invalid repo id"):
        LocalGitBackend(tmp_path).create_repo(bad)


@pytest.mark.parametrize("bad", ["../x.txt", "/etc/passwd", ".git/config", "a/../../b"])
def test_paths_in_repo_cannot_escape(tmp_path: Path, bad: str) -> None:
    backend = LocalGitBackend(tmp_path)
    backend.create_repo(REPO)
    backend.commit(REPO, [add("a.txt", b"1")], "one")
    with pytest.raises(HubError, match="invalid path in repo"):
        backend.read_file(REPO, bad)
    if ".." in bad:
        with pytest.raises(ValueError, match="Invalid `path_in_repo`"):  # huggingface_hub refuses them too
            add(bad, b"x")


def test_missing_repo_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HubError, match="does not exist in the local hub"):
        LocalGitBackend(tmp_path).commit("gfmbench/none", [add("a", b"1")], "x")


def test_hub_backend_sends_one_commit_and_a_tag() -> None:
    api = FakeHfApi()
    backend = HubBackend(api=api)
    ops = [add("README.md", b"# card\n"), CommitOperationDelete("data/old/", is_folder=True)]
    result = publish(backend, REPO, ops, "build", tag="v1.0.0")
    names = [name for name, _ in api.calls]
    assert names == ["create_repo", "create_commit", "create_tag"]
    commit = api.calls[1][1]
    assert commit["repo_type"] == "dataset" and commit["operations"] == ops and commit["commit_message"] == "build"
    assert commit["parent_commit"] is None
    assert api.calls[2][1] == {"repo_id": REPO, "tag": "v1.0.0", "revision": result.commit, "repo_type": "dataset"}
    assert api.calls[0][1]["exist_ok"] is True


def test_hub_backend_passes_the_parent_commit() -> None:
    api = FakeHfApi()
    api.sha = "a" * 40
    HubBackend(api=api).commit(REPO, [add("x", b"1")], "m", parent_commit="a" * 40)
    assert api.calls[-1][1]["parent_commit"] == "a" * 40


def test_backend_selection_is_explicit(tmp_path: Path) -> None:
    assert isinstance(select_backend(root=tmp_path), LocalGitBackend)
    hub = select_backend(to_hub=True, endpoint="https://hub.example", token="hf_secret_token_value")
    assert isinstance(hub, HubBackend)
    assert "hf_secret_token_value" not in repr(hub)
