"""Web pages and JSON API of the outbound feature (thin: everything happens in ``service``)."""

from __future__ import annotations

import datetime as dt
import json
import re

from fastapi import APIRouter, Depends, Request
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse

from moli.core.errors import InputError
from moli.outbound import kb, service
from moli.outbound.report import checklist_labels
from moli.web.deps import RowId, current_user, get_db, require_user
from moli.web.templating import render

router = APIRouter()
_md = MarkdownIt("js-default")  # no raw HTML


def _form_ctx(values: dict | None = None, error: InputError | None = None) -> dict:
    return {"countries": service.destination_choices(), "provinces": service.province_choices(),
            "values": values or {"date": dt.date.today().isoformat(), "investor_type": "local", "route": "direct",
                                 "province": "shanghai"}, "error": error}


@router.get("/outbound")
def home(request: Request):
    return render(request, "outbound/index.html", {})


@router.get("/outbound/precheck")
def precheck_form(request: Request):
    return render(request, "outbound/precheck_form.html", _form_ctx())


@router.post("/outbound/precheck")
async def precheck_submit(request: Request):
    form = dict(await request.form())
    try:
        plan = service.plan_from_form(form)
        result = service.run_precheck(plan)
    except InputError as exc:
        return render(request, "outbound/precheck_form.html", _form_ctx(form, exc), status_code=400)
    return render(request, "outbound/precheck_result.html", {
        "result": result, **checklist_labels(),
        "result_json": json.dumps(result, ensure_ascii=False, indent=1, default=str)})


@router.post("/api/v1/outbound/precheck")
def precheck_api(plan: dict):
    """The plan as JSON (same shape as PLAN.yaml) → the same JSON as ``moli outbound precheck --json``."""
    return service.run_precheck(plan)


@router.get("/outbound/kb")
def kb_page(request: Request, q: str = "", country: str = "", topic: str = "", date_from: str = "",
            date_to: str = "", db: Session = Depends(get_db), user=Depends(current_user)):
    service.sync_knowledge_base(db)
    hits, error = [], None
    if q.strip():
        try:
            hits = service.search_kb(db, q, country=country or None, topic=topic or None, date_from=date_from or None,
                                     date_to=date_to or None, k=10, user=user)
        except InputError as exc:
            error = exc
    return render(request, "outbound/kb.html", {
        "q": q, "country": country, "topic": topic, "date_from": date_from, "date_to": date_to, "hits": hits,
        "error": error, "facets": service.kb_facets(db, user), "topic_labels": kb.topic_labels(), "searched": bool(q.strip())},
        status_code=400 if error else 200)


@router.post("/outbound/kb")
async def kb_add(request: Request, db: Session = Depends(get_db), user=Depends(require_user)):
    """Add a Markdown document with front matter (staff: public; an enterprise: private to its organisation)."""
    form = dict(await request.form())
    name = str(form.get("name", "")).strip()
    try:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,80}", name):
            raise InputError("文档名只能包含小写字母、数字和连字符（2–81 个字符）",
                             "the document name may hold lower-case letters, digits and hyphens (2–81 characters)",
                             field="name")
        doc = service.add_document(db, str(form.get("text", "")), name + ".md", user)
    except InputError as err:
        service.sync_knowledge_base(db)
        return render(request, "outbound/kb.html", {
            "q": "", "country": "", "topic": "", "date_from": "", "date_to": "", "hits": [], "error": err,
            "facets": service.kb_facets(db, user), "topic_labels": kb.topic_labels(), "searched": False, "draft": form}, status_code=400)
    return RedirectResponse(f"/outbound/kb/{doc.slug}", status_code=303)


@router.get("/outbound/kb/{slug}")
def kb_document(request: Request, slug: str, db: Session = Depends(get_db), user=Depends(current_user)):
    service.sync_knowledge_base(db)
    doc = service.get_document(db, slug, user)
    return render(request, "outbound/kb_document.html", {
        "doc": doc, "body_html": Markup(kb.link_citations(_md.render(doc.body))),
        "citations": kb.citations(doc.body, doc.sources), "topic_labels": kb.topic_labels()})


@router.get("/api/v1/outbound/kb/search")
def kb_search_api(q: str, country: str | None = None, topic: str | None = None, date_from: str | None = None,
                  date_to: str | None = None, k: int = 5, db: Session = Depends(get_db), user=Depends(current_user)):
    service.sync_knowledge_base(db)
    return {"query": q, "hits": service.search_kb(db, q, country=country, topic=topic, date_from=date_from,
                                                  date_to=date_to, k=k, user=user)}


@router.get("/outbound/directory")
def directory(request: Request, side: str = "", country: str = "", db: Session = Depends(get_db),
              user=Depends(current_user)):
    local = {"local": True, "foreign": False}.get(side)
    rows = service.list_enterprises(db, user, local=local, country=country or None)
    return render(request, "outbound/directory.html", {"rows": rows, "side": side, "country": country,
                                                       "countries": service.destination_choices(), "error": None})


@router.post("/outbound/directory")
async def directory_add(request: Request, db: Session = Depends(get_db), user=Depends(require_user)):
    form = dict(await request.form())
    try:
        ent = service.upsert_enterprise(db, service.enterprise_from_form(form), user)
    except InputError as err:
        return render(request, "outbound/directory.html", {
            "rows": service.list_enterprises(db, user), "side": "", "country": "", "error": err,
            "countries": service.destination_choices()}, status_code=400)
    return RedirectResponse(f"/outbound/directory/{ent.id}", status_code=303)


@router.get("/outbound/directory/{ent_id}")
def enterprise_page(request: Request, ent_id: RowId, db: Session = Depends(get_db), user=Depends(current_user)):
    result = service.match_enterprise(db, ent_id, k=5, user=user)
    return render(request, "outbound/enterprise.html", {"result": result})


@router.get("/api/v1/outbound/enterprises/{ent_id}/matches")
def matches_api(ent_id: RowId, k: int = 5, db: Session = Depends(get_db), user=Depends(current_user)):
    return service.match_enterprise(db, ent_id, k=k, user=user)
