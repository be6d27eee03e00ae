"""Background jobs (后台任务): a registry of handlers, a jobs table with progress, huey as the queue.

A feature registers handlers in ``moli/<feature>/jobs.py``::

    from moli.core.jobs import job_handler

    @job_handler("corpus.build")
    def build(job_id: int, params: dict, progress) -> dict:
        progress(0.5, "去重中 / deduplicating")
        return {"documents": 123}

``submit_job(session, kind, title, params, user)`` commits the job row (so a worker in another
process can see it) and queues it on huey (SqliteHuey in MOLI_HOME, RedisHuey when
MOLI_REDIS_URL is set); with ``MOLI_JOBS_IMMEDIATE=1`` it runs inline before returning.
``moli worker`` runs the huey consumer.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moli.core.db import FEATURES, session_scope, utcnow
from moli.core.errors import ConfigError, InputError, MoliError, NotFound
from moli.core.models import Job
from moli.core.settings import get_settings

log = logging.getLogger("moli.jobs")

Progress = Callable[[float, str], None]
Handler = Callable[[int, dict, Progress], dict]
HANDLERS: dict[str, Handler] = {}
IMPORT_ERRORS: dict[str, str] = {}  # feature → why its jobs module could not be imported
STATUSES = ("queued", "running", "succeeded", "failed")
_STATUS_ZH = {"queued": "排队中", "running": "运行中", "succeeded": "已完成", "failed": "失败"}


ABANDONED: dict[str, Callable[[int, dict], None]] = {}  # kind → cleanup when its job's runner died


def on_abandoned(kind: str) -> Callable[[Callable[[int, dict], None]], Callable[[int, dict], None]]:
    """Register ``fn(job_id, params)``: what a feature undoes when a job of ``kind`` was left running by a
    process that died (its own rows marked failed, its upload folder removed)."""

    def deco(fn: Callable[[int, dict], None]) -> Callable[[int, dict], None]:
        ABANDONED[kind] = fn
        return fn

    return deco


def runner_id() -> str:
    """This process, as a job records who runs it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(runner: str) -> bool | None:
    """Whether the process ``host:pid`` still runs; None when it is on another host (cannot tell)."""
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


ABANDONED_MESSAGE = ("运行该任务的后台进程已停止（被终止或重启），任务未完成，请重新提交 / the process running this job "
                     "stopped (killed or restarted) before it finished; submit it again")


