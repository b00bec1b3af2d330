"""A smoke run of the performance runner (`scripts/bench.py all --quick`): every benchmark runs at tiny sizes and
reports its ratio. It checks that the runner works, never a time (figures come from full runs, in
docs/performance.md). OmniGenBench's side is skipped here: installing it is the full run's job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

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
                         "zero-shot masked marginals", "zero-shot wild-type marginals",
                         "e2e at NT-v2-50M shape", "harness overhead at NT-v2-50M shape"}
    scale = [r for r in report["results"] if "NT-v2-50M shape" in r["benchmark"]]
    assert {r["benchmark"].split(", ")[1] for r in scale} == {"SSP_Archive2", "prom_300_tata"}  # both tasks, 2 rows
    assert all("bare loop test" in " ".join(r["detail"]) for r in scale)
    for name, row in rows.items():
        assert row["ours_s"] > 0 and row["ours_rss_mb"] > 0, name
        if not name.startswith("e2e"):  # OmniGenBench skipped in the smoke run
            assert row["ratio"] > 0 and row["baseline_s"] > 0, name
    assert rows["e2e AutoBench"]["detail"]["omnigenbench"].startswith("skipped")
    assert rows["e2e at NT-v2-50M shape"]["detail"]["omnigenbench"].startswith("skipped")
    assert rows["masked token macro F1"]["detail"]["same value"] is True
    assert isinstance(rows["zero-shot masked marginals"]["detail"]["identical metrics"], bool)  # reported, not asserted
    assert 0 <= rows["harness overhead"]["detail"]["gfmbench test macro F1"] <= 1
    assert "torch" in report["environment"] and "| benchmark |" not in proc.stdout  # a plain table on stdout
    assert "e2e AutoBench, SSP_Archive2" in proc.stdout


def test_the_gpu_script_runs_its_steps_on_the_cpu_with_dry_run(tmp_path: Path) -> None:
    """`scripts/gpu_bench.sh --dry-run`: both model shapes (NT-v2 and DNABERT-2's remote code), gfmbench and the bare
    loop, on the CPU with miniature shapes; tokens per second reported, no GPU figures, the docs left alone."""
    doc = (REPO / "docs" / "performance.md").read_text()
    proc = subprocess.run(["bash", str(REPO / "scripts" / "gpu_bench.sh"), "--dry-run"], capture_output=True,
                          text=True, timeout=900, check=False, env={**os.environ, "OUT": str(tmp_path)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((tmp_path / "gpu.json").read_text())
    rows = {r["benchmark"]: r for r in report["results"]}
    assert set(rows) == {"GPU fine-tune, nt-v2-50m shape, prom_300_tata",
                         "GPU fine-tune, dnabert-2-117m shape, prom_300_tata"}
    for row in rows.values():
        detail = row["detail"]
        assert detail["device"] == "cpu" and detail["gfmbench tokens/s"] > 0 and detail["bare tokens/s"] > 0
        assert detail["gfmbench MFU"] is None and detail["gfmbench peak GPU MiB"] is None  # no GPU, no GPU figures
        assert -1 <= detail["gfmbench test mcc"] <= 1
    assert (REPO / "docs" / "performance.md").read_text() == doc  # a dry run writes no rows


def test_the_gpu_peaks_are_found_by_the_names_torch_reports() -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    from bench import bf16_peak

    assert bf16_peak("NVIDIA H200") == 989.4e12
    assert bf16_peak("NVIDIA H100 PCIe") == 756e12  # the longest matching name, not "H100" (SXM)
    assert bf16_peak("NVIDIA A100-SXM4-80GB") == 312e12
    assert bf16_peak("cpu") is None and bf16_peak("Tesla T4") is None
