#!/usr/bin/env bash
# The main job on the embedded default, offline: build RGB from the real upstream files into the local hub, publish
# a tiny random model there, serve the hub, load a task with plain `datasets`, fine-tune and evaluate the model on
# SSP_Archive2 with two seeds (CPU, about a minute), print the table and push the result cards to the local hub.
source "$(dirname "$0")/_venv.sh"
export GFMBENCH_RAW_DIR="${GFMBENCH_RAW_DIR:-$ROOT/../shared/samples}"
gfmbench build rgb
gfmbench hub publish-tiny-models --models gfmbench/tiny-random-bert-nt
gfmbench hub exec -- bash -c '
  python "$0/scripts/show_dataset.py" gfmbench/rgb SSP_Archive2 --revision v1.0.0 &&
  gfmbench run --model gfmbench/tiny-random-bert-nt --suite rgb --tasks SSP_Archive2 --seeds 0 1 \
    --push-to gfmbench/results' "$ROOT"
