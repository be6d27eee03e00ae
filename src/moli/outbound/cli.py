"""``moli outbound``: pre-check an investment plan, search the knowledge base, match enterprises."""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(help="企业出海：境外投资预检、政策与国别知识库、企业对接 / going overseas: pre-check, knowledge base, "
                       "matchmaking", no_args_is_help=True)


def _dump(obj) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=1, default=str))


@app.command("precheck")
def precheck_cmd(
    plan: Path = typer.Option(..., "--plan", help="投资计划 YAML / the plan YAML"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
    html: Path | None = typer.Option(None, "--html", help="写出可打印的清单 HTML / write the printable checklist"),
) -> None:
    """境外投资预检：列出发展改革委、商务、外汇（银行）、技术出口各项程序 / list every filing a plan needs."""
    from moli.outbound.precheck import load_plan, precheck
    from moli.outbound.report import ACTION_LABELS, AUTHORITY_LABELS, check_output_path, write_html

    if html is not None:
        check_output_path(html)  # a folder or an unwritable path is refused before anything runs
    result = precheck(load_plan(plan))
    if html is not None:
        write_html(result, html)
    if as_json:
        _dump(result)
        return
    if html is not None:
        typer.echo(f"已写出 / written: {html}")
    for p in result["procedures"]:
        limit = f"{p['time_limit_working_days']} 个工作日" if p["time_limit_working_days"] else "—"
        typer.echo(f"{AUTHORITY_LABELS[p['authority']]}: {ACTION_LABELS[p['action']]} [{p['level'] or '—'}] "
                   f"{p['rule_id']} · {limit}\n    {p['clause']}")
    typer.echo("顺序 / order: " + " → ".join(result["order"]))
    for q in result["open_questions"]:
        typer.echo(f"? {q['text']}")


@app.command("rules")
def rules_cmd(
    path: Path | None = typer.Option(None, "--file", help="检查另一份规则文件 / validate another rules file"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """列出（并校验）预检规则：机关、结论、条款、来源、置信度、生效日期 / list and validate the rules."""
    from moli.outbound.rules import load_rules

    rules = load_rules(path)
    rows = [{"id": r.id, "authority": r.authority, "action": r.action, "level": r.level, "when": r.when,
             "article": r.article, "source": r.source, "confidence": r.confidence,
             "effective_from": r.effective_from.isoformat(),
             "effective_to": r.effective_to.isoformat() if r.effective_to else None} for r in rules.rules]
    if as_json:
        _dump({"regime": rules.regime, "rules": rows})
        return
    typer.echo(f"{rules.regime_name}（{len(rows)} 条规则 / rules）")
    for r in rows:
        typer.echo(f"{r['id']:<5} {r['authority']:<11} {r['action']:<12} {r['level'] or '—':<10} {r['confidence']:<6} "
                   f"{r['effective_from']}  {r['article']}")


@app.command("search")
def search_cmd(
    query: str = typer.Argument(..., help="中文或英文查询 / query"),
    country: str | None = typer.Option(None, "--country", help="ISO 国家代码 / country code"),
    topic: str | None = typer.Option(None, "--topic", help="主题 / topic, e.g. ndrc, tech_export"),
    date_from: str | None = typer.Option(None, "--from", help="发布日期不早于 / issued on or after YYYY-MM-DD"),
    date_to: str | None = typer.Option(None, "--to", help="发布日期不晚于 / issued on or before YYYY-MM-DD"),
    k: int = typer.Option(5, "--top", "-k", help="返回条数 / number of answers"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
) -> None:
    """检索政策与国别指南（中文 BM25）/ search policy documents and country guides."""
    from moli.core.db import ensure_database, session_scope
    from moli.outbound import service

    ensure_database()
    with session_scope() as session:
        service.sync_knowledge_base(session)
        hits = service.search_kb(session, query, country=country, topic=topic, date_from=date_from,
                                 date_to=date_to, k=k)
    if as_json:
        _dump({"query": query, "hits": hits})
        return
    if not hits:
        typer.echo("没有找到 / nothing found")
    for h in hits:
        typer.echo(f"{h['score']:.2f}  {h['title']}  [{h['issuer']}, {h['date']}]\n    {h['snippet']}\n    来源 / source: "
                   f"{h['source_url'] or '—'}")


@app.command("match")
def match_cmd(
    enterprise: str = typer.Argument(..., help="企业名称 / enterprise name in the directory"),
    k: int = typer.Option(5, "--top", "-k"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """为名录中的企业寻找对接伙伴（带理由）/ explained partner matches from the enterprise directory."""
    from moli.core.db import ensure_database, session_scope
    from moli.outbound import service

    ensure_database()
    with session_scope() as session:
        result = service.match_enterprise(session, enterprise, k=k)
    if as_json:
        _dump(result)
        return
    for m in result["matches"]:
        typer.echo(f"{m['score']:.2f}  {m['name']} ({m['country']})\n    " + "；".join(m["reasons"]))
    typer.echo(f"路演活动 / roadshows: {result['events_url']}")


@app.command("import-enterprises")
def import_enterprises_cmd(
    file: Path = typer.Argument(..., help="YAML：enterprises: [{name, country, is_local, sector, offers, seeks, "
                                          "target_countries}]"),
) -> None:
    """导入企业名录（按名称更新，全部成功才写入）/ import directory entries (all or nothing)."""
    from moli.core.db import ensure_database, session_scope
    from moli.outbound import service

    ensure_database()
    with session_scope() as session:
        _dump(service.import_enterprises(session, file))


@app.command("enterprises")
def enterprises_cmd(as_json: bool = typer.Option(False, "--json")) -> None:
    """列出公开的企业名录 / list the public directory."""
    from moli.core.db import ensure_database, session_scope
    from moli.outbound import service

    ensure_database()
    with session_scope() as session:
        rows = [service.enterprise_dict(e) for e in service.list_enterprises(session)]
    if as_json:
        _dump(rows)
        return
    for r in rows:
        typer.echo(f"{r['id']:>4}  {'本地' if r['is_local'] else '境外'}  {r['country']}  {r['name']}  — {r['offers']}")


@app.command("load-demo")
def load_demo_cmd() -> None:
    """载入示例企业与知识库 / load demo enterprises and the knowledge base."""
    from moli.core.db import ensure_database, session_scope
    from moli.outbound import demo

    ensure_database()
    with session_scope() as session:
        _dump(demo.load(session))
