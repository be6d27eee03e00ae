"""FastAPI dependencies: ``get_db``, ``current_user``, ``require_user``, ``require_staff``.

``RowId`` is the type of every database row id in a URL path (``/jobs/{job_id}``): 1 to 2⁶³−1, the
range of a 64-bit INTEGER. An id outside it (``/jobs/99999999999999999999``, ``/jobs/0``) can never
name a row and is answered with the bilingual 422 of ``moli.web.errors`` naming the path parameter,
before it reaches the database (SQLite cannot even bind a larger Python int: OverflowError → 500).

The session cookie ``moli_session`` holds the user id signed (itsdangerous, with the secret
key) and time-stamped; it is HttpOnly and SameSite=Lax. An expired or tampered cookie counts as
anonymous, and ``require_user`` then says that the session expired.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from starlette.responses import Response

from moli.core import accounts
from moli.core.db import new_session
from moli.core.errors import PermissionDenied, Unauthenticated
from moli.core.models import User
from moli.core.settings import get_settings

SESSION_COOKIE = "moli_session"
MAX_ROW_ID = 2**63 - 1  # the largest 64-bit INTEGER (SQLite, PostgreSQL BIGINT)
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="数据库记录编号 / row id (1 … 2⁶³−1)")]


def get_db(request: Request) -> Session:
    """A Session for one request: committed when the view returns, rolled back if it raises.

    The commit happens before the response is sent (on FastAPI's per-call exit stack), so a
    browser that follows a POST → 303 redirect always sees what the POST wrote. A generator
    dependency would commit only after the response had gone out.
    """
    session = new_session()
    stack = request.scope.get("fastapi_function_astack") or request.scope.get("fastapi_inner_astack")
    if stack is None:  # pragma: no cover - guards against a FastAPI that renamed its stacks
        session.close()
        raise RuntimeError("get_db must be used as a FastAPI dependency")

    def _finish(exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()
        return False

    stack.push(_finish)
    return session


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().effective_secret_key, salt="moli-session")


def session_max_age() -> int:
    return int(accounts.security_rules()["session"]["max_age_seconds"])


def set_session_cookie(response: Response, user: User, key: str) -> None:
    """The signed cookie of the signed-in browser ``key`` (``accounts.open_session``)."""
    payload = {"uid": user.id, "ep": user.session_epoch or 0, "sid": key}
    response.set_cookie(SESSION_COOKIE, _serializer().dumps(payload), max_age=session_max_age(),
                        httponly=True, samesite="lax", secure=get_settings().cookie_secure, path="/")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def load_user(request: Request) -> User | None:
    """The logged-in user (with organisation loaded) or None; cached on ``request.state``."""
    state = request.state
    if getattr(state, "user_loaded", False):
        return state.user
    state.user, state.session_expired = None, False
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        try:
            data = _serializer().loads(raw, max_age=session_max_age())
        except SignatureExpired:
            state.session_expired = True
            data = None
        except BadSignature:
            data = None
        if isinstance(data, dict) and isinstance(data.get("uid"), int):
            session = new_session()
            try:
                user = accounts.get_user(session, data["uid"])
                if (user is not None and user.is_active and data.get("ep", 0) == (user.session_epoch or 0)
                        and accounts.find_session(session, user.id, data.get("sid")) is not None):
                    state.user, state.session_key = user, data["sid"]
                session.commit()  # last_seen_at
            finally:
                session.close()
    state.user_loaded = True
    return state.user


def current_user(request: Request) -> User | None:
    return load_user(request)


def require_user(request: Request, user: User | None = Depends(current_user)) -> User:
    if user is None:
        if getattr(request.state, "session_expired", False):
            raise Unauthenticated("登录已过期，请重新登录", "your session has expired; please log in again")
        raise Unauthenticated("请先登录", "please log in first")
    return user


def require_staff(user: User = Depends(require_user)) -> User:
    if user.role not in ("admin", "staff"):
        raise PermissionDenied("仅限平台工作人员", "platform staff only")
    return user
