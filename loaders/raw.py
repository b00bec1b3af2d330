"""Finding the upstream raw release of a suite, and checking it against the sha256 manifest we ship.

Three routes, in order: `--raw-dir` (one suite's copy in the upstream layout), `GFMBENCH_RAW_DIR/<folder>` (a root
with one folder per suite), or a download into `GFMBENCH_HOME/raw` of the upstream archive (verified, then
extracted safely) or of the release's files from a Hub repo at a pinned revision. The manifests in
`upstream-checksums/` list the sha256 of every upstream file we have seen.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from gfmbench.config import raw_cache_dir, raw_root
from gfmbench.errors import ChecksumError, ConfigError, DataFormatError, HubError, MissingDataError
from gfmbench.suites.schema import DownloadSource, SuiteSpec, TaskSpec

log = logging.getLogger(__name__)

Verification = Literal["all_checks", "no_checks"]


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def sha256_crlf(path: Path) -> str:
    """The sha256 the file would have with CRLF line endings (every line ending, CRLF or LF, written as CRLF):
    an LF copy of a CRLF upstream file has the upstream digest here when, and only when, its rows are the same."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for line in handle:
            digest.update(line.rstrip(b"\r\n") + b"\r\n" if line.endswith(b"\n") else line)
    return digest.hexdigest()


@dataclass(frozen=True)
class ChecksumManifest:
    """Known sha256 of upstream files, keyed by their path inside the suite folder (`RNA-SNMD/test.json`).
    `line_endings: crlf_or_lf` says the digests are of CRLF files that also circulate with LF line endings (GUE):
    such a copy is verified by its digest with CRLF restored."""

    archive: str | None
    files: dict[str, str]
    line_endings: str = "exact"

    @classmethod
    def for_suite(cls, suite: SuiteSpec) -> ChecksumManifest:
        entry = resources.files("gfmbench.loaders").joinpath("upstream-checksums").joinpath(f"{suite.name}.json")
        if not entry.is_file():
            return cls(archive=None, files={})
        data = json.loads(entry.read_text(encoding="utf-8"))
        return cls(archive=data.get("archive"), files=dict(data.get("files", {})),
                   line_endings=data.get("line_endings", "exact"))


CRLF_RESTORED = "sha256 with CRLF line endings restored (an LF copy of the same rows)"


@dataclass(frozen=True)
class RawFile:
    relpath: str
    sha256: str
    verified: bool  # True: equal to the manifest; False: not listed there (or checks were skipped)
    check: str | None = None  # how it was verified when not byte for byte


def check_file(path: Path, relpath: str, manifest: ChecksumManifest, verification: Verification) -> RawFile:
    actual = sha256_file(path)
    expected = manifest.files.get(relpath)
    if verification == "no_checks" or expected is None:
        if verification != "no_checks":
            log.warning("%s: no upstream checksum known for %s; recorded as unverified", path, relpath)
        return RawFile(relpath, actual, verified=False)
    if actual == expected:
        return RawFile(relpath, actual, verified=True)
    if manifest.line_endings == "crlf_or_lf" and sha256_crlf(path) == expected:
        return RawFile(relpath, actual, verified=True, check=CRLF_RESTORED)
    raise ChecksumError(path, expected, actual)


@dataclass(frozen=True)
class RawRelease:
    """The folder holding a suite's upstream task folders, and where it came from (said in the dataset card)."""

    path: Path
    origin: str


def resolve_raw_release(suite: SuiteSpec, raw_dir: str | Path | None = None,
                        verification: Verification = "all_checks", source: str | None = None,
                        tasks: list[TaskSpec] | None = None) -> RawRelease:
    """The suite's raw release: `--raw-dir`, else `GFMBENCH_RAW_DIR/<folder>`, else its download source (the
    default, or `source`), fetching what `tasks` need."""
    if raw_dir is not None:
        path = Path(raw_dir).expanduser()
        if not path.is_dir():
            raise MissingDataError(f"--raw-dir {path}: no such directory")
        return RawRelease(path, "a local copy (--raw-dir)")
    root = raw_root()
    if root is not None:
        path = root / suite.upstream.folder
        if not path.is_dir():
            raise MissingDataError(
                f"GFMBENCH_RAW_DIR={root} has no {suite.upstream.folder}/ folder for suite {suite.name!r}"
            )
        return RawRelease(path, f"a local copy (GFMBENCH_RAW_DIR/{suite.upstream.folder})")
    return download_release(suite, verification, source=source, tasks=tasks)


