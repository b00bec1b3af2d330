"""GUE, GB and PGB built from synthetic upstream-format files load with plain `datasets.load_dataset` through
the local hub."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from gfmbench.hub.publish import LocalGitBackend
from gfmbench.hub.server import local_hub
from gfmbench.loaders.build import build_suite
from tests.helpers import load_with_datasets
from tests.upstream_files import synthetic_gue, synthetic_pgb

pytestmark = pytest.mark.slow



def test_three_suites_load_through_the_local_hub(samples: Path, tmp_path: Path, request) -> None:
    backend = LocalGitBackend(tmp_path / "hub")
    build_suite("gue", raw_dir=synthetic_gue(tmp_path, samples, random.Random(0)), backend=backend,
                verification="no_checks", progress=False)
    build_suite("pgb", raw_dir=synthetic_pgb(tmp_path, random.Random(0)), backend=backend, verification="no_checks",
                progress=False)
    gb_raw, _ = request.getfixturevalue("synthetic_gb_raw")  # the GB coordinate route on a synthetic reference
    build_suite("gb", raw_dir=gb_raw, backend=backend, verification="no_checks", progress=False)
    with local_hub(root=tmp_path / "hub") as hub:
        out = load_with_datasets(hub.env(), [("gfmbench/gue", "EMP_H3"),
                                             ("gfmbench/gb", "dummy_mouse_enhancers_ensembl"),
                                             ("gfmbench/pgb", "chromatin_access_sorghum_bicolor")])
    assert out["gfmbench/gue"]["rows"] == {"train": 15, "validation": 15, "test": 15}
    assert "ClassLabel(names=['0', '1'])" in out["gfmbench/gue"]["features"]
    assert out["gfmbench/gb"]["rows"] == {"train": 871, "validation": 97, "test": 242}
    assert "ClassLabel(names=['negative', 'positive'])" in out["gfmbench/gb"]["features"]
    assert out["gfmbench/pgb"]["rows"] == {"train": 24, "validation": 24, "test": 24}
    assert "List(Value('int8'))" in out["gfmbench/pgb"]["features"]
