"""Federation pages and JSON API (thin: the work happens in ``service``).

* ``GET /api/v1/federation/catalogue`` — this node's signed public catalogue (anyone); an ``ETag``
  over its content, and 304 to an ``If-None-Match`` that still matches.
* ``GET /api/v1/federation/node`` — identity and public key; ``GET /api/v1/federation/remote`` —
  the remote catalogue (anyone); ``GET /api/v1/federation/peers`` (anyone).
* ``GET /federation`` — the page; staff add/remove peers and start a pull (a background job).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from moli.core.access import is_staff
from moli.core.errors import InputError
from moli.core.jsonbody import error_responses, json_body, json_request
from moli.core.textcheck import text_fault
from moli.federation import service
from moli.federation.schemas import KIND_LABELS, KINDS
from moli.web.deps import current_user, get_db, require_staff
from moli.web.templating import render

router = APIRouter()


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


_PEER_BODY = json_request({
    "type": "object", "required": ["name", "url"], "properties": {
        "name": {"type": "string", "maxLength": 60, "description": "节点名称 / peer name"},
        "url": {"type": "string", "description": "节点地址 https://host[:port][/path] / the peer's base URL"},
        "public_key": {"type": ["string", "null"], "description": "Ed25519 公钥（base64）；不填则首次同步时固定 / "
                       "Ed25519 public key (base64); pinned on first pull when left out"},
        "replace": {"type": "boolean", "default": False, "description": "替换同名节点 / replace a peer of that name"}}})

def _text(body: dict[str, Any], key: str, *, optional: bool = False) -> str | None:
    """A string field of a JSON body (a lone surrogate or a control character, ``moli.core.textcheck``, is refused)."""
    v = body.get(key)
    if v is None and optional:
        return None
    if v is None:
        v = ""
    if not isinstance(v, str):
        raise InputError(f"字段 {key} 应为字符串", f"field {key} must be a string", field=key)
    if text_fault(v):
        raise InputError(f"字段 {key}：含有无效字符（孤立的代理码位或控制字符）",
                         f"field {key}: contains an invalid character (a lone surrogate or a control character)", field=key)
    return v


# --- JSON --------------------------------------------------------------------------------------

@router.get("/api/v1/federation/catalogue", responses=error_responses(304))
def api_catalogue(request: Request, db: Session = Depends(get_db)):
    doc = service.build_catalogue(db, _base(request))
    headers = {"ETag": service.catalogue_etag(doc), "Cache-Control": "no-cache"}
    wanted = {t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")}
    if headers["ETag"] in wanted or "*" in wanted:
        return Response(status_code=304, headers=headers)
    return JSONResponse(doc, headers=headers)


@router.get("/api/v1/federation/node")
def api_node(request: Request):
    return service.node_info(_base(request))


@router.get("/api/v1/federation/peers")
def api_peers(db: Session = Depends(get_db)):
    return {"items": [service.peer_dict(p) for p in service.list_peers(db)]}


@router.post("/api/v1/federation/peers", status_code=201, responses=error_responses(400, 401, 403),
             openapi_extra=_PEER_BODY)
async def api_add_peer(request: Request, db: Session = Depends(get_db), user=Depends(require_staff)):
    body = await json_body(request)
    peer = service.add_peer(db, _text(body, "name"), _text(body, "url"), _text(body, "public_key", optional=True) or None,
                            replace=bool(body.get("replace")))
    return JSONResponse(service.peer_dict(peer), status_code=201)


@router.get("/api/v1/federation/remote")
def api_remote(q: str = "", kind: str = "", peer: str = "", withdrawn: bool = False, db: Session = Depends(get_db)):
    rows = service.search_remote(db, q, kind=kind or None, peer=peer or None, include_withdrawn=withdrawn)
    return {"items": [service.remote_dict(e, p) for e, p in rows]}


@router.post("/api/v1/federation/pull", status_code=202, responses=error_responses(401, 403))
def api_pull(peer: str = "", db: Session = Depends(get_db), user=Depends(require_staff)):
    from moli.core.jobs import job_dict, submit_job

    job = submit_job(db, "federation.pull", f"同步对等节点目录 Pull {peer or 'all peers'}", {"peer": peer or None}, user)
    return JSONResponse(job_dict(job), status_code=202)


# --- HTML --------------------------------------------------------------------------------------

def _page(request: Request, db: Session, user, *, q: str = "", kind: str = "", peer: str = "", withdrawn: bool = False,
          form: dict | None = None, error: InputError | None = None, status: int = 200):
    if kind and kind not in KINDS:
        kind = ""
    peers = service.list_peers(db)
    return render(request, "federation/index.html", {
        "node": service.node_info(_base(request)), "peers": peers, "counts": service.entry_counts(db),
        "entries": service.search_remote(db, q, kind=kind or None, peer=peer or None, include_withdrawn=withdrawn),
        "syncs": service.recent_syncs(db, 10) if is_staff(user) else [],
        "q": q, "kind": kind, "peer": peer, "withdrawn": withdrawn, "KINDS": KINDS, "KIND_LABELS": KIND_LABELS, "link": service.link,
        "is_staff": is_staff(user), "form": form or {}, "error": error,
    }, status_code=status)


@router.get("/federation")
def index_page(request: Request, q: str = "", kind: str = "", peer: str = "", withdrawn: bool = False,
               db: Session = Depends(get_db), user=Depends(current_user)):
    return _page(request, db, user, q=q, kind=kind, peer=peer, withdrawn=withdrawn)


@router.post("/federation/peers")
async def add_peer_form(request: Request, db: Session = Depends(get_db), user=Depends(require_staff)):
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in ("name", "url", "public_key")}
    try:
        service.add_peer(db, values["name"], values["url"], values["public_key"] or None,
                         replace=form.get("replace") == "1")
    except InputError as exc:
        db.rollback()
        return _page(request, db, user, form=values, error=exc, status=400)
    return RedirectResponse("/federation", status_code=303)


@router.post("/federation/peers/{name}/remove")
def remove_peer_form(name: str, db: Session = Depends(get_db), user=Depends(require_staff)):
    service.remove_peer(db, name)
    return RedirectResponse("/federation", status_code=303)


@router.post("/federation/pull")
async def pull_form(request: Request, db: Session = Depends(get_db), user=Depends(require_staff)):
    from moli.core.jobs import submit_job

    form = await request.form()
    peer = str(form.get("peer", "")).strip()
    job = submit_job(db, "federation.pull", f"同步对等节点目录 Pull {peer or 'all peers'}", {"peer": peer or None}, user)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)
