"""Jinja2 environment over ``moli/web/templates`` and ``render(request, template, context)``.

Every template gets ``request``, ``current_user`` (User or None), ``csrf_input(request)`` (a
hidden ``csrf_token`` field) and the filters ``dt`` / ``date`` (Asia/Shanghai time), ``num``
(thousands separators), ``pct``, ``href`` (a user's link, or ``#`` when it is not a web address) and ``status``
(a status code in Chinese, then the code).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from moli import __version__
from moli.core.links import href

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _to_shanghai(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite returns naive datetimes; we always store UTC
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI)


def format_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    local = _to_shanghai(value)
    return local.strftime(fmt) if local else "—"


def format_date(value: datetime | None) -> str:
    return format_datetime(value, "%Y-%m-%d")


def format_number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def format_pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


# What a status code means, for the pages (the code itself stays beside it, small).
STATUS_NAMES = {"queued": "排队中", "running": "运行中", "succeeded": "已完成", "failed": "失败", "scored": "已评分",
                "rejected": "未通过校验", "pending": "待处理", "not_run": "未运行", "passed": "通过",
                "withdrawn": "已撤回", "active": "有效"}


def format_status(code: str | None) -> Markup:
    """``失败 <small>failed</small>``: Chinese first, then the code; an unknown code as it is."""
    if not code:
        return Markup("—")
    zh = STATUS_NAMES.get(code)
    return Markup(f"{escape(zh)} <small>{escape(code)}</small>") if zh else Markup(escape(code))


def csrf_token(request: Request) -> str:
    from moli.web.security import csrf_token_for

    return csrf_token_for(request)


def csrf_input(request: Request) -> Markup:
    return Markup(f'<input type="hidden" name="csrf_token" value="{escape(csrf_token(request))}">')


env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=select_autoescape(["html", "xml"]),
                  trim_blocks=True, lstrip_blocks=True)
env.filters.update(dt=format_datetime, date=format_date, num=format_number, pct=format_pct, href=href, status=format_status)


def max_upload_mb() -> int:
    from moli.core.settings import get_settings

    return get_settings().max_upload_mb


env.globals.update(csrf_input=csrf_input, csrf_token=csrf_token, moli_version=__version__, max_upload_mb=max_upload_mb)


def nav_items() -> list[tuple[str, str, str]]:
    return [("/", "首页", "Home"), ("/corpus", "语料库", "Corpora"), ("/crossborder", "数据跨境", "Cross-border"),
            ("/market", "供需对接", "Market"), ("/outbound", "企业出海", "Going overseas"),
            ("/events", "活动赛事", "Events"), ("/federation", "平台互联", "Federation"), ("/jobs", "任务", "Jobs")]


env.globals["nav_items"] = nav_items


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render ``template`` with ``context`` plus request, current_user and csrf helpers."""
    from moli.web.deps import load_user

    ctx: dict[str, Any] = {"request": request}
    ctx.update(context or {})
    if "current_user" not in ctx:
        try:
            ctx["current_user"] = load_user(request)
        except Exception:  # an error page must render even when the database is down
            ctx["current_user"] = None
    html = env.get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status_code, headers=headers)