def download_release(suite: SuiteSpec, verification: Verification = "all_checks", endpoint: str | None = None,
                     source: str | None = None, tasks: list[TaskSpec] | None = None) -> RawRelease:
    """Download the suite's raw release from its default source (the first it declares) or the one named, with the
    library made for that kind of source; archives are verified where a digest is known, then extracted safely.

    `endpoint` defaults to HF_ENDPOINT for Hub sources; any mirror of the upstream repo works (the local hub
    included). A source with one archive per task fetches those of `tasks` (default: all)."""
    spec = suite.upstream.download_source(source)
    if spec is None:
        raise ConfigError(f"suite {suite.name!r} declares no download location; pass --raw-dir")
    release = FETCHERS[spec.kind](suite, spec, verification, endpoint, tasks or suite.tasks)
    who = "official" if spec.official else "not the authors' own"
    return RawRelease(release.path, f"source `{spec.name}` ({who}): {release.origin}")


def _hub_fetch(suite: SuiteSpec, spec: DownloadSource, verification: Verification, endpoint: str | None,
               tasks: list[TaskSpec]) -> RawRelease:
    """hub_archive and hub_files: huggingface_hub downloads (retries and resume are its job)."""
    from huggingface_hub import constants, hf_hub_download, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    from gfmbench.hub.routing import unreachable

    repo = spec.repo or ""
    offline = unreachable(endpoint)  # offline: the cached copy, or one clear error, not minutes of retries
    what = spec.path or ", ".join(spec.patterns)
    at = f"@{spec.revision}" if spec.revision else ""
    where = f"{endpoint or constants.ENDPOINT}/{spec.repo_type}s/{repo}{at} ({what})"
    advice = f"pass --raw-dir with an upstream copy of {suite.name}, or set HF_ENDPOINT to a mirror holding {repo}"
    cache = str(raw_cache_dir() / "downloads")
    try:
        if spec.kind == "hub_files":
            patterns = task_patterns(spec.patterns, tasks)
            folder = Path(snapshot_download(repo, repo_type=spec.repo_type, revision=spec.revision,
                                            allow_patterns=patterns, endpoint=endpoint, cache_dir=cache,
                                            local_files_only=offline is not None))
            # the snapshot folder is named by the commit it holds: the exact revision goes into the card
            per_task = f" of {len(tasks)} task(s)" if any("{name}" in p for p in spec.patterns) else ""
            return RawRelease(folder, f"{spec.repo_type} `{repo}` at commit `{folder.name}`, files "
                                      f"{', '.join(f'`{p}`' for p in spec.patterns)}{per_task} (huggingface_hub)")
        archive = Path(hf_hub_download(repo, spec.path or "", repo_type=spec.repo_type, revision=spec.revision,
                                       endpoint=endpoint, cache_dir=cache, local_files_only=offline is not None))
    except LocalEntryNotFoundError:
        raise HubError(f"cannot download suite {suite.name!r} from {where}: {offline or 'the hub did not answer'}"
                       f", and no copy is cached; {advice}") from None
    except (HfHubHTTPError, OSError) as exc:
        raise HubError(f"cannot download suite {suite.name!r} from {where}: {exc}; {advice}") from None
    folder, checked = _verified_extract(suite, spec, archive, where, verification)
    return RawRelease(folder, f"{spec.repo_type} `{repo}`{at}, archive `{spec.path}` ({checked}; huggingface_hub)")


