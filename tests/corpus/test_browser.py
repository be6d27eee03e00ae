"""End to end in Debian's Chromium: the demo corpus built into a real `moli serve`, its page rendered."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.browser import browser_page, chromium, live_server, moli_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LOAD_DEMO = ("from moli.core.db import ensure_database, session_scope\n"
             "from moli.corpus import demo\n"
             "ensure_database()\n"
             "with session_scope() as s:\n    print(demo.load(s))\n")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("corpus_browser") / "home"
    subprocess.run([sys.executable, "-c", LOAD_DEMO], env=moli_env(home, MOLI_JOBS_IMMEDIATE="1"), check=True,
                   capture_output=True, timeout=600)
    with live_server(home, env={"MOLI_JOBS_IMMEDIATE": "1"}, timeout=120) as base:
        yield base


@pytest.fixture(scope="module")
def page(server):
    with chromium() as b, browser_page(b, server, timeout=60_000) as pg:
        yield pg


def test_demo_corpus_page_renders_charts_and_highlights_pii(page, server):
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/corpus")
    page.click("text=pudong-gov-demo")
    page.wait_for_selector("#chart-steps .main-svg")  # Plotly drew the chart
    assert page.locator(".chart .main-svg").count() >= 3
    mark = page.locator("mark.pii").first
    assert mark.inner_text() == "[PHONE]" and mark.get_attribute("title") == "PHONE"
    assert "demo-navigation" in page.locator("#removed-table").inner_text()
    assert not errors, errors
    assert requests and all(u.startswith(server) for u in requests), [u for u in requests if not u.startswith(server)]



def test_demo_card_fits_a_phone_and_shows_no_server_paths(page):
    """At 390 px the card's hash and file tables scroll inside the page (the page was 1213 px wide)."""
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.goto("/corpus/pudong-gov-demo/card?version=1")
        page.wait_for_selector("#datasheet table")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        text = page.locator("#datasheet").inner_text()
        assert "laws.jsonl.gz" in text and "/src/moli/corpus/data/demo" not in text
        page.goto("/corpus/pudong-gov-demo")
        assert "/corpora/" not in page.locator("main").inner_text()  # no storage location for visitors
    finally:
        page.set_viewport_size({"width": 1280, "height": 720})
