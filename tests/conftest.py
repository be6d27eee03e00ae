"""Shared fixtures for every feature's tests.

* ``moli_home`` — a fresh MOLI_HOME (tmp dir), caches cleared, ``MOLI_JOBS_IMMEDIATE=1``; SQLite.
* ``db_url`` — parametrized ``sqlite`` / ``postgresql`` (the latter marked ``postgres``): a test
  that asks for ``db_url`` runs on both databases. PostgreSQL gets a fresh database per test on
  the server in ``MOLI_TEST_POSTGRES_URL`` (default
  ``postgresql+psycopg://moli:moli@127.0.0.1:5432/postgres``); when unreachable the test is skipped
  with the reason, except under ``CI=true`` where it fails.
* ``session`` — a Session on a migrated database (the ``db_url`` one when the test asks for it).
* ``client`` — a TestClient of ``create_app()`` on a migrated database; it already carries the
  CSRF cookie and the ``X-CSRF-Token`` header, so its form/JSON posts pass the CSRF check.
* ``login(client, role="enterprise", org="Org A") -> User`` — creates the user (and organisation)
  and logs the client in through ``POST /login``.

Browser tests build on ``tests/support/browser.py`` (a real ``moli serve`` + Debian's Chromium); the
``pytest_runtest_makereport`` hook below marks a failed test (``item.rep_failed``) so a page fixture
torn down after it saves a screenshot under ``test-artifacts/``.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator

import pytest

DEFAULT_PG = "postgresql+psycopg://moli:moli@127.0.0.1:5432/postgres"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEST_PASSWORD = "correct-horse-battery-staple"


def _reset_caches() -> None:
    from moli.core.accounts import security_rules
    from moli.core.db import forget_migrations, reset_engines
    from moli.core.jobs import reset_huey
    from moli.core.settings import reset_settings

    reset_settings()
    reset_engines()
    forget_migrations()
    reset_huey()
    security_rules.cache_clear()


@pytest.fixture
def moli_home(tmp_path, monkeypatch) -> Iterator:
    home = tmp_path / "moli_home"
    monkeypatch.setenv("MOLI_HOME", str(home))
    monkeypatch.setenv("MOLI_JOBS_IMMEDIATE", "1")
    monkeypatch.delenv("MOLI_DATABASE_URL", raising=False)
    monkeypatch.delenv("MOLI_REDIS_URL", raising=False)
    monkeypatch.delenv("MOLI_SECRET_KEY", raising=False)
    _reset_caches()
    yield home
    _reset_caches()


_PG_STATE: dict[str, object] = {}


def _pg_admin_url() -> str:
    return os.environ.get("MOLI_TEST_POSTGRES_URL", DEFAULT_PG)


def _pg_unreachable_reason() -> str | None:
    """None when the server answers, else why not (checked once per test session)."""
    if "reason" not in _PG_STATE:
        from sqlalchemy import create_engine, text

        engine = create_engine(_pg_admin_url(), connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            _PG_STATE["reason"] = None
        except Exception as exc:
            _PG_STATE["reason"] = f"PostgreSQL unreachable at {_pg_admin_url()}: {type(exc).__name__}: {exc}"
        finally:
            engine.dispose()
    return _PG_STATE["reason"]  # type: ignore[return-value]


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory):
    """A SQLite database migrated once per test session; tests start from a copy (fast)."""
    from sqlalchemy import text

    from moli.core.db import dispose_engine, get_engine, upgrade

    path = tmp_path_factory.mktemp("template") / "moli.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    with get_engine(url).connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    dispose_engine(url)
    return path


@pytest.fixture(scope="session")
def _pg_template():
    """A PostgreSQL database migrated once per test session, used as CREATE DATABASE's TEMPLATE."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from moli.core.db import dispose_engine, upgrade

    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"moli_tpl_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        dispose_engine(url)
        yield name
    finally:
        dispose_engine(url)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _copy_sqlite_template(request, path) -> None:
    if not path.exists():
        import shutil

        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, moli_home, monkeypatch) -> Iterator[str]:
    """The database URL (also in MOLI_DATABASE_URL) of a freshly migrated database."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if request.param == "sqlite":
        _copy_sqlite_template(request, moli_home / "moli.db")
        url = f"sqlite:///{moli_home / 'moli.db'}"
        monkeypatch.setenv("MOLI_DATABASE_URL", url)
        _reset_caches()
        yield url
        return
    reason = _pg_unreachable_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true requires PostgreSQL: {reason}")
        print(f"\nSKIP postgres: {reason}")
        pytest.skip(reason)
    template = request.getfixturevalue("_pg_template")
    admin_url = _pg_admin_url()
    name = f"moli_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("MOLI_DATABASE_URL", url)
    _reset_caches()
    try:
        yield url
    finally:
        _reset_caches()  # dispose pooled connections before dropping
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _maybe_db_url(request, moli_home) -> None:
    """Use the test's db_url when it asks for one, else a copy of the migrated SQLite template."""
    if "db_url" in request.fixturenames:
        request.getfixturevalue("db_url")
    else:
        _copy_sqlite_template(request, moli_home / "moli.db")


@pytest.fixture
def session(request, moli_home) -> Iterator:
    from moli.core.db import ensure_database, new_session

    _maybe_db_url(request, moli_home)
    ensure_database()
    s = new_session()
    try:
        yield s
    finally:
        s.rollback()
        s.close()


@pytest.fixture
def client(request, moli_home) -> Iterator:
    from fastapi.testclient import TestClient

    from moli.core.db import ensure_database
    from moli.web.app import create_app

    _maybe_db_url(request, moli_home)
    ensure_database()
    with TestClient(create_app()) as c:
        c.get("/healthz")  # receives the CSRF cookie
        c.headers["X-CSRF-Token"] = c.cookies.get("moli_csrf")
        yield c


_SEQ = itertools.count(1)


def make_user(role: str = "enterprise", org: str | None = "Org A", email: str | None = None,
              password: str = TEST_PASSWORD):
    """Create a user (and its organisation when missing) in the configured database."""
    from moli.core import accounts
    from moli.core.db import ensure_database, session_scope

    ensure_database()
    email = email or f"{role}{next(_SEQ)}-{uuid.uuid4().hex[:6]}@example.com"
    with session_scope() as s:
        organisation = accounts.get_or_create_org(s, org) if org else None
        user = accounts.create_user(s, email, password, role=role, organisation=organisation,
                                    display_name=f"{role} {org or ''}".strip())
        user_id = user.id
    with session_scope() as s:
        return accounts.get_user(s, user_id)


@pytest.fixture
def login():
    """``login(client, role="enterprise", org="Org A") -> User``: create the user, log the client in."""

    def _login(client, role: str = "enterprise", org: str | None = "Org A", email: str | None = None):
        if role in ("admin", "staff") and org == "Org A":
            org = None
        user = make_user(role=role, org=org, email=email)
        r = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD, "next": "/"},
                        follow_redirects=False)
        assert r.status_code == 303, f"login failed: {r.status_code} {r.text[:500]}"
        client.headers["X-CSRF-Token"] = client.cookies.get("moli_csrf")
        return user

    return _login


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Mark a failed test so a browser page fixture saves a screenshot under test-artifacts/."""
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        item.rep_failed = True
