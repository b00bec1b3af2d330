#!/usr/bin/env bash
# Prepares `.gpu/` (git-ignored) for scripts/gpu_bench.sh on a GPU machine that cannot reach a package index:
# the wheels of scripts/gpu-wheels.txt for CPython 3.12 on x86-64 Linux, and copies of the real files the run reads
# (GUE prom_300_tata, RGB SSP_Archive2, DNABERT-2's Hub code and tokenizer) from ../shared. Run it where pip works.
#
#   bash scripts/gpu_prepare.sh [PYTHON_VERSION]    # default 3.12 (the GPU image's)
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-3.12}
shared=${GFMBENCH_SHARED:-$(cd .. && pwd)/shared}
python=python3
if [[ -x .venv/bin/python ]]; then python=.venv/bin/python; fi
rm -rf .gpu.tmp && mkdir -p .gpu.tmp/wheels .gpu.tmp/samples/GUE/prom .gpu.tmp/samples/RGB .gpu.tmp/zoo
platforms=()
for n in 17 24 27 28 31 34 35; do platforms+=(--platform "manylinux_2_${n}_x86_64"); done
"$python" -m pip download -q --no-deps --only-binary=:all: --python-version "$version" --implementation cp \
  "${platforms[@]}" --platform manylinux2014_x86_64 --platform manylinux1_x86_64 --platform any \
  -d .gpu.tmp/wheels -r scripts/gpu-wheels.txt
cp -r "$shared/samples/GUE/prom/prom_300_tata" .gpu.tmp/samples/GUE/prom/
cp -r "$shared/samples/RGB/RNA-SSP-Archive2" .gpu.tmp/samples/RGB/
cp -r "$shared/zoo/dnabert2" .gpu.tmp/zoo/
rm -rf .gpu && mv .gpu.tmp .gpu
du -sh .gpu .gpu/wheels
echo "carry .gpu to the GPU machine, then: bash scripts/gpu_bench.sh"
