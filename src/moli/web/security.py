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
* The body is read once into a spooled temporary file (memory up to SPOOL_BYTES, then disk), checked,
  and replayed to the app from there in chunks: a 100 MB upload does not sit in memory.
"""

from __future__ import annotations

import hmac
import secrets
import tempfile

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


SPOOL_BYTES = 1 << 20  # a body larger than this is kept on disk while it is checked and replayed
CHUNK_BYTES = 1 << 16


def _receive_from(spool) -> Receive:
    """An ASGI ``receive`` that plays ``spool`` (from its current position) as the request body."""
    done = False

    async def receive() -> Message:
        nonlocal done
        if done:
            return {"type": "http.disconnect"}
        data = spool.read(CHUNK_BYTES)
        more = len(data) == CHUNK_BYTES
        done = not more
        return {"type": "http.request", "body": data, "more_body": more}

    return receive


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
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as body:
            try:
                await self._read_body(scope, receive, body)
                await self._check_csrf(scope, body, token)
            except MoliError as exc:
                from moli.web.errors import error_response

                response = error_response(Request(scope), exc)
                await response(scope, receive, send_with_cookie)
                return
            body.seek(0)
            replay = _receive_from(body)
            ended = False

            async def replay_then_receive() -> Message:
                nonlocal ended
                if not ended:
                    message = await replay()
                    ended = not message.get("more_body", False)
                    return message
                return await receive()  # after the body: the client's disconnect

            await self.app(scope, replay_then_receive, send_with_cookie)

    @staticmethod
    def _limit(content_type: str) -> int:
        if content_type.startswith("multipart/form-data"):
            return get_settings().max_upload_mb * 1024 * 1024
        return int(accounts.security_rules()["request_limits"]["max_form_bytes"])

    async def _read_body(self, scope: Scope, receive: Receive, spool) -> None:
        """Copy the request body into ``spool``; PayloadTooLarge as soon as it passes the limit."""
        headers = Headers(scope=scope)
        limit = self._limit(headers.get("content-type", ""))
        too_large = PayloadTooLarge(
            f"提交的内容过大（上限 {limit // (1024 * 1024)} MB），未保存任何内容",
            f"the request is too large (limit {limit // (1024 * 1024)} MB); nothing was saved")
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise too_large
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise too_large
            spool.write(chunk)
            if not message.get("more_body", False):
                break

    async def _check_csrf(self, scope: Scope, body, token: str) -> None:
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
    async def _form_token(scope: Scope, body) -> str | None:
        """The form's ``csrf_token`` field, parsed from the spooled ``body`` (Starlette spools the file
        parts of a multipart form to temporary files of its own)."""
        field_limit = int(accounts.security_rules()["request_limits"]["max_form_field_bytes"])
        body.seek(0)
        req = Request(scope, _receive_from(body))
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
