"""One exception family, so the CLI can print a clean message for anything the user can fix.

Data errors carry where the bad value is (file, line/row, field) because the fix is always "go and look at that
line"; a message without a location sends people to a debugger.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class GfmbenchError(Exception):
    """Base class: an error the user can act on (printed without a traceback by the CLI)."""


class DataFormatError(GfmbenchError):
    """A raw upstream file does not have the expected content."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        self.reason = message
        where = []
        if self.file is not None:
            where.append(self.file if line is None else f"{self.file}:{line}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ChecksumError(GfmbenchError):
    """A raw file's sha256 differs from the manifest shipped with gfmbench."""

    def __init__(self, file: str | Path, expected: str, actual: str) -> None:
        self.file, self.expected, self.actual = str(file), expected, actual
        super().__init__(
            f"{file}: checksum mismatch (sha256 expected {expected}, got {actual}); the raw file is not the "
            "upstream release this builder was written for. Re-download it, or pass --no-verify to build anyway "
            "(the card will say the checksums were not verified)."
        )


class MissingDataError(GfmbenchError):
    """A task, split or raw folder that the build needs is not there."""


class ConfigError(GfmbenchError):
    """A suite file, option or environment setting is invalid."""


class HubError(GfmbenchError):
    """Publishing to, or serving, a hub failed."""


class OutputError(GfmbenchError):
    """A result or cache file could not be written (disk full, read-only folder, ...); nothing half-written."""


class ConcurrentUpdateError(HubError):
    """The branch moved between reading it and committing (another publisher won the race): read again, retry."""


class UnknownNameError(GfmbenchError, KeyError):
    """A name (task, suite, config) is not registered; the message suggests the closest ones."""

    def __init__(self, kind: str, name: str, known: Iterable[str], listed_by: str = "gfmbench tasks") -> None:
        known = sorted(set(known))
        self.kind, self.name, self.known = kind, name, known
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        lowered = {k.lower(): k for k in known}
        if name.lower() in lowered and lowered[name.lower()] not in close:
            close.insert(0, lowered[name.lower()])
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        listing = ", ".join(known) if len(known) <= 30 else f"{len(known)} names; `{listed_by}` lists them"
        message = f"unknown {kind} {name!r}{hint} (known: {listing})"
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.message