def recover_abandoned(session: Session) -> list[int]:
    """Mark failed every running job whose runner on this host is gone, run its feature's cleanup, and
    return their ids. Called when a worker starts: a worker killed mid-job (SIGKILL, out of memory, a
    restart) otherwise leaves the job "running" for ever, its page waiting and its uploads on disk."""
    discover_handlers()
    found = []
    for job in session.scalars(select(Job).where(Job.status == "running", Job.runner.is_not(None))):
        if _alive(job.runner) is not False:
            continue
        job.status, job.finished_at, job.message = "failed", utcnow(), ABANDONED_MESSAGE
        found.append((job.id, job.kind, dict(job.params or {})))
    session.commit()  # before the cleanups, which write in sessions of their own
    for job_id, kind, params in found:
        cleanup = ABANDONED.get(kind)
        if cleanup is None:
            continue
        try:
            cleanup(job_id, params)
        except Exception:  # noqa: BLE001 - one feature's cleanup must not stop the others'
            log.exception("cleanup of abandoned job %s (%s) failed", job_id, kind)
    return [j for j, _, _ in found]


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register ``fn(job_id, params, progress) -> dict`` as the handler of jobs of ``kind``."""

    def deco(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return deco


_DISCOVERED = False


def discover_handlers() -> None:
    """Import ``moli.<feature>.jobs`` for every feature that has one (registers its handlers)."""
    global _DISCOVERED
    if _DISCOVERED:
        return
    for name in FEATURES:
        mod = f"moli.{name}.jobs"
        if name == "core":
            continue
        if importlib.util.find_spec(f"moli.{name}") and importlib.util.find_spec(mod):
            try:
                importlib.import_module(mod)
            except Exception as exc:  # one broken feature must not stop the others' jobs
                log.exception("could not import %s", mod)
                IMPORT_ERRORS[name] = f"{type(exc).__name__}: {exc}"
    _DISCOVERED = True


def status_label(status: str) -> str:
    return f"{_STATUS_ZH.get(status, status)} {status}"


# --- the queue -------------------------------------------------------------------------------

_HUEY: dict[str, Any] = {}


def get_huey():
    """The huey instance for the current settings (SqliteHuey in MOLI_HOME, or RedisHuey)."""
    settings = get_settings()
    key = settings.redis_url or str(settings.home / "huey.db")
    if key in _HUEY:
        return _HUEY[key]
    if settings.redis_url:
        from huey import RedisHuey

        huey = RedisHuey("moli", url=settings.redis_url)
    else:
        from huey import SqliteHuey

        settings.ensure_home()
        huey = SqliteHuey("moli", filename=key)
    huey._moli_task = huey.task(name="moli.run_job")(run_job)
    _HUEY[key] = huey
    return huey


def reset_huey() -> None:
    _HUEY.clear()


# --- submitting and running ------------------------------------------------------------------

def submit_job(session: Session, kind: str, title: str, params: dict | None, user: Any | None) -> Job:
    """Create a job owned by ``user`` (and its organisation), commit it, queue or run it.

    The session is committed (a worker in another process must see the row). Returns the Job,
    refreshed: in immediate mode it is already finished (succeeded or failed).
    """
    discover_handlers()
    if kind not in HANDLERS:
        broken = IMPORT_ERRORS.get(kind.split(".")[0])
        detail = f"（模块加载失败：{broken}）" if broken else ""
        raise InputError(f"未知的任务类型：{kind}{detail}",
                         f"unknown job kind: {kind}" + (f" (module failed to load: {broken})" if broken else ""),
                         field="kind")
    job = Job(kind=kind, title=(title or kind)[:300], status="queued", progress=0.0, message="",
              params=dict(params or {}),
              owner_user_id=getattr(user, "id", None), owner_org_id=getattr(user, "organisation_id", None))
    session.add(job)
    session.commit()
    if get_settings().jobs_immediate:
        run_job(job.id)
    else:
        try:
            get_huey()._moli_task(job.id)
        except Exception as exc:  # the queue is unreachable: the job must not look queued forever
            log.exception("could not queue job %s", job.id)
            job.status, job.finished_at = "failed", utcnow()
            job.message = f"无法加入任务队列 / could not queue the job: {type(exc).__name__}: {exc}"[:4000]
            session.commit()
            cleanup = ABANDONED.get(kind)
            if cleanup is not None:  # the job owned its uploads: nothing will ever run to remove them
                try:
                    cleanup(job.id, dict(job.params or {}))
                except Exception:  # noqa: BLE001
                    log.exception("cleanup of unqueued job %s (%s) failed", job.id, kind)
    session.refresh(job)
    return job


def _progress_writer(job_id: int) -> Progress:
    last = [0.0]

    def progress(fraction: float, message: str = "") -> None:
        now = time.monotonic()
        fraction = min(max(float(fraction), 0.0), 1.0)
        if now - last[0] < 0.2 and fraction < 1.0:
            return  # at most five writes a second
        last[0] = now
        with session_scope() as s:
            job = s.get(Job, job_id)
            if job is not None:
                job.progress = fraction
                job.message = str(message)[:2000]

    return progress


def run_job(job_id: int) -> dict | None:
    """Run a queued job: status running → succeeded (with result) or failed (with the error)."""
    discover_handlers()
    with session_scope() as s:
        job = s.get(Job, job_id)
        if job is None:
            log.warning("job %s vanished", job_id)
            return None
        job.status, job.started_at, job.message, job.runner = "running", utcnow(), "开始 / started", runner_id()
        kind, params = job.kind, dict(job.params or {})
    handler = HANDLERS.get(kind)
    try:
        if handler is None:
            raise InputError(f"未知的任务类型：{kind}", f"unknown job kind: {kind}")
        result = handler(job_id, params, _progress_writer(job_id))
        if result is not None and not isinstance(result, dict):
            result = {"result": result}
    except Exception as exc:  # a failing handler marks the job failed, never the worker
        msg = f"{exc.zh} / {exc.en}" if isinstance(exc, MoliError) else f"{type(exc).__name__}: {exc}"
        log.error("job %s (%s) failed: %s\n%s", job_id, kind, msg, traceback.format_exc())
        with session_scope() as s:
            job = s.get(Job, job_id)
            job.status, job.finished_at, job.message = "failed", utcnow(), msg[:4000]
        return None
    with session_scope() as s:
        job = s.get(Job, job_id)
        job.status, job.finished_at, job.progress = "succeeded", utcnow(), 1.0
        job.result = result or {}
        job.message = "完成 / done"
    return result


def get_job(session: Session, job_id: int, user: Any | None) -> Job:
    from moli.core.access import ensure_can_read

    job = session.get(Job, job_id) if 1 <= job_id <= 2**63 - 1 else None  # SQLite binds 64-bit ints only
    if job is None:
        raise NotFound(f"任务 {job_id} 不存在", f"job {job_id} does not exist")
    ensure_can_read(user, job.owner_org_id)
    return job


def list_jobs(session: Session, user: Any | None, limit: int = 100) -> list[Job]:
    from moli.core.access import visible

    stmt = visible(select(Job), Job, user).order_by(Job.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def _home_hidden(obj: Any, home: str) -> Any:
    """``obj`` with the server's MOLI_HOME path written as ``MOLI_HOME`` in every string within."""
    if isinstance(obj, str):
        return obj.replace(home, "MOLI_HOME")
    if isinstance(obj, list):
        return [_home_hidden(v, home) for v in obj]
    if isinstance(obj, dict):
        return {k: _home_hidden(v, home) for k, v in obj.items()}
    return obj


