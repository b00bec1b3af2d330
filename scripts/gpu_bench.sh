#!/usr/bin/env bash
# The prepared GPU run (issue 23, part 3): fine-tunes random-weight models of NT-v2-50M's and DNABERT-2-117M's
# shapes on GUE prom_300_tata (real data, all 4,904 training rows, one epoch, batch 32) in bf16 with SDPA attention,
# once with `gfmbench run` and once with a bare PyTorch loop, and reports training tokens per second, peak GPU
# memory and model FLOP utilisation against the device's bf16 peak: the GPU rows of docs/performance.md.
# A few minutes on one H100/H200-class GPU; never part of the tests.
#
#   bash scripts/gpu_prepare.sh           # where pip works: the wheels the GPU image lacks + the real files, in .gpu/
#   bash scripts/gpu_bench.sh             # on the GPU machine (carry .gpu): $OUT/gpu.json, $OUT/performance.md
#   bash scripts/gpu_bench.sh --dry-run   # anywhere: the same steps on the CPU, miniature shapes, a few rows
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
flags=()
if [[ "${1:-}" == "--dry-run" ]]; then flags+=(--dry-run); shift; fi
python=${PYTHON:-}
if [[ -z "$python" ]]; then
  if [[ -x .venv/bin/python ]]; then python=$repo/.venv/bin/python; else python=python3; fi
fi
# imports are checked, and the run made, outside the checkout: its gfmbench/ folder would shadow an installed copy
imports="import gfmbench.harness.run, datasets, evaluate, olah"
importable() { (cd /tmp && "$python" -c "$imports" 2>/dev/null); }
if [[ -d .gpu/wheels ]] && ! importable; then
  # the packages the GPU image lacks, and gfmbench itself, into a private site folder
  site=${GFMBENCH_GPU_SITE:-/tmp/gfmbench-site}
  "$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" .gpu/wheels/*.whl
  "$python" -m pip install -q --no-index --no-deps --no-build-isolation --no-cache-dir --upgrade --target "$site" .
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
if [[ -d .gpu/samples ]]; then export GFMBENCH_SAMPLES="$PWD/.gpu/samples"; fi
if [[ -d .gpu/zoo ]]; then export GFMBENCH_ZOO="$PWD/.gpu/zoo"; fi
if ! importable; then
  echo "gpu_bench.sh: gfmbench or its dependencies do not import with $python; run scripts/gpu_prepare.sh where" \
       "pip works and carry .gpu to this machine" >&2
  exit 3
fi
out=${OUT:-$(mktemp -d -t gfmbench-gpu-XXXXXX)}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
(cd "$out" && "$python" "$repo/scripts/bench.py" gpu "${flags[@]}" --json "$out/gpu.json" --write-doc "$@")
cp docs/performance.md "$out/performance.md"
echo "results: $out/gpu.json, $out/performance.md"
