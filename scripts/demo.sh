#!/usr/bin/env bash
# The main job on the embedded default: build RGB from the real upstream files into the local hub, then serve the
# hub and load tasks from it with plain `datasets.load_dataset`, as any user would.
source "$(dirname "$0")/_venv.sh"
export GFMBENCH_RAW_DIR="${GFMBENCH_RAW_DIR:-$ROOT/../shared/samples}"
gfmbench build rgb
gfmbench hub exec -- python "$ROOT/scripts/show_dataset.py" gfmbench/rgb SSP_Archive2 mRNA_degrade --revision v1.0.0