def job_dict(job: Job) -> dict:
    """A job as its pages and API show it: where files sit on the server (upload folders in MOLI_HOME)
    is not the user's business, so that path reads ``MOLI_HOME``."""
    home = str(get_settings().home)
    return {
        "id": job.id, "kind": job.kind, "title": job.title, "status": job.status,
        "status_label": status_label(job.status), "progress": job.progress,
        "message": _home_hidden(job.message, home),
        "params": _home_hidden(job.params, home), "result": _home_hidden(job.result, home),
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def counts(session: Session) -> dict[str, int]:
    return {"任务 / Jobs": session.scalar(select(func.count(Job.id))) or 0}


# --- a built-in job: count every table (a platform self-check that any member can run) ------

@job_handler("core.table_counts")
def table_counts(job_id: int, params: dict, progress: Progress) -> dict:
    """统计平台各数据表的记录数 / count the rows of every table of the platform."""
    from sqlalchemy import inspect, table

    from moli.core.db import get_engine

    engine = get_engine()
    names = sorted(n for n in inspect(engine).get_table_names() if n != "alembic_version")
    out: dict[str, int] = {}
    with engine.connect() as conn:
        for i, name in enumerate(names):
            out[name] = conn.execute(select(func.count()).select_from(table(name))).scalar_one()
            progress((i + 1) / max(len(names), 1), f"{name}: {out[name]}")
            if params.get("delay"):
                time.sleep(min(float(params["delay"]), 1.0))
    return {"tables": out}


def check_queue(huey) -> None:
    """The queue answers before the worker starts: an unreachable MOLI_REDIS_URL would otherwise print a
    traceback every second for as long as the worker runs."""
    try:
        huey.storage.queue_size()
    except Exception as exc:  # noqa: BLE001 - redis or sqlite, whatever the storage raises
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"任务队列无法访问（MOLI_REDIS_URL 或 MOLI_HOME/huey.db）：{reason}",
                          f"the job queue cannot be reached (MOLI_REDIS_URL or MOLI_HOME/huey.db): {reason}",
                          field="MOLI_REDIS_URL") from None
