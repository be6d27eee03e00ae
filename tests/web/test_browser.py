"""End to end in Debian's Chromium (Playwright) against a real `moli serve` and `moli worker`."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.browser import (
    ARTIFACTS,
    MOLI,
    browser_page,
    chromium,
    free_port,
    live_server,
    moli_env,
    register_in_page,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


SERVER_HOME: dict[str, Path] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`moli serve` (which starts a `moli worker` process) on a fresh MOLI_HOME."""
    home = tmp_path_factory.mktemp("browser") / "home"
    # `moli serve` on an empty MOLI_HOME migrates it and starts its background-job worker
    with live_server(home, env={"MOLI_JOBS_IMMEDIATE": "0"}, timeout=60) as base:
        SERVER_HOME["path"] = home
        yield base


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, server, request):
    """A fresh browser context (no cookies) per test; a screenshot in test-artifacts/ on failure."""
    with browser_page(browser, server, request=request, timeout=20_000) as pg:
        yield pg


def test_serve_on_empty_home_answers_and_guards(server):
    """The server started on an empty MOLI_HOME: /healthz, /, /api/docs answer; /jobs needs a login."""
    import json
    import urllib.error

    with urllib.request.urlopen(server + "/healthz") as r:
        assert json.load(r)["status"] == "ok"
    with urllib.request.urlopen(server + "/") as r:
        assert r.status == 200 and "模力" in r.read().decode()
    with urllib.request.urlopen(server + "/api/docs") as r:
        docs = r.read().decode()
        assert r.status == 200 and "/api/v1/jobs/{job_id}" in docs and "cdn." not in docs
    opener = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,),
                                              {"redirect_request": lambda *a, **k: None}))
    try:
        opener.open(server + "/jobs")
        raise AssertionError("an anonymous visitor got /jobs")
    except urllib.error.HTTPError as exc:
        assert exc.code == 303 and exc.headers["location"].startswith("/login")


def test_register_login_home_refused_logout(page, server):
    register_in_page(page, "a@example.com", "浦东甲公司")
    assert "浦东甲公司" in page.inner_text("header")
    page.click("#logout")
    page.wait_for_selector("#nav-login")

    # log in through the form
    page.click("#nav-login")
    page.fill("input[name=email]", "a@example.com")
    page.fill("input[name=password]", "password-123")
    page.click("#login-submit")
    page.wait_for_url("**/")
    assert page.inner_text("#platform-counts").count("1") >= 1
    assert "组织" in page.inner_text("#platform-counts")

    # a background job run by the real worker, with live progress on its page
    page.goto("/jobs")
    page.click("#start-table-counts")
    page.wait_for_url("**/jobs/*")
    job_url = page.url
    page.wait_for_function("document.getElementById('job-status').textContent.includes('succeeded')",
                           timeout=60_000)
    assert '"users": 1' in page.inner_text("#job-result")
    assert page.inner_text("#job-pct") == "100%"

    # another organisation's user is refused this job
    page.click("#logout")
    page.wait_for_selector("#nav-login")
    register_in_page(page, "b@example.com", "浦东乙公司")
    resp = page.goto(job_url)
    assert resp.status == 403
    assert "无权查看该记录" in page.inner_text("main") and "you may not view this record" in page.inner_text("main")

    # log out: the protected page now sends us to the login form
    page.click("#logout")
    page.wait_for_selector("#nav-login")
    page.goto("/jobs")
    assert "/login" in page.url and "请先登录" in page.inner_text("main")


def test_wrong_password_message_in_browser(page, server):
    page.goto("/login")
    page.fill("input[name=email]", "ghost@example.com")
    page.fill("input[name=password]", "whatever-123")
    page.click("#login-submit")
    page.wait_for_selector(".error")
    text = page.inner_text(".error")
    assert "邮箱或密码错误" in text and "wrong e-mail or password" in text


