"""``moli serve``: run the web app with uvicorn (and, by default, a background-job worker)."""

from __future__ import annotations

import subprocess
import sys

import typer


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the worker gets SIGTERM when `moli serve` dies (uvicorn re-raises SIGTERM on exit)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def serve(host: str = typer.Option("127.0.0.1", "--host", help="监听地址 / address to listen on"),
          port: int = typer.Option(8000, "--port", help="端口 / port"),
          workers: int = typer.Option(1, "--workers", help="进程数 / worker processes"),
          worker: bool = typer.Option(True, "--worker/--no-worker",
                                      help="同时启动后台任务进程（生产环境可另行运行 moli worker）/ also run a "
                                           "background-job worker (in production run `moli worker` separately)"),
          forwarded_allow_ips: str = typer.Option(
              None, "--forwarded-allow-ips",
              help="信任其 X-Forwarded-For 的反向代理地址（逗号分隔）/ reverse-proxy addresses whose "
                   "X-Forwarded-For is trusted (comma-separated); the client address then counts for "
                   "the per-IP log-in limit")) -> None:
    """启动网站 / serve the web app."""
    import uvicorn

    from moli.core.db import ensure_database

    ensure_database()  # fail early, before binding the port; the worker then finds a migrated database
    job_worker = None
    if worker:
        job_worker = subprocess.Popen([sys.executable, "-c", "from moli.cli import main; main()",
                                       "worker", "--workers", "1"],
                                      preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    typer.echo(f"moli: http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    try:
        uvicorn.run("moli.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                    proxy_headers=bool(forwarded_allow_ips), forwarded_allow_ips=forwarded_allow_ips or None,
                    log_level="info")
    finally:
        if job_worker is not None:
            job_worker.terminate()
            try:
                job_worker.wait(15)
            except subprocess.TimeoutExpired:
                job_worker.kill()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
