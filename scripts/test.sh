#!/usr/bin/env bash
# Run the whole test suite (unit and end-to-end) in the project's virtual environment.
#
# Tests run in parallel workers (pytest-xdist), a module per worker at a time (module fixtures are built once):
# GFMBENCH_TEST_WORKERS of them, default 2, one per core of the 2-core machines the suite is sized for (0 runs them
# in this process). Most of a slow test's time is single-threaded Python (interpreter start-up, imports, tokenising)
# in the processes it starts, so a second worker nearly halves the wall time; each worker and the processes its tests
# start use one BLAS/OpenMP thread (OMP_NUM_THREADS, unless set), so two workers never oversubscribe the cores.
# Arguments are passed to pytest (`bash scripts/test.sh -m "not slow"`: the fast lane).
source "$(dirname "$0")/_venv.sh"
cd "$ROOT"
workers="${GFMBENCH_TEST_WORKERS:-2}"
if [ "$workers" = "0" ]; then
  exec python -m pytest "$@"
fi
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
exec python -m pytest -n "$workers" --dist loadscope "$@"
