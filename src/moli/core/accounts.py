"""Accounts (账户): organisations, users, password hashes, login with rate limiting.

Plain functions taking a Session first; the web views and the CLI are thin faces over them.
Passwords are hashed with argon2id (argon2-cffi). Login failures are recorded in the database
(``login_attempts``) so the per-account and per-IP limits hold across worker processes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from datetime import UTC, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from moli.core.db import utcnow
from moli.core.errors import ConfigError, InputError, MoliError
from moli.core.models import ROLES, LoginAttempt, Organisation, User, UserSession

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ORG_KINDS = ("enterprise", "government", "institution")  # 企业 / 政府机构 / 科研院所


class AuthError(MoliError):
    """Wrong e-mail or password: one message whatever was wrong (no user enumeration)."""

    status_code = 401


class RateLimited(MoliError):
    status_code = 429


class Conflict(MoliError):
    status_code = 409


@lru_cache(maxsize=1)
def security_rules() -> dict[str, Any]:
    """Thresholds from data/security.yaml as ``{section: {name: value}}`` (each entry cites a source)."""
    path = Path(__file__).with_name("data") / "security.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, Any] = {}
    for section, entries in raw.items():
        out[section] = {}
        for name, entry in entries.items():
            if not isinstance(entry, dict) or not {"value", "source", "confidence"} <= entry.keys():
                raise ConfigError(f"{path.name}：{section}.{name} 缺少 value/source/confidence",
                                  f"{path.name}: {section}.{name} needs value, source and confidence",
                                  field=f"{section}.{name}")
            out[section][name] = entry["value"]
    return out


def normalise_email(email: str) -> str:
    """Lower-case, trimmed, full-width forms folded (＠ → @) so one mailbox is one account."""
    return unicodedata.normalize("NFKC", email or "").strip().lower()


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    p = security_rules()["password_hash"]
    return PasswordHasher(time_cost=p["time_cost"], memory_cost=p["memory_cost_kib"], parallelism=p["parallelism"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against its hash (hashes made with other argon2 parameters still verify)."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = None


def _dummy_verify(password: str) -> None:
    """Spend the same time as a real check when the account does not exist (timing-safe)."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
    verify_password(_DUMMY_HASH, password)


def check_password_rules(password: str) -> None:
    rules = security_rules()["password"]
    if len(password or "") < rules["min_length"]:
        raise InputError(f"密码至少 {rules['min_length']} 个字符",
                         f"the password needs at least {rules['min_length']} characters", field="password")
    if len(password) > rules["max_length"]:
        raise InputError(f"密码最多 {rules['max_length']} 个字符",
                         f"the password may have at most {rules['max_length']} characters", field="password")


def check_email(email: str) -> str:
    email = normalise_email(email)
    if not _EMAIL_RE.match(email) or len(email) > 254:
        raise InputError("邮箱地址格式不正确", "the e-mail address is not valid", field="email")
    return email


def get_or_create_org(session: Session, name: str, kind: str = "enterprise") -> Organisation:
    name = unicodedata.normalize("NFKC", name or "").strip()
    if not name:
        raise InputError("组织名称不能为空", "the organisation name is required", field="organisation")
    if kind not in ORG_KINDS:
        raise InputError(f"组织类型须为 {'/'.join(ORG_KINDS)}", f"organisation kind must be one of {ORG_KINDS}",
                         field="kind")
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name, kind=kind)
        session.add(org)
        session.flush()
    return org


def create_user(session: Session, email: str, password: str, *, role: str = "enterprise",
                organisation: Organisation | None = None, display_name: str = "") -> User:
    """Create a user (no commit). Raises InputError / Conflict; nothing is added on error."""
    email = check_email(email)
    check_password_rules(password)
    if role not in ROLES:
        raise InputError(f"角色须为 {'/'.join(ROLES)}", f"role must be one of {', '.join(ROLES)}", field="role")
    if role == "enterprise" and organisation is None:
        raise InputError("企业用户必须属于一个组织", "an enterprise user must belong to an organisation",
                         field="organisation")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("该邮箱已注册，请直接登录", "this e-mail is already registered; please log in",
                       field="email")
    user = User(email=email, password_hash=hash_password(password), role=role,
                organisation=organisation, display_name=(display_name or "").strip()[:100])
    session.add(user)
    session.flush()
    return user


def register(session: Session, *, email: str, password: str, organisation: str,
             display_name: str = "", org_kind: str = "enterprise") -> User:
    """Self-registration: a new enterprise user founding a new organisation.

    Joining an existing organisation is not self-service (anyone could otherwise read its
    private records): staff add members with ``moli users create --org``.
    """
    email = check_email(email)
    check_password_rules(password)
    org_name = unicodedata.normalize("NFKC", organisation or "").strip()
    if not org_name:
        raise InputError("组织名称不能为空", "the organisation name is required", field="organisation")
    if len(org_name) > 200:
        raise InputError("组织名称最多 200 个字符", "the organisation name may have at most 200 characters",
                         field="organisation")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("该邮箱已注册，请直接登录", "this e-mail is already registered; please log in",
                       field="email")
    if session.scalar(select(Organisation.id).where(Organisation.name == org_name)) is not None:
        raise Conflict("该组织已在平台注册，请联系平台工作人员加入",
                       "this organisation is already registered; ask the platform staff to add you",
                       field="organisation")
    org = get_or_create_org(session, org_name, org_kind)
    return create_user(session, email, password, role="enterprise", organisation=org,
                       display_name=display_name)


