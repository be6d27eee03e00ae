"""``moli crossborder``: assess a planned data export, scan a dataset, list the ledger, show the rules."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from moli.core.errors import InputError

app = typer.Typer(help="数据出境合规自检：扫描数据、判定出境路径并引用条款 / cross-border data export check",
                  no_args_is_help=True)


def _dump(obj) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=1, default=str))


def _options(profile, key, sensitive_column, plain_column, allow_partial, exact_limit, encoding=None):
    from moli.crossborder.scanner import ScanOptions

    return ScanOptions(profile=profile, key_columns=tuple(key or ()), sensitive_columns=tuple(sensitive_column or ()),
                       plain_columns=tuple(plain_column or ()), allow_partial=allow_partial, exact_limit=exact_limit,
                       encoding=encoding)


ENCODING_HELP = ("CSV/TSV 的字符编码；默认自动：UTF-8（有无 BOM 均可），不是 UTF-8 时按 GB18030（含 GBK）/ "
                 "CSV/TSV encoding; default: UTF-8 (with or without BOM), else GB18030 (GBK)")
PLAIN_HELP = ("列名像敏感类别但不是（如 检验记录 指产品检验），或文本被误读为提及敏感信息的列 / a column whose name only looks like a sensitive category, or whose text is misread as mentioning sensitive information")


@app.command("assess")
def assess_cmd(
    plan: Path = typer.Option(..., "--plan", help="出境计划 YAML / the plan YAML"),
    data: list[Path] = typer.Argument(None, help="要出境的数据（CSV/JSONL/Parquet/XLSX/语料目录）/ data to export"),
    sql: str | None = typer.Option(None, "--sql", help="SQLAlchemy 数据库 URL / database URL"),
    table: str | None = typer.Option(None, "--table", help="--sql 的表名 / table for --sql"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
    html: Path | None = typer.Option(None, "--html", help="写出 HTML 报告（可打印为 PDF）/ write the HTML report"),
    md: Path | None = typer.Option(None, "--md", help="写出 Markdown 报告 / write the Markdown report"),
    record: bool = typer.Option(False, "--record", help="计入本出境方台账（并使用台账累计）/ record in the ledger"),
    ledger: bool = typer.Option(False, "--ledger", help="使用台账累计但不记录 / count the ledger, do not record"),
    allow_partial: bool = typer.Option(False, "--allow-partial", help="数据源读取失败时仍出具报告（注明部分数据）/ "
                                       "report from partial data, marked as such"),
    profile: str | None = typer.Option(None, "--profile", help="敏感个人信息口径 / sensitivity profile "
                                       "(pipl_gbt45574_2025 | gbt35273_2020_strict)"),
    key: list[str] = typer.Option(None, "--key", help="声明的个人标识列 / a column that identifies the person"),
    sensitive_column: list[str] = typer.Option(None, "--sensitive-column",
                                               help="声明为敏感个人信息的列（如 诊断）/ a column to treat as sensitive"),
    plain_column: list[str] = typer.Option(None, "--not-sensitive-column", help=PLAIN_HELP),
    exact_limit: int = typer.Option(5_000_000, "--exact-limit", help="精确去重上限，超过用 HyperLogLog / exact limit"),
    encoding: str | None = typer.Option(None, "--encoding", help=ENCODING_HELP),
) -> None:
    """判定出境路径：不属于监管 / 豁免 / 标准合同或认证 / 安全评估 / 负面清单 / decide the export path."""
    from moli.crossborder import report as rep
    from moli.crossborder import service

    p = service.plan_from_file(plan)
    outputs = [(o, f) for o, f in (("--html", html), ("--md", md)) if f is not None]
    for option, f in outputs:  # before anything is recorded or written
        rep.check_output_path(f, option)
    if len(outputs) == 2 and Path(html).resolve() == Path(md).resolve():
        raise InputError("--html 和 --md 不能写到同一个文件", "--html and --md must not name the same file", field="--md")
    opts = _options(profile, key, sensitive_column, plain_column, allow_partial, exact_limit, encoding)
    if record or ledger:
        from moli.core.db import ensure_database, session_scope

        ensure_database()
        with session_scope() as session:
            result = service.run_assessment(p, data or [], sql=sql, table=table, options=opts, session=session,
                                            use_ledger=True, record=record)
    else:
        result = service.run_assessment(p, data or [], sql=sql, table=table, options=opts)
    if html is not None:
        rep.write_atomic(html, rep.to_html(result))
    if md is not None:
        rep.write_atomic(md, rep.to_markdown(result))
    if as_json:
        _dump(result)
        return
    if result.get("partial"):
        typer.secho(f"{service.PARTIAL_NOTICE_ZH}\n{service.PARTIAL_NOTICE_EN}", fg="yellow")
    typer.echo(f"结论 / path: {result['path_zh']} ({result['path']})")
    for r in result["rules"]:
        typer.echo(f"  - {r['title_zh']} / {r['title_en']}: {r['reason_zh']}\n    {r['clause']} [{', '.join(r['source'])}; {r['confidence']}]")
    c = result["counts"]
    typer.echo(f"窗口 / window {c['window_start']}..{c['window_end']}: {c['individuals_window']:,} 人 individuals, "
               f"{c['sensitive_individuals_window']:,} 敏感 sensitive")
    for q in result["open_questions"]:
        typer.echo(f"? {q['zh']} / {q['en']}")
    for f in (html, md):
        if f is not None:
            typer.echo(f"已写出 / written: {f}")


@app.command("scan")
def scan_cmd(
    data: list[Path] = typer.Argument(None, help="数据文件或语料目录 / data files or a corpus folder"),
    sql: str | None = typer.Option(None, "--sql", help="SQLAlchemy 数据库 URL / database URL"),
    table: str | None = typer.Option(None, "--table", help="--sql 的表名 / table for --sql"),
    profile: str | None = typer.Option(None, "--profile", help="敏感个人信息口径 / sensitivity profile"),
    key: list[str] = typer.Option(None, "--key", help="声明的个人标识列 / a column that identifies the person"),
    sensitive_column: list[str] = typer.Option(None, "--sensitive-column", help="声明为敏感的列 / a sensitive column"),
    plain_column: list[str] = typer.Option(None, "--not-sensitive-column", help=PLAIN_HELP),
    allow_partial: bool = typer.Option(False, "--allow-partial", help="跳过无法读取的数据源 / skip unreadable sources"),
    exact_limit: int = typer.Option(5_000_000, "--exact-limit", help="精确去重上限 / exact distinct-count limit"),
    encoding: str | None = typer.Option(None, "--encoding", help=ENCODING_HELP),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
) -> None:
    """扫描数据：每列的个人信息类型、是否敏感、去重后的人数 / per-column PI kinds and distinct individuals."""
    from moli.crossborder.scanner import scan

    result = scan(list(data or []), sql=sql, table=table,
                  options=_options(profile, key, sensitive_column, plain_column, allow_partial, exact_limit, encoding))
    if as_json:
        _dump(result)
        return
    if result["partial"]:
        typer.secho("注意：部分数据源未能读取 / WARNING: some sources could not be read", fg="yellow")
    typer.echo(f"{result['rows']:,} 行 rows · {result['individuals']:,} 人 individuals ({result['method']}) · "
               + ", ".join(f"{p}: {n:,} 敏感 sensitive" for p, n in result["sensitive_individuals_by_profile"].items()))
    for s in result["sources"]:
        typer.echo(s["source"])
        for c in s["columns"]:
            if c["role"] != "none":
                sens = ", ".join(f"{p}={v}" for p, v in c.get("sensitive", {}).items())
                with_pi = f" · 含个人信息 with PI {c['cells_with_pi']:,}" if "cells_with_pi" in c else ""
                typer.echo(f"  {c['column']}: {c['role']} {c.get('kind') or c.get('kinds_found', '')} "
                           f"非空 non-empty {c['non_empty']:,}{with_pi} {sens}")
    for e in result["errors"]:
        typer.echo(f"! {e['source']}: {e['error_zh']} / {e['error_en']}")
    for n in result["notes"]:
        typer.echo(f"* {n['zh']} / {n['en']}")


@app.command("ledger")
def ledger_cmd(
    exporter: str | None = typer.Option(None, "--exporter", help="出境方名称 / exporter name"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
) -> None:
    """出境台账 / the recorded assessments (newest first)."""
    from moli.core.db import ensure_database, session_scope
    from moli.crossborder import service

    ensure_database()
    with session_scope() as session:
        rows = [{"id": a.id, "exporter": a.exporter_name, "transfer_date": a.transfer_date.isoformat(),
                 "path": a.path, "individuals": a.individuals, "sensitive_individuals": a.sensitive_individuals,
                 "regime": a.regime, "partial": a.partial}
                for a in service.list_assessments(session, _cli_user(), exporter=exporter)]
    if as_json:
        _dump(rows)
        return
    for r in rows:
        typer.echo(f"#{r['id']} {r['transfer_date']} {r['exporter']}: {r['path']} "
                   f"({r['individuals']:,} / {r['sensitive_individuals']:,})")


def _cli_user():
    """The local command line acts as an administrator of its own installation."""
    from types import SimpleNamespace

    return SimpleNamespace(role="admin", organisation_id=None, id=None)


@app.command("rules")
def rules_cmd(as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON")) -> None:
    """校验并列出规则、门槛和负面清单 / validate and list the rules, thresholds and negative lists."""
    from moli.crossborder.rules import rulebook

    rb = rulebook()
    out = {"regimes": [r.model_dump(mode="json") for r in rb.regimes],
           "thresholds": [t.model_dump(mode="json") for t in rb.thresholds.values()],
           "rules": {k: v.model_dump(mode="json") for k, v in rb.rules.items()},
           "negative_lists": [{"id": nl.id, "title_zh": nl.title_zh, "effective": nl.effective.isoformat(),
                               "zones": nl.zones, "sectors": [s.id for s in nl.sectors],
                               "scenarios": [s.id for s in nl.scenarios], "entries": len(nl.entries),
                               "confidence": nl.confidence} for nl in rb.lists.values()]}
    if as_json:
        _dump(out)
        return
    for t in rb.thresholds.values():
        typer.echo(f"{t.id} ({t.regime}): {t.op} {t.value:,} — {t.clause} [{t.confidence}]")
    for nl in rb.lists.values():
        typer.echo(f"{nl.id}: {nl.title_zh} · 施行 effective {nl.effective} · zones {', '.join(nl.zones)} · "
                   f"{len(nl.entries)} entries [{nl.confidence}]")
