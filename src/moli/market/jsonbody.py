"""Reading a JSON request body for the market's API: every way a body can be wrong is a 400 with the
bilingual error body (``{"error", "error_zh", "field"}``), never a 500.

Refused: an empty body, bytes that are not JSON (a syntax error, GBK instead of UTF-8), ``NaN`` /
``Infinity`` (not JSON, and not sendable back), nesting deeper than Python can parse, a top-level
value of the wrong type, and — through :func:`moli.market.schemas.check_values` — strings holding a
lone surrogate and values nested more than ``MAX_DEPTH`` levels.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from moli.core.errors import InputError
from moli.market.schemas import check_values

_TYPE_NAMES = {dict: ("JSON 对象", "a JSON object"), list: ("JSON 数组", "a JSON array")}


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json_body(raw: bytes, expect: type | None = dict) -> Any:
    """The parsed body, or :class:`InputError` (field ``body``) saying what is wrong with it."""
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
    check_values(data, "request body")
    return data


async def json_body(request: Request, expect: type | None = dict) -> Any:
    """The request's JSON body, checked as :func:`parse_json_body` does."""
    return parse_json_body(await request.body(), expect)
