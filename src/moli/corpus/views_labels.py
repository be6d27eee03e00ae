"""Corpus page additions: dataset card, Croissant file, domain distribution, safety report and the
human-review workflow (download the sample, upload verdicts). Thin: logic is in card.py and safety.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from markdown_it import MarkdownIt
from sqlalchemy.orm import Session

from moli.core import access
from moli.core.errors import InputError, PermissionDenied
from moli.corpus import service
from moli.corpus.domain import DOMAINS
from moli.corpus.safety import assessment_report, draw_sample, import_verdicts
from moli.web.deps import current_user, get_db, require_user
from moli.web.templating import env, render

router = APIRouter()
MAX_VERDICT_BYTES = 20 * 1024 * 1024


def labels_panel(location: str) -> dict[str, Any]:
    """What the corpus page shows: card summary, domain chart data, safety report, sample state."""
    out = Path(location)
    summary_path = out / "card.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    comp = summary.get("composition") or {}
    domains = comp.get("domains") or {}
    assessment_path = out / "safety" / "assessment.json"
    safety = json.loads(assessment_path.read_text(encoding="utf-8")) if assessment_path.exists() else summary.get("safety")
    safety = service.scrub_paths(safety, [service.corpus_input_root(out)])  # rejected sources by their names
    return {
        "has_card": (out / "README.md").exists(),
        "has_croissant": (out / "croissant.json").exists(),
        "domain_chart": {
            "data": [{"type": "bar", "x": [f"{DOMAINS.get(d, (d,))[0]} {d}" for d in domains], "y": list(domains.values()),
                      "marker": {"color": "#2b6cb0"}}],
            "layout": {"margin": {"t": 10, "b": 90, "l": 50, "r": 10}, "height": 280,
                       "yaxis": {"title": "文档 documents"}},
        } if domains else None,
        "safety": safety,
        "has_sample": (out / "safety" / "sample.csv").exists(),
    }


env.globals["corpus_labels"] = labels_panel


def _writable(request: Request, db: Session, name: str, version: str | None, user):
    corpus = service.get_corpus(db, name, version, user=user)
    if not access.can_write(user, corpus.owner_org_id):
        raise PermissionDenied("只有语料所属组织或工作人员可进行安全审核", "only the owner organisation or staff may run the review")
    return corpus


@router.get("/corpus/{name}/card", response_class=HTMLResponse)
def card_page(request: Request, name: str, version: str | None = None, db: Session = Depends(get_db),
              user=Depends(current_user)):
    corpus = service.get_corpus(db, name, version, user=user)
    path = Path(corpus.location) / "README.md"
    if not path.exists():
        raise InputError("该语料尚无数据卡：请运行 moli corpus card", "this corpus has no card yet: run `moli corpus card`")
    # a card written before inputs were named relatively still holds server paths: never show them
    text = service.scrub_paths(path.read_text(encoding="utf-8"), [service.corpus_input_root(corpus), corpus.location])
    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    # wide tables (hashes, paths, step parameters) scroll inside the page as the site's tables do
    html = html.replace("<table>", '<div class="table-wrap"><table class="table">').replace("</table>", "</table></div>")
    return render(request, "corpus/card.html", {"corpus": service.corpus_summary(corpus), "card_html": html})


@router.get("/corpus/{name}/croissant.json")
def croissant_file(name: str, version: str | None = None, db: Session = Depends(get_db), user=Depends(current_user)):
    corpus = service.get_corpus(db, name, version, user=user)
    path = Path(corpus.location) / "croissant.json"
    if not path.exists():
        raise InputError("该语料尚无 Croissant 元数据", "this corpus has no Croissant metadata yet")
    return FileResponse(path, media_type="application/ld+json", filename=f"{corpus.name}-croissant.json")


@router.post("/corpus/{name}/safety/sample")
def make_sample(request: Request, name: str, version: str | None = None, db: Session = Depends(get_db),
                user=Depends(require_user)):
    corpus = _writable(request, db, name, version, user)
    draw_sample(corpus.location)
    return RedirectResponse(f"/corpus/{name}?version={corpus.version}#safety", status_code=303)


@router.get("/corpus/{name}/safety/sample.csv")
def download_sample(name: str, version: str | None = None, db: Session = Depends(get_db), user=Depends(require_user)):
    corpus = service.get_corpus(db, name, version, user=user)
    if not service.can_see_documents(user, corpus):
        raise PermissionDenied("无权下载样本", "you may not download the sample")
    path = Path(corpus.location) / "safety" / "sample.csv"
    if not path.exists():
        raise InputError("尚未抽样", "no sample has been drawn yet")
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=f"{corpus.name}-safety-sample.csv")


@router.post("/corpus/{name}/safety/verdicts")
async def upload_verdicts(request: Request, name: str, version: str | None = None, file: UploadFile = File(...),
                          db: Session = Depends(get_db), user=Depends(require_user)):
    corpus = _writable(request, db, name, version, user)
    data = await file.read(MAX_VERDICT_BYTES + 1)
    if len(data) > MAX_VERDICT_BYTES:
        raise InputError("审核结果文件超过 20 MB", "the verdicts file is larger than 20 MB")
    import_verdicts(corpus.location, file.filename or "upload.csv", data)
    return RedirectResponse(f"/corpus/{name}?version={corpus.version}#safety", status_code=303)


@router.get("/api/v1/corpus/{name}/safety")
def api_safety(name: str, version: str | None = None, db: Session = Depends(get_db), user=Depends(current_user)):
    corpus = service.get_corpus(db, name, version, user=user)
    return JSONResponse(service.scrub_paths(assessment_report(corpus.location), [service.corpus_input_root(corpus)]))
