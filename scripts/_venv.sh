# Sourced by the set-up scripts: make (once) and activate the project's virtual environment.
# torch is installed first, pinned to the CPU wheel (a bare `torch` requirement would pull a multi-GB CUDA build).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${GFMBENCH_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
# shellcheck disable=SC1091
source "$VENV/bin/activate"
stamp="$VENV/.gfmbench-installed"
want="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-64)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  python -m pip install --quiet --upgrade pip
  python -m pip install --quiet "torch==2.13.0"
  python -m pip install --quiet -e "$ROOT[test]"
  echo "$want" > "$stamp"
fi
