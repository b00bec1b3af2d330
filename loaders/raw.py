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
from gfmbench.suites.schema import SuiteSpec

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
                        verification: Verification = "all_checks") -> RawRelease:
    """The suite's raw release: `--raw-dir`, else `GFMBENCH_RAW_DIR/<folder>`, else its download route."""
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
    return download_release(suite, verification)


def download_release(suite: SuiteSpec, verification: Verification = "all_checks",
                     endpoint: str | None = None) -> RawRelease:
    """Download the upstream release with huggingface_hub (retries and resume are its job): one archive (verified,
    then extracted) or the release's files (`hub_files` patterns, at the pinned `hub_revision`).

    `endpoint` defaults to HF_ENDPOINT; any mirror of the upstream repo works (the local hub included).
    """
    up = suite.upstream
    if not up.hub_repo or not (up.archive or up.hub_files):
        raise ConfigError(f"suite {suite.name!r} declares no download location; pass --raw-dir")
    from huggingface_hub import constants, hf_hub_download, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    from gfmbench.hub.routing import unreachable

    target = raw_cache_dir() / suite.name
    offline = unreachable(endpoint)  # offline: the cached copy, or one clear error, not minutes of retries
    what = up.archive or ", ".join(up.hub_files)
    at = f"@{up.hub_revision}" if up.hub_revision else ""
    source = f"{endpoint or constants.ENDPOINT}/{up.hub_repo_type}s/{up.hub_repo}{at} ({what})"
    advice = (f"pass --raw-dir with an upstream copy of {suite.name}, or set HF_ENDPOINT to a mirror holding "
              f"{up.hub_repo}")
    try:
        if up.hub_files:
            folder = Path(snapshot_download(up.hub_repo, repo_type=up.hub_repo_type, revision=up.hub_revision,
                                            allow_patterns=up.hub_files, endpoint=endpoint,
                                            cache_dir=str(raw_cache_dir() / "downloads"),
                                            local_files_only=offline is not None))
            # the snapshot folder is named by the commit it holds: the exact revision goes into the card
            return RawRelease(folder, f"{up.hub_repo_type} `{up.hub_repo}` at commit `{folder.name}`, files "
                                      f"{', '.join(f'`{p}`' for p in up.hub_files)} (downloaded with huggingface_hub)")
        archive = Path(hf_hub_download(up.hub_repo, up.archive or "", repo_type=up.hub_repo_type,
                                       revision=up.hub_revision, endpoint=endpoint,
                                       cache_dir=str(raw_cache_dir() / "downloads"),
                                       local_files_only=offline is not None))
    except LocalEntryNotFoundError:
        raise HubError(f"cannot download suite {suite.name!r} from {source}: {offline or 'the hub did not answer'}"
                       f", and no copy is cached; {advice}") from None
    except (HfHubHTTPError, OSError) as exc:
        raise HubError(f"cannot download suite {suite.name!r} from {source}: {exc}; {advice}") from None
    manifest = ChecksumManifest.for_suite(suite)
    digest = sha256_file(archive)
    if verification == "all_checks" and manifest.archive and digest != manifest.archive:
        raise ChecksumError(archive, manifest.archive, digest)
    extracted = target / digest[:16]
    if not extracted.is_dir():
        safe_extract_zip(archive, extracted)
    inner = extracted / up.folder
    checked = "sha256 checked" if verification == "all_checks" and manifest.archive else "sha256 not listed"
    return RawRelease(inner if inner.is_dir() else extracted,
                      f"{up.hub_repo_type} `{up.hub_repo}`{' at ' + up.hub_revision if up.hub_revision else ''}, "
                      f"archive `{up.archive}` ({checked}; downloaded with huggingface_hub)")


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
