"""Background job: score one submission in the sandbox (``events.score``)."""

from __future__ import annotations

from moli.core.db import session_scope
from moli.core.jobs import job_handler


@job_handler("events.score")
def score(job_id: int, params: dict, progress) -> dict:
    """评分 / score a submission in a separate, limited process."""
    from moli.events import service

    progress(0.1, "评分中 / scoring")
    with session_scope() as s:
        sub = service.score_submission(s, int(params["submission_id"]))
        return {"submission_id": sub.id, "status": sub.status, "public_score": sub.public_score,
                "reason": sub.reason or None}
