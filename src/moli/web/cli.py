"""``moli serve``: run the web app with uvicorn."""

from __future__ import annotations

import typer


def serve(host: str = typer.Option("127.0.0.1", "--host", help="监听地址 / address to listen on"),
          port: int = typer.Option(8000, "--port", help="端口 / port"),
          workers: int = typer.Option(1, "--workers", help="进程数 / worker processes"),
          forwarded_allow_ips: str = typer.Option(
              None, "--forwarded-allow-ips",
              help="信任其 X-Forwarded-For 的反向代理地址（逗号分隔）/ reverse-proxy addresses whose "
                   "X-Forwarded-For is trusted (comma-separated); the client address then counts for "
                   "the per-IP log-in limit")) -> None:
    """启动网站 / serve the web app."""
    import uvicorn

    from moli.core.db import ensure_database

    ensure_database()  # fail early, before binding the port, on a bad database URL
    typer.echo(f"moli: http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    uvicorn.run("moli.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                proxy_headers=bool(forwarded_allow_ips), forwarded_allow_ips=forwarded_allow_ips or None,
                log_level="info")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
