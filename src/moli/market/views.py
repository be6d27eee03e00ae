"""Web pages and JSON API of the supply-and-demand market (thin: the work happens in ``service``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from moli.core.errors import InputError
from moli.core.jsonbody import body_schema, error_responses, json_body, json_request
from moli.market import hosted, service
from moli.market.schemas import (
    BUILTIN_METRICS,
    DEPLOYMENTS,
    DOMAINS,
    FILING_STATUSES,
    MODALITIES,
    TASKS,
    Offering,
    Scenario,
    check_values,
    parse_offering,
    parse_scenario,
    vocabulary,
)
from moli.web.deps import current_user, get_db, require_user
from moli.web.templating import render

router = APIRouter()
router.include_router(hosted.router)  # /v1: the reference baseline, OpenAI-compatible

PRICE_LABELS = {"free_or_unlisted": "未标价 Unlisted", "le_2": "≤2 元", "le_10": "2–10 元", "le_50": "10–50 元",
                "gt_50": ">50 元"}


def _vocab_ctx() -> dict:
    v = vocabulary()
    return {"voc": v, "TASKS": TASKS, "DOMAINS": DOMAINS, "DEPLOYMENTS": DEPLOYMENTS, "FILING_STATUSES": FILING_STATUSES,
            "MODALITIES": MODALITIES, "BUILTIN_METRICS": BUILTIN_METRICS, "PRICE_LABELS": PRICE_LABELS}


# --- HTML -------------------------------------------------------------------------------------

@router.get("/market")
def index_page(request: Request, industry: str = "", task: str = "", db: Session = Depends(get_db),
               user=Depends(current_user)):
    out = service.browse_scenarios_faceted(db, user, industry=industry or None, task=task or None)
    remote = service.remote_scenarios(db, industry=industry or None, task=task or None)
    return render(request, "market/index.html", {"scenarios": out["items"], "facets": out["facets"], "industry": industry,
                                                 "task": task, "remote": remote, **_vocab_ctx()})


@router.get("/market/offerings")
def offerings_page(request: Request, q: str = "", task: str = "", domain: str = "", deployment: str = "",
                   filing: str = "", price: str = "", db: Session = Depends(get_db), user=Depends(current_user)):
    filters = {"task": task or None, "domain": domain or None, "deployment": deployment or None,
               "filing": filing or None, "price": price or None}
    out = service.browse_offerings(db, user, q=q, **filters)
    return render(request, "market/offerings.html", {**out, "q": q, "remote": service.remote_offerings(db, q=q, **filters),
                                                     **_vocab_ctx()})


def _offering_form(request: Request, values: dict | None, error: InputError | None = None, status: int = 200,
                   editing: bool = False):
    return render(request, "market/offering_form.html", {"v": values or {}, "error": error, "editing": editing,
                                                         **_vocab_ctx()}, status_code=status)


@router.get("/market/offerings/new")
def offering_new(request: Request, user=Depends(require_user)):
    return _offering_form(request, {"domains": ["general"], "languages": ["zh"], "modalities": ["text"]})


@router.get("/market/offerings/{slug:path}/edit")
def offering_edit(request: Request, slug: str, db: Session = Depends(get_db), user=Depends(require_user)):
    from moli.core.access import ensure_can_write

    row = service.get_offering(db, slug, user)
    ensure_can_write(user, row.owner_org_id)
    v = dict(row.data)
    v["is_public"] = row.is_public
    return _offering_form(request, v, editing=True)


@router.post("/market/offerings")
async def offering_submit(request: Request, db: Session = Depends(get_db), user=Depends(require_user)):
    form = await request.form()
    try:
        off = service.offering_from_form(form, db)
        row = service.publish_offering(db, off, user, is_public=form.get("is_public") in ("1", "on"),
                                       new=form.get("new") == "1")
    except InputError as exc:
        values = {k: (form.getlist(k) if k in ("tasks", "domains", "deployment", "modalities") else v)
                  for k, v in form.items()}
        return _offering_form(request, values, exc, 400, editing=form.get("new") != "1")
    return RedirectResponse(f"/market/offerings/{row.slug}", status_code=303)


_LIST_OF = {"offering": "/market/offerings", "scenario": "/market"}


def _delete_page(request: Request, kind: str, check: dict, error: service.InUse | None = None, status: int = 200):
    row = check["row"]
    (what_zh, what_en), back_list = service.KIND_NAMES[kind], _LIST_OF[kind]
    base = f"/market/{kind}s/{row.slug}"
    return render(request, "market/delete_confirm.html", {
        "kind": kind, "what_zh": what_zh, "what_en": what_en, "row": row,
        "title": row.name if kind == "offering" else row.title, "runs": check["runs"], "allowed": check["allowed"],
        "error": error, "action": f"{base}/delete", "back": base, "edit": f"{base}/edit", "list": back_list,
    }, status_code=status)


def _delete_submit(request: Request, kind: str, slug: str, db: Session, user):
    try:
        (service.delete_offering if kind == "offering" else service.delete_scenario)(db, slug, user)
    except service.InUse as exc:
        db.rollback()
        return _delete_page(request, kind, service.deletion_check(db, kind, slug, user), exc, 409)
    return RedirectResponse(_LIST_OF[kind], status_code=303)


@router.get("/market/offerings/{slug:path}/delete")
def offering_delete_confirm(request: Request, slug: str, db: Session = Depends(get_db), user=Depends(require_user)):
    return _delete_page(request, "offering", service.deletion_check(db, "offering", slug, user))


@router.post("/market/offerings/{slug:path}/delete")
def offering_delete(request: Request, slug: str, db: Session = Depends(get_db), user=Depends(require_user)):
    return _delete_submit(request, "offering", slug, db, user)


@router.get("/market/offerings/{slug:path}")
def offering_page(request: Request, slug: str, db: Session = Depends(get_db), user=Depends(current_user)):
    from moli.core.access import can_write

    row = service.get_offering(db, slug, user)
    off = service.offering_of(row)
    matches = service.local_scenarios_for(db, off, user, k=10)
    remote = service.remote_scenarios_for(db, off, k=5)
    return render(request, "market/offering.html", {"row": row, "o": row.data, "matches": matches, "remote": remote,
                                                    "can_edit": can_write(user, row.owner_org_id), **_vocab_ctx()})


def _scenario_form(request: Request, values: dict | None, error: InputError | None = None, status: int = 200,
                   editing: bool = False):
    return render(request, "market/scenario_form.html", {"v": values or {}, "error": error, "editing": editing,
                                                         **_vocab_ctx()}, status_code=status)


@router.get("/market/scenarios/new")
def scenario_new(request: Request, user=Depends(require_user)):
    return _scenario_form(request, {"languages": ["zh"], "industry": "general",
                                    "scoring": ["exact_match", "char_f1", "rouge_l_char"]})


@router.get("/market/scenarios/{slug}/edit")
def scenario_edit(request: Request, slug: str, db: Session = Depends(get_db), user=Depends(require_user)):
    from moli.core.access import ensure_can_write

    row = service.get_scenario(db, slug, user)
    ensure_can_write(user, row.owner_org_id)
    v = dict(row.data)
    v.update({f"c_{k}": val for k, val in (row.data.get("constraints") or {}).items()})
    v["is_public"] = row.is_public
    return _scenario_form(request, v, editing=True)


@router.post("/market/scenarios")
async def scenario_submit(request: Request, db: Session = Depends(get_db), user=Depends(require_user)):
    form = await request.form()
    try:
        scn = service.scenario_from_form(form, db)
        row = service.publish_scenario(db, scn, user, is_public=form.get("is_public") in ("1", "on"),
                                       new=form.get("new") == "1")
    except InputError as exc:
        values = {k: (form.getlist(k) if k in ("tasks", "deployment", "modalities", "scoring") else v)
                  for k, v in form.items()}
        return _scenario_form(request, values, exc, 400, editing=form.get("new") != "1")
    return RedirectResponse(f"/market/scenarios/{row.slug}", status_code=303)


@router.get("/market/scenarios/{slug}/delete")
def scenario_delete_confirm(request: Request, slug: str, db: Session = Depends(get_db), user=Depends(require_user)):
    return _delete_page(request, "scenario", service.deletion_check(db, "scenario", slug, user))


@router.post("/market/scenarios/{slug}/delete")
def scenario_delete(request: Request, slug: str, db: Session = Depends(get_db), user=Depends(require_user)):
    return _delete_submit(request, "scenario", slug, db, user)


@router.get("/market/scenarios/{slug}")
def scenario_page(request: Request, slug: str, db: Session = Depends(get_db), user=Depends(current_user)):
    return _scenario_page(request, slug, db, user)


def _scenario_page(request: Request, slug: str, db: Session, user, error: InputError | None = None,
                   status_code: int = 200):
    from moli.core.access import can_write

    row = service.get_scenario(db, slug, user)
    scn = service.scenario_of(row)
    matches = service.match_scenario(db, scn, user, k=10, max_excluded=50)
    private = service.can_see_private(user, row)
    ctx = {"row": row, "s": row.data, "matches": matches, "private": private, "error": error,
           "remote": service.remote_matches(db, scn, k=5),
           "can_edit": can_write(user, row.owner_org_id), **_vocab_ctx()}
    if private:
        ctx["test_count"] = len(row.test_set or [])
        ctx["test_preview"] = (row.test_set or [])[:5]
        ctx["leaderboard"] = service.leaderboard(db, row.slug, user)
        ctx["evaluable"] = service.evaluable_offerings(db, user)
        ctx["evaluations"] = service.evaluations_of(db, row.slug, user)[:20]
    return render(request, "market/scenario.html", ctx, status_code=status_code)


@router.post("/market/scenarios/{slug}/testset")
async def testset_upload(request: Request, slug: str, db: Session = Depends(get_db), user=Depends(require_user)):
    form = await request.form()
    up = form.get("file")
    try:
        if not isinstance(up, UploadFile) or not up.filename:
            raise InputError("请选择 JSONL 测试集文件", "choose a JSONL test-set file", field="file")
        items = service.parse_test_set_upload(await up.read(), up.filename)
        service.set_test_set(db, slug, items, user)
    except InputError as exc:
        db.rollback()
        return _scenario_page(request, slug, db, user, error=exc, status_code=400)
    return RedirectResponse(f"/market/scenarios/{slug}#testset", status_code=303)


@router.post("/market/scenarios/{slug}/evaluate")
async def evaluate_submit(request: Request, slug: str, db: Session = Depends(get_db), user=Depends(require_user)):
    form = await request.form()
    try:
        job = service.submit_evaluation(db, slug, form.getlist("offering"), user)
    except InputError as exc:
        return _scenario_page(request, slug, db, user, error=exc, status_code=400)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


# --- JSON API ---------------------------------------------------------------------------------

_IS_PUBLIC = {"is_public": {"type": "boolean", "default": True, "description": "公开 / listed publicly"}}
_TEST_ITEMS = {"test_set_items": {"type": "array", "items": {"type": "object", "required": ["prompt"], "properties": {
    "prompt": {"type": "string"}, "reference": {"type": "string"}, "choices": {"type": "array", "items": {"type": "string"}}}},
    "description": "私有测试集 / the private test set"}}
_EVALUATE = {"type": "object", "required": ["offerings"], "properties": {
    "offerings": {"type": "array", "items": {"type": "string"}, "description": "模型供给编号 / offering ids"}}}

def _offering_json(row) -> dict:
    return {"offering_id": row.slug, "owner_org_id": row.owner_org_id, "is_public": row.is_public, **row.data}


def _scenario_json(row) -> dict:
    return {"scenario_id": row.slug, "owner_org_id": row.owner_org_id, "is_public": row.is_public, **row.data}


@router.get("/api/v1/market/offerings")
def api_offerings(q: str = "", task: str = "", domain: str = "", deployment: str = "", filing: str = "",
                  price: str = "", include_remote: bool = False, db: Session = Depends(get_db),
                  user=Depends(current_user)):
    filters = {"task": task or None, "domain": domain or None, "deployment": deployment or None,
               "filing": filing or None, "price": price or None}
    out = service.browse_offerings(db, user, q=q, **filters)
    body = {"items": [_offering_json(r) for r in out["items"]], "facets": out["facets"]}
    if include_remote:  # peer nodes' public offerings, kept apart from ours
        body["remote"] = service.remote_offerings(db, q=q, **filters)
    return body


@router.get("/api/v1/market/offerings/{slug:path}/scenarios", responses=error_responses(400, 403, 404))
def api_offering_scenarios(slug: str, top: int = 10, include_remote: bool = False, db: Session = Depends(get_db),
                           user=Depends(current_user)):
    off = service.offering_of(service.get_offering(db, slug, user))
    body = service.local_scenarios_for(db, off, user, k=top)
    if include_remote:  # peer nodes' scenarios, ranked apart from ours
        body["remote"] = service.remote_scenarios_for(db, off, k=top)
    return body


@router.get("/api/v1/market/offerings/{slug:path}", responses=error_responses(403, 404))
def api_offering(slug: str, db: Session = Depends(get_db), user=Depends(current_user)):
    return _offering_json(service.get_offering(db, slug, user))


@router.delete("/api/v1/market/offerings/{slug:path}", status_code=204, response_class=Response,
               responses=error_responses(401, 403, 404, 409))
def api_delete_offering(slug: str, db: Session = Depends(get_db), user=Depends(require_user)):
    service.delete_offering(db, slug, user)
    return Response(status_code=204)


@router.post("/api/v1/market/offerings", status_code=201, responses=error_responses(400, 401, 403),
             openapi_extra=json_request(body_schema(Offering, _IS_PUBLIC)))
async def api_publish_offering(request: Request, db: Session = Depends(get_db), user=Depends(require_user)):
    body = await json_body(request, check=check_values)
    is_public = bool(body.pop("is_public", True))
    row = service.publish_offering(db, parse_offering(body, "request body"), user, is_public=is_public)
    return JSONResponse(_offering_json(row), status_code=201)


@router.get("/api/v1/market/scenarios")
def api_scenarios(industry: str = "", task: str = "", include_remote: bool = False, db: Session = Depends(get_db),
                  user=Depends(current_user)):
    out = service.browse_scenarios_faceted(db, user, industry=industry or None, task=task or None)
    body = {"items": [_scenario_json(r) for r in out["items"]], "facets": out["facets"]}
    if include_remote:  # peer nodes' public scenarios, kept apart from ours
        body["remote"] = service.remote_scenarios(db, industry=industry or None, task=task or None)
    return body


@router.post("/api/v1/market/scenarios", status_code=201, responses=error_responses(400, 401, 403),
             openapi_extra=json_request(body_schema(Scenario, {**_IS_PUBLIC, **_TEST_ITEMS})))
async def api_publish_scenario(request: Request, db: Session = Depends(get_db), user=Depends(require_user)):
    body = await json_body(request, check=check_values)
    is_public = bool(body.pop("is_public", True))
    test_set = body.pop("test_set_items", None)
    scn = parse_scenario(body, "request body")
    service.check_web_scoring(scn)
    items = None if test_set is None else service.parse_test_set_items(test_set)
    row = service.publish_scenario(db, scn, user, test_set=items, is_public=is_public)
    return JSONResponse(_scenario_json(row), status_code=201)


@router.get("/api/v1/market/scenarios/{slug}", responses=error_responses(403, 404))
def api_scenario(slug: str, db: Session = Depends(get_db), user=Depends(current_user)):
    return _scenario_json(service.get_scenario(db, slug, user))


@router.delete("/api/v1/market/scenarios/{slug}", status_code=204, response_class=Response,
               responses=error_responses(401, 403, 404, 409))
def api_delete_scenario(slug: str, db: Session = Depends(get_db), user=Depends(require_user)):
    service.delete_scenario(db, slug, user)
    return Response(status_code=204)


@router.get("/api/v1/market/scenarios/{slug}/matches", responses=error_responses(400, 403, 404))
def api_scenario_matches(slug: str, top: int = 10, include_remote: bool = False, db: Session = Depends(get_db),
                         user=Depends(current_user)):
    scn = service.scenario_of(service.get_scenario(db, slug, user))
    body = service.match_scenario(db, scn, user, k=top)
    if include_remote:  # peer nodes' offerings, ranked apart from ours
        body["remote"] = service.remote_matches(db, scn, k=top)
    return body


@router.post("/api/v1/market/match", responses=error_responses(400),
             openapi_extra=json_request(body_schema(Scenario)))
async def api_match(request: Request, top: int = 10, db: Session = Depends(get_db), user=Depends(current_user)):
    """The CLI contract over HTTP: POST a scenario, get ``{"matches", "excluded"}``."""
    return service.match_scenario(db, parse_scenario(await json_body(request, check=check_values), "request body"), user, k=top)


@router.post("/api/v1/market/scenarios/{slug}/evaluations", status_code=202,
             responses=error_responses(400, 401, 403, 404), openapi_extra=json_request(_EVALUATE))
async def api_evaluate(request: Request, slug: str, db: Session = Depends(get_db), user=Depends(require_user)):
    body = await json_body(request, check=check_values)
    job = service.submit_evaluation(db, slug, service.offering_keys(body.get("offerings")), user)
    return JSONResponse({"job_id": job.id, "status": job.status, "job_url": f"/jobs/{job.id}"}, status_code=202)


@router.get("/api/v1/market/scenarios/{slug}/leaderboard", responses=error_responses(401, 403, 404))
def api_leaderboard(slug: str, db: Session = Depends(get_db), user=Depends(require_user)):
    return {"scenario_id": slug, "leaderboard": service.leaderboard(db, slug, user)}
