"""Corpus web pages and JSON API (语料目录页面). Thin: everything comes from service.py."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse
from sqlalchemy.orm import Session

from moli.core import access
from moli.corpus import service
from moli.corpus.domain import DOMAINS
from moli.federation import service as federation
from moli.web.deps import current_user, get_db, require_user
from moli.web.templating import render

router = APIRouter()

# The labels developer's pages plug in here (included first, so /corpus/<their path> is not taken
# for a corpus name).
for _module in ("moli.corpus.views_labels",):
    try:
        _spec = importlib.util.find_spec(_module)
    except ModuleNotFoundError:
        _spec = None
    if _spec is not None:
        router.include_router(importlib.import_module(_module).router)


@router.get("/corpus/static/plotly.min.js", include_in_schema=False)
def plotly_js() -> FileResponse:
    """Plotly's JS from the installed plotly package (no CDN)."""
    import plotly

    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    return FileResponse(path, media_type="application/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/corpus")
def catalogue_page(request: Request, db: Session = Depends(get_db), user=Depends(current_user)):
    rows = [service.summary_for(c, user) for c in service.list_corpora(db, user)]
    return render(request, "corpus/list.html", {"corpora": rows, "remote": federation.remote_items(db, "corpus"),
                                                "domains": DOMAINS})


def _new_ctx(values: dict | None = None, error=None) -> dict:
    return {"values": values or {"version": "1", "access": "internal", "domain": "government_affairs", "text_field": "text"},
            "error": error, "domains": DOMAINS, "suffixes": service.UPLOAD_SUFFIXES}


@router.get("/corpus/new")
def new_corpus_page(request: Request, user=Depends(require_user)):
    return render(request, "corpus/new.html", _new_ctx())


@router.post("/corpus/new")
async def new_corpus_submit(request: Request, db: Session = Depends(get_db), user=Depends(require_user)):
    """Upload documents and build a corpus with the standard steps, as a background job."""
    from starlette.datastructures import UploadFile

    from moli.core.errors import InputError
    from moli.core.settings import get_settings

    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    uploads = [(f.filename, f.file) for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    settings = get_settings()
    try:
        job = service.start_web_build(db, values, uploads, user, home=settings.ensure_home(),
                                      max_bytes=settings.max_upload_mb * 2**20)
    except InputError as exc:
        return render(request, "corpus/new.html", _new_ctx(values, exc), status_code=400)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/corpus/{name}")
def corpus_page(request: Request, name: str, version: str | None = None, removed_by: str | None = None,
                db: Session = Depends(get_db), user=Depends(current_user)):
    corpus = service.get_corpus(db, name, version, user=user)
    can_docs = service.can_see_documents(user, corpus)
    ctx = {
        "corpus": service.corpus_summary(corpus),  # the location is shown to staff only (show_location)
        "show_location": access.is_staff(user),
        "stats": corpus.stats or {},
        "manifest": service.manifest_for(corpus, user),
        "charts": service.chart_specs(corpus.stats or {}),
        "can_see_documents": can_docs,
        "samples": service.sample_documents(corpus, n=8, user=user) if can_docs else [],
        "removed": service.removed_documents(corpus, n=30, removed_by=removed_by, user=user) if can_docs else [],
        "removed_by": removed_by,
        "can_manage": service.can_manage(user, corpus),
        "domains": DOMAINS,
    }
    return render(request, "corpus/corpus.html", ctx)


@router.post("/corpus/{name}/access")
def corpus_access(name: str, access: str = Form(...), version: str | None = Form(None),
                  db: Session = Depends(get_db), user=Depends(require_user)):
    corpus = service.get_corpus(db, name, version, user=user)
    service.set_access(db, corpus, access, user=user)
    return RedirectResponse(f"/corpus/{corpus.name}?version={corpus.version}", status_code=303)


@router.get("/api/v1/corpus")
def api_list(include_remote: bool = False, db: Session = Depends(get_db), user=Depends(current_user)):
    out = {"corpora": [service.summary_for(c, user) for c in service.list_corpora(db, user)]}
    if include_remote:  # peer nodes' public corpora, kept apart from ours
        out["remote"] = federation.remote_items(db, "corpus")
    return out


@router.get("/api/v1/corpus/{name}")
def api_show(name: str, version: str | None = None, db: Session = Depends(get_db), user=Depends(current_user)):
    corpus = service.get_corpus(db, name, version, user=user)
    return {**service.summary_for(corpus, user), "stats": corpus.stats, "manifest": service.manifest_for(corpus, user)}


@router.get("/api/v1/corpus/{name}/samples")
def api_samples(name: str, version: str | None = None, n: int = Query(10, ge=1, le=100),
                offset: int = Query(0, ge=0), db: Session = Depends(get_db), user=Depends(current_user)):
    corpus = service.get_corpus(db, name, version, user=user)
    docs = service.sample_documents(corpus, n=n, offset=offset, max_chars=None, user=user)
    return {"documents": [{k: v for k, v in d.items() if k != "segments"} for d in docs]}


@router.get("/api/v1/corpus/{name}/removed")
def api_removed(name: str, version: str | None = None, removed_by: str | None = None,
                n: int = Query(20, ge=1, le=200), offset: int = Query(0, ge=0),
                db: Session = Depends(get_db), user=Depends(current_user)):
    corpus = service.get_corpus(db, name, version, user=user)
    return {"documents": service.removed_documents(corpus, n=n, offset=offset, removed_by=removed_by,
                                                   max_chars=None, user=user)}

