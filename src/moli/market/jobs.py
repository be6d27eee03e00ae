"""Background job: evaluate offerings on a scenario's test set, with live progress (/jobs/{id})."""

from __future__ import annotations

from moli.core.db import session_scope, utcnow
from moli.core.jobs import ABANDONED_MESSAGE, job_handler, on_abandoned
from moli.core.models import User


@job_handler("market.evaluate")
def evaluate_job(job_id: int, params: dict, progress) -> dict:
    from moli.market import service

    with session_scope() as s:
        user = s.get(User, params["user_id"]) if params.get("user_id") else service.OPERATOR
        progress(0.0, "开始评测 / starting the evaluation")
        out = service.run_evaluation(
            s, params["scenario"], params["offerings"], user, job_id=job_id,
            progress=lambda f, m: progress(f, f"已完成 {m} 项 / {m} items done"),
            allow_custom_scorers=False, concurrency=int(params.get("concurrency", 16)),
            timeout=float(params.get("timeout", 30.0)), retries=int(params.get("retries", 3)))
    return {"scenario_id": out["scenario_id"], "leaderboard": [
        {k: r[k] for k in ("rank", "offering_id", "primary_metric", "score", "counts", "failures")}
        for r in out["leaderboard"]], "refused": out["refused"], "all_failed": out["all_failed"]}


@on_abandoned("market.evaluate")
def abandoned_evaluation(job_id: int, params: dict) -> None:
    """The job's evaluation runs still marked running (the scenario page would list them for ever) fail."""
    from sqlalchemy import select

    from moli.market.models import MarketEvaluation

    with session_scope() as s:
        for ev in s.scalars(select(MarketEvaluation).where(MarketEvaluation.job_id == job_id,
                                                            MarketEvaluation.status == "running")):
            ev.status, ev.error, ev.finished_at = "failed", ABANDONED_MESSAGE, utcnow()
