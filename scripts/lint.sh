#!/usr/bin/env bash
# The house's checks before the tests (CI runs this first): ruff and mypy, configured in pyproject.toml.
source "$(dirname "$0")/_venv.sh"
cd "$ROOT"
ruff check .
# mypy checks the package as it is installed: the top-level folders mapped into `gfmbench` (setuptools'
# package-dir), which an editable install's import hook gives at run time and mypy cannot follow. A tree of
# links with that layout, made from pyproject.toml's own mapping, is what mypy reads.
tree="$ROOT/build/typecheck"
python - "$ROOT" "$tree" <<'PY'
import shutil, sys, tomllib
from pathlib import Path

root, tree = Path(sys.argv[1]), Path(sys.argv[2])
shutil.rmtree(tree, ignore_errors=True)
mapping = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
package = tree / "gfmbench"
package.mkdir(parents=True)
for name in (root / mapping["gfmbench"]).iterdir():
    if name.name != "__pycache__":
        (package / name.name).symlink_to(name)
for dotted, folder in mapping.items():
    if dotted != "gfmbench":
        (tree / dotted.replace(".", "/")).symlink_to(root / folder)
PY
(cd "$tree" && mypy --config-file "$ROOT/pyproject.toml" -p gfmbench)
