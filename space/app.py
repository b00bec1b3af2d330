"""The gfmbench leaderboard as a Hugging Face Space: reads the published result cards of a results repo (pinned
with RESULTS_REVISION if set), validates them, and serves the leaderboard. Nothing else is read."""

import os
import tempfile
from pathlib import Path

from gfmbench.leaderboard.app import build_app
from gfmbench.leaderboard.table import build_leaderboard, cards_from_repo, read_units

repo = os.environ.get("RESULTS_REPO", "gfmbench/results")
tables = Path(tempfile.mkdtemp(prefix="leaderboard-"))
table, excluded = build_leaderboard(cards_from_repo(repo, os.environ.get("RESULTS_REVISION")), tables)
demo = build_app(read_units(table), __import__("json").loads(excluded.read_text()))

if __name__ == "__main__":
    demo.launch()
