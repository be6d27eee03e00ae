"""Behind a reverse proxy: `moli serve --forwarded-allow-ips` makes the per-IP log-in limit count the
client address from X-Forwarded-For, and only for the proxy named (a real server on loopback)."""

import httpx
import pytest

from moli.core.accounts import security_rules
from tests.support.browser import live_server

pytestmark = pytest.mark.slow


def _fail_logins(base: str, forwarded_for: str, n: int) -> list[int]:
    with httpx.Client(base_url=base, timeout=30) as c:
        c.get("/login")
        c.headers["X-CSRF-Token"] = c.cookies["moli_csrf"]
        codes = []
        for i in range(n):
            r = c.post("/login", data={"email": f"nobody{i}@example.com", "password": "wrong-password"},
                       headers={"X-Forwarded-For": forwarded_for})
            codes.append(r.status_code)
        return codes


def _one_login(base: str, forwarded_for: str) -> int:
    return _fail_logins(base, forwarded_for, 1)[0]


def test_per_ip_limit_uses_the_forwarded_address_only_from_the_trusted_proxy(tmp_path):
    limit = security_rules()["login_rate_limit"]["max_failures_per_ip"]
    with live_server(tmp_path / "trusted", serve_args=("--forwarded-allow-ips", "127.0.0.1")) as base:
        assert _fail_logins(base, "203.0.113.7", limit) == [401] * limit
        assert _one_login(base, "203.0.113.7") == 429  # that client is throttled ...
        assert _one_login(base, "203.0.113.8") == 401  # ... another client behind the same proxy is not
    with live_server(tmp_path / "untrusted") as base:  # no proxy named: the header is ignored
        assert _fail_logins(base, "203.0.113.7", limit) == [401] * limit
        assert _one_login(base, "203.0.113.8") == 429  # every request came from 127.0.0.1
