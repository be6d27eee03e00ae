"""Background job: assess a plan against large uploaded data (``crossborder.assess``)."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

from moli.core.db import session_scope
from moli.core.jobs import job_handler, on_abandoned
from moli.core.settings import get_settings
from moli.crossborder import service
from moli.crossborder.scanner import ScanOptions


@job_handler("crossborder.assess")
def assess_job(job_id: int, params: dict, progress) -> dict:
    """数据出境评估（后台扫描上传数据）/ cross-border assessment over uploaded data.

    ``params``: ``plan`` (the plan as JSON), ``folder`` (uploaded files, removed afterwards),
    ``options`` (profile, key_columns, sensitive_columns, plain_columns, allow_partial), ``record``, ``user``
    ({id, organisation_id, role}).
    """
    # the upload folder, by its name inside MOLI_HOME (job params are shown to the job's owner: no server path)
    folder = get_settings().ensure_home() / Path(params["folder"])
    try:
        plan = service.plan_from_mapping(params["plan"])
        o = params.get("options", {})
        opts = ScanOptions.from_dict(o, progress)
        user = SimpleNamespace(**params["user"]) if params.get("user") else None
        paths = sorted(p for p in folder.iterdir() if p.is_file())
        with session_scope() as session:
            report = service.run_assessment(plan, paths, options=opts, session=session if user else None,
                                            use_ledger=user is not None, record=bool(params.get("record")), user=user)
        progress(1.0, "完成 / done")
        return {"path": report["path"], "assessment_id": report.get("assessment_id"),
                "report": service.jsonable(report)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@on_abandoned("crossborder.assess")
def abandoned_assessment(job_id: int, params: dict) -> None:
    """The uploaded data of an assessment whose worker died is removed (nothing was recorded)."""
    home = get_settings().home.resolve()
    folder = home / Path(str(params.get("folder") or "")).name
    if folder.name.startswith("crossborder_") and folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)
