"""Request guard (pure ASGI middleware): body-size limits and double-submit CSRF protection.

* Every response to a client without a valid ``moli_csrf`` cookie sets one (signed random token,
  readable by JavaScript, SameSite=Lax).
* Every unsafe request (POST/PUT/PATCH/DELETE) that is a form post, or that carries the session
  cookie, must repeat the cookie's token in the form field ``csrf_token`` or the header
  ``X-CSRF-Token``; otherwise 403 with a bilingual message. (A JSON call without any session
  cookie carries no ambient authority and is let through.)
* Bodies over the limit get 413 before anything is handled: urlencoded forms and JSON at
  ``request_limits.max_form_bytes`` (data/security.yaml), multipart uploads at
  ``MOLI_MAX_UPLOAD_MB``, and any single non-file multipart field at ``max_form_field_bytes``.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, Signer
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from moli.core import accounts
from moli.core.errors import MoliError, PayloadTooLarge, PermissionDenied
from moli.core.settings import get_settings

CSRF_COOKIE = "moli_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


def _signer() -> Signer:
    return Signer(get_settings().effective_secret_key, salt="moli-csrf")


def _valid_cookie(value: str | None) -> bool:
    if not value:
        return False
    try:
        _signer().unsign(value)
        return True
    except BadSignature:
        return False


def new_csrf_token() -> str:
    return _signer().sign(secrets.token_urlsafe(24)).decode()


def csrf_token_for(request: Request) -> str:
    """The token the page must send back: the cookie's, or the one this response will set."""
    state = request.scope.setdefault("state", {})
    if "csrf_token" not in state:
        cookie = request.cookies.get(CSRF_COOKIE)
        state["csrf_token"] = cookie if _valid_cookie(cookie) else new_csrf_token()
    return state["csrf_token"]


class _TooLarge(Exception):
    pass


class RequestGuard:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        token = csrf_token_for(request)
        set_cookie = request.cookies.get(CSRF_COOKIE) != token

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and set_cookie:
                from http.cookies import SimpleCookie

                c = SimpleCookie()
                c[CSRF_COOKIE] = token
                c[CSRF_COOKIE]["path"] = "/"
                c[CSRF_COOKIE]["samesite"] = "Lax"
                if get_settings().cookie_secure:
                    c[CSRF_COOKIE]["secure"] = True
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", c.output(header="").strip().encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        if scope["method"] not in UNSAFE:
            await self.app(scope, receive, send_with_cookie)
            return
        try:
            body = await self._read_body(scope, receive)
            await self._check_csrf(scope, body, token)
        except MoliError as exc:
            from moli.web.errors import error_response

            response = error_response(Request(scope), exc)
            await response(scope, receive, send_with_cookie)
            return

        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send_with_cookie)

    @staticmethod
    def _limit(content_type: str) -> int:
        if content_type.startswith("multipart/form-data"):
            return get_settings().max_upload_mb * 1024 * 1024
        return int(accounts.security_rules()["request_limits"]["max_form_bytes"])

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        headers = Headers(scope=scope)
        limit = self._limit(headers.get("content-type", ""))
        too_large = PayloadTooLarge(
            f"提交的内容过大（上限 {limit // (1024 * 1024)} MB），未保存任何内容",
            f"the request is too large (limit {limit // (1024 * 1024)} MB); nothing was saved")
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise too_large
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _check_csrf(self, scope: Scope, body: bytes, token: str) -> None:
        from moli.web.deps import SESSION_COOKIE

        request = Request(scope)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        is_form = content_type in FORM_TYPES
        submitted = request.headers.get(CSRF_HEADER)
        if is_form and content_type != "text/plain":
            form_token = await self._form_token(scope, body)  # also enforces the per-field size limit
            submitted = submitted or form_token
        if not is_form and SESSION_COOKIE not in request.cookies:
            return  # no ambient authority: nothing to forge
        cookie = request.cookies.get(CSRF_COOKIE)
        if not (submitted and cookie and _valid_cookie(cookie) and hmac.compare_digest(submitted, cookie)):
            raise PermissionDenied(
                "安全校验失败（CSRF 令牌缺失或不符），请刷新页面后重试",
                "security check failed (missing or wrong CSRF token); reload the page and try again",
                field=CSRF_FIELD)

    @staticmethod
    async def _form_token(scope: Scope, body: bytes) -> str | None:
        done = False

        async def once() -> Message:
            nonlocal done
            if done:
                return {"type": "http.disconnect"}
            done = True
            return {"type": "http.request", "body": body, "more_body": False}

        field_limit = int(accounts.security_rules()["request_limits"]["max_form_field_bytes"])
        req = Request(scope, once)
        try:
            form = await req.form(max_part_size=field_limit)
        except (MultiPartException, HTTPException) as exc:
            # Starlette raises HTTPException(400) instead when scope has an "app"
            if "maximum size" in str(getattr(exc, "detail", None) or exc).lower():
                raise PayloadTooLarge(
                    f"表单字段过大（上限 {field_limit // 1024} KB），未保存任何内容",
                    f"a form field is too large (limit {field_limit // 1024} KB); nothing was saved") from None
            detail = getattr(exc, "detail", None) or exc
            raise MoliError(f"表单格式错误：{detail}", f"malformed form: {detail}") from None
        try:
            value = form.get(CSRF_FIELD)
            return value if isinstance(value, str) else None
        finally:
            await form.close()
