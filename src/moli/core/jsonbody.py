"""Reading a JSON request body for any feature's API: every way a body can be wrong is a 400 with the
bilingual error body (``{"error", "error_zh", "field"}``), never a 500; and the OpenAPI pieces that
declare what such an endpoint really answers and takes.

Refused: an empty body, bytes that are not JSON (a syntax error, GBK instead of UTF-8), ``NaN`` /
``Infinity`` (not JSON, and not sendable back), nesting deeper than Python can parse, a top-level
value of the wrong type; a feature adds its own value checks with ``check``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from moli.core.errors import InputError

_TYPE_NAMES = {dict: ("JSON 对象", "a JSON object"), list: ("JSON 数组", "a JSON array")}


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json_body(raw: bytes, expect: type | None = dict, check: Callable[[Any, str], Any] | None = None) -> Any:
    """The parsed body, or :class:`InputError` (field ``body``) saying what is wrong with it; ``check(data,
    "request body")`` is the feature's own check of the values (lone surrogates, depth …)."""
    if not raw.strip():
        zh, en = _TYPE_NAMES.get(expect, ("JSON", "JSON"))
        raise InputError(f"请求体为空，应为{zh}", f"the request body is empty; expected {en}", field="body")
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise InputError("请求体嵌套过深", "the request body is nested too deeply", field="body") from None
    except UnicodeDecodeError:
        raise InputError("请求体不是 UTF-8 编码的 JSON", "the request body is not UTF-8 encoded JSON",
                         field="body") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"请求体不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）",
                         f"the request body is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
                         field="body") from None
    except ValueError as exc:  # NaN / Infinity
        raise InputError(f"请求体不是有效的 JSON（{exc}）", f"the request body is not valid JSON ({exc})",
                         field="body") from None
    if expect is not None and not isinstance(data, expect):
        zh, en = _TYPE_NAMES.get(expect, (expect.__name__, expect.__name__))
        raise InputError(f"请求体应为{zh}", f"the request body must be {en}", field="body")
    if check is not None:
        check(data, "request body")
    return data


async def json_body(request: Request, expect: type | None = dict,
                    check: Callable[[Any, str], Any] | None = None) -> Any:
    """The request's JSON body, checked as :func:`parse_json_body` does."""
    return parse_json_body(await request.body(), expect, check)


# --- OpenAPI: what these endpoints really answer and take ------------------------------------------

_STATUS_TEXT = {
    200: "成功 / OK", 201: "已创建 / Created", 202: "已排队（后台任务） / Accepted: a background job",
    204: "已删除 / Deleted", 304: "未改变（ETag 仍匹配） / Not modified: the ETag still matches",
    400: "输入有误（中英文错误，field 指明字段） / Bad input (bilingual error naming the field)",
    401: "未登录 / Not logged in", 403: "无权限或缺少 CSRF 令牌 / Forbidden, or the CSRF token is missing",
    404: "不存在 / Not found", 409: "仍被评测记录引用，未删除 / Still referenced by evaluation runs: not deleted",
}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["error", "error_zh"],
    "properties": {"error": {"type": "string"}, "error_zh": {"type": "string"}, "field": {"type": "string"}},
}


def error_responses(*codes: int, schema: dict[str, Any] | None = None) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route: each error status with its description and the error body's shape."""
    return {c: {"description": _STATUS_TEXT.get(c, str(c))} if c < 400 else  # 3xx: no body
            {"description": _STATUS_TEXT.get(c, str(c)), "content": {"application/json": {"schema": schema or ERROR_SCHEMA}}}
            for c in codes}


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its ``$defs`` inlined (an OpenAPI operation cannot point into them)."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any, depth: int = 0) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/") and depth < 10:
                return resolve(dict(defs[ref.rsplit("/", 1)[1]]), depth + 1)
            return {k: resolve(v, depth) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v, depth) for v in node]
        return node

    return resolve(schema)


def body_schema(model: Any, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON schema of a pydantic model (plus ``extra`` properties the endpoint reads itself)."""
    schema = _inline(model.model_json_schema())
    if extra:
        schema["properties"] = {**schema.get("properties", {}), **extra}
    return schema


def json_request(schema: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra=`` declaring a required JSON request body of ``schema``."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
