"""Web pages and JSON API of the cross-border check (thin: the work happens in ``service``)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.responses import HTMLResponse, RedirectResponse

from moli.core.errors import InputError, NotFound, Unauthenticated
from moli.core.jobs import get_job, status_label, submit_job
from moli.core.settings import get_settings
from moli.crossborder import report as rep
from moli.crossborder import service
from moli.crossborder.scanner import ScanOptions
from moli.web.deps import RowId, current_user, get_db, require_user
from moli.web.templating import render

router = APIRouter()


def _form_ctx(values: dict | None = None, error: InputError | None = None) -> dict:
    return {"choices": service.form_choices(), "error": error,
            "values": values or {"transfer_date": dt.date.today().isoformat(), "recipient_country": "US",
                                 "registration": "lingang"}}


@router.get("/crossborder")
def form_page(request: Request):
    return render(request, "crossborder/form.html", _form_ctx())


def _column_names(text: str | None) -> list[str]:
    """A form's list of column names, separated by commas (half or full width) or 、."""
    return [k.strip() for k in re.split(r"[,，、]", text or "") if k.strip()]


@router.post("/crossborder/assess")
async def assess_submit(request: Request, db: Session = Depends(get_db), user=Depends(current_user)):
    form = await request.form()
    values = {k: v for k, v in form.items() if not isinstance(v, UploadFile)}
    uploads = [f for f in form.getlist("data") if isinstance(f, UploadFile) and f.filename]
    background = values.get("background") in ("1", "on") and user is not None and bool(uploads)
    tmp = Path(tempfile.mkdtemp(prefix="crossborder_", dir=get_settings().ensure_home()))
    try:
        plan = service.plan_from_form(values)
        record = values.get("record") in ("1", "on")
        if record and user is None:
            raise Unauthenticated("记录台账须先登录", "log in to record the assessment in the ledger")
        files = [(f.filename, f.file) for f in uploads]
        paths = service.save_uploads(files, tmp, max_bytes=get_settings().max_upload_mb * 2**20)
        options = {"profile": values.get("profile") or None, "source_names": service.upload_names(files, paths),
                   "allow_partial": values.get("allow_partial") in ("1", "on"),
                   "key_columns": _column_names(values.get("key")),
                   "sensitive_columns": _column_names(values.get("sensitive_columns")),
                   "plain_columns": _column_names(values.get("plain_columns"))}
        if background:  # the job owns the folder now and removes it when done
            job = submit_job(db, "crossborder.assess", f"数据出境评估 / assessment: {plan.exporter.name}",
                             {"plan": plan.model_dump(mode="json"), "folder": tmp.name, "options": options,
                              "record": record, "user": {"id": user.id, "organisation_id": user.organisation_id,
                                                         "role": user.role}}, user)
            tmp = None
            return RedirectResponse(f"/crossborder/jobs/{job.id}", status_code=303)
        opts = ScanOptions.from_dict(options)
        result = service.run_assessment(plan, paths, options=opts, session=db if user else None,
                                        use_ledger=user is not None, record=record, user=user)
    except InputError as exc:
        return render(request, "crossborder/form.html", _form_ctx(values, exc), status_code=400)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    if values.get("format") == "html":
        return _download(result)
    return render(request, "crossborder/report.html", _report_ctx(result))


def _report_ctx(result: dict, assessment_id: int | None = None) -> dict:
    return {"r": result, "body": rep.render_body(result), "css": rep.css(),
            "assessment_id": assessment_id or result.get("assessment_id"),
            "result_json": json.dumps(result, ensure_ascii=False, indent=1, default=str)}


def _download(result: dict) -> HTMLResponse:
    name = f"crossborder_{result['transfer_date']}.html"
    return HTMLResponse(rep.to_html(result), headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/crossborder/jobs/{job_id}")
def job_page(request: Request, job_id: RowId, db: Session = Depends(get_db), user=Depends(require_user)):
    """A background assessment: progress while it runs, the report when it is done."""
    job = get_job(db, job_id, user)
    if job.kind != "crossborder.assess":
        raise NotFound(f"任务 {job_id} 不是数据出境评估", f"job {job_id} is not a cross-border assessment")
    if job.status == "succeeded" and job.result:
        return render(request, "crossborder/report.html", _report_ctx(job.result["report"], job.result.get("assessment_id")))
    return render(request, "crossborder/job.html", {"job": job, "status_label": status_label}, status_code=200)


@router.get("/crossborder/assessments")
def ledger_page(request: Request, exporter: str = "", year: int | None = None, db: Session = Depends(get_db),
                user=Depends(require_user)):
    rows = service.list_assessments(db, user, exporter=exporter or None)
    year = year or dt.date.today().year
    summaries = [service.ledger_summary(db, user, name, year) for name in sorted({r.exporter_name for r in rows})]
    return render(request, "crossborder/ledger.html", {"rows": rows, "exporter": exporter, "year": year,
                                                       "summaries": summaries, "path_label": service.path_label})


@router.get("/crossborder/assessments/{assessment_id}")
def assessment_page(request: Request, assessment_id: RowId, db: Session = Depends(get_db), user=Depends(require_user)):
    row = service.get_assessment(db, user, assessment_id)
    return render(request, "crossborder/report.html", _report_ctx(row.report, row.id))


@router.get("/crossborder/assessments/{assessment_id}/download")
def assessment_download(assessment_id: RowId, db: Session = Depends(get_db), user=Depends(require_user)):
    return _download(service.get_assessment(db, user, assessment_id).report)


@router.post("/api/v1/crossborder/assess")
def assess_api(plan: dict, record: bool = False, db: Session = Depends(get_db), user=Depends(current_user)):
    """The plan as JSON (same shape as PLAN.yaml) → the same JSON as ``moli crossborder assess --json``."""
    if record and user is None:
        raise Unauthenticated("记录台账须先登录", "log in to record the assessment in the ledger")
    return service.run_assessment(service.plan_from_mapping(plan), session=db if user else None,
                                  use_ledger=user is not None, record=record, user=user)


@router.get("/api/v1/crossborder/assessments")
def assessments_api(exporter: str | None = None, db: Session = Depends(get_db), user=Depends(require_user)):
    return [{"id": a.id, "exporter": a.exporter_name, "transfer_date": a.transfer_date.isoformat(), "path": a.path,
             "individuals": a.individuals, "sensitive_individuals": a.sensitive_individuals, "regime": a.regime}
            for a in service.list_assessments(db, user, exporter=exporter)]
