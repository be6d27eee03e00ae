"""End to end in Debian's Chromium: a real `moli serve`, the guided form, an upload, the report, PDF by print."""

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

from .conftest import make_people, write_csv

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = os.environ.get("MOLI_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cb_browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOLI_")}
    env.update(MOLI_HOME=str(tmp / "home"), MOLI_JOBS_IMMEDIATE="1", PYTHONUNBUFFERED="1")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-c", "from moli.cli import main; main()", "serve", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
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
        pg.set_default_timeout(30_000)
        yield pg
        b.close()


def test_guided_form_upload_report_and_pdf(page, tmp_path):
    people = make_people(n_people=40, n_rows=120, seed=5, minors=2)
    data = write_csv(tmp_path / "orders.csv", people.rows)
    page.goto("/crossborder")
    assert page.locator("h1").inner_text().startswith("数据出境合规自检")
    page.fill("input[name=exporter_name]", "浏览器测试科技")
    page.select_option("select[name=registration]", "lingang")
    page.fill("input[name=transfer_date]", "2026-05-01")
    page.fill("input[name=recipient_country]", "US")
    page.set_input_files("input[name=data]", str(data))
    page.click("#assess-submit")
    page.wait_for_selector("#report")
    assert page.get_attribute("#report", "data-path") == "standard_contract_or_certification"
    text = page.inner_text("#report")
    assert "S01 第八条" in text and f"{people.individuals:,}" in text
    pdf = page.pdf(format="A4", print_background=True)  # what "save as PDF" gives, with the print CSS
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    (tmp_path / "report.pdf").write_bytes(pdf)
