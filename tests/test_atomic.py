"""Atomic writes: a temp file left by a writer killed between write and rename is removed by the next write of the
same file, while a temp file of a writer still running is left alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gfmbench.atomic import atomic_path, atomic_write, remove_orphaned_temp_files


def test_orphaned_temp_files_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    target = tmp_path / "results-rgb.parquet"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    orphan = tmp_path / f".results-rgb.parquet.{dead.stdout.strip()}.x1y2.tmp"  # its writer has exited
    orphan.write_text("half")
    with atomic_path(target) as live:  # this process is writing: its own temp file must survive a cleanup
        live.write_text("new")
        assert not orphan.exists() and live.name.startswith(".results-rgb.parquet.")
        assert remove_orphaned_temp_files(target) == 0 and live.exists()
    assert target.read_text() == "new" and not list(tmp_path.glob(".*.tmp"))
    other = tmp_path / ".other.parquet.1.z.tmp"  # another file's temp is not this write's business
    other.write_text("x")
    atomic_write(target, "again")
    assert other.exists() and target.read_text() == "again"
