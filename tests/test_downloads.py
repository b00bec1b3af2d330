"""Download sources other than the Hub, offline: an HTTP archive per task (Genomic Benchmarks' Zenodo layout) from a
loopback server — a retried failure, a wrong digest, a truncated archive — and GUE's Google Drive archive with the
download stubbed at gdown's boundary (the real GUE files inside). A build from a download equals the build from
the same files given with --raw-dir, and the card says which source was used."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from gfmbench.config import raw_cache_dir
from gfmbench.errors import DataFormatError, HubError
from gfmbench.hub.publish import LocalGitBackend
from gfmbench.loaders import build as build_module
from gfmbench.loaders.build import build_suite
from gfmbench.loaders.raw import download_release
from gfmbench.suites import get_suite
from gfmbench.suites.schema import SuiteSpec

GB_TASK = "demo_human_or_worm"


def with_source(suite: SuiteSpec, **update) -> SuiteSpec:
    source = suite.upstream.sources[0].model_copy(update=update)
    return suite.model_copy(update={"upstream": suite.upstream.model_copy(update={"sources": [source]})})


def gb_archive_tree(root: Path, rng: random.Random) -> Path:
    """One Genomic Benchmarks dataset unpacked: <name>/{train,test}/<class>/<id>.txt."""
    for split in ("train", "test"):
        for cls in ("human", "worm"):
            for i in range(6):
                path = root / GB_TASK / split / cls / f"{i}.txt"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("".join(rng.choice("ACGT") for _ in range(40)))
    return root


def zipped(tree: Path, top: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted((tree / top).rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(tree).as_posix())
    return buffer.getvalue()


def rows(backend: LocalGitBackend, repo: str, config: str, split: str) -> list[dict]:
    return pq.read_table(io.BytesIO(backend.read_file(repo, f"data/{config}/{split}-00000-of-00001.parquet"))
                         ).to_pylist()


def build_with(monkeypatch: pytest.MonkeyPatch, suite: SuiteSpec, backend: LocalGitBackend, **kwargs):
    """build_suite on a suite whose source was pointed at the test's server (the builder looks suites up by name)."""
    monkeypatch.setattr(build_module, "get_suite", lambda name: suite)
    return build_suite(suite.name, backend=backend, progress=False, **kwargs)


