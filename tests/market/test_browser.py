"""Publish a scenario, see explained matches, upload a test set, evaluate in the background and read the
leaderboard — in Debian's Chromium (Playwright) against a real `moli serve` + `moli worker`."""

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

from tests.market.conftest import FIXTURES, start_answerer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("MOLI_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PASSWORD = "market-browser-password"


def _moli(env, *args):
    return subprocess.run([sys.executable, "-c", "from moli.cli import main; main()", *args], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if IN_CI:
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    tmp = tmp_path_factory.mktemp("market_browser")
    answerer, abase = start_answerer(FIXTURES / "testset.jsonl")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOLI_")}
    env.update(MOLI_HOME=str(tmp / "home"), PYTHONUNBUFFERED="1")
    offs = tmp / "offerings.jsonl"
    rows = []
    for line in (FIXTURES / "offerings.jsonl").read_text(encoding="utf-8").splitlines():
        o = json.loads(line)
        o["endpoint"] = f"{abase}/ok/v1"
        o["api_model"] = "oracle" if o["id"] == "med-private" else "half"
        rows.append(json.dumps(o, ensure_ascii=False))
    offs.write_text("\n".join(rows) + "\n", encoding="utf-8")
    for args in (("market", "import-offerings", str(offs)),
                 ("users", "create", "--email", "owner@example.com", "--org", "张江药企", "--password", PASSWORD)):
        r = _moli(env, *args)
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
        deadline = time.time() + 90
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
        for p in [*procs, answerer]:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()


def test_publish_match_upload_evaluate_leaderboard(server):
    from playwright.sync_api import sync_playwright

    base, _ = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_context(base_url=base, locale="zh-CN").new_page()
        page.set_default_timeout(30_000)
        page.goto("/login?next=/market/scenarios/new")
        page.fill("input[name=email]", "owner@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url("**/market/scenarios/new")
        page.fill("input[name=id]", "drug-qa")
        page.fill("input[name=title]", "新药研发文献问答")
        page.fill("textarea[name=description]", "需要回答临床试验和药物研发文献问题、生成文献摘要的医学大模型。")
        page.select_option("select[name=industry]", "biomedicine")
        page.check("input[name=tasks][value=question-answering]")
        page.check("input[name=tasks][value=summarization]")
        page.check("input[name=deployment][value=private]")
        page.fill("input[name=data_must_stay_in]", "CN")
        page.click("#scenario-form button[type=submit]")
        page.wait_for_url("**/market/scenarios/drug-qa")
        matches = page.text_content("#matches")
        assert "med-private" in matches and "描述匹配词" in matches
        excluded = page.text_content("#excluded")
        assert "med-api-us" in excluded and "部署方式不符" in excluded

        page.set_input_files("#testset-form input[name=file]", str(FIXTURES / "testset.jsonl"))
        page.click("#testset-form button[type=submit]")
        page.wait_for_selector("#testset-preview")
        page.check("#evaluate-form input[value=med-private]")
        page.check("#evaluate-form input[value=general-cheap]")
        page.click("#evaluate-form button[type=submit]")
        page.wait_for_url("**/jobs/*")
        deadline = time.time() + 90
        while time.time() < deadline:
            body = page.text_content("main")
            if "succeeded" in body or "failed" in body:
                break
            time.sleep(1)
            page.reload()
        assert "succeeded" in page.text_content("main")
        page.goto("/market/scenarios/drug-qa")
        board = page.text_content("#leaderboard")
        assert board.index("医研大模型") < board.index("通用对话模型")
        assert "exact_match = 1.000" in board
        browser.close()
