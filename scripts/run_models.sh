#!/usr/bin/env bash
# Benchmark several models on one suite, one after the other; finished units are reused, so rerunning is cheap.
# usage: scripts/run_models.sh SUITE MODEL [MODEL ...] -- [extra gfmbench run flags]
set -euo pipefail
suite="${1:?usage: run_models.sh SUITE MODEL [MODEL ...] -- [flags]}"; shift
models=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do models+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#models[@]} -gt 0 ] || { echo "run_models.sh: give at least one model" >&2; exit 2; }
for model in "${models[@]}"; do
  gfmbench run --model "$model" --suite "$suite" "$@"
done
