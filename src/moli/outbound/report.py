"""The printable pre-check checklist (HTML), shared by ``moli outbound precheck --html`` and the web page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from moli.core.errors import InputError
from moli.core.files import atomic_write_text
from moli.core.paths import PACKAGE_DIR
from moli.outbound.precheck import INVESTOR_NAMES, ROUTE_NAMES

TEMPLATE_DIR = PACKAGE_DIR / "web" / "templates"
AUTHORITY_LABELS = {
    "NDRC": "发展改革委 NDRC",
    "MOFCOM": "商务主管部门 MOFCOM",
    "SAFE": "银行外汇登记 SAFE (bank)",
    "TECH_EXPORT": "技术出口 Technology export",
}
ACTION_LABELS = {
    "approval": "核准 approval",
    "filing": "备案 filing",
    "report": "报告 report",
    "registration": "登记 registration",
    "license": "许可 licence",
    "prohibited": "禁止 prohibited",
    "none": "无需办理 none",
}
LEVEL_LABELS = {"national": "国家级 national", "provincial": "省级 provincial", "bank": "银行 bank"}
ROUTE_LABELS = {k: f"{zh} {en}" for k, (zh, en) in ROUTE_NAMES.items()}
INVESTOR_LABELS = {k: f"{zh} {en}" for k, (zh, en) in INVESTOR_NAMES.items()}
CONFIDENCE_LABELS = {"high": "高 high", "medium": "中 medium", "low": "低 low"}

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True)

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>境外投资预检清单 Outbound pre-check</title>
<style>body{font-family:system-ui,"PingFang SC","Noto Sans CJK SC",sans-serif;max-width:60rem;margin:2rem auto;
line-height:1.5}small{color:#555}dl{display:grid;grid-template-columns:9rem 1fr}dt{font-weight:600}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}.blocked{color:#a00}
@media print{input{display:inline}}</style></head><body>
<h1>境外投资预检 <small>Outbound-investment pre-check</small></h1>
{{ body }}
</body></html>"""


def checklist_labels() -> dict[str, dict[str, str]]:
    """The names the checklist template shows for the result's ids (the web page passes the same)."""
    return {"labels": AUTHORITY_LABELS, "action_labels": ACTION_LABELS, "level_labels": LEVEL_LABELS,
            "route_labels": ROUTE_LABELS, "investor_labels": INVESTOR_LABELS, "confidence_labels": CONFIDENCE_LABELS}


def render_checklist(result: dict[str, Any]) -> str:
    """The checklist fragment (no page chrome)."""
    return _env.get_template("outbound/_checklist.html").render(result=result, **checklist_labels())


def render_page(result: dict[str, Any]) -> str:
    return jinja2.Template(_PAGE).render(body=jinja2.utils.markupsafe.Markup(render_checklist(result)))


def check_output_path(out: str | Path) -> Path:
    """``out`` if a file can be written there; a folder, or a path under something that is not a folder,
    is an InputError naming it — checked before the pre-check runs, so nothing is written on a bad path."""
    out = Path(out)
    if out.is_dir():
        raise InputError(f"--html 的输出路径 {out} 是一个文件夹，请给出文件名（如 {out / 'checklist.html'}）",
                         f"the --html output {out} is a folder; give a file name (e.g. {out / 'checklist.html'})",
                         field="html")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"--html 的输出路径 {out} 无法创建：{parent} 是文件，不是文件夹",
                                 f"cannot write the --html output {out}: {parent} is a file, not a folder", field="html")
            break
    return out


def write_html(result: dict[str, Any], out: str | Path) -> Path:
    """Write the standalone page atomically (no half-written file on error); a path that cannot be written
    is an InputError naming it."""
    out = check_output_path(out)
    try:
        return atomic_write_text(out, render_page(result))
    except OSError as exc:
        raise InputError(f"无法写出 {out}：{exc.strerror or exc}", f"cannot write {out}: {exc.strerror or exc}",
                         field="html") from None
