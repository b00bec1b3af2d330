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
  echo "Installing gfmbench into $VENV (log: $VENV/install.log) ..." >&2
  if ! { python -m pip install --upgrade pip \
         && python -m pip install "torch==2.13.0" \
         && python -m pip install -e "$ROOT[test]"; } > "$VENV/install.log" 2>&1; then
    tail -n 40 "$VENV/install.log" >&2
    echo "Installation failed; full log in $VENV/install.log" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi
