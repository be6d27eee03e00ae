"""A competition entered, scored by the real background worker, and ranked — in Debian's Chromium
(Playwright) against a real `moli serve` and `moli worker` on 127.0.0.1."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.events.helpers import FIXTURES
from tests.support.browser import chromium_page, live_server, moli_env, require_chromium, run_moli

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    tmp = tmp_path_factory.mktemp("events_browser")
    env = moli_env(tmp / "home")
    r = run_moli(env, "events", "competition", "create", str(FIXTURES / "comp.yaml"))
    assert r.returncode == 0, r.stderr
    r = run_moli(env, "users", "create", "--email", "player@example.com", "--org", "浦东模型公司", "--password", PASSWORD)
    assert r.returncode == 0, r.stderr
    with live_server(tmp / "home", worker=True, timeout=60) as base:
        yield base, tmp


def test_enter_submit_score_rank_in_the_browser(server, request):
    base, tmp = server
    with chromium_page(base, request=request, timeout=30_000) as page:
        page.goto("/events")
        page.click("text=政务文本分类挑战赛（测试）")
        assert "登录后参赛" in page.text_content("main")
        page.goto("/login?next=/events/competitions/fixture-cls")
        page.fill("input[name=email]", "player@example.com")
        page.fill("input[name=password]", PASSWORD)
        # a form's button keeps its own width instead of stretching across the column
        assert page.locator("#login-submit").bounding_box()["width"] < page.locator("input[name=email]").bounding_box()["width"] / 2
        page.click("#login-submit")
        page.wait_for_url("**/events/competitions/fixture-cls")
        page.fill("input[name=name]", "浏览器队")
        page.click("#create-team")
        page.wait_for_selector("#my-team")
        assert "浏览器队" in page.text_content("#my-team")
        with page.expect_download() as dl:
            page.click("#data-files a")
        lines = Path(dl.value.path()).read_text(encoding="utf-8").splitlines()
        assert len(lines) == 40 and all(set(json.loads(x)) == {"id", "text"} for x in lines)
        page.set_input_files("input[name=file]", str(FIXTURES / "pred_half.jsonl"))
        page.click("#submit-predictions")
        page.wait_for_selector("#submissions tbody tr")
        # the background worker (a separate process) scores it; reload until it has
        deadline = time.time() + 60
        while "scored" not in page.text_content("#submissions") and time.time() < deadline:
            time.sleep(1)
            page.reload()
        row = page.text_content("#submissions tbody tr")
        assert "scored" in row and "0.50000" in row
        assert "今日剩余" in page.text_content("#quota") and "4" in page.text_content("#quota")
        page.click("text=完整榜单")
        page.wait_for_selector("#leaderboard")
        assert "浏览器队" in page.text_content("#leaderboard tbody") and "0.50000" in page.text_content("#leaderboard")
        assert page.locator("th", has_text="私有榜得分").count() == 0
