"""Platform commands that are not a feature: ``moli db``, ``moli users``, ``moli worker``, ``moli demo``."""

from __future__ import annotations

import json

import typer

from moli.core import accounts
from moli.core.db import ensure_database, session_scope
from moli.core.demo import load_demo

db_app = typer.Typer(help="数据库 / database", no_args_is_help=True)
users_app = typer.Typer(help="用户 / users", no_args_is_help=True)

@db_app.command("upgrade")
def db_upgrade() -> None:
    """迁移数据库到最新版本 / migrate the database to the latest revision of every feature."""
    ensure_database()  # migrates; a database that cannot be reached is a ConfigError naming MOLI_DATABASE_URL
    typer.echo("数据库已是最新 / database is up to date")


@users_app.command("create-admin")
def create_admin(email: str = typer.Option(..., "--email", help="管理员邮箱 / admin e-mail"),
                 password: str = typer.Option(None, "--password",
                                              help="密码（省略则生成）/ password (generated when omitted)")) -> None:
    """创建管理员 / create an administrator."""
    ensure_database()
    with session_scope() as s:
        user, pw = accounts.create_admin(s, email, password)
        email = user.email
    typer.echo(f"已创建管理员 / admin created: {email}")
    if not password:
        typer.echo(f"密码（只显示这一次）/ password (shown once): {pw}")


@users_app.command("create")
def create_user(email: str = typer.Option(..., "--email"),
                org: str = typer.Option(None, "--org", help="组织名称 / organisation name"),
                role: str = typer.Option("enterprise", "--role", help="admin | staff | enterprise"),
                password: str = typer.Option(None, "--password",
                                             help="密码（省略则生成）/ password (generated when omitted)")) -> None:
    """创建用户（可加入已有组织）/ create a user (may join an existing organisation)."""
    import secrets

    ensure_database()
    pw = password or secrets.token_urlsafe(12)
    with session_scope() as s:
        organisation = accounts.get_or_create_org(s, org) if org else None
        user = accounts.create_user(s, email, pw, role=role, organisation=organisation)
        email = user.email
    typer.echo(f"已创建用户 / user created: {email}")
    if not password:
        typer.echo(f"密码（只显示这一次）/ password (shown once): {pw}")


@users_app.command("set-password")
def set_password(email: str = typer.Option(..., "--email"),
                 password: str = typer.Option(None, "--password",
                                              help="新密码（省略则生成）/ new password (generated when omitted)")) -> None:
    """重设用户密码 / set a user's password."""
    ensure_database()
    with session_scope() as s:
        user, pw = accounts.set_password(s, email, password)
        email = user.email
    typer.echo(f"已重设密码 / password set: {email}")
    if not password:
        typer.echo(f"密码（只显示这一次）/ password (shown once): {pw}")


@users_app.command("reset-link")
def reset_link(email: str = typer.Option(..., "--email"),
               base_url: str = typer.Option("http://127.0.0.1:8000", "--base-url",
                                            help="平台对外地址 / the platform's public URL")) -> None:
    """生成一次性密码重设链接（24 小时内有效，交给用户本人）/ print a one-time password reset link
    (valid 24 hours) to hand to the user."""
    ensure_database()
    with session_scope() as s:
        user, token = accounts.reset_token(s, email)
        email = user.email
    typer.echo(f"密码重设链接 / password reset link for {email}:")
    typer.echo(f"{base_url.rstrip('/')}/reset/{token}")


@users_app.command("list")
def list_users() -> None:
    """列出用户（JSON 行）/ list users (JSON lines)."""
    ensure_database()
    with session_scope() as s:
        for u in accounts.list_users(s):
            typer.echo(json.dumps({"id": u.id, "email": u.email, "role": u.role,
                                   "organisation": u.organisation.name if u.organisation else None},
                                  ensure_ascii=False))


def worker(workers: int = typer.Option(2, "--workers", "-w", help="并发线程数 / worker threads"),
           max_delay: float = typer.Option(1.0, "--max-delay",
                                           help="空闲时最长轮询间隔（秒）/ longest idle polling interval (s)")) -> None:
    """运行后台任务进程（huey consumer）/ run the background-job worker."""
    from huey.consumer import Consumer

    from moli.core.jobs import check_queue, discover_handlers, get_huey, recover_abandoned

    ensure_database()
    discover_handlers()
    huey = get_huey()
    check_queue(huey)
    with session_scope() as s:
        abandoned = recover_abandoned(s)
    if abandoned:
        typer.echo(f"moli worker: 已将 {len(abandoned)} 个因进程停止而中断的任务标为失败 / marked {len(abandoned)} "
                   f"job(s) failed whose process had stopped: {', '.join(map(str, abandoned))}")
    typer.echo(f"moli worker: {huey.name} ({type(huey).__name__}), {workers} threads")
    # huey's default idle back-off reaches 10 s; 1 s keeps a new job's pick-up quick for the live page
    Consumer(huey, workers=workers, worker_type="thread", initial_delay=0.1, backoff=1.15,
             max_delay=max_delay).run()


def demo() -> None:
    """迁移数据库、载入各模块演示数据并创建管理员（可重复运行）/ migrate, load demo content, create an admin (idempotent)."""
    out = load_demo()
    for name, res in out["features"].items():
        typer.echo(f"演示数据 / demo content [{name}]: {json.dumps(res, ensure_ascii=False, default=str)}")
    if out["password"]:
        typer.echo(f"管理员 / admin: {out['admin']}  密码（只显示这一次）/ password (shown once): {out['password']}")
    else:
        typer.echo(f"管理员已存在 / admin already exists: {out['admin']} "
                   "（忘记密码可用 moli users create-admin 另建 / create another with moli users create-admin）")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.command("worker")(worker)
    app.command("demo")(demo)
