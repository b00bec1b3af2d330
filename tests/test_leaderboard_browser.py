"""The leaderboard in a real browser: `gfmbench leaderboard serve` on localhost with fixture cards in the real
schema, driven by Debian's headless Chromium through Playwright: table contents, a sort, a filter, the excluded
panel, and a screenshot kept as a test artifact."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gfmbench.hub.server import free_port
from gfmbench.leaderboard.fixtures import write_fixture_tree, write_reported_fixture
from tests.helpers import REPO

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture
def app_url(tmp_path: Path):
    write_fixture_tree(tmp_path / "cards")
    yield from _serve(tmp_path)


@pytest.fixture
def reported_app_url(tmp_path: Path):
    write_reported_fixture(tmp_path / "cards")
    yield from _serve(tmp_path)


def _serve(tmp_path: Path):
    """`gfmbench leaderboard serve` on the cards of tmp_path/cards, on a free loopback port, stopped afterwards."""
    port = free_port()
    env = {**os.environ, "GFMBENCH_HOME": str(tmp_path / "home"), "GRADIO_ANALYTICS_ENABLED": "False"}
    proc = subprocess.Popen([sys.executable, "-m", "gfmbench", "leaderboard", "serve", "--results-dir",
                             str(tmp_path / "cards"), "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/"
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def model_cells(page, table: str):
    """The body cells of the model column (gradio 6 renders the body as a grid of role=gridcell)."""
    return page.locator(f"#{table} [role=gridcell][data-col='1']")


def first_column(page, table: str) -> list[str]:
    return [text.strip() for text in model_cells(page, table).all_inner_texts()]


@contextlib.contextmanager
def _page(url: str, width: int = 1400, height: int = 1600):
    """Debian's headless Chromium (through Playwright) on `url`."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (.ci/run installs it with apt-get)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(url)
        try:
            yield page
        finally:
            browser.close()


def test_leaderboard_in_chromium(app_url: str) -> None:
    from playwright.sync_api import expect

    with _page(app_url) as page:
        table = page.locator("#table-overview")
        expect(table).to_contain_text("gfmbench/model-a", timeout=60_000)
        assert first_column(page, "table-overview") == ["gfmbench/model-a", "gfmbench/model-b", "gfmbench/model-c"]
        expect(table).to_contain_text("rgb/mRNA_degrade · mcrmse ↓")
        assert "gfmbench/forged-model" not in table.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "leaderboard.png"), full_page=True)

        page.locator("#desc-overview input[type=checkbox]").check()  # sort: worst rank first
        expect(model_cells(page, "table-overview").first).to_have_text("gfmbench/model-c", timeout=20_000)
        assert first_column(page, "table-overview") == ["gfmbench/model-c", "gfmbench/model-b", "gfmbench/model-a"]

        page.locator("#search-overview textarea, #search-overview input").first.fill("model-b")  # filter
        expect(model_cells(page, "table-overview")).to_have_count(1, timeout=20_000)
        assert first_column(page, "table-overview") == ["gfmbench/model-b"]

        page.get_by_role("tab", name="Model details").click()  # the preselected model's details are shown
        details = page.locator("#model-details")
        expect(details).to_contain_text("gfmbench/model-a", timeout=20_000)
        expect(details).to_contain_text("Model content")
        expect(details).to_contain_text("SSP_Archive2")
        page.locator("#model-picker input").first.click()
        page.get_by_role("option", name="gfmbench/model-c").first.click()  # picking another model shows it
        expect(details).to_contain_text("gfmbench/model-c (finetune)", timeout=20_000)
        page.screenshot(path=str(ARTIFACTS / "leaderboard-details.png"), full_page=True)

        page.get_by_role("tab", name="Excluded results").click()
        excluded = page.locator("#excluded")
        expect(excluded).to_contain_text("gfmbench/forged-model", timeout=20_000)
        expect(excluded).to_contain_text("impossible value f1_macro = 1.7")
        page.screenshot(path=str(ARTIFACTS / "leaderboard-excluded.png"), full_page=True)


def test_reported_cells_link_their_source_and_the_gap_is_shown(reported_app_url: str) -> None:
    from playwright.sync_api import expect

    with _page(reported_app_url, 1600, 1800) as page:
        page.get_by_role("tab", name="GUE").click()
        runs = page.locator("#table-gue")
        expect(runs).to_contain_text("zhihan1996/DNABERT-2-117M", timeout=60_000)
        expect(page.locator("#reported-gue")).to_be_hidden()  # runs only by default

        page.locator("#kind-gue").get_by_text("reported in papers").click()
        reported = page.locator("#reported-gue")
        expect(reported).to_be_visible(timeout=20_000)
        expect(runs).to_be_hidden()
        expect(reported).to_contain_text("0.9137 †")  # Table 3, row "Yeast H3", column "DNABERT-2"
        expect(reported).to_contain_text("gue/EMP_H3 · roc_auc ↑ (reported, probe)")
        link = reported.locator("a", has_text="0.9137 †").first
        assert link.get_attribute("href") == "https://doi.org/10.1038/s41467-025-65823-8"
        assert 'Table 3, row' in (link.get_attribute("title") or "")
        expect(reported).to_contain_text("R1")  # ranked among reported values only

        page.locator("#kind-gue").get_by_text("both").click()
        gaps_table = page.locator("#gaps-gue")
        expect(gaps_table).to_be_visible(timeout=20_000)
        expect(runs).to_be_visible()
        expect(gaps_table).to_contain_text("zhihan1996/DNABERT-2-117M")
        expect(gaps_table).to_contain_text("-0.0037")  # 0.91 (mean of the two seeds) - 0.9137
        expect(gaps_table).to_contain_text("t over 2 seeds")
        expect(gaps_table).to_contain_text("regime: gfmbench's run is finetune, the paper's is probe")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "leaderboard-reported.png"), full_page=True)

        page.get_by_role("tab", name="Excluded results").click()
        expect(page.locator("#excluded")).to_contain_text("impossible value roc_auc = 1.3", timeout=20_000)
