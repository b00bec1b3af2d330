"""Releasing suites in one command: each suite is built from its raw release (a local root, else its download
source), checked against the checksums gfmbench knows, published tagged `v<version>`, and then read back at that
tag to check the release is whole — every shard the build record lists is there, every `configs:` pattern of the
card matches a shard, and the card says where the raw data came from. This is what makes
`datasets.load_dataset("gfmbench/<suite>", CONFIG)` work on the Hub the backend points at.

One suite's failure (a download that does not come, a checksum that differs) is reported and the others go on.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

import yaml

from gfmbench.errors import DataFormatError, GfmbenchError
from gfmbench.hub.publish import PublishBackend
from gfmbench.loaders.build import build_suite
from gfmbench.loaders.manifest import BUILD_MANIFEST, BuildManifest
from gfmbench.loaders.raw import Verification
from gfmbench.suites import get_suite
from gfmbench.suites.schema import SuiteSpec


@dataclass
class SuiteRelease:
    """What happened to one suite: its tag and commit, what was checked, or the error that stopped it."""

    suite: str
    repo_id: str
    tag: str | None = None
    commit: str | None = None
    configs: int = 0
    shards: int = 0
    verified_files: str = ""  # "12 / 12": raw files whose digest gfmbench's manifest lists and matched
    raw_origin: str = ""
    error: str | None = None


def release_suites(suite_names: list[str], backend: PublishBackend, raw_root: Path | None = None,
                   verification: Verification = "all_checks", force_tag: bool = False,
                   progress: bool = True) -> list[SuiteRelease]:
    """Build, publish and check each suite; `raw_root` holds one folder per suite (else each suite's download)."""
    results = []
    for name in suite_names:
        suite = get_suite(name)
        outcome = SuiteRelease(suite=suite.name, repo_id=suite.dataset_repo)
        try:
            raw = raw_root / suite.upstream.folder if raw_root is not None else None
            report = build_suite(suite.name, raw_dir=raw, backend=backend, verification=verification,
                                 force_tag=force_tag, progress=progress)
            if report.publish is None or report.publish.tag is None:
                raise GfmbenchError(f"{suite.name}: the build published no tagged release")
            outcome.tag, outcome.commit = report.publish.tag, report.publish.commit
            manifest, shards = check_release(backend, suite, report.publish.tag)
            listed = [f for c in manifest.configs.values() for f in c.upstream_files.values()]
            outcome.configs, outcome.shards = len(manifest.configs), shards
            outcome.verified_files = f"{sum(f.verified for f in listed)} / {len(listed)}"
            outcome.raw_origin = manifest.raw_origin or ""
        except GfmbenchError as exc:
            outcome.error = str(exc)
        results.append(outcome)
    return results


def check_release(backend: PublishBackend, suite: SuiteSpec, tag: str) -> tuple[BuildManifest, int]:
    """Read the release back at its tag: the build record's shards all present, each card config matching shards.
    Returns the record and the number of shards."""
    repo = suite.dataset_repo
    where = f"{repo}@{tag}"
    files = set(backend.list_files(repo, revision=tag))
    raw_manifest = backend.read_file(repo, BUILD_MANIFEST, revision=tag)
    if raw_manifest is None:
        raise DataFormatError("no build record in the release", file=where, field=BUILD_MANIFEST)
    manifest = BuildManifest.from_json(raw_manifest, f"{where}/{BUILD_MANIFEST}")
    shards = [f for c in manifest.configs.values() for s in c.splits.values() for f in s.files]
    missing = [f for f in shards if f not in files]
    if missing:
        raise DataFormatError(f"{len(missing)} shard(s) of the build record are not in the release, e.g. "
                              f"{missing[0]}", file=where)
    card = (backend.read_file(repo, "README.md", revision=tag) or b"").decode("utf-8")
    if not card.startswith("---\n"):
        raise DataFormatError("the card has no YAML header", file=f"{where}/README.md")
    header = yaml.safe_load(card.split("---\n", 2)[1]) or {}
    for entry in header.get("configs", []):
        for data_file in entry.get("data_files", []):
            if not fnmatch.filter(files, data_file["path"]):
                raise DataFormatError(f"config {entry['config_name']}: no file matches {data_file['path']}",
                                      file=f"{where}/README.md", field="configs")
    if set(manifest.configs) != {e["config_name"] for e in header.get("configs", [])}:
        raise DataFormatError("the card's configs differ from the build record's", file=f"{where}/README.md",
                              field="configs")
    return manifest, len(shards)