def _http_fetch(suite: SuiteSpec, spec: DownloadSource, verification: Verification, endpoint: str | None,
               tasks: list[TaskSpec]) -> RawRelease:
    """http_archive: pooch downloads each archive (to a temporary file, renamed when complete, retried), checks its
    sha256 where known, and the archives are extracted into one folder."""
    import pooch

    url = spec.url or ""
    downloads = raw_cache_dir() / "downloads" / suite.name / spec.name
    urls = per_task(url, tasks)
    fetcher = pooch.create(path=downloads, base_url="", retry_if_failed=3,
                           registry={_file_name(u): (f"sha256:{spec.sha256}" if spec.sha256 and
                                                     verification == "all_checks" else None) for u in urls.values()},
                           urls={_file_name(u): u for u in urls.values()})
    folder = raw_cache_dir() / suite.name / spec.name
    for name, address in urls.items():
        try:
            archive = Path(fetcher.fetch(_file_name(address), progressbar=False))
        except ValueError as exc:  # pooch: the downloaded file's hash differs from the known one
            raise HubError(f"cannot use suite {suite.name!r} archive {address}: {exc} (nothing was kept)") from None
        except Exception as exc:  # requests' HTTP and connection errors, after pooch's retries
            raise HubError(f"cannot download suite {suite.name!r} archive {address}: {exc}") from None
        digest = sha256_file(archive)
        target = folder / (name or "release") / digest[:16]
        if not target.is_dir():
            _extract(archive, target, address)
        _merge(target, folder / "tree", suite.upstream.folder)
    checked = "sha256 checked" if spec.sha256 and verification == "all_checks" else "no published sha256"
    return RawRelease(folder / "tree", f"{len(urls)} archive(s) from `{url}` ({checked}; pooch)")


def _gdrive_fetch(suite: SuiteSpec, spec: DownloadSource, verification: Verification, endpoint: str | None,
                  tasks: list[TaskSpec]) -> RawRelease:
    """gdrive_archive: gdown downloads the file (Google Drive's confirmation page is its job), then as an archive."""
    import gdown

    downloads = raw_cache_dir() / "downloads" / suite.name / spec.name
    downloads.mkdir(parents=True, exist_ok=True)
    archive = downloads / f"{spec.file_id}.zip"
    where = f"Google Drive file {spec.file_id}"
    if not archive.is_file():
        partial = downloads / f".{spec.file_id}.partial"
        try:
            got = gdown.download(id=spec.file_id, output=str(partial), quiet=True)
        except Exception as exc:  # gdown raises its own and requests' errors
            partial.unlink(missing_ok=True)
            raise HubError(f"cannot download suite {suite.name!r} from {where}: {exc}") from None
        if not got or not partial.is_file():
            partial.unlink(missing_ok=True)
            raise HubError(f"cannot download suite {suite.name!r} from {where}: gdown got nothing")
        partial.rename(archive)
    folder, checked = _verified_extract(suite, spec, archive, where, verification)
    return RawRelease(folder, f"{where} ({checked}; gdown)")


def _gdrive_folder_fetch(suite: SuiteSpec, spec: DownloadSource, verification: Verification, endpoint: str | None,
                         tasks: list[TaskSpec]) -> RawRelease:
    """gdrive_folder: gdown fetches every file of a shared Drive folder (retried; each file arrives as a `.part` and
    is renamed when complete). The folder becomes the release only once every file has arrived; until then it is a
    hidden `.partial` folder that a rerun resumes and that is never built from."""
    import gdown

    downloads = raw_cache_dir() / "downloads" / suite.name / spec.name
    folder_id = spec.folder_id or ""
    complete = downloads / folder_id
    where = f"Google Drive folder {folder_id}"
    if not complete.is_dir():
        partial = downloads / f".{folder_id}.partial"
        partial.mkdir(parents=True, exist_ok=True)
        try:
            got = gdown.download_folder(id=folder_id, output=str(partial), quiet=True, resume=True, retries=3)
        except Exception as exc:  # gdown's DownloadError names the files that failed; requests' errors pass through
            said = " ".join(str(exc).split())  # gdown lists the failed files one per line
            raise HubError(f"cannot download suite {suite.name!r} from {where}: {said}; the files that arrived are "
                           f"kept in {partial} and the next build resumes from them") from None
        if not got:
            raise HubError(f"cannot download suite {suite.name!r} from {where}: gdown got no file")
        partial.rename(complete)
    root = release_root(suite, complete, where)
    count = sum(1 for p in complete.rglob("*") if p.is_file())
    return RawRelease(root, f"{where}, {count} files (no published sha256: each file's digest is recorded; gdown)")


