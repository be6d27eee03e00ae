"""A competition entered, scored by the real background worker, and ranked — in Debian's Chromium
(Playwright) against a real `moli serve` and `moli worker` on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.events.helpers import FIXTURES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("MOLI_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PASSWORD = "correct-horse-battery-staple"


def _moli(env, *args):
    return subprocess.run([sys.executable, "-c", "from moli.cli import main; main()", *args], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if IN_CI:
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    tmp = tmp_path_factory.mktemp("events_browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOLI_")}
    env.update(MOLI_HOME=str(tmp / "home"), PYTHONUNBUFFERED="1")
    r = _moli(env, "events", "competition", "create", str(FIXTURES / "comp.yaml"))
    assert r.returncode == 0, r.stderr
    r = _moli(env, "users", "create", "--email", "player@example.com", "--org", "浦东模型公司", "--password", PASSWORD)
    assert r.returncode == 0, r.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp / "server.log", "w")  # noqa: SIM115
    procs = [subprocess.Popen([sys.executable, "-c", "from moli.cli import main; main()", "serve", "--host",
                               "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT),
             subprocess.Popen([sys.executable, "-c", "from moli.cli import main; main()", "worker", "-w", "1",
                               "--max-delay", "0.5"], env=env, stdout=log, stderr=subprocess.STDOUT)]
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline or procs[0].poll() is not None:
                raise RuntimeError("server did not start:\n" + (tmp / "server.log").read_text())
            time.sleep(0.3)
        yield base, tmp
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()


def test_enter_submit_score_rank_in_the_browser(server):
    from playwright.sync_api import sync_playwright

    base, tmp = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_context(base_url=base, locale="zh-CN").new_page()
        page.set_default_timeout(30_000)
        page.goto("/events")
        page.click("text=政务文本分类挑战赛（测试）")
        assert "登录后参赛" in page.text_content("main")
        page.goto("/login?next=/events/competitions/fixture-cls")
        page.fill("input[name=email]", "player@example.com")
        page.fill("input[name=password]", PASSWORD)
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
        browser.close()
