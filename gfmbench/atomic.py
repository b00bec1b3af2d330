"""Every file gfmbench writes goes through here: temp file in the same folder, fsync, rename.

A killed process then leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to `path`; on success it replaces `path` atomically.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    from gfmbench.errors import OutputError

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_orphaned_temp_files(path)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the mode a plain open() would
        os.replace(tmp, path)
    except OSError as exc:  # disk full, read-only folder, quota: the target keeps its old content
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}; its previous content is unchanged") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_orphaned_temp_files(path: Path) -> int:
    """Delete the temp files of `path` whose writer no longer runs (a SIGKILL between write and rename leaves one).
    Temp names carry the writer's pid, so a live writer's file — another process writing the same shared file — is
    never touched; returns how many were removed."""
    import glob

    removed = 0
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = stale.name[len(path.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            stale.unlink(missing_ok=True)
            removed += 1
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, data: bytes | str) -> Path:
    """Write bytes or UTF-8 text to `path` atomically and return the path."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)
    return Path(path)


def remove_stale_temp_files(folder: str | Path) -> int:
    """Delete temp files a killed writer left in `folder` (only call this for a folder this process owns, e.g. the
    unit it is about to compute); returns how many were removed."""
    removed = 0
    for stale in Path(folder).glob(".*.tmp"):
        stale.unlink(missing_ok=True)
        removed += 1
    return removed