def _window_start():
    return utcnow() - timedelta(seconds=security_rules()["login_rate_limit"]["window_seconds"])


def _failures(session: Session, column, value: str) -> int:
    return session.scalar(select(func.count(LoginAttempt.id)).where(
        column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at >= _window_start())) or 0


def authenticate(session: Session, email: str, password: str, ip: str = "") -> User:
    """Check a login. Records the attempt; raises RateLimited before checking when over the limit.

    The caller must commit the session even when this raises (the attempt must be kept): use
    ``login()``, which does so in its own transaction.
    """
    rules = security_rules()["login_rate_limit"]
    account = normalise_email(email)[:254]
    ip = (ip or "unknown")[:64]
    if (_failures(session, LoginAttempt.account, account) >= rules["max_failures_per_account"]
            or _failures(session, LoginAttempt.ip, ip) >= rules["max_failures_per_ip"]):
        minutes = rules["window_seconds"] // 60
        raise RateLimited(f"登录失败次数过多，请 {minutes} 分钟后再试",
                          f"too many failed log-ins; try again in {minutes} minutes")
    user = session.scalar(select(User).options(selectinload(User.organisation)).where(User.email == account))
    ok = False
    if user is None:
        _dummy_verify(password or "")
    else:
        ok = verify_password(user.password_hash, password or "") and user.is_active
    session.add(LoginAttempt(account=account, ip=ip, succeeded=ok))
    # prune attempts older than the window (keeps the table small)
    session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < _window_start() - timedelta(days=1)))
    session.flush()
    if not ok:
        raise AuthError("邮箱或密码错误", "wrong e-mail or password")
    return user


def login(session: Session, email: str, password: str, ip: str = "") -> User:
    """authenticate() and commit the attempt record whatever the outcome."""
    try:
        user = authenticate(session, email, password, ip)
    except AuthError:
        session.commit()
        raise
    session.commit()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def get_user(session: Session, user_id: int) -> User | None:
    return session.scalar(select(User).options(selectinload(User.organisation)).where(User.id == user_id))


def create_admin(session: Session, email: str, password: str | None = None) -> tuple[User, str]:
    """Create an admin; a password is generated when none is given. Returns (user, password)."""
    password = password or secrets.token_urlsafe(12)
    user = create_user(session, email, password, role="admin", display_name="管理员 Admin")
    return user, password


def counts(session: Session) -> dict[str, int]:
    return {
        "组织 / Organisations": session.scalar(select(func.count(Organisation.id))) or 0,
        "用户 / Users": session.scalar(select(func.count(User.id))) or 0,
    }


def organisation_overview(session: Session, user: User) -> list[dict]:
    """Organisations the user may see (staff: all; enterprise: its own), with their members."""
    stmt = select(Organisation).options(selectinload(Organisation.users)).order_by(Organisation.name)
    if user.role not in ("admin", "staff"):
        if user.organisation_id is None:
            return []
        stmt = stmt.where(Organisation.id == user.organisation_id)
    out = []
    for org in session.scalars(stmt):
        out.append({"id": org.id, "name": org.name, "kind": org.kind, "created_at": org.created_at,
                    "members": [{"id": u.id, "email": u.email, "display_name": u.display_name, "role": u.role}
                                for u in sorted(org.users, key=lambda u: u.id)]})
    return out


def add_member(session: Session, actor: User, *, email: str, organisation: str, role: str = "enterprise",
               password: str | None = None) -> tuple[User, str]:
    """Staff add a user to an organisation (created when new). Returns (user, password shown once)."""
    from moli.core.access import is_staff
    from moli.core.errors import PermissionDenied

    if not is_staff(actor):
        raise PermissionDenied("仅限平台工作人员", "platform staff only")
    if role == "admin" and actor.role != "admin":
        raise PermissionDenied("只有管理员可以创建管理员", "only an admin may create an admin", field="role")
    password = password or secrets.token_urlsafe(12)
    org = get_or_create_org(session, organisation) if (organisation or "").strip() else None
    user = create_user(session, email, password, role=role, organisation=org)
    return user, password


def set_password(session: Session, email: str, password: str | None = None) -> tuple[User, str]:
    """Set (or generate) a user's password. Returns (user, password)."""
    from moli.core.errors import NotFound

    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound("该用户不存在", "no such user", field="email")
    password = password or secrets.token_urlsafe(12)
    check_password_rules(password)
    user.password_hash = hash_password(password)
    _end_all(session, user)  # sessions opened with the old password end
    return user, password


