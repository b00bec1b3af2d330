"""The build record a suite's dataset repo carries (`gfmbench_build.json`): what each config was built from and
into. The card, `eval.yaml`, `gfmbench tasks` and the next build (which keeps configs it does not rebuild) read it,
so it is one typed model rather than a dict each reader spells its own way."""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gfmbench.errors import DataFormatError
from gfmbench.loaders.raw import Verification

BUILD_MANIFEST = "gfmbench_build.json"


class _Record(BaseModel):
    # Records written by earlier builders may carry keys this one no longer writes: they are dropped, not errors.
    model_config = ConfigDict(extra="ignore")


class SplitBuild(_Record):
    """One built split: its rows, sequence lengths and Parquet shards."""

    rows: int = Field(ge=0)
    min_length: int = Field(ge=0)
    max_length: int = Field(ge=0)
    mean_length: float = Field(ge=0)
    files: list[str]


class UpstreamFile(_Record):
    """A raw file read for the build, with its digest and whether gfmbench's checksum manifest lists it."""

    sha256: str
    verified: bool
    check: str | None = None  # how it was verified when not byte for byte (e.g. line endings restored)


class ConfigBuild(_Record):
    """One config: its splits in canonical order, the splits the raw release lacked (never faked), the raw files
    read, the splits read but not scorable (no labels) and how a carved validation split was made."""

    splits: dict[str, SplitBuild] = Field(default_factory=dict)
    missing_splits: list[str] = Field(default_factory=list)
    upstream_files: dict[str, UpstreamFile] = Field(default_factory=dict)
    unscored_splits: dict[str, str] | None = None
    validation: str | None = None


class BuildManifest(_Record):
    suite: str
    version: str
    builder_version: str
    verification: Verification
    raw_origin: str | None = None  # where the raw release of this build came from (a local copy, a download)
    configs: dict[str, ConfigBuild] = Field(default_factory=dict)

    def to_json(self) -> str:
        """Sorted keys and no unset optionals: identical builds give identical bytes."""
        return json.dumps(self.model_dump(exclude_none=True), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, raw: bytes | str, origin: str) -> BuildManifest:
        """The record read back; a damaged one is an error naming where it was read from and the field."""
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or None
            raise DataFormatError(f"not a gfmbench build record: {err['msg']}", file=origin, field=field) from None
