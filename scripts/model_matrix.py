"""Write docs/models.md: the model registry as a table, and the compatibility matrix (family x token task,
sequence task, probe, zero-shot) from real runs of each family's miniature through `gfmbench run`.

Every cell says what ran: the class that received the checkpoint, the task and the test score of the miniature
(random weights: the score only shows the path works), or the error the run stopped with. Nothing is typed by
hand; rerun after changing the model layer:

    python scripts/model_matrix.py [--samples ../shared/samples] [--zoo ../shared/zoo] [--output docs/models.md]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = {  # column -> (suite, task, regime)
    "token task (RGB SSP_Archive2)": ("rgb", "SSP_Archive2", "finetune"),
    "sequence task (GUE mouse_tf_3)": ("gue", "mouse_tf_3", "finetune"),
    "probe (GUE mouse_tf_3)": ("gue", "mouse_tf_3", "probe"),
    "zero-shot (RGB SNMD)": ("rgb", "SNMD", "zeroshot"),
}
SCRIPT = """
import json, sys
from gfmbench.cli import main
codes = []
for args in json.loads(sys.argv[1]):
    codes.append(main(args))
print(json.dumps(codes))
"""


def run_family(name: str, flags: list[str], folder: Path, out: Path, env: dict[str, str]) -> dict[str, str]:
    runs = [["run", "--no-progress", "--model", str(folder), "--suite", suite, "--tasks", task, "--regime", regime,
             "--epochs", "1", "--batch-size", "8", "--output-dir", str(out / column.split()[0]), *flags]
            for column, (suite, task, regime) in COLUMNS.items()]
    cells = {}
    for column, args in zip(COLUMNS, runs, strict=True):
        proc = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps([args])], env=env, capture_output=True,
                              text=True, timeout=900, check=False)
        errors = [line for line in proc.stderr.splitlines() if line.startswith("gfmbench:")]
        units = list((out / column.split()[0]).rglob("result.json"))
        if proc.returncode == 0 and units and json.loads(proc.stdout.strip().splitlines()[-1]) == [0]:
            unit = json.loads(units[0].read_text())
            primary = unit["primary_metric"]
            loading = unit.get("loading") or {}
            fixes = f"; {len(loading['fixes'])} load-time fix(es)" if loading.get("fixes") else ""
            cells[column] = (f"ran: {unit['head'].split(' (')[0]}; miniature {primary} "
                             f"{unit['metrics']['test'][primary]:.3f}{fixes}")
        else:
            message = errors[-1].split(": ", 2)[-1] if errors else (proc.stderr.strip().splitlines() or ["?"])[-1]
            cells[column] = "error: " + message.replace(str(folder), name).replace("|", "/")[:220]
    return cells


def registry_table() -> list[str]:
    from gfmbench.models.registry import all_checkpoints

    lines = ["| name | family | Hub id | revision | alphabet | tokenizer | parameters | context (tokens) | license | "
             "loads with |", "|---|---|---|---|---|---|---|---|---|---|"]
    for family, ckpt in all_checkpoints():
        k = ckpt.k or family.k
        loads = f"plugin `{family.plugin_import}`" if family.plugin_import else (
            "remote code" + (f" (needs {', '.join(family.requires)})" if family.requires else "")
            if family.remote_code else "transformers")
        lines.append(f"| `{ckpt.name}` | {family.display_name} | `{ckpt.hub_id}` | "
                     f"{ckpt.revision[:12] if ckpt.revision else 'main'} | {family.alphabet} | "
                     f"{family.tokenizer.replace('_', '-')}{f' (k={k})' if k else ''} | "
                     f"{f'{ckpt.n_parameters:,}' if ckpt.n_parameters else '—'} | "
                     f"{f'{ckpt.max_context:,}' if ckpt.max_context else '—'} | {family.license or '—'} | {loads} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=ROOT.parent / "shared" / "samples")
    parser.add_argument("--zoo", type=Path, default=ROOT.parent / "shared" / "zoo")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "models.md")
    args = parser.parse_args()

    from gfmbench import __version__
    from gfmbench.atomic import atomic_write
    from gfmbench.harness.miniatures import MINIATURE_RUNS, build_miniature, excerpt_hub
    from gfmbench.hub.server import local_hub
    from gfmbench.models.registry import load_registry

    families = {f.family: f for f in load_registry().families}
    rows = []
    with tempfile.TemporaryDirectory(prefix="gfmbench-matrix-") as tmp:
        work = Path(tmp)
        excerpt_hub(args.samples, work / "raw", work / "hub")
        with local_hub(root=work / "hub") as server:
            env = {**os.environ, **server.env(), "GFMBENCH_HOME": str(work / "home"), "HF_HOME": str(work / "hf")}
            for name, (family, flags) in MINIATURE_RUNS.items():
                folder = build_miniature(name, work / "models" / name, args.zoo)
                cells = run_family(name, flags, folder, work / "out" / name, env)
                rows.append((families[family].display_name, name, " ".join(flags) or "—", cells))
                print(f"{name}: " + "; ".join(f"{c.split()[0]} {v.split(':')[0]}" for c, v in cells.items()),
                      file=sys.stderr)
    lines = [
        "# Models: registry and compatibility", "",
        "Generated by `python scripts/model_matrix.py` (gfmbench " + __version__ + "); do not edit by hand.", "",
        "## Compatibility matrix", "",
        "Each family's **miniature** (random weights, 2 layers, its real architecture code and tokenizer: "
        "`gfmbench.harness.miniatures`) was run through `gfmbench run` on excerpts of the real data (first rows of "
        "RGB SSP_Archive2 and SNMD, GUE mouse_tf_3 with its CRLF line endings). A cell gives the class that received "
        "the checkpoint and the miniature's test score (random weights: it shows the path runs, nothing about the "
        "real model), or the error the run stopped with. Each run's loading report was clean (no checkpoint tensor "
        "left unused beyond pretraining heads, no backbone weight left uninitialised), or it would have stopped.",
        "",
        "| family | miniature | flags | " + " | ".join(COLUMNS) + " |",
        "|---|---|---|" + "---|" * len(COLUMNS),
    ]
    for display, name, flags, cells in rows:
        lines.append(f"| {display} | `{name}` | `{flags}` | " + " | ".join(cells[c] for c in COLUMNS) + " |")
    lines += ["", "Families in the registry without a miniature here (GENA-LM, Evo, AgroNT, SpliceBERT, UTR-LM, "
              "ERNIE-RNA, RNA-MSM, NT v1) were not run: no entry in this table means not tried, not supported.", "",
              "## Registry", "", "`models/families.yaml`, listed by `gfmbench models`. A revision is pinned only "
              "where a source states one; parameters and context as the checkpoint's name or card states them "
              "(— where none was checked).", "", *registry_table(), ""]
    atomic_write(args.output, "\n".join(lines))
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
