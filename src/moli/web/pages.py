"""The platform's own pages: home, accounts (register / log in / log out), jobs. Thin over core."""

from __future__ import annotations

import asyncio
import functools
import importlib
import importlib.util
import json
import logging
from pathlib import Path
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse
from sqlalchemy.orm import Session

from moli.core import accounts, jobs
from moli.core.db import FEATURES, new_session
from moli.core.errors import MoliError
from moli.core.models import User
from moli.web.deps import RowId, clear_session_cookie, current_user, get_db, require_user, set_session_cookie
from moli.web.templating import render

log = logging.getLogger("moli.web")
router = APIRouter()

FEATURE_LABELS = {
    "pii": ("个人信息识别", "Personal information"), "corpus": ("语料库", "Corpora"),
    "crossborder": ("数据跨境", "Cross-border data"), "market": ("供需对接", "Market"),
    "outbound": ("企业出海", "Going overseas"), "events": ("活动赛事", "Events"),
    "federation": ("平台互联", "Federation"),
}

@functools.lru_cache(maxsize=1)
def feature_home() -> dict[str, dict]:
    """What each feature does for its users and where to start (data/home_features.yaml), for the home page."""
    import yaml

    return yaml.safe_load((Path(__file__).resolve().parent / "data" / "home_features.yaml").read_text(encoding="utf-8"))


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths (no open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def feature_counts(session: Session) -> list[dict]:
    """Each feature's ``service.home_counts(session)`` (when it has one), as real numbers."""
    out = []
    for name in FEATURES:
        if name == "core" or importlib.util.find_spec(f"moli.{name}") is None:
            continue
        if importlib.util.find_spec(f"moli.{name}.service") is None:
            continue
        try:
            module = importlib.import_module(f"moli.{name}.service")
            hook = getattr(module, "home_counts", None)
            if hook is None:
                continue
            counts = {str(k): int(v) for k, v in hook(session).items()}
        except Exception as exc:  # one feature's failure must not hide the others
            log.exception("home_counts of %s failed", name)
            session.rollback()
            counts = None
            error = f"{type(exc).__name__}: {exc}"
        else:
            error = None
        zh, en = FEATURE_LABELS.get(name, (name, name))
        home = feature_home().get(name, {})
        out.append({"feature": name, "zh": zh, "en": en, "counts": counts, "error": error,
                    "path": home.get("path", f"/{name}"), "about_zh": home.get("zh", ""), "about_en": home.get("en", ""),
                    "actions": home.get("actions", [])})
    return out


@router.get("/")
def home(request: Request, db: Session = Depends(get_db)):
    platform = {**accounts.counts(db), **jobs.counts(db)}
    return render(request, "home.html", {
        "platform": platform, "features": feature_counts(db),
        "feature_errors": getattr(request.app.state, "feature_errors", {}),
    })


# --- accounts ---------------------------------------------------------------------------------

@router.get("/api/docs", include_in_schema=False)
def api_docs(request: Request):
    """The JSON API reference, from the app's own OpenAPI document (works without internet access)."""
    from moli.web.apidocs import reference

    return render(request, "api_docs.html", {"groups": reference(request.app.openapi(), FEATURE_LABELS)})


@router.get("/login")
def login_page(request: Request, next: str = "/", reason: str = ""):
    return render(request, "auth/login.html", {"next": _safe_next(next), "reason": reason[:200]})


@router.post("/login")
def login_submit(request: Request, email: str = Form(""), password: str = Form(""), next: str = Form("/")):
    session = new_session()
    try:
        user = accounts.login(session, email, password, ip=_ip(request))
        key = _open_session(session, request, user)
    except MoliError as exc:
        session.rollback()
        return render(request, "auth/login.html", {"next": _safe_next(next), "error": exc, "email": email[:254]},
                      status_code=exc.status_code)
    finally:
        session.close()
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(response, user, key)
    return response


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _open_session(session: Session, request: Request, user: User) -> str:
    """Record a signed-in browser for ``user`` (committed) and return the key for its cookie."""
    key = accounts.open_session(session, user, user_agent=request.headers.get("user-agent", ""), ip=_ip(request)).key
    session.commit()
    return key


@router.get("/reset/{token}")
def reset_page(request: Request, token: str, db: Session = Depends(get_db)):
    try:
        user = accounts.user_for_reset(db, token)
    except MoliError as exc:
        return render(request, "auth/reset.html", {"token": None, "error": exc}, status_code=exc.status_code)
    return render(request, "auth/reset.html", {"token": token, "email": user.email})


@router.post("/reset/{token}")
def reset_submit(request: Request, token: str, password: str = Form(""), password2: str = Form("")):
    session = new_session()
    try:
        if password != password2:
            raise accounts.InputError("两次输入的密码不一致", "the two passwords differ", field="password2")
        accounts.reset_password(session, token, password)
        session.commit()
    except MoliError as exc:
        session.rollback()
        still_valid = exc.field != "token"
        return render(request, "auth/reset.html", {"token": token if still_valid else None, "error": exc},
                      status_code=exc.status_code)
    finally:
        session.close()
    return RedirectResponse("/login?reason=" + quote("密码已重设，请用新密码登录 / password changed: log in with it"),
                            status_code=303)


@router.get("/register")
def register_page(request: Request):
    return render(request, "auth/register.html", {"form": {}})


@router.post("/register")
def register_submit(request: Request, email: str = Form(""), password: str = Form(""),
                    password2: str = Form(""), organisation: str = Form(""), display_name: str = Form("")):
    form = {"email": email[:254], "organisation": organisation[:200], "display_name": display_name[:100]}
    session = new_session()
    try:
        if password != password2:
            raise accounts.InputError("两次输入的密码不一致", "the two passwords differ", field="password2")
        user = accounts.register(session, email=email, password=password, organisation=organisation,
                                 display_name=display_name)
        key = _open_session(session, request, user)
    except MoliError as exc:
        session.rollback()
        return render(request, "auth/register.html", {"form": form, "error": exc}, status_code=exc.status_code)
    finally:
        session.close()
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(response, user, key)
    return response


@router.post("/logout")
def logout(request: Request, user: User | None = Depends(current_user)):
    """Log out this browser: its session ends (a copy of the cookie stops working too); the user's
    other browsers stay signed in (``/account/sessions/end-all`` ends them all)."""
    if user is not None:
        _in_own_transaction(lambda s: accounts.end_session(s, user.id, key=request.state.session_key))
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response)
    return response


