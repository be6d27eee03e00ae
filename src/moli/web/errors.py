"""Bilingual error responses: an HTML page, or JSON for /api/ paths and JSON clients."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from moli.core.errors import MoliError

_HTTP_MESSAGES = {
    400: ("请求有误", "bad request"),
    401: ("请先登录", "please log in first"),
    403: ("无权访问", "forbidden"),
    404: ("页面不存在", "page not found"),
    405: ("不支持该请求方法", "method not allowed"),
    413: ("提交的内容过大", "the request is too large"),
    422: ("提交的数据有误", "the submitted data is invalid"),
    429: ("请求过于频繁", "too many requests"),
    500: ("服务器内部错误", "internal server error"),
}


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(request: Request, exc: MoliError) -> Response:
    status = exc.status_code
    if wants_json(request):
        return JSONResponse(exc.to_dict(), status_code=status)
    if status == 401 and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}&reason={quote(exc.zh)}", status_code=303)
    from moli.web.templating import render

    return render(request, "error.html", {"status": status, "zh": exc.zh, "en": exc.en, "field": exc.field,
                                          "back": _form_page(request)}, status_code=status)


def _form_page(request: Request) -> str | None:
    """For a refused form post: the page on this site the form was on (from the Referer), to go back to."""
    if request.method in ("GET", "HEAD"):
        return None
    parts = urlsplit(request.headers.get("referer", ""))
    if parts.netloc != request.url.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def moli_error_handler(request: Request, exc: MoliError) -> Response:
    return error_response(request, exc)


async def http_error_handler(request: Request, exc: StarletteHTTPException) -> Response:
    zh, en = _HTTP_MESSAGES.get(exc.status_code, ("出错了", "error"))
    if isinstance(exc.detail, str) and exc.detail and exc.detail not in (en,):
        en = f"{en}: {exc.detail}"
    err = MoliError(zh, en)
    err.status_code = exc.status_code
    response = error_response(request, err)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def validation_error_handler(request: Request, exc: RequestValidationError) -> Response:
    from moli.core.validation import zh_reason

    names, zh, en = [], [], []
    for e in exc.errors():
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "form")]
        name = ".".join(loc) or "?"
        names.append(name)
        zh.append(f"{name}：{zh_reason(e)}")
        en.append(f"{name}: {e.get('msg', '')}")
    err = MoliError("提交的数据有误：" + "；".join(zh), "invalid input: " + "; ".join(en), field=",".join(names))
    err.status_code = 422
    if wants_json(request):
        return JSONResponse(err.to_dict(), status_code=422)
    return error_response(request, err)


async def server_error_handler(request: Request, exc: Exception) -> Response:
    """Any unexpected exception: a bilingual 500 (the traceback goes to the server log, not the page)."""
    err = MoliError("服务器内部错误，已记录，请稍后重试", "internal server error; it has been logged, please try again later")
    err.status_code = 500
    try:
        return error_response(request, err)
    except Exception:  # the error page itself failed (e.g. the database is down): plain text
        return PlainTextResponse("服务器内部错误 / internal server error", status_code=500)
