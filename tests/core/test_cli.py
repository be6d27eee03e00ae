"""The platform commands, run as a user runs them (the `moli` entry point in a subprocess)."""

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from moli import __version__
from moli.cli import app

MOLI = [sys.executable, "-c", "from moli.cli import main; main()"]


def run(args, env_extra=None, home=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOLI_")}
    if home is not None:
        env["MOLI_HOME"] = str(home)
    env.update(env_extra or {})
    return subprocess.run(MOLI + args, env=env, capture_output=True, text=True, timeout=120)


def test_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"moli {__version__}"


def _row_counts() -> dict[str, int]:
    from moli.core.jobs import table_counts

    return table_counts(0, {}, lambda *_: None)["tables"]


@pytest.mark.slow
def test_demo_is_idempotent_and_prints_password_once(moli_home):
    """`moli demo` twice: every feature's demo content and the admin are added once only."""
    runner = CliRunner()
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "admin@moli.local" in first.output and "只显示这一次" in first.output
    password = first.output.split("password (shown once): ")[1].split()[0]
    after_first = _row_counts()
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0 and "已存在" in second.output and password not in second.output
    assert _row_counts() == after_first
    from moli.core import accounts
    from moli.core.db import session_scope

    with session_scope() as s:
        user = accounts.login(s, "admin@moli.local", password)
        assert user.role == "admin"
    listed = runner.invoke(app, ["users", "list"])
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert "admin@moli.local" in [r["email"] for r in rows]


def test_users_create_joins_existing_org(moli_home):
    runner = CliRunner()
    a = runner.invoke(app, ["users", "create", "--email", "m1@example.com", "--org", "临港算力", "--password", "password-1"])
    b = runner.invoke(app, ["users", "create", "--email", "m2@example.com", "--org", "临港算力"])
    assert a.exit_code == 0 and b.exit_code == 0 and "shown once" in b.output
    rows = [json.loads(x) for x in runner.invoke(app, ["users", "list"]).stdout.splitlines()]
    assert {r["organisation"] for r in rows} == {"临港算力"} and len(rows) == 2


def test_create_admin_twice_fails_bilingually_with_exit_2(moli_home):
    ok = CliRunner().invoke(app, ["users", "create-admin", "--email", "boss@example.com"])
    assert ok.exit_code == 0, ok.output
    assert "password (shown once)" in ok.output
    again = run(["users", "create-admin", "--email", "boss@example.com"], home=moli_home)  # the real entry point
    assert again.returncode == 2
    assert "该邮箱已注册" in again.stderr and "already registered" in again.stderr


@pytest.mark.parametrize("var,value", [("MOLI_DATABASE_URL", "not a url"), ("MOLI_MAX_UPLOAD_MB", "-5"),
                                       ("MOLI_JOBS_IMMEDIATE", "perhaps")])
def test_bad_setting_names_the_variable(moli_home, monkeypatch, var, value):
    from moli.core.errors import ConfigError
    from moli.core.settings import get_settings, reset_settings

    monkeypatch.setenv(var, value)
    reset_settings()
    with pytest.raises(ConfigError) as exc:
        get_settings()
    assert exc.value.field == var and var in exc.value.zh and var in exc.value.en


def test_bad_setting_stops_the_command_with_exit_2(tmp_path):
    r = run(["db", "upgrade"], env_extra={"MOLI_DATABASE_URL": "not a url"}, home=tmp_path / "h")
    assert r.returncode == 2
    assert "MOLI_DATABASE_URL" in r.stderr and "无效" in r.stderr and "invalid" in r.stderr
    assert not (tmp_path / "h").exists()


def test_db_upgrade_on_fresh_home_and_secret_key_generated_once(moli_home):
    r = CliRunner().invoke(app, ["db", "upgrade"])
    assert r.exit_code == 0, r.output
    assert (moli_home / "moli.db").exists()
    from moli.core.settings import Settings

    s = Settings(home=moli_home)
    key1 = s.effective_secret_key
    assert len(key1) >= 40 and (moli_home / "secret_key").stat().st_mode & 0o077 == 0
    assert Settings(home=moli_home).effective_secret_key == key1


def test_set_password(moli_home):
    runner = CliRunner()
    runner.invoke(app, ["users", "create", "--email", "p@example.com", "--org", "P", "--password", "password-1"])
    r = runner.invoke(app, ["users", "set-password", "--email", "P@example.com"])
    assert r.exit_code == 0, r.output
    new = r.output.split("password (shown once): ")[1].split()[0]
    from moli.core import accounts
    from moli.core.db import session_scope

    with session_scope() as s:
        assert accounts.login(s, "p@example.com", new).email == "p@example.com"
    missing = runner.invoke(app, ["users", "set-password", "--email", "nobody@example.com"])
    assert missing.exit_code != 0 and "该用户不存在" in str(missing.exception)