FETCHERS = {"hub_archive": _hub_fetch, "hub_files": _hub_fetch, "http_archive": _http_fetch,
            "gdrive_archive": _gdrive_fetch, "gdrive_folder": _gdrive_folder_fetch}


def per_task(template: str, tasks: list[TaskSpec]) -> dict[str, str]:
    """A source address with `{name}` expanded per task (its first upstream name), so that only those tasks' files
    are fetched; without `{name}`, the one address (keyed "")."""
    if "{name}" not in template:
        return {"": template}
    return {t.upstream_names[0]: template.replace("{name}", t.upstream_names[0]) for t in tasks}


def task_patterns(patterns: list[str], tasks: list[TaskSpec]) -> list[str]:
    """Hub file patterns expanded per task (`per_task`), each once."""
    return list(dict.fromkeys(p for pattern in patterns for p in per_task(pattern, tasks).values()))


def release_root(suite: SuiteSpec, folder: Path, where: str, depth: int = 3) -> Path:
    """The folder holding the suite's task folders: `folder` itself or the shallowest subfolder (up to `depth`
    levels down) where the suite's own layout rules find a task. A download whose layout was not published (a
    shared Drive folder) is thus read as the builder reads a --raw-dir, never by guessing file names."""
    source = suite.source()
    level = [folder]
    for _ in range(depth + 1):
        for candidate in sorted(level):
            if any(source.task_dir(candidate, suite, task) is not None for task in suite.tasks):
                return candidate
        level = [child for parent in level for child in parent.iterdir() if child.is_dir()]
    names = ", ".join(sorted({t.upstream_names[0] for t in suite.tasks})[:5])
    raise DataFormatError(f"the download from {where} holds no task folder of suite {suite.name!r} (looked for "
                          f"{names}, ... up to {depth} levels down)", file=folder)


def _file_name(url: str) -> str:
    from urllib.parse import urlparse

    return Path(urlparse(url).path).name or "release.zip"


def _verified_extract(suite: SuiteSpec, spec: DownloadSource, archive: Path, where: str,
                      verification: Verification) -> tuple[Path, str]:
    """Check the archive's sha256 against the source's (or the checksum manifest's) and extract it once."""
    expected = spec.sha256 or ChecksumManifest.for_suite(suite).archive
    digest = sha256_file(archive)
    if verification == "all_checks" and expected and digest != expected:
        raise ChecksumError(archive, expected, digest)
    extracted = raw_cache_dir() / suite.name / digest[:16]
    if not extracted.is_dir():
        _extract(archive, extracted, where)
    inner = extracted / suite.upstream.folder
    checked = "sha256 checked" if verification == "all_checks" and expected else "no published sha256"
    return (inner if inner.is_dir() else extracted), checked


def _extract(archive: Path, target: Path, where: str) -> None:
    if not zipfile.is_zipfile(archive):
        raise DataFormatError(f"not a zip archive (downloaded from {where}; truncated or an error page?)",
                              file=archive)
    safe_extract_zip(archive, target)


def _merge(extracted: Path, tree: Path, folder: str) -> None:
    """Link one archive's top-level entries into the release tree (per-task archives share one tree)."""
    root = extracted / folder if (extracted / folder).is_dir() else extracted
    tree.mkdir(parents=True, exist_ok=True)
    for entry in root.iterdir():
        link = tree / entry.name
        if link.is_symlink():
            link.unlink()  # an earlier download of the same task: point at this one
        link.symlink_to(entry.resolve(), target_is_directory=entry.is_dir())


def safe_extract_zip(archive: Path, destination: Path) -> None:
    """Extract into a temp folder and rename; entries that would land outside it (zip-slip) are refused."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                target = (tmp / info.filename).resolve()
                if not target.is_relative_to(tmp.resolve()) or Path(info.filename).is_absolute():
                    raise DataFormatError(f"archive entry escapes the target folder: {info.filename!r}", file=archive)
            zf.extractall(tmp)
        tmp.rename(destination)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
