"""`moli serve` keeps its own job worker alive, and refuses to start on an unreachable queue."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request

import pytest

from tests.support.browser import MOLI, free_port, moli_env, stop_processes

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _wait(cond, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            got = cond()
        except OSError:
            got = None
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_a_killed_worker_is_started_again(tmp_path):
    port = free_port()
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([*MOLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=moli_env(tmp_path / "home"), stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait(lambda: proc.poll() is None and urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").status == 200)
        first = _wait(lambda: _children(proc.pid))
        os.kill(first[0], signal.SIGKILL)
        again = _wait(lambda: [p for p in _children(proc.pid) if p not in first], timeout=30)
        assert again and proc.poll() is None
        assert "restarting in" in (tmp_path / "serve.log").read_text(encoding="utf-8")
    finally:
        stop_processes(proc)
        log.close()


def test_serve_stops_at_once_on_an_unreachable_queue(tmp_path):
    out = subprocess.run([*MOLI, "serve", "--port", str(free_port())], capture_output=True, text=True, timeout=60,
                         env=moli_env(tmp_path / "home", MOLI_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))
    assert out.returncode == 2 and "任务队列无法访问" in out.stderr and "MOLI_REDIS_URL" in out.stderr