# A reset link is stateless: it carries the user id and a stamp of the password hash it was made
# for, signed with the node's secret. Setting a password changes the hash, so the link works once;
# a newer link, a log-out everywhere or its age do not need a table to be enforced.
_RESET_SALT = "moli-password-reset"


def _reset_serializer():
    from itsdangerous import URLSafeTimedSerializer

    from moli.core.settings import get_settings

    return URLSafeTimedSerializer(get_settings().effective_secret_key, salt=_RESET_SALT)


def _password_stamp(user: User) -> str:
    return hashlib.sha256(f"{user.password_hash}:{user.session_epoch or 0}".encode()).hexdigest()[:20]


def reset_token(session: Session, email: str) -> tuple[User, str]:
    """A one-time token for ``/reset/{token}`` that lets the user choose a new password."""
    from moli.core.errors import NotFound

    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active:
        raise NotFound("该用户不存在或已停用", "no such active user", field="email")
    return user, _reset_serializer().dumps({"uid": user.id, "pw": _password_stamp(user)})


def user_for_reset(session: Session, token: str) -> User:
    """The user a reset token is for; InputError when it is forged, expired or already used."""
    from itsdangerous import BadSignature, SignatureExpired

    try:
        data = _reset_serializer().loads(token, max_age=int(security_rules()["password_reset"]["max_age_seconds"]))
    except SignatureExpired:
        raise InputError("重设链接已过期，请向平台工作人员重新索取", "this reset link has expired; ask staff for a new one",
                         field="token") from None
    except BadSignature:
        raise InputError("重设链接无效", "this reset link is not valid", field="token") from None
    user = session.get(User, data.get("uid")) if isinstance(data, dict) and isinstance(data.get("uid"), int) else None
    if user is None or not user.is_active or data.get("pw") != _password_stamp(user):
        raise InputError("重设链接已使用或已失效，请向平台工作人员重新索取",
                         "this reset link has been used or is no longer valid; ask staff for a new one", field="token")
    return user


def reset_password(session: Session, token: str, password: str) -> User:
    """Set the password of the token's user (once) and end every session opened with the old one."""
    user = user_for_reset(session, token)
    check_password_rules(password)
    user.password_hash = hash_password(password)
    _end_all(session, user)
    return user


# --- signed-in browsers ---------------------------------------------------------------------------

SESSION_TOUCH = timedelta(minutes=5)  # last_seen_at is written at most this often (not on every request)


def open_session(session: Session, user: User, *, user_agent: str = "", ip: str = "") -> UserSession:
    """A new signed-in browser for ``user``; the user's sessions older than the cookie's life are dropped."""
    max_age = timedelta(seconds=int(security_rules()["session"]["max_age_seconds"]))
    session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                              UserSession.created_at < utcnow() - max_age))
    row = UserSession(key=secrets.token_hex(16), user_id=user.id, user_agent=(user_agent or "")[:300],
                      ip=(ip or "")[:64])
    session.add(row)
    session.flush()
    return row


def find_session(session: Session, user_id: int, key: object) -> UserSession | None:
    """The live session ``key`` of ``user_id`` (None once ended), its last_seen_at brought up to date."""
    if not isinstance(key, str) or not key:
        return None
    row = session.scalar(select(UserSession).where(UserSession.key == key, UserSession.user_id == user_id))
    if row is not None:
        # compared here, so that a request writes nothing unless the row is stale (SQLite: no write lock)
        seen = row.last_seen_at if row.last_seen_at.tzinfo else row.last_seen_at.replace(tzinfo=UTC)
        if utcnow() - seen > SESSION_TOUCH:
            row.last_seen_at = utcnow()
            session.flush()
    return row


def list_sessions(session: Session, user_id: int) -> list[UserSession]:
    return list(session.scalars(select(UserSession).where(UserSession.user_id == user_id)
                                .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())))


def end_session(session: Session, user_id: int, *, session_id: int | None = None, key: str | None = None) -> bool:
    """End one signed-in browser of ``user_id`` (by row id or cookie key); False when there was none."""
    if session_id is not None and not 1 <= session_id <= 2**63 - 1:
        return False  # no row has it (and SQLite cannot bind an int beyond 64 bits)
    cond = UserSession.id == session_id if session_id is not None else UserSession.key == (key or "")
    n = session.execute(delete(UserSession).where(UserSession.user_id == user_id, cond)).rowcount
    session.flush()
    return bool(n)


def end_sessions(session: Session, user_id: int) -> None:
    """Log a user out everywhere: every session cookie issued so far stops working."""
    user = session.get(User, user_id)
    if user is not None:
        _end_all(session, user)


def _end_all(session: Session, user: User) -> None:
    user.session_epoch = (user.session_epoch or 0) + 1
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.flush()
