"""Background job: evaluate offerings on a scenario's test set, with live progress (/jobs/{id})."""

from __future__ import annotations

from moli.core.db import session_scope
from moli.core.jobs import job_handler
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
