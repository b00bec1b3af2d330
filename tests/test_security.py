"""Security: code in an upstream raw release is never imported, result cards are validated before they are
published, and ids from cards cannot steer files outside the results store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gfmbench.errors import HubError
from gfmbench.harness.results import UnitKey
from tests.upstream_files import ssp_raw

MALICIOUS = "from pathlib import Path\nPath({marker!r}).write_text('imported')\n"


def test_python_files_in_a_raw_release_are_never_imported(tmp_path: Path) -> None:
    raw = ssp_raw(tmp_path, train=[{"seq": "GGGAAACCC", "label": "(((...)))"}] * 3)
    marker = tmp_path / "PWNED"
    for folder in (raw, *[p for p in raw.iterdir() if p.is_dir()]):  # OmniGenBench ships config.py per task
        for name in ("config.py", "metadata.py", "__init__.py"):
            (folder / name).write_text(MALICIOUS.format(marker=str(marker)))
    proc = subprocess.run([sys.executable, "-m", "gfmbench", "build", "rgb", "--raw-dir", str(raw), "--no-verify",
                           "--configs", "SSP_Archive2", "--hub-root", str(tmp_path / "hub"), "--no-progress"],
                          capture_output=True, text=True, cwd=raw, env={"PYTHONPATH": "", "PATH": "/usr/bin:/bin",
                                                                         "GFMBENCH_HOME": str(tmp_path / "home"),
                                                                         "HOME": str(tmp_path)}, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not marker.exists()


@pytest.mark.parametrize("model_id", ["../../../etc/cron.d/x", "/abs/path", "a/../../b", "..", "…/\x00/x"])
def test_model_ids_from_cards_stay_inside_the_store(tmp_path: Path, model_id: str) -> None:
    key = UnitKey(model_id=model_id, model_sha="0" * 40, model_content="f" * 64, dataset_repo="gfmbench/rgb",
                  dataset_revision="1" * 40, suite="rgb", task="SSP_Archive2", seed=0)
    folder = key.folder(tmp_path).resolve()
    assert folder.is_relative_to(tmp_path.resolve()) and ".." not in folder.relative_to(tmp_path.resolve()).parts


def test_impossible_cards_are_refused_before_publishing(tmp_path: Path) -> None:
    from gfmbench.harness.cards import push_results
    from gfmbench.harness.models import ResolvedModel
    from gfmbench.harness.results import write_unit
    from gfmbench.harness.run import RunReport, UnitOutcome
    from gfmbench.hub.publish import LocalGitBackend
    from gfmbench.leaderboard.fixtures import make_card
    from gfmbench.suites.registry import get_suite

    card = make_card("m/forged", "rgb", "SSP_Archive2", 0, 1.7)  # a macro F1 above 1
    folder = card.key.folder(tmp_path / "out")
    write_unit(folder, card, [{"id": "x"}])
    model = ResolvedModel(model_id=str(tmp_path), revision=None, sha="0" * 40, path=tmp_path, content_id="0" * 64)
    report = RunReport(model=model, suite=get_suite("rgb"), units=[UnitOutcome(folder, card, reused=False)],
                       output_dir=tmp_path / "out")
    backend = LocalGitBackend(tmp_path / "hub")
    with pytest.raises(HubError, match="impossible value f1_macro = 1.7"):
        push_results(report, "gfmbench/results", backend)
    assert backend.head("gfmbench/results") is None  # nothing published


def test_disk_full_while_writing_a_unit_is_clear_and_leaves_the_old_unit(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import pyarrow.parquet as pq

    from gfmbench.errors import OutputError
    from gfmbench.harness.results import read_unit, write_unit
    from gfmbench.leaderboard.fixtures import make_card

    old = make_card("m/a", "rgb", "SSP_Archive2", 0, 0.5)
    folder = old.key.folder(tmp_path)
    write_unit(folder, old, [{"id": "x"}])
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq, "write_table", full)
    new = make_card("m/a", "rgb", "SSP_Archive2", 0, 0.6)
    with pytest.raises(OutputError, match="predictions.parquet: No space left on device; its previous content"):
        write_unit(folder, new, [{"id": "x"}])
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # the old unit intact, no temp files
    assert read_unit(folder).primary_value == 0.5


FAKE_TOKEN = "hf_gfmbenchFakeTokenForSecurityTests0987654321"


def test_a_token_reaches_no_dataset_card_file_or_error_message(tmp_path: Path) -> None:
    raw = ssp_raw(tmp_path, train=[{"seq": "GGGAAACCC", "label": "(((...)))"}] * 3)
    env = {"PATH": "/usr/bin:/bin", "GFMBENCH_HOME": str(tmp_path / "home"), "HOME": str(tmp_path),
           "HF_TOKEN": FAKE_TOKEN, "HF_HUB_DISABLE_TELEMETRY": "1"}
    build = subprocess.run([sys.executable, "-m", "gfmbench", "-v", "build", "rgb", "--raw-dir", str(raw),
                            "--no-verify",
                            "--configs", "SSP_Archive2", "--hub-root", str(tmp_path / "hub"), "--no-progress"],
                           capture_output=True, text=True, env=env, check=False)
    assert build.returncode == 0, build.stderr[-2000:]
    # the same build to a Hub that does not answer: the error names the endpoint, never the token
    down = subprocess.run([sys.executable, "-m", "gfmbench", "-v", "build", "rgb", "--raw-dir", str(raw), "--no-verify",
                           "--configs", "SSP_Archive2", "--push-to-hub", "--no-progress"],
                          capture_output=True, text=True, env={**env, "HF_ENDPOINT": "http://127.0.0.1:9"}, check=False)
    assert down.returncode == 2 and "http://127.0.0.1:9 did not answer" in down.stderr, down.stderr[-2000:]
    for text in (build.stdout, build.stderr, down.stdout, down.stderr):
        assert FAKE_TOKEN not in text
    for path in (tmp_path / "hub").rglob("*"):
        if path.is_file():
            assert FAKE_TOKEN.encode() not in path.read_bytes(), path
    from gfmbench.hub.publish import HubBackend

    assert FAKE_TOKEN not in repr(HubBackend(endpoint="http://127.0.0.1:9", token=FAKE_TOKEN))
