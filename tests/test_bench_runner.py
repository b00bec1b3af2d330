"""A smoke run of the performance runner (`scripts/bench.py all --quick`): every benchmark runs at tiny sizes and
reports its ratio. It checks that the runner works, never a time (figures come from full runs, in
docs/performance.md). OmniGenBench's side is skipped here: installing it is the full run's job."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_the_runner_produces_every_ratio(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "bench.py"), "all", "--quick", "--no-omnigenbench",
                           "--json", str(out)], capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    rows = {r["benchmark"].split(",")[0]: r for r in report["results"]}
    assert set(rows) == {"e2e AutoBench", "harness overhead", "tokenise + align",
                         "tokenise + align (slow NT tokenizer)", "builder conversion",
                         "warm load_dataset", "masked token macro F1", "MCRMSE", "import gfmbench", "gfmbench --help",
                         "zero-shot masked marginals", "zero-shot wild-type marginals"}
    for name, row in rows.items():
        assert row["ours_s"] > 0 and row["ours_rss_mb"] > 0, name
        if name != "e2e AutoBench":  # OmniGenBench skipped in the smoke run
            assert row["ratio"] > 0 and row["baseline_s"] > 0, name
    assert rows["e2e AutoBench"]["detail"]["omnigenbench"].startswith("skipped")
    assert rows["masked token macro F1"]["detail"]["same value"] is True
    assert isinstance(rows["zero-shot masked marginals"]["detail"]["identical metrics"], bool)  # reported, not asserted
    assert 0 <= rows["harness overhead"]["detail"]["gfmbench test macro F1"] <= 1
    assert "torch" in report["environment"] and "| benchmark |" not in proc.stdout  # a plain table on stdout
    assert "e2e AutoBench, SSP_Archive2" in proc.stdout
