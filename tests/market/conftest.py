"""Fixtures of the market tests: the loopback chat-completions server (a real HTTP server)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures" / "market"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_answerer(*keys: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    args = [sys.executable, str(HERE / "answerer.py"), "--port", str(port)]
    for k in keys:
        args += ["--key", str(k)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/stats", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the answerer did not start")


@pytest.fixture(scope="session")
def answerer():
    """Base URL of a real chat-completions server on 127.0.0.1 (see answerer.py for its modes)."""
    proc, base = start_answerer(FIXTURES / "testset.jsonl")
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True)
def loopback_models_allowed(monkeypatch):
    """The test models answer on 127.0.0.1, which the platform refuses to call unless the operator allows
    it (MOLI_MODEL_ENDPOINT_NETWORKS); tests of that refusal unset it."""
    from moli.core.settings import reset_settings

    monkeypatch.setenv("MOLI_MODEL_ENDPOINT_NETWORKS", "127.0.0.0/8")
    reset_settings()
    yield
    reset_settings()
