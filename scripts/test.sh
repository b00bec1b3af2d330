#!/usr/bin/env bash
# Run the whole test suite (unit and end-to-end) in the project's virtual environment.
source "$(dirname "$0")/_venv.sh"
cd "$ROOT"
python -m pytest "$@"
