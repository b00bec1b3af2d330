"""A disk cache of named numpy arrays, keyed by everything that determines them.

Why: the probe's frozen features and the zero-shot base probabilities cost a backbone pass over a whole split and
are reused by every seed, every regularisation strength and, for zero-shot, by every task that scores the same
sequences (SNMD and SNMR). An entry lives under `GFMBENCH_HOME/cache/<kind>/<model content>/`, named by a digest
of its key; the full key is stored inside it and compared on read, so a digest collision or a stale entry is never
trusted. Writes are atomic (an interrupted run leaves no partial file) and an unreadable entry is recomputed.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from gfmbench.atomic import atomic_write
from gfmbench.config import gfmbench_home

log = logging.getLogger(__name__)

Arrays = dict[str, np.ndarray]


def entry_path(kind: str, key: dict[str, Any], stem: str) -> Path:
    """`cache/<kind>/<model content, 16 hex>/<stem>-<key digest>.npz` (`key` must hold `model_content`)."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    return gfmbench_home() / "cache" / kind / str(key["model_content"])[:16] / f"{stem}-{digest}.npz"


def read_arrays(path: Path, key: dict[str, Any]) -> Arrays | None:
    """The arrays stored at `path` for exactly `key`, or None (missing, another key, or damaged)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            if json.loads(str(stored["key"])) != key:
                return None
            return {name: stored[name] for name in stored.files if name != "key"}
    except (OSError, ValueError, KeyError) as exc:  # a damaged entry is recomputed, never trusted
        log.warning("ignoring unreadable cache entry %s (%s)", path, exc)
        return None


def write_arrays(path: Path, key: dict[str, Any], arrays: Arrays) -> None:
    if "key" in arrays:
        raise ValueError("'key' is reserved for the entry's own key")
    buffer = io.BytesIO()
    np.savez(buffer, key=np.array(json.dumps(key, sort_keys=True)), **arrays)  # type: ignore[arg-type]
    atomic_write(path, buffer.getvalue())


def cached_arrays(kind: str, key: dict[str, Any], stem: str, make: Callable[[], Arrays]) -> tuple[Arrays, bool]:
    """The arrays for `key` from the cache, or computed by `make()` and stored; returns (arrays, was cached)."""
    path = entry_path(kind, key, stem)
    found = read_arrays(path, key)
    if found is not None:
        return found, True
    arrays = make()
    write_arrays(path, key, arrays)
    return arrays, False
