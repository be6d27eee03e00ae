import pytest
from sqlalchemy import func, select

from moli.core import accounts
from moli.core.errors import InputError
from moli.core.models import LoginAttempt, Organisation, User


def test_register_hashes_with_argon2_and_logs_in(session, db_url):
    user = accounts.register(session, email=" Alice＠Example.COM ", password="s3cret-pass",
                             organisation="浦东模力科技有限公司")
    session.commit()
    assert user.email == "alice@example.com"  # full-width ＠ folded, lower-cased
    assert user.password_hash.startswith("$argon2id$")
    assert "s3cret-pass" not in user.password_hash
    assert user.organisation.name == "浦东模力科技有限公司"
    got = accounts.login(session, "alice@example.com", "s3cret-pass", ip="10.0.0.1")
    assert got.id == user.id


def test_duplicate_registration_is_refused_and_nothing_written(session):
    accounts.register(session, email="a@example.com", password="password1", organisation="Org A")
    session.commit()
    with pytest.raises(accounts.Conflict) as exc:
        accounts.register(session, email="A@example.com", password="password2", organisation="Org Z")
    assert exc.value.status_code == 409 and "已注册" in exc.value.zh
    session.rollback()
    assert session.scalar(select(func.count(Organisation.id)).where(Organisation.name == "Org Z")) == 0
    with pytest.raises(accounts.Conflict):
        accounts.register(session, email="b@example.com", password="password2", organisation="Org A")


@pytest.mark.parametrize("email,password,field", [
    ("not-an-email", "password1", "email"), ("x@example.com", "short", "password"),
    ("x@example.com", "p" * 300, "password"),
])
def test_bad_registration_names_the_field(session, email, password, field):
    with pytest.raises(InputError) as exc:
        accounts.register(session, email=email, password=password, organisation="Org")
    assert exc.value.field == field and exc.value.zh and exc.value.en


def test_wrong_password_and_unknown_user_get_the_same_message(session):
    accounts.register(session, email="bob@example.com", password="password1", organisation="Org B")
    session.commit()
    with pytest.raises(accounts.AuthError) as wrong:
        accounts.login(session, "bob@example.com", "password2")
    with pytest.raises(accounts.AuthError) as unknown:
        accounts.login(session, "nobody@example.com", "password2")
    assert (wrong.value.zh, wrong.value.en) == (unknown.value.zh, unknown.value.en)
    assert wrong.value.status_code == 401
    assert session.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.succeeded.is_(False))) == 2


def test_rate_limit_per_account_even_with_right_password(session, db_url):
    accounts.register(session, email="carol@example.com", password="password1", organisation="Org C")
    session.commit()
    limit = accounts.security_rules()["login_rate_limit"]["max_failures_per_account"]
    for i in range(limit):
        with pytest.raises(accounts.AuthError):
            accounts.login(session, "carol@example.com", "wrong", ip=f"10.0.0.{i}")
    with pytest.raises(accounts.RateLimited) as exc:
        accounts.login(session, "carol@example.com", "password1", ip="10.9.9.9")
    assert exc.value.status_code == 429
    # another account from another address is unaffected
    accounts.register(session, email="dave@example.com", password="password1", organisation="Org D")
    session.commit()
    assert accounts.login(session, "dave@example.com", "password1", ip="10.9.9.8").email == "dave@example.com"


def test_rate_limit_per_ip_across_accounts(session, monkeypatch):
    # a lower limit than security.yaml's keeps the test fast; the rule is the same
    monkeypatch.setitem(accounts.security_rules()["login_rate_limit"], "max_failures_per_ip", 4)
    limit = 4
    for i in range(limit):
        with pytest.raises(accounts.AuthError):
            accounts.login(session, f"u{i}@example.com", "wrong", ip="203.0.113.7")
    accounts.register(session, email="eve@example.com", password="password1", organisation="Org E")
    session.commit()
    with pytest.raises(accounts.RateLimited):
        accounts.login(session, "eve@example.com", "password1", ip="203.0.113.7")
    assert accounts.login(session, "eve@example.com", "password1", ip="203.0.113.8").email == "eve@example.com"


def test_create_admin_generates_password(session):
    user, pw = accounts.create_admin(session, "root@example.com")
    session.commit()
    assert user.role == "admin" and user.organisation_id is None and len(pw) >= 12
    assert accounts.verify_password(user.password_hash, pw)
    assert session.scalar(select(func.count(User.id))) == 1


def test_security_rules_cite_sources():
    rules = accounts.security_rules()
    assert rules["password"]["min_length"] >= 8
    assert rules["login_rate_limit"]["max_failures_per_account"] < rules["login_rate_limit"]["max_failures_per_ip"]


def test_password_hash_uses_configured_argon2id_parameters():
    h = accounts.hash_password("password1")
    p = accounts.security_rules()["password_hash"]
    assert h.startswith(f"$argon2id$v=19$m={p['memory_cost_kib']},t={p['time_cost']},p={p['parallelism']}$")


def test_password_change_and_logout_bump_session_epoch(session):
    user = accounts.register(session, email="epoch@example.com", password="password1", organisation="Org Ep")
    session.commit()
    assert user.session_epoch == 0
    _, new = accounts.set_password(session, "epoch@example.com")
    assert user.session_epoch == 1 and accounts.verify_password(user.password_hash, new)
    accounts.end_sessions(session, user.id)
    assert user.session_epoch == 2


def test_last_seen_is_written_only_when_stale(session, db_url):
    from datetime import timedelta

    from moli.core.db import utcnow

    user = accounts.register(session, email="seen@example.com", password="password-1", organisation="Seen")
    row = accounts.open_session(session, user, user_agent="test", ip="127.0.0.1")
    first = row.last_seen_at
    assert accounts.find_session(session, user.id, row.key).last_seen_at == first  # fresh: untouched
    row.last_seen_at = utcnow() - timedelta(minutes=10)
    session.flush()
    assert accounts.find_session(session, user.id, row.key).last_seen_at > utcnow() - timedelta(minutes=1)
    assert accounts.find_session(session, user.id, "not-a-key") is None
    assert accounts.find_session(session, user.id + 1, row.key) is None  # another user's key
