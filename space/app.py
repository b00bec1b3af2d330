"""The gfmbench leaderboard as a Hugging Face Space: reads the published result cards of a results repo (pinned
with RESULTS_REVISION if set), validates them, and serves the leaderboard. Nothing else is read."""

import os
import tempfile
from pathlib import Path

from gfmbench.leaderboard.app import build_app
from gfmbench.leaderboard.reported import reported_from_folder
from gfmbench.leaderboard.table import (
    SIGNIFICANCE_FILE,
    build_leaderboard,
    cards_from_folder,
    read_reported,
    read_units,
    repo_snapshot,
)

repo = os.environ.get("RESULTS_REPO", "gfmbench/results")
tables = Path(tempfile.mkdtemp(prefix="leaderboard-"))
snapshot = repo_snapshot(repo, os.environ.get("RESULTS_REVISION"))
table, excluded = build_leaderboard(cards_from_folder(snapshot), tables, predictions_root=snapshot,
                                    reported_items=reported_from_folder(snapshot))
demo = build_app(read_units(table), __import__("json").loads(excluded.read_text()),
                 __import__("json").loads((tables / SIGNIFICANCE_FILE).read_text()),
                 read_reported(tables))

if __name__ == "__main__":
    demo.launch()
