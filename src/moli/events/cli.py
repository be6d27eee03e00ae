"""``moli events``: competitions (create, submit, leaderboard) and the event calendar.

The CLI acts as the local administrator on MOLI_HOME's database (the same one the web uses).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from moli.core.db import ensure_database, session_scope

app = typer.Typer(help="活动与赛事 / events and competitions", no_args_is_help=True)
competition_app = typer.Typer(help="赛事 / competitions", no_args_is_help=True)
app.add_typer(competition_app, name="competition")


def _print(obj) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False))


@competition_app.command("create")
def competition_create(path: Path = typer.Argument(..., help="赛题 YAML / competition YAML")) -> None:
    """从 YAML 创建赛事 / create a competition from its YAML definition."""
    from moli.events import service

    ensure_database()
    with session_scope() as s:
        comp = service.create_competition_from_yaml(s, path)
        s.flush()
        out = service.competition_dict(s, comp)
    _print(out)


@competition_app.command("list")
def competition_list() -> None:
    """列出赛事 / list competitions."""
    from moli.events import service

    ensure_database()
    with session_scope() as s:
        _print({"competitions": [{"id": c.slug, "title": c.title, "kind": c.kind, "metric": c.metric}
                                 for c in service.list_competitions(s, None)]})


@app.command("submit")
def submit(file: Path = typer.Argument(..., help="预测 JSONL（每行 {\"id\", \"label\"}）/ predictions JSONL"),
           competition: str = typer.Option(..., "--competition", help="赛事 id / competition id"),
           team: str = typer.Option(..., "--team", help="队伍名称（不存在则创建）/ team name (created if missing)"),
           wait: bool = typer.Option(True, "--wait/--no-wait",
                                     help="在沙箱中立即评分 / score now in the sandbox (else queue a job)")) -> None:
    """提交预测并评分 / submit predictions and score them."""
    from moli.core.errors import InputError
    from moli.events import service

    if not file.is_file():
        raise InputError(f"找不到文件 {file}", f"file {file} not found", field="FILE")
    ensure_database()
    with session_scope() as s:
        comp = service.get_competition(s, competition, None)
        t = service.get_or_create_team(s, comp, team)
        s.commit()
        sub = service.submit(s, comp, t, file.read_bytes(), file_name=file.name)
        if sub.status == "queued":
            sub = service.score_submission(s, sub.id) if wait else service.queue_scoring(s, sub)
        out = {"submission_id": sub.id, "status": sub.status, "public_score": sub.public_score}
        if sub.reason:
            out["reason"], out["reason_zh"] = sub.reason, sub.reason_zh
    _print(out)
    if out["status"] in ("rejected", "failed"):
        typer.secho(f"错误 / error: {out['reason_zh']}\n  {out['reason']}", err=True, fg="red")
        sys.exit(2 if out["status"] == "rejected" else 1)


@app.command("leaderboard")
def leaderboard(competition: str = typer.Argument(..., help="赛事 id / competition id"),
                private: bool = typer.Option(False, "--private", help="显示私有榜 / show the private board"),
                as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
                phase: str = typer.Option(None, "--phase", help="只看某一阶段 / one phase only")) -> None:
    """排行榜 / leaderboard (the CLI is the local administrator: --private is always allowed)."""
    from moli.events import service

    ensure_database()
    with session_scope() as s:
        comp = service.get_competition(s, competition, None)
        board = service.leaderboard(s, comp, private=private, admin=True, phase=phase)
    if as_json:
        _print(board)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{comp.title} — {'私有榜 private' if private else '公开榜 public'}")
    cols = ["rank", "team", "rubric_score" if comp.kind == "judged" else "public_score"]
    if private:
        cols.append("private_score")
    cols.append("judges" if comp.kind == "judged" else "submissions")
    for c in cols:
        table.add_column(c)
    for r in board["rows"]:
        table.add_row(*[f"{r[c]:.5f}" if isinstance(r.get(c), float) else str(r.get(c)) for c in cols])
    Console().print(table)


@app.command("calendar")
def calendar(out: Path = typer.Option(None, "--out", help="写入 .ics 文件 / write an .ics file")) -> None:
    """导出活动日历（iCalendar）/ export the event calendar (iCalendar)."""
    from moli.core.files import atomic_write_bytes
    from moli.events import service

    ensure_database()
    with session_scope() as s:
        ics = service.calendar_ics(s)
    if out:
        atomic_write_bytes(out, ics)
        typer.echo(f"已写入 / written: {out}")
    else:
        sys.stdout.write(ics.decode("utf-8"))


@app.command("list")
def list_events() -> None:
    """列出已发布的活动 / list published events."""
    from moli.events import service

    ensure_database()
    with session_scope() as s:
        _print({"events": [service.event_dict(s, e) for e in service.list_events(s, None)]})


@app.command("create-events")
def create_events(path: Path = typer.Argument(..., help="活动 YAML（events: [...]）/ events YAML"),
                  publish: bool = typer.Option(True, "--publish/--draft", help="立即发布 / publish now")) -> None:
    """从 YAML 批量创建活动（已存在的跳过）/ create events from YAML (existing slugs are skipped)."""
    from moli.events import service
    from moli.events.schemas import load_events_yaml

    load_events_yaml(path)  # a bad file stops before the database is touched
    ensure_database()
    with session_scope() as s:
        out = service.create_events_from_yaml(s, path, publish=publish)
    _print(out)


@app.command("recover")
def recover(grace: float = typer.Option(60.0, "--grace", help="超出时限后的宽限秒数 / grace seconds past the limit")) -> None:
    """重新排队因评分进程中断而卡住的提交 / requeue submissions stuck in 'running' after a worker died."""
    from moli.events import service

    ensure_database()
    with session_scope() as s:
        ids = service.recover_stuck(s, grace_s=grace)
    _print({"requeued": ids})
