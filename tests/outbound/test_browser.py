"""The pre-check form and knowledge-base search in Debian's Chromium (Playwright) against a real `moli serve`."""

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

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("MOLI_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if IN_CI:
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    tmp = tmp_path_factory.mktemp("outbound_browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOLI_")}
    env.update(MOLI_HOME=str(tmp / "home"), PYTHONUNBUFFERED="1")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-c", "from moli.cli import main; main()", "serve", "--host",
                             "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
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
        yield base, tmp
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_precheck_form_to_printable_checklist(server):
    from playwright.sync_api import sync_playwright

    base, tmp = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_context(base_url=base, locale="zh-CN").new_page()
        page.set_default_timeout(20_000)
        page.goto("/outbound")
        page.click("#go-precheck")
        assert page.is_hidden("fieldset[data-step='2']") and page.is_hidden("#precheck-submit")
        page.click("#step-next")  # the required name is empty: the step does not advance
        assert page.is_visible("fieldset[data-step='1']")
        page.fill("input[name=investor_name]", "浦东某大模型公司")
        page.click("#step-next")
        assert page.is_visible("fieldset[data-step='2']") and page.is_hidden("fieldset[data-step='1']")
        page.fill("input[name=date]", "2026-05-01")
        page.fill("input[name=amount_usd]", "20000000")
        page.select_option("select[name=destination_country]", "SG")
        page.fill("input[name=industry]", "人工智能大模型研发")
        page.click("#step-next")
        page.click("#step-next")
        page.check("input[name=tech_involved]")
        page.fill("textarea[name=tech_items]", "语音合成引擎许可")
        page.click("#step-next")
        assert page.get_by_text("第 5 / 5 步").is_visible()
        page.click("#precheck-submit")
        page.wait_for_selector("section.outbound-checklist")
        steps = page.eval_on_selector_all("ol.steps > li", "els => els.map(e => e.dataset.authority)")
        assert steps == ["TECH_EXPORT", "NDRC", "MOFCOM", "SAFE"]
        shown = json.loads(page.text_content("#result-json"))
        assert [p["action"] for p in shown["procedures"]] == ["filing", "approval", "registration", "license"]
        pdf = tmp / "checklist.pdf"
        page.emulate_media(media="print")
        page.pdf(path=str(pdf))
        assert pdf.stat().st_size > 10_000 and pdf.read_bytes()[:4] == b"%PDF"
        # Knowledge-base search from the same browser.
        page.goto("/outbound/kb")
        page.fill("input[name=q]", "语音合成技术出口需要许可吗")
        page.click("#kb-search button[type=submit]")
        page.wait_for_selector("li.kb-hit")
        assert page.eval_on_selector("li.kb-hit", "e => e.dataset.slug") == "tech-export-ai"
        browser.close()
