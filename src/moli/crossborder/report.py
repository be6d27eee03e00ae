"""Reports: Markdown and self-contained HTML (with print CSS, so "print to PDF" in a browser gives the PDF).

The HTML body template (``data/report_body.html``) is shared with the web report page.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from moli.core.files import atomic_write_text

DATA = Path(__file__).resolve().parent / "data"


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(DATA)), autoescape=True,
                             undefined=jinja2.ChainableUndefined)
    env.globals.update(kind_zh=kind_zh, role_zh=role_zh, category_zh=category_zh, profile_zh=profile_zh,
                       method_zh=method_zh)
    return env


# The scan table's roles (the scanner's own words, not rules): Chinese first, the code shown small.
ROLES_ZH = {"key": "声明的个人标识列", "identifier": "个人标识", "pi": "个人信息", "text": "长文本（逐格检测）",
            "none": "非个人信息"}
METHODS_ZH = {"exact": "精确去重", "hyperloglog": "HyperLogLog 估计"}


def kind_zh(kind: str) -> str:
    """The Chinese name of a pii kind (``ID_CARD`` -> 居民身份证号码, from ``moli.pii`` categories.yaml)."""
    from moli.pii import categories

    try:
        return categories.kind_label(kind)
    except Exception:  # a kind the file does not list: its code
        return kind


def category_zh(category: str) -> str:
    """The Chinese name of a sensitive category read from headers or mentions (sensitive_headers.yaml)."""
    from moli.crossborder.scanner import _sensitive_headers

    return (_sensitive_headers()[1].get(category) or {}).get("zh_name") or category


def profile_zh(profile: str) -> str:
    from moli.crossborder.scanner import profile_label

    return profile_label(profile)[0]


def role_zh(role: str) -> str:
    return ROLES_ZH.get(role, role)


def method_zh(method: str) -> str:
    return METHODS_ZH.get(method, method)


def css() -> str:
    return (DATA / "report.css").read_text(encoding="utf-8")


def _readable(report: dict) -> dict:
    """The report with every deadline's sentence: a report stored in the ledger before deadlines
    carried ``zh``/``en`` gets them from its kind, value and date."""
    from moli.crossborder.engine import deadline_text

    if all("zh" in d for d in report.get("deadlines", [])):
        return report
    deadlines = [d if "zh" in d else {**d, **dict(zip(("zh", "en"), deadline_text(d), strict=True))}
                 for d in report["deadlines"]]
    return {**report, "deadlines": deadlines}


def render_body(report: dict) -> Markup:
    return Markup(_env().get_template("report_body.html").render(r=_readable(report)))


def to_html(report: dict) -> str:
    return _env().get_template("report_page.html").render(
        r=report, body=render_body(report), css=Markup(css()),
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))


def _num(n: int) -> str:
    return f"{n:,}"


def to_markdown(report: dict) -> str:
    r = _readable(report)
    out: list[str] = []
    if r.get("partial"):
        out += [f"> **{r.get('partial_notice_zh', '注意：本报告基于部分数据。')}** {r.get('partial_notice_en', '')}", ""]
    out += [f"# 数据出境评估报告 / Cross-border assessment: {r['exporter']}", "",
            f"**结论 / Path：{r['path_zh']}（{r['path_en']}，`{r['path']}`）**", "",
            f"- 出境日期 / Transfer date：{r['transfer_date']}",
            f"- 适用规则 / Rules in force：{r['regime']['title_zh']}（{r['regime']['title_en']}）",
            f"- 计数窗口 / Window：{r['counts']['window_start']} — {r['counts']['window_end']}（{r['regime']['window_zh']}）",
            f"- 窗口累计人数 / Individuals in window：{_num(r['counts']['individuals_window'])}；"
            f"敏感 / sensitive：{_num(r['counts']['sensitive_individuals_window'])}", "",
            "## 推理过程 / Reasoning", ""]
    for i, x in enumerate(r["rules"], 1):
        out += [f"{i}. **{x['title_zh']}** / {x['title_en']} — {x['reason_zh']} / {x['reason_en']}",
                f"   - 依据 / Clause：{x['clause']}；来源 / Source：{', '.join(x['source'])}；"
                f"可信度 / Confidence：{x['confidence']}；效果 / Effect：`{x['effect']}`"]
    if r.get("scan"):
        s = r["scan"]
        out += ["", "## 数据扫描 / Data scan", "",
                f"{_num(s['rows'])} 行 rows；去重人数 distinct individuals {_num(s['individuals'])}（{s['method']}）；"
                + "；".join(f"`{p}` 敏感 {_num(n)}" for p, n in s["sensitive_individuals_by_profile"].items()), "",
                "| 数据源 Source | 列 Column | 角色 Role | 类型 Kind | 非空 Non-empty |", "|---|---|---|---|---|"]
        for src in s["sources"]:
            for c in src["columns"]:
                if c["role"] != "none":
                    out.append(f"| {src['source']} | {c['column']} | {c['role']} | {c.get('kind') or ', '.join(c.get('kinds_found', {}))} | {_num(c['non_empty'])} |")
        for n in s["notes"]:
            out.append(f"\n> {n['zh']} / {n['en']}")
    if r["obligations"]:
        out += ["", "## 义务 / Obligations", ""]
        out += [f"- {o['zh']} / {o['en']}（{o['clause']}，{o['confidence']}）" for o in r["obligations"]]
    if r["deadlines"]:
        out += ["", "## 期限 / Deadlines", ""]
        for d in r["deadlines"]:
            note = f"（{d['note_zh']} / {d['note_en']}）" if d.get("note_zh") else ""
            out.append(f"- `{d['id']}`：{d['zh']} / {d['en']}{note}（{d['clause']}）")
    if r["open_questions"]:
        out += ["", "## 待确认问题 / Open questions", ""]
        out += [f"- {q['zh']} / {q['en']}（{', '.join(q['source'])}，{q['confidence']}）" for q in r["open_questions"]]
    out += ["", "## 来源 / Sources", ""]
    out += [f"- **{k}** {v['title_zh']} {v['title_en']} ({v['confidence']}) {v['url']}" for k, v in r["sources"].items()]
    out += ["", f"_{r['disclaimer_zh']} {r['disclaimer_en']}_", ""]
    return "\n".join(out)


def check_output_path(path: str | Path, option: str) -> Path:
    """Refuse an output path that cannot be written (a folder, or under a file) before anything is
    recorded or written: ``--record --html a.html --md folder/`` must not record and write a.html first."""
    from moli.core.errors import InputError

    p = Path(path)
    if p.is_dir():
        raise InputError(f"{option} 的输出路径 {p} 是一个文件夹，请给出文件名（如 {p / 'report'}）",
                         f"the {option} output path {p} is a folder; give a file name (e.g. {p / 'report'})", field=option)
    for parent in p.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{option} 的输出路径 {p} 无法写入：{parent} 是文件，不是文件夹",
                                 f"the {option} output path {p} cannot be written: {parent} is a file, not a folder",
                                 field=option)
            break
    return p


def write_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename: never half-written."""
    return atomic_write_text(path, text)
