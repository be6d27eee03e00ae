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


def test_build_a_corpus_from_the_browser_with_a_real_worker(tmp_path, request):
    """Upload documents on /corpus/new; `moli worker` builds them; the job page's live link leads to the corpus."""
    from pathlib import Path

    from tests.support.browser import chromium_page, run_moli

    home = tmp_path / "home"
    env = moli_env(home)
    r = run_moli(env, "users", "create", "--email", "builder@example.com", "--org", "浦东某局",
                 "--password", "builder-password-1")
    assert r.returncode == 0, r.stderr
    docs = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "docs"
    with live_server(home, worker=True, timeout=120) as base, chromium_page(base, request=request, timeout=60_000) as page:
        page.goto("/login?next=/corpus/new")
        page.fill("input[name=email]", "builder@example.com")
        page.fill("input[name=password]", "builder-password-1")
        page.click("#login-submit")
        page.wait_for_url("**/corpus/new")
        page.fill("input[name=name]", "browser-built")
        page.fill("input[name=licence]", "公有领域（著作权法第五条）")
        page.set_input_files("input[name=files]", [str(docs / "notice.txt"), str(docs / "report.md")])
        page.click("#corpus-new-form button[type=submit]")
        page.wait_for_url("**/jobs/*")
        page.wait_for_selector("#job-link-box:not([hidden])", timeout=180_000)  # set live by jobs.js
        assert "已完成" in page.text_content("#job-status")
        page.click("#job-link")
        page.wait_for_url("**/corpus/browser-built?version=1")
        assert "browser-built" in page.text_content("h1")