def _in_own_transaction(action) -> None:
    session = new_session()
    try:
        action(session)
        session.commit()
    finally:
        session.close()


@router.post("/account/sessions/end-all")
def end_all_sessions(user: User = Depends(require_user)):
    """Log out everywhere: every browser of the user, this one included."""
    _in_own_transaction(lambda s: accounts.end_sessions(s, user.id))
    response = RedirectResponse("/login?reason=" + quote("已在所有设备上退出登录 / logged out everywhere"), status_code=303)
    clear_session_cookie(response)
    return response


@router.post("/account/sessions/{session_id}/end")
def end_one_session(session_id: RowId, user: User = Depends(require_user)):
    _in_own_transaction(lambda s: accounts.end_session(s, user.id, session_id=session_id))
    return RedirectResponse("/account#sessions", status_code=303)


@router.get("/api/v1/me")
def api_me(user: User = Depends(require_user)):
    return {"id": user.id, "email": user.email, "role": user.role, "display_name": user.display_name,
            "organisation": user.organisation.name if user.organisation else None,
            "organisation_id": user.organisation_id}


@router.get("/account")
def account_page(request: Request, user: User = Depends(require_user), db: Session = Depends(get_db)):
    return render(request, "auth/account.html", {"orgs": accounts.organisation_overview(db, user),
                                                 **_sessions_context(request, db, user)})


