"""Build a corpus in Debian's Chromium against a real `moli serve` and `moli worker`. (A module of its own:
another module's module-scoped Playwright session must end before this one starts.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browser import chromium_page, live_server, moli_env, run_moli

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_build_a_corpus_from_the_browser_with_a_real_worker(tmp_path, request):
    """Upload documents on /corpus/new; `moli worker` builds them; the job page's live link leads to the corpus."""
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
