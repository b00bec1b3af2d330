"""The installable package: imports cheaply, exposes every subpackage, and ships its data files in the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import REPO

SUBPACKAGES = ["gfmbench", "gfmbench.suites", "gfmbench.loaders", "gfmbench.metrics", "gfmbench.harness",
               "gfmbench.hub", "gfmbench.leaderboard"]


def test_import_loads_no_heavy_library() -> None:
    code = ("import sys, gfmbench, gfmbench.cli, gfmbench.suites; "
            "heavy = [m for m in ('torch', 'transformers', 'datasets', 'evaluate', 'sklearn', 'polars') "
            "if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_cli_help_and_version() -> None:
    help_out = subprocess.run([sys.executable, "-m", "gfmbench", "--help"], capture_output=True, text=True, check=True)
    assert "build" in help_out.stdout and "hub" in help_out.stdout and "tasks" in help_out.stdout
    version = subprocess.run([sys.executable, "-m", "gfmbench", "--version"], capture_output=True, text=True,
                             check=True)
    import gfmbench

    assert gfmbench.__version__ in version.stdout


@pytest.mark.slow
def test_wheel_contains_every_subpackage_and_data(tmp_path: Path) -> None:
    """Build the wheel, install it (without deps) into a bare target folder, import it from outside the repo."""
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path / "dist"),
                    str(REPO)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("gfmbench-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "gfmbench/suites/rgb.yaml" in names
    assert "gfmbench/loaders/upstream-checksums/rgb.json" in names
    assert "gfmbench/metrics/mcc/mcc.py" in names and "gfmbench/metrics/mcc/README.md" in names
    assert {"gfmbench/suites/gue.yaml", "gfmbench/suites/gb.yaml", "gfmbench/suites/pgb.yaml"} <= set(names)
    assert "gfmbench/leaderboard/reported/feng2025-natcommun.yaml" in names  # the reported transcriptions
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)],
                   check=True, capture_output=True)
    code = ("import importlib, sys; "
            f"mods = [importlib.import_module(m) for m in {SUBPACKAGES!r}]; "
            "assert all(m.__file__.startswith(sys.argv[1]) for m in mods), [m.__file__ for m in mods]; "
            "from gfmbench.suites import get_suite; print(len(get_suite('rgb').tasks)); "
            "from gfmbench.cli import main; main(['--help'])")
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code, str(target)], cwd=tmp_path, env=env, capture_output=True,
                         text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "10"
    assert "usage: gfmbench" in out.stdout
