"""Browser-test scaffolding shared by every feature's Chromium test.

* ``live_server(home, env=..., worker=False)`` — a real ``moli serve`` subprocess on a free 127.0.0.1
  port with its own ``MOLI_HOME`` (``moli serve`` also starts its own background-job worker;
  ``worker=True`` adds a separate ``moli worker -w 1 --max-delay 0.5``); waits for ``/healthz`` and
  yields the base URL; stops everything on exit. The log is ``<home name>.server.log`` beside ``home``
  (two servers with homes in one folder keep separate logs).
* ``stop_processes(*procs)`` — terminate, wait 10 s, kill.
* ``moli_env(home, **extra)`` / ``run_moli(env, *args)`` — prepare the same home before serving it
  (import fixtures, create users).
* ``chromium()`` / ``browser_page(browser, base_url, ...)`` / ``chromium_page(base_url, ...)`` —
  Debian's Chromium (``MOLI_CHROMIUM``, default ``/usr/bin/chromium``) driven headless by Playwright;
  a missing Chromium skips the test with the reason, except under ``CI=true`` where it fails. Given
  ``request``, a page that sees its test fail leaves a full-page screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MOLI_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
MOLI = [sys.executable, "-c", "from moli.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def moli_env(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any MOLI_* setting, pointed at ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOLI_")}
    env.update(MOLI_HOME=str(home), PYTHONUNBUFFERED="1", **extra)
    return env


def run_moli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run one ``moli ...`` command to completion (output captured as text)."""
    return subprocess.run([*MOLI, *args], env=env, capture_output=True, text=True, timeout=timeout)


def stop_processes(*procs: subprocess.Popen) -> None:
    """Terminate the processes, then wait up to 10 s each and kill what is left."""
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


@contextmanager
def live_server(home: Path, *, env: dict[str, str] | None = None, worker: bool = False,
                timeout: float = 90, serve_args: tuple[str, ...] = ()) -> Iterator[str]:
    """``moli serve`` on ``home`` (plus ``moli worker`` when asked) until the block ends; yields the base URL.

    ``env`` holds extra variables (e.g. ``MOLI_JOBS_IMMEDIATE``) on top of ``moli_env(home)``;
    ``serve_args`` extra options of ``moli serve``.
    """
    full_env = moli_env(home, **(env or {}))
    port = free_port()
    log_path = home.parent / f"{home.name}.server.log"
    log = open(log_path, "w")  # noqa: SIM115
    procs = [subprocess.Popen([*MOLI, "serve", "--host", "127.0.0.1", "--port", str(port), *serve_args], env=full_env,
                              stdout=log, stderr=subprocess.STDOUT)]
    if worker:
        procs.append(subprocess.Popen([*MOLI, "worker", "-w", "1", "--max-delay", "0.5"], env=full_env,
                                      stdout=log, stderr=subprocess.STDOUT))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline or procs[0].poll() is not None:
                raise RuntimeError("server did not start:\n" + log_path.read_text())
            time.sleep(0.3)
        yield base
    finally:
        stop_processes(*procs)
        log.close()


def require_chromium() -> None:
    """Skip (fail under CI=true) when Debian's Chromium is not installed."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        msg = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium (Playwright ``Browser``) for the block."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _screenshot(page, request) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    except Exception as exc:  # the page may be gone; the test's own failure is what matters
        print(f"no failure screenshot: {exc}")


@contextmanager
def browser_page(browser, base_url: str, *, request=None, timeout: float = 20_000,
                 locale: str = "zh-CN") -> Iterator:
    """A page in a fresh context (no cookies) of ``browser``; a screenshot in test-artifacts/ on failure.

    A failure counts when the block raises, or, for a fixture torn down after its test, when
    ``request.node.rep_failed`` was set by the hook in tests/conftest.py.
    """
    context = browser.new_context(base_url=base_url, locale=locale)
    page = context.new_page()
    page.set_default_timeout(timeout)
    try:
        yield page
    except BaseException:
        if request is not None:
            _screenshot(page, request)
        raise
    else:
        if request is not None and getattr(request.node, "rep_failed", False):
            _screenshot(page, request)
    finally:
        context.close()


@contextmanager
def chromium_page(base_url: str, *, request=None, timeout: float = 20_000, locale: str = "zh-CN") -> Iterator:
    """``chromium()`` and one ``browser_page`` on it, for a test that needs a single page."""
    with chromium() as b, browser_page(b, base_url, request=request, timeout=timeout, locale=locale) as page:
        yield page


def register_in_page(page, email: str, org: str, password: str = "password-123") -> None:
    """Register a new user of a new organisation through the site's own form, and wait for the home page."""
    page.goto("/")
    page.click("#nav-register")
    page.fill("input[name=email]", email)
    page.fill("input[name=display_name]", "测试用户")
    page.fill("input[name=organisation]", org)
    page.fill("input[name=password]", password)
    page.fill("input[name=password2]", password)
    page.click("#register-submit")
    page.wait_for_url("**/")
