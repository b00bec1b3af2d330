"""gfmbench's tests: a package, so that `pytest` from the root and `python -m pytest` import the shared
helpers (`tests.helpers`, `tests.upstream_files`, `tests.beacon_files`) the same way."""