def test_http_archive_per_task_is_retried_and_builds_as_the_raw_dir_does(httpserver, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    tree = gb_archive_tree(tmp_path / "tree", random.Random(0))
    payload = zipped(tree, GB_TASK)
    path = f"/records/16605299/files/{GB_TASK}_v0.zip"
    httpserver.expect_ordered_request(path).respond_with_data("busy", status=503)  # pooch retries this
    httpserver.expect_ordered_request(path).respond_with_data(payload, content_type="application/zip")
    gb = get_suite("gb")
    suite = with_source(gb, url=httpserver.url_for("/records/16605299/files/{name}_v0.zip"))
    downloaded = LocalGitBackend(tmp_path / "downloaded")
    build_with(monkeypatch, suite, downloaded, configs=[GB_TASK], verification="no_checks")
    monkeypatch.undo()
    assert [entry[1].status_code for entry in httpserver.log] == [503, 200]
    local = LocalGitBackend(tmp_path / "local")
    build_suite("gb", raw_dir=tree, configs=[GB_TASK], backend=local, verification="no_checks", progress=False)
    for split in ("train", "validation", "test"):
        assert rows(downloaded, gb.dataset_repo, GB_TASK, split) == rows(local, gb.dataset_repo, GB_TASK, split)
    card = downloaded.read_file(gb.dataset_repo, "README.md").decode()
    assert "Raw release: source `zenodo` (official): 1 archive(s) from" in card
    assert "(no published sha256; pooch)" in card


def test_http_archive_with_a_wrong_digest_is_refused_and_nothing_is_kept(httpserver, tmp_path: Path) -> None:
    payload = zipped(gb_archive_tree(tmp_path / "tree", random.Random(1)), GB_TASK)
    httpserver.expect_request("/release.zip").respond_with_data(payload)
    suite = with_source(get_suite("gb"), url=httpserver.url_for("/release.zip"), sha256="0" * 64)
    with pytest.raises(HubError, match=r"archive http://.*/release\.zip: .*0{64}") as err:
        download_release(suite)
    assert "(nothing was kept)" in str(err.value)
    assert not [p for p in (raw_cache_dir() / "downloads").rglob("*") if p.is_file()]  # no partial file either
    assert not (raw_cache_dir() / "gb" / "zenodo" / "tree").exists()


def test_a_truncated_archive_is_an_error_and_is_not_extracted(httpserver, tmp_path: Path) -> None:
    payload = zipped(gb_archive_tree(tmp_path / "tree", random.Random(2)), GB_TASK)
    httpserver.expect_request(f"/{GB_TASK}_v0.zip").respond_with_data(payload[: len(payload) // 2])
    suite = with_source(get_suite("gb"), url=httpserver.url_for("/{name}_v0.zip"))
    with pytest.raises(DataFormatError, match="not a zip archive .*truncated or an error page"):
        download_release(suite, tasks=[suite.task(GB_TASK)])
    assert not list((raw_cache_dir() / "gb" / "zenodo").rglob("*.txt"))


def test_gue_from_its_drive_archive_equals_the_raw_files(samples: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The official Drive route with gdown stubbed: an archive of the real GUE files in the upstream layout
    (GUE/<group>/<task>/...) gives exactly the rows of --raw-dir, verified against the observed digests."""
    import gdown

    root = tmp_path / "zip"
    for task in ("mouse/3", "prom/prom_core_tata"):
        for name in ("train.csv", "dev.csv", "test.csv"):
            target = root / "GUE" / task / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((samples / "GUE" / task / name).read_bytes())
    payload = zipped(root, "GUE")
    calls = []

    def fake_download(id: str, output: str, quiet: bool) -> str:  # gdown's keyword interface
        calls.append(id)
        Path(output).write_bytes(payload)
        return output

    monkeypatch.setattr(gdown, "download", fake_download)
    from gfmbench.cli import main

    gue = get_suite("gue")
    # `gfmbench build gue` as a user types it, no --raw-dir (in-process, so that the stub holds)
    assert main(["build", "gue", "--configs", "mouse_tf_3", "prom_core_tata", "--hub-root",
                 str(tmp_path / "downloaded"), "-q"]) == 0
    downloaded = LocalGitBackend(tmp_path / "downloaded")
    build_suite("gue", configs=["mouse_tf_3"], backend=LocalGitBackend(tmp_path / "again"), progress=False)
    assert calls == [gue.upstream.sources[0].file_id]  # the archive is cached after the first download
    local = LocalGitBackend(tmp_path / "local")
    build_suite("gue", raw_dir=samples / "GUE", configs=["mouse_tf_3", "prom_core_tata"], backend=local,
                progress=False)
    for config in ("mouse_tf_3", "prom_core_tata"):
        for split in ("train", "validation", "test"):
            assert rows(downloaded, gue.dataset_repo, config, split) == rows(local, gue.dataset_repo, config, split)
    card = downloaded.read_file(gue.dataset_repo, "README.md").decode()
    assert "Raw release: source `drive` (official): Google Drive file 1GRtbzTe3UXYF1oW27ASNhYX3SZ16D7N2" in card
    assert "| `mouse/3/test.csv` | `86b1c183" in card and "not listed" not in card.split("## Provenance")[1]


def test_a_drive_download_that_fails_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gdown

    def failing(id: str, output: str, quiet: bool) -> None:
        Path(output).write_bytes(b"<html>quota exceeded")  # what a failed download can leave behind
        return None

    monkeypatch.setattr(gdown, "download", failing)
    with pytest.raises(HubError, match="cannot download suite 'gue' from Google Drive file .*gdown got nothing"):
        download_release(get_suite("gue"))
    assert not [p for p in (raw_cache_dir() / "downloads").rglob("*") if p.is_file()]


def test_an_unknown_source_names_the_declared_ones(tmp_path: Path) -> None:
    from gfmbench.errors import ConfigError

    with pytest.raises(ConfigError, match=r"no download source 'mirror' \(this suite declares: drive\)"):
        build_suite("gue", backend=LocalGitBackend(tmp_path / "hub"), download_source="mirror", progress=False)


BEACON_FOLDER = "19ddrwI8ycvIxkgSV3gDo_VunLofYd4-6"
BEACON_CONFIGS = ["contact_map", "splice_site", "crispr_off_target"]


def fake_drive_folder(release: Path, calls: list[dict], fail_first: bool = False):
    """gdown.download_folder stubbed at its keyword interface: the shared folder's files land under `output`, one
    level down (the folder's own layout is not published; the builder must find the task folders)."""
    import shutil

    from gdown.exceptions import DownloadError

    def download_folder(id: str, output: str, quiet: bool, resume: bool, retries: int) -> list[str]:
        calls.append({"id": id, "resume": resume, "retries": retries})
        if fail_first and len(calls) == 1:
            (Path(output) / "RNA").mkdir(parents=True, exist_ok=True)
            (Path(output) / "RNA" / "ContactMap.part").write_bytes(b"half")
            raise DownloadError("Failed to download the following files:\n- RNA/downstream/ContactMap/train.csv")
        shutil.copytree(release, Path(output) / "RNA", dirs_exist_ok=True)
        return [str(p) for p in Path(output).rglob("*") if p.is_file()]

    return download_folder


def test_beacon_from_its_drive_folder_equals_the_raw_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The official Drive folder route with gdown stubbed: a failed transfer leaves no release (only a hidden partial
    folder, resumed next time), then the download builds exactly the rows of --raw-dir, and the card names the
    folder and the check made."""
    import gdown

    from tests.beacon_files import synthetic_beacon

    release = synthetic_beacon(tmp_path / "upstream")
    calls: list[dict] = []
    monkeypatch.setattr(gdown, "download_folder", fake_drive_folder(release, calls, fail_first=True))
    beacon = get_suite("beacon")
    downloads = raw_cache_dir() / "downloads" / "beacon" / "drive"
    with pytest.raises(HubError, match=rf"from Google Drive folder {BEACON_FOLDER}: Failed to download .*"
                                       r"ContactMap/train.csv.*the next build resumes"):
        download_release(beacon)
    assert not (downloads / BEACON_FOLDER).exists()  # never built from: only the hidden partial folder exists
    downloaded = LocalGitBackend(tmp_path / "downloaded")
    build_suite("beacon", configs=BEACON_CONFIGS, backend=downloaded, progress=False)
    build_suite("beacon", configs=["splice_site"], backend=LocalGitBackend(tmp_path / "again"), progress=False)
    assert calls == [{"id": BEACON_FOLDER, "resume": True, "retries": 3}] * 2  # resumed once, then cached
    local = LocalGitBackend(tmp_path / "local")
    build_suite("beacon", raw_dir=release, configs=BEACON_CONFIGS, backend=local, verification="no_checks",
                progress=False)
    for config in BEACON_CONFIGS:
        for split in ("train", "validation", "test"):
            assert rows(downloaded, beacon.dataset_repo, config, split) == \
                rows(local, beacon.dataset_repo, config, split)
    card = downloaded.read_file(beacon.dataset_repo, "README.md").decode()
    assert f"Raw release: source `drive` (official): Google Drive folder {BEACON_FOLDER}, " in card
    assert "(no published sha256: each file's digest is recorded; gdown)" in card


def test_a_drive_folder_without_the_suite_layout_is_an_error(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import gdown

    other = tmp_path / "other" / "misc"
    other.mkdir(parents=True)
    (other / "readme.txt").write_text("not BEACON")
    monkeypatch.setattr(gdown, "download_folder", fake_drive_folder(other.parent, []))
    with pytest.raises(DataFormatError, match=rf"the download from Google Drive folder {BEACON_FOLDER} holds no task "
                                              r"folder of suite 'beacon' \(looked for .*ContactMap"):
        download_release(get_suite("beacon"))


def test_every_suite_declares_where_its_release_comes_from() -> None:
    """`gfmbench sources`: one default source per suite, its kind, whether the authors publish it, and where."""
    import subprocess
    import sys

    from pydantic import ValidationError

    from gfmbench.suites.schema import DownloadSource

    proc = subprocess.run([sys.executable, "-m", "gfmbench", "sources"], capture_output=True, text=True, timeout=60,
                          check=True)
    defaults = {line.split()[0]: line.split() for line in proc.stdout.splitlines()[2:] if "(default)" in line}
    assert set(defaults) == {"rgb", "gue", "gb", "pgb", "beacon", "nt"}
    assert "none declared" not in proc.stdout
    assert defaults["beacon"][3:6] == ["gdrive_folder", "yes", f"https://drive.google.com/drive/folders/{BEACON_FOLDER}"]
    assert defaults["gb"][3:5] == ["http_archive", "yes"]  # the authors' cloud cache since they left Drive
    assert "@78ec8156c2ffb3e5475277fdb7eb603294224e53" in defaults["pgb"][5]
    with pytest.raises(ValidationError, match="a gdrive_folder source needs folder_id"):
        DownloadSource(name="a", kind="gdrive_folder", official=True, description="d")
