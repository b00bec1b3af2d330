#!/usr/bin/env bash
# Benchmark one model on every task of one suite (a thin wrapper over `gfmbench run`).
# usage: scripts/run_suite.sh MODEL SUITE [extra gfmbench run flags, e.g. --seeds 0 1 2 --push-to gfmbench/results]
set -euo pipefail
model="${1:?usage: run_suite.sh MODEL SUITE [flags]}"; suite="${2:?usage: run_suite.sh MODEL SUITE [flags]}"; shift 2
exec gfmbench run --model "$model" --suite "$suite" "$@"