def test_home_page_screenshot_is_bilingual(page, server):
    """A full-page screenshot of the home page (kept in test-artifacts/ for a person to look at)."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
    nav = page.inner_text("nav")
    assert nav.index("首页") < nav.index("Home") and "企业出海" in nav and "Going overseas" in nav
    page.set_viewport_size({"width": 390, "height": 800})  # phone: the menu folds behind a toggle
    page.goto("/")
    assert not page.is_visible(".nav-links")
    page.click(".nav-toggle-label")
    assert page.is_visible(".nav-links")
    page.screenshot(path=str(ARTIFACTS / "home-mobile.png"), full_page=True)


def test_job_progress_updates_live(page, server, monkeypatch):
    """A slow job queued for the real worker: its page moves from queued/running to succeeded by itself."""
    register_in_page(page, "c@example.com", "浦东丙公司")
    from moli.core import jobs
    from moli.core.db import reset_engines, session_scope
    from moli.core.models import User
    from moli.core.settings import reset_settings

    monkeypatch.setenv("MOLI_HOME", str(SERVER_HOME["path"]))
    monkeypatch.setenv("MOLI_JOBS_IMMEDIATE", "0")
    monkeypatch.delenv("MOLI_DATABASE_URL", raising=False)
    reset_settings()
    reset_engines()
    jobs.reset_huey()
    try:
        with session_scope() as s:
            user = s.query(User).filter_by(email="c@example.com").one()
            job = jobs.submit_job(s, "core.table_counts", "慢任务 slow job", {"delay": 0.25}, user)
            job_id = job.id
    finally:
        jobs.reset_huey()
        reset_engines()
        reset_settings()
    page.goto(f"/jobs/{job_id}")
    first = page.inner_text("#job-status")
    assert "succeeded" not in first, first
    page.wait_for_function("document.getElementById('job-progress').value > 0", timeout=60_000)
    page.wait_for_function("document.getElementById('job-status').textContent.includes('succeeded')",
                           timeout=60_000)
    assert page.inner_text("#job-pct") == "100%" and '"jobs":' in page.inner_text("#job-result")


def test_serve_stops_its_worker(tmp_path):
    """`moli serve` starts a worker process; when the server is stopped, the worker goes too."""
    env = moli_env(tmp_path / "home")
    port = free_port()
    cmd = [*MOLI, "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        children: list[int] = []
        while time.time() < deadline and not children:
            out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True, text=True)
            children = [int(x) for x in out.stdout.split()]
            time.sleep(0.3)
        assert children, "no worker process was started"
        worker_pid = children[0]
        with open(f"/proc/{worker_pid}/cmdline", "rb") as f:
            assert b"worker" in f.read()
        while time.time() < deadline:  # stop it only once uvicorn is serving (it re-raises SIGTERM)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise AssertionError("server did not answer")
    finally:
        proc.terminate()
        proc.wait(30)
    deadline = time.time() + 30
    while time.time() < deadline and Path(f"/proc/{worker_pid}").exists():
        status = Path(f"/proc/{worker_pid}/status").read_text() if Path(f"/proc/{worker_pid}").exists() else ""
        if "State:\tZ" in status:
            break
        time.sleep(0.3)
    alive = Path(f"/proc/{worker_pid}").exists() and "State:\tZ" not in Path(f"/proc/{worker_pid}/status").read_text()
    assert not alive, "the worker outlived `moli serve`"


def test_reset_link_and_signed_in_browsers(page, server):
    """Staff hand out a reset link (CLI); the user sets a new password in the browser, signs in with it,
    sees this browser on /account and logs out everywhere."""
    from tests.support.browser import run_moli

    register_in_page(page, "d@example.com", "浦东丁公司")
    page.click("#logout")
    page.wait_for_selector("#nav-login")
    out = run_moli(moli_env(SERVER_HOME["path"]), "users", "reset-link", "--email", "d@example.com",
                   "--base-url", server)
    assert out.returncode == 0, out.stderr
    page.goto(out.stdout.strip().splitlines()[-1])
    assert "d@example.com" in page.inner_text("main")
    page.fill("input[name=password]", "new-password-456")
    page.fill("input[name=password2]", "new-password-456")
    page.click("#reset-submit")
    page.wait_for_url("**/login?**")
    assert "密码已重设" in page.inner_text("main")
    page.fill("input[name=email]", "d@example.com")
    page.fill("input[name=password]", "new-password-456")
    page.click("#login-submit")
    page.wait_for_url("**/")
    page.goto("/account")
    rows = page.inner_text("#session-table")
    assert "本设备" in rows and "HeadlessChrome" in rows  # this browser, by its user agent
    page.click("#end-all-sessions")
    page.wait_for_url("**/login?**")
    assert "已在所有设备上退出登录" in page.inner_text("main")
    page.goto("/account")
    assert "/login" in page.url


def test_an_upload_over_the_limit_is_stopped_in_the_page_and_nothing_typed_is_lost(page, tmp_path):
    big = tmp_path / "客户名单.csv"
    with open(big, "wb") as fh:  # sparse: 101 MB on paper, nothing on disk
        fh.truncate(101 * 1024 * 1024)
    page.goto("/crossborder")
    page.fill("input[name=exporter_name]", "张江示例科技有限公司")
    page.set_input_files("#crossborder-form input[type=file]", str(big))
    page.click("#crossborder-form [type=submit]")
    alert = page.locator("#crossborder-form .upload-too-large")
    alert.wait_for()
    assert "超过上限 100 MB" in alert.inner_text() and "nothing was sent" in alert.inner_text()
    assert page.url.endswith("/crossborder") and page.input_value("input[name=exporter_name]") == "张江示例科技有限公司"


def test_a_refused_form_post_links_back_to_its_form(server):
    import urllib.error

    req = urllib.request.Request(server + "/crossborder/assess", method="POST", data=b"x" * 10,
                                 headers={"Content-Type": "multipart/form-data; boundary=b",
                                          "Content-Length": str(200 * 1024 * 1024), "Referer": server + "/crossborder"})
    try:
        urllib.request.urlopen(req)
        raise AssertionError("a 200 MB upload was accepted")
    except urllib.error.HTTPError as exc:
        body = exc.read().decode()
        assert exc.code == 413 and 'id="error-back"' in body and 'href="/crossborder"' in body


def test_pages_with_long_keys_and_paths_fit_a_phone(page):
    page.set_viewport_size({"width": 390, "height": 800})
    for url in ("/federation", "/api/docs"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
