"""End to end in Debian's Chromium: the demo corpus built into a real `moli serve`, its page rendered."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = os.environ.get("MOLI_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
LOAD_DEMO = ("from moli.core.db import ensure_database, session_scope\n"
             "from moli.corpus import demo\n"
             "ensure_database()\n"
             "with session_scope() as s:\n    print(demo.load(s))\n")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("corpus_browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOLI_")}
    env.update(MOLI_HOME=str(tmp / "home"), MOLI_JOBS_IMMEDIATE="1", PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, "-c", LOAD_DEMO], env=env, check=True, capture_output=True, timeout=600)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-c", "from moli.cli import main; main()", "serve", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError("server did not start:\n" + (tmp / "server.log").read_text())
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def page(server):
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        msg = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                               args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                                     "--disable-background-networking"])
        ctx = b.new_context(base_url=server, locale="zh-CN")
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        yield pg
        b.close()


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
