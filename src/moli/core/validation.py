"""Pydantic's validation errors in Chinese, for the Chinese line of every bilingual message (the English
line keeps pydantic's own text)."""

from __future__ import annotations

from typing import Any

_ZH_TYPES = {
    "string_type": "应为字符串", "int_type": "应为整数", "int_parsing": "应为整数", "float_type": "应为数字",
    "float_parsing": "应为数字", "bool_type": "应为 true 或 false", "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表", "dict_type": "应为映射（键: 值）", "model_type": "应为映射（键: 值）",
    "model_attributes_type": "应为映射（键: 值）", "none_required": "应为空值", "int_from_float": "应为整数",
    "finite_number": "应为有限的数", "tuple_type": "应为列表",
    "datetime_parsing": "不是有效的日期时间（如 2026-05-01T14:00:00+08:00）",
    "datetime_from_date_parsing": "不是有效的日期时间（如 2026-05-01T14:00:00+08:00）",
    "datetime_type": "不是有效的日期时间（如 2026-05-01T14:00:00+08:00）",
    "date_parsing": "不是有效的日期（如 2026-05-01）", "date_from_datetime_parsing": "不是有效的日期（如 2026-05-01）",
    "date_type": "不是有效的日期（如 2026-05-01）",
}


def zh_reason(err: dict[str, Any]) -> str:
    """A pydantic error (``ValidationError.errors()`` item) in Chinese: what the value should be."""
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind == "missing":
        return "缺少必填项"
    if kind == "extra_forbidden":
        return "未知的键（不允许）"
    if kind in _ZH_TYPES:
        return _ZH_TYPES[kind]
    if kind == "literal_error":
        return f"应为以下之一：{ctx.get('expected', '')}"
    if kind == "enum":
        return f"应为以下之一：{ctx.get('expected', '')}"
    for name, sign in (("greater_than_equal", "≥"), ("greater_than", ">"), ("less_than_equal", "≤"), ("less_than", "<")):
        if kind == name:
            key = {"greater_than_equal": "ge", "greater_than": "gt", "less_than_equal": "le", "less_than": "lt"}[name]
            return f"须 {sign} {ctx.get(key)}"
    if kind == "string_too_short":
        return f"至少 {ctx.get('min_length')} 个字符" if ctx.get("min_length", 0) > 1 else "不能为空"
    if kind == "string_too_long":
        return f"最多 {ctx.get('max_length')} 个字符"
    if kind == "too_short":
        return f"至少需要 {ctx.get('min_length')} 项"
    if kind == "too_long":
        return f"最多 {ctx.get('max_length')} 项"
    if kind == "string_pattern_mismatch":
        return "含不允许的字符（只能用字母、数字、汉字、下划线、短横线和点）" if ctx.get("pattern") == r"^[\w\-.]+$" \
            else f"不符合格式 {ctx.get('pattern')}"
    if kind in ("value_error", "assertion_error"):
        return "值无效（" + str(err.get("msg", "")).removeprefix("Value error, ") + "）"
    return "值无效"
