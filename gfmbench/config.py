"""Where gfmbench keeps things: one home folder, overridable by environment variables.

`GFMBENCH_HOME` (default `~/.cache/gfmbench`) holds the local hub (`hub/`) and the raw-download cache (`raw/`).
`GFMBENCH_RAW_DIR` points at a root holding one already-downloaded upstream copy per suite (`RGB/`, `GUE/`, ...),
for air-gapped machines.
"""

from __future__ import annotations

import os
from pathlib import Path


def gfmbench_home() -> Path:
    return Path(os.environ.get("GFMBENCH_HOME") or Path.home() / ".cache" / "gfmbench").expanduser()


def hub_root() -> Path:
    """The directory of git repos served as the local hub (`datasets/<org>/<name>`, `models/<org>/<name>`)."""
    return Path(os.environ.get("GFMBENCH_HUB_ROOT") or gfmbench_home() / "hub").expanduser()


def raw_cache_dir() -> Path:
    return gfmbench_home() / "raw"


def raw_root() -> Path | None:
    value = os.environ.get("GFMBENCH_RAW_DIR")
    return Path(value).expanduser() if value else None
