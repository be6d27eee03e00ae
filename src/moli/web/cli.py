"""``moli serve``: run the web app with uvicorn (and, by default, a background-job worker)."""

from __future__ import annotations

import subprocess
import sys
import threading

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
    from moli.core.jobs import check_queue, get_huey
    from moli.core.settings import get_settings

    ensure_database()  # fail early, before binding the port; the worker then finds a migrated database
    if not get_settings().jobs_immediate:
        check_queue(get_huey())  # an unreachable MOLI_REDIS_URL stops here, not at the first job
    job_worker = WorkerSupervisor() if worker else None
    typer.echo(f"moli: http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    try:
        uvicorn.run("moli.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                    proxy_headers=bool(forwarded_allow_ips), forwarded_allow_ips=forwarded_allow_ips or None,
                    log_level="info")
    finally:
        if job_worker is not None:
            job_worker.stop()


class WorkerSupervisor:
    """``moli serve``'s own job worker, kept running: when it dies (killed, crashed, out of memory) it is
    started again after RESTART_DELAY seconds, so queued jobs do not wait for someone to restart the site."""

    RESTART_DELAY = 5.0

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.proc = self._start()
        self.restarts = 0
        self.thread = threading.Thread(target=self._watch, name="moli-worker-supervisor", daemon=True)
        self.thread.start()

    @staticmethod
    def _start() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", "from moli.cli import main; main()", "worker", "--workers", "1"],
                                preexec_fn=_die_with_parent if sys.platform == "linux" else None)

    def _watch(self) -> None:
        while not self.stopping.is_set():
            code = self.proc.wait()
            if self.stopping.is_set():
                return
            typer.echo(f"moli: 后台任务进程已退出（退出码 {code}），{self.RESTART_DELAY:.0f} 秒后重启 / the job worker "
                       f"exited (code {code}); restarting in {self.RESTART_DELAY:.0f} s", err=True)
            if self.stopping.wait(self.RESTART_DELAY):
                return
            self.proc = self._start()
            self.restarts += 1

    def stop(self) -> None:
        self.stopping.set()
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
