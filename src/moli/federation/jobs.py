"""Background job ``federation.pull`` (同步对等节点目录): pull one peer or all, with progress."""

from __future__ import annotations

from moli.core.db import session_scope
from moli.core.jobs import Progress, job_handler


@job_handler("federation.pull")
def pull_job(job_id: int, params: dict, progress: Progress) -> dict:
    """拉取对等节点目录 / pull peers' catalogues (params: ``peer`` = one name, default all)."""
    from moli.federation import service

    with session_scope() as s:
        syncs = service.pull(s, params.get("peer") or None, progress=progress)
    return {"syncs": syncs, "failed": [x["peer"] for x in syncs if x["status"] != "ok"]}