def _sessions_context(request: Request, db: Session, user: User) -> dict:
    return {"sessions": accounts.list_sessions(db, user.id), "session_key": getattr(request.state, "session_key", None)}


@router.post("/account/members")
def add_member(request: Request, email: str = Form(""), organisation: str = Form(""), role: str = Form("enterprise"),
               user: User = Depends(require_user)):
    session = new_session()
    try:
        member, password = accounts.add_member(session, user, email=email, organisation=organisation, role=role)
        session.commit()
        created = {"email": member.email, "password": password, "organisation": organisation}
        error = None
    except MoliError as exc:
        session.rollback()
        if exc.status_code == 403:
            raise
        created, error = None, exc
    finally:
        session.close()
    s2 = new_session()
    try:
        orgs = accounts.organisation_overview(s2, user)
        sessions = _sessions_context(request, s2, user)
    finally:
        s2.close()
    return render(request, "auth/account.html", {"orgs": orgs, "created": created, "error": error, **sessions,
                                                 "form": {"email": email[:254], "organisation": organisation[:200]}},
                  status_code=200 if error is None else error.status_code)


@router.get("/api/v1/organisations")
def api_organisations(user: User = Depends(require_user), db: Session = Depends(get_db)):
    orgs = accounts.organisation_overview(db, user)
    for o in orgs:
        o["created_at"] = o["created_at"].isoformat() if o["created_at"] else None
    return {"organisations": orgs}


# --- jobs -------------------------------------------------------------------------------------

@router.get("/jobs")
def jobs_page(request: Request, user: User = Depends(require_user), db: Session = Depends(get_db)):
    return render(request, "jobs/list.html", {"jobs": jobs.list_jobs(db, user), "status_label": jobs.status_label})


@router.post("/jobs/table-counts")
def start_table_counts(request: Request, user: User = Depends(require_user), db: Session = Depends(get_db)):
    job = jobs.submit_job(db, "core.table_counts", "统计平台数据 / count platform records", {}, user)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: RowId, user: User = Depends(require_user), db: Session = Depends(get_db)):
    job = jobs.get_job(db, job_id, user)
    return render(request, "jobs/detail.html", {"job": job, "data": jobs.job_dict(job)})


@router.get("/api/v1/jobs")
def api_jobs(user: User = Depends(require_user), db: Session = Depends(get_db)):
    return {"jobs": [jobs.job_dict(j) for j in jobs.list_jobs(db, user)]}


@router.get("/api/v1/jobs/{job_id}")
def api_job(job_id: RowId, user: User = Depends(require_user), db: Session = Depends(get_db)):
    return JSONResponse(jobs.job_dict(jobs.get_job(db, job_id, user)))


@router.get("/api/v1/jobs/{job_id}/events")
async def api_job_events(request: Request, job_id: RowId, user: User = Depends(require_user)):
    """Server-sent events: one ``data:`` line per change until the job finishes."""

    def snapshot() -> dict:
        s = new_session()
        try:
            return jobs.job_dict(jobs.get_job(s, job_id, user))
        finally:
            s.close()

    first = await asyncio.to_thread(snapshot)  # raises 404/403 before streaming starts

    async def stream():
        data, last = first, None
        for _ in range(3600):  # at most ~30 minutes per connection; the browser reconnects
            if data != last:
                yield f"data: {json.dumps(data, ensure_ascii=False)}\n\n"
                last = data
            if data["status"] in ("succeeded", "failed") or await request.is_disconnected():
                return
            await asyncio.sleep(0.5)
            data = await asyncio.to_thread(snapshot)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.get("/healthz")
def healthz(request: Request):
    errors = getattr(request.app.state, "feature_errors", {})
    body = {"status": "ok" if not errors else "degraded", "features": request.app.state.features,
            "feature_errors": errors}
    return JSONResponse(body, status_code=200 if not errors else 503)


__all__ = ["router", "current_user"]
