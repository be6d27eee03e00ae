"""Web pages and JSON API of events and competitions. Thin: every action calls ``service``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from moli.core.access import is_staff
from moli.core.errors import InputError
from moli.core.settings import get_settings
from moli.events import service
from moli.events.models import Entry, Team
from moli.web.deps import RowId, current_user, get_db, require_staff, require_user
from moli.web.templating import render

router = APIRouter()


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def _read_upload(file: UploadFile) -> bytes:
    limit = get_settings().max_upload_mb * 1024 * 1024
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"文件超过 {get_settings().max_upload_mb} MB", "the file is too large", field="file")
    return data


# --- event list, calendar -------------------------------------------------------------------

@router.get("/events")
def events_page(request: Request, month: str | None = None, tag: str | None = None, db: Session = Depends(get_db),
                user=Depends(current_user)):
    evs = service.list_events(db, user, tag=tag)
    if month:
        try:
            year, mon = (int(x) for x in month.split("-", 1))
        except ValueError:
            raise InputError("月份格式应为 YYYY-MM", "month must look like YYYY-MM", field="month") from None
    else:
        today = service.utcnow().astimezone(service.SHANGHAI)
        year, mon = today.year, today.month
    grid = service.month_grid(evs, year, mon)
    upcoming, past, undated = service.events_by_month(evs)
    comps = service.list_competitions(db, user)
    return render(request, "events/list.html", {"upcoming": upcoming, "past": past, "undated": undated,
                                                "competitions": comps, "grid": grid, "tag": tag})


@router.get("/events/calendar.ics")
def calendar_feed(db: Session = Depends(get_db)):
    return Response(service.calendar_ics(db), media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="moli-events.ics"'})


@router.get("/api/v1/events")
def api_events(tag: str | None = None, db: Session = Depends(get_db), user=Depends(current_user)):
    return {"events": [service.event_dict(db, e) for e in service.list_events(db, user, tag=tag)]}


# --- competitions ---------------------------------------------------------------------------

def _competition_context(db: Session, comp, user) -> dict:
    team = service.team_of_user(db, comp, user) if user else None
    ctx = {"comp": comp, "info": service.competition_dict(db, comp), "team": team, "members": [],
           "subs": [], "quota": None, "board": service.leaderboard(db, comp), "is_judge": service.is_judge(db, comp, user),
           "entry": None, "staff": is_staff(user)}
    if team is not None:
        ctx["members"] = service.team_members(db, team)
        ctx["subs"] = service.team_submissions(db, team)
        ctx["quota"] = service.quota_left(db, comp, team) if comp.kind == "leaderboard" else None
        ctx["entry"] = db.query(Entry).filter(Entry.competition_id == comp.id, Entry.team_id == team.id).one_or_none()
    return ctx


@router.get("/events/competitions/{slug}")
def competition_page(slug: str, request: Request, db: Session = Depends(get_db), user=Depends(current_user)):
    comp = service.get_competition(db, slug, user)
    return render(request, "events/competition.html", _competition_context(db, comp, user))


@router.get("/events/competitions/{slug}/data/{name}")
def competition_data(slug: str, name: str, db: Session = Depends(get_db), user=Depends(current_user)):
    comp = service.get_competition(db, slug, user)
    f = service.data_file(db, comp, name)
    media = "application/x-ndjson" if name.endswith(".jsonl") else "text/plain"
    return Response(f.content.encode("utf-8"), media_type=f"{media}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{f.name}"'})


@router.post("/events/competitions/{slug}/team")
def competition_team(slug: str, name: str = Form(...), db: Session = Depends(get_db), user=Depends(require_user)):
    comp = service.get_competition(db, slug, user)
    service.create_team(db, comp, name, user)
    return _back(f"/events/competitions/{slug}")


@router.post("/events/competitions/{slug}/invite")
def competition_invite(slug: str, request: Request, email: str = Form(...), db: Session = Depends(get_db),
                       user=Depends(require_user)):
    comp = service.get_competition(db, slug, user)
    team = service.team_of_user(db, comp, user)
    if team is None:
        raise InputError("请先创建或加入队伍", "create or join a team first", field="team")
    inv = service.invite(db, team, email, user)
    db.commit()
    ctx = _competition_context(db, comp, user) | {"invite_link": f"/events/invitations/{inv.token}",
                                                   "invite_email": inv.email}
    return render(request, "events/competition.html", ctx)


@router.get("/events/invitations/{token}")
def invitation_page(token: str, request: Request, user=Depends(require_user)):
    return render(request, "events/invitation.html", {"token": token})


@router.post("/events/invitations/{token}")
def invitation_accept(token: str, db: Session = Depends(get_db), user=Depends(require_user)):
    member = service.accept_invitation(db, token, user)
    comp = db.get(service.Competition, member.competition_id)
    return _back(f"/events/competitions/{comp.slug}")


def _submit(db: Session, comp, user, data: bytes, file_name: str):
    team = service.team_of_user(db, comp, user)
    if team is None:
        raise InputError("请先创建或加入队伍", "create or join a team first", field="team")
    sub = service.submit(db, comp, team, data, file_name=file_name, user=user)
    return service.queue_scoring(db, sub, user)


@router.post("/events/competitions/{slug}/submit")
async def competition_submit(slug: str, file: UploadFile = File(...), db: Session = Depends(get_db),
                             user=Depends(require_user)):
    comp = service.get_competition(db, slug, user)
    data = await _read_upload(file)
    _submit(db, comp, user, data, file.filename or "")
    return _back(f"/events/competitions/{slug}#my-submissions")


@router.post("/events/competitions/{slug}/submissions/{submission_id}/select")
def competition_select(slug: str, submission_id: RowId, selected: str = Form("1"), db: Session = Depends(get_db),
                       user=Depends(require_user)):
    comp = service.get_competition(db, slug, user)
    team = service.team_of_user(db, comp, user)
    if team is None:
        raise InputError("请先创建或加入队伍", "create or join a team first", field="team")
    service.select_submission(db, comp, team, submission_id, selected == "1", user)
    return _back(f"/events/competitions/{slug}#my-submissions")


@router.get("/events/competitions/{slug}/leaderboard")
def leaderboard_page(slug: str, request: Request, private: bool = False, db: Session = Depends(get_db),
                     user=Depends(current_user)):
    comp = service.get_competition(db, slug, user)
    board = service.leaderboard(db, comp, private=private, user=user)
    return render(request, "events/leaderboard.html", {
        "comp": comp, "board": board, "private": private,
        "can_private": service.can_see_private(db, comp, user) and comp.kind == "leaderboard"})


@router.post("/events/competitions/{slug}/entry")
def competition_entry(slug: str, title: str = Form(...), summary: str = Form(""), url: str = Form(""),
                      db: Session = Depends(get_db), user=Depends(require_user)):
    comp = service.get_competition(db, slug, user)
    team = service.team_of_user(db, comp, user)
    if team is None:
        raise InputError("请先创建或加入队伍", "create or join a team first", field="team")
    service.submit_entry(db, comp, team, title, summary, url, user=user)
    return _back(f"/events/competitions/{slug}")


@router.post("/events/competitions/{slug}/judges")
def competition_add_judge(slug: str, email: str = Form(...), db: Session = Depends(get_db),
                          user=Depends(require_user)):
    comp = service.get_competition(db, slug, user)
    service.add_judge(db, comp, service.user_by_email(db, email), user)
    return _back(f"/events/competitions/{slug}")


@router.get("/events/competitions/{slug}/judge")
def judge_page(slug: str, request: Request, db: Session = Depends(get_db), user=Depends(require_user)):
    comp = service.get_competition(db, slug, user)
    if not service.is_judge(db, comp, user):
        from moli.core.errors import PermissionDenied

        raise PermissionDenied("你不是该赛事的评委", "you are not a judge of this competition")
    teams = {t.id: t.name for t in db.query(Team).filter(Team.competition_id == comp.id)}
    mine = {s.entry_id: s for s in db.query(service.JudgeScore).filter(service.JudgeScore.judge_user_id == user.id)}
    return render(request, "events/judge.html", {"comp": comp, "entries": service.entries(db, comp), "teams": teams,
                                                 "rubric": service.rubric(comp), "mine": mine})


@router.post("/events/competitions/{slug}/entries/{entry_id}/score")
async def judge_score(slug: str, entry_id: RowId, request: Request, db: Session = Depends(get_db),
                      user=Depends(require_user)):
    comp = service.get_competition(db, slug, user)
    entry = db.get(Entry, entry_id)
    if entry is None or entry.competition_id != comp.id:
        from moli.core.errors import NotFound

        raise NotFound("作品不存在", "entry not found", field="entry")
    form = await request.form()
    scores = {i["key"]: form.get(i["key"]) for i in service.rubric(comp)}
    service.score_entry(db, comp, entry, user, scores, str(form.get("comment", "")))
    return _back(f"/events/competitions/{slug}/judge")


# --- competitions: JSON API -----------------------------------------------------------------

@router.get("/api/v1/events/competitions")
def api_competitions(db: Session = Depends(get_db), user=Depends(current_user)):
    return {"competitions": [service.competition_dict(db, c) for c in service.list_competitions(db, user)]}


@router.get("/api/v1/events/competitions/{slug}")
def api_competition(slug: str, db: Session = Depends(get_db), user=Depends(current_user)):
    return service.competition_dict(db, service.get_competition(db, slug, user))


@router.get("/api/v1/events/competitions/{slug}/leaderboard")
def api_leaderboard(slug: str, private: bool = False, phase: str | None = None, db: Session = Depends(get_db),
                    user=Depends(current_user)):
    return service.leaderboard(db, service.get_competition(db, slug, user), private=private, user=user, phase=phase)


@router.post("/api/v1/events/competitions/{slug}/submissions")
async def api_submit(slug: str, file: UploadFile = File(...), db: Session = Depends(get_db),
                     user=Depends(require_user)):
    comp = service.get_competition(db, slug, user)
    sub = _submit(db, comp, user, await _read_upload(file), file.filename or "")
    out = {"submission_id": sub.id, "status": sub.status, "public_score": sub.public_score}
    if sub.reason:
        out |= {"reason": sub.reason, "reason_zh": sub.reason_zh}
    return JSONResponse(out, status_code=422 if sub.status == "rejected" else 200)


@router.get("/api/v1/events/competitions/{slug}/submissions")
def api_my_submissions(slug: str, db: Session = Depends(get_db), user=Depends(require_user)):
    comp = service.get_competition(db, slug, user)
    team = service.team_of_user(db, comp, user)
    subs = service.team_submissions(db, team) if team else []
    return {"team": team.name if team else None, "submissions": [service.submission_dict(s) for s in subs]}


# --- staff: create competitions and events ---------------------------------------------------

@router.get("/events/manage")
def manage_page(request: Request, user=Depends(require_staff)):
    return render(request, "events/manage.html", {})


@router.post("/events/manage/competitions")
async def manage_create_competition(request: Request, spec: UploadFile = File(...),
                                    files: list[UploadFile] = File(default=[]), db: Session = Depends(get_db),
                                    user=Depends(require_staff)):
    uploads = {f.filename or "": await _read_upload(f) for f in files if f.filename}
    comp = service.create_competition_from_upload(db, await _read_upload(spec), uploads, user)
    db.commit()
    return _back(f"/events/competitions/{comp.slug}")


@router.post("/events/manage/events")
async def manage_create_event(request: Request, db: Session = Depends(get_db), user=Depends(require_staff)):
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    ev = service.create_event(db, service.event_input_from_form(fields), user, publish=bool(fields.get("publish")))
    slots = (fields.get("slots") or "").strip()
    if slots.isdigit() and int(slots) > 0 and ev.starts_at is not None:
        service.add_slots(db, ev, ev.starts_at, int(fields.get("slot_minutes") or 20), int(slots))
    db.commit()
    return _back(f"/events/{ev.slug}")


# --- one event: registration, roadshow ------------------------------------------------------

@router.post("/events/slots/{slot_id}/book")
def slot_book(slot_id: RowId, project_title: str = Form(""), db: Session = Depends(get_db), user=Depends(require_user)):
    slot = service.book_slot(db, slot_id, user, project_title)
    return _back(f"/events/{db.get(service.Event, slot.event_id).slug}#roadshow")


@router.post("/events/slots/{slot_id}/cancel")
def slot_cancel(slot_id: RowId, db: Session = Depends(get_db), user=Depends(require_user)):
    slot = db.get(service.RoadshowSlot, slot_id)
    event_id = slot.event_id if slot else None
    service.cancel_booking(db, slot_id, user)
    ev = db.get(service.Event, event_id)
    return _back(f"/events/{ev.slug}#roadshow")


@router.get("/api/v1/events/{slug}")
def api_event(slug: str, db: Session = Depends(get_db), user=Depends(current_user)):
    ev = service.get_event(db, slug, user)
    return service.event_dict(db, ev) | {"slots": [
        {"id": s.id, "starts_at": service.aware(s.starts_at).isoformat(), "ends_at": service.aware(s.ends_at).isoformat(),
         "booked": s.booked_by_org_id is not None} for s in service.slots(db, ev)]}


def _registration_json(db: Session, ev, user) -> dict:
    reg = service.my_registration(db, ev, user)
    status = reg.status if reg else None
    return {"event": ev.slug, "status": status,
            "waitlist_position": service.waitlist_position(db, reg) if reg else None,
            **service.registration_counts(db, ev)}


@router.post("/api/v1/events/{slug}/registration")
def api_register(slug: str, db: Session = Depends(get_db), user=Depends(require_user)):
    ev = service.get_event(db, slug, user)
    service.register(db, ev, user)
    return _registration_json(db, ev, user)


@router.delete("/api/v1/events/{slug}/registration")
def api_cancel_registration(slug: str, db: Session = Depends(get_db), user=Depends(require_user)):
    ev = service.get_event(db, slug, user)
    promoted = service.cancel_registration(db, ev, user)
    return _registration_json(db, ev, user) | {"promoted_user_id": promoted.user_id if promoted else None}


@router.post("/events/{slug}/register")
def event_register(slug: str, note: str = Form(""), db: Session = Depends(get_db), user=Depends(require_user)):
    service.register(db, service.get_event(db, slug, user), user, note)
    return _back(f"/events/{slug}")


@router.post("/events/{slug}/cancel")
def event_cancel(slug: str, db: Session = Depends(get_db), user=Depends(require_user)):
    service.cancel_registration(db, service.get_event(db, slug, user), user)
    return _back(f"/events/{slug}")


@router.get("/events/{slug}")
def event_page(slug: str, request: Request, db: Session = Depends(get_db), user=Depends(current_user)):
    ev = service.get_event(db, slug, user)
    reg = service.my_registration(db, ev, user)
    orgs = {}
    slots = service.slots(db, ev)
    if slots:
        from moli.core.models import Organisation

        ids = {s.booked_by_org_id for s in slots if s.booked_by_org_id}
        orgs = {o.id: o.name for o in db.query(Organisation).filter(Organisation.id.in_(ids))} if ids else {}
    return render(request, "events/event.html", {
        "ev": ev, "info": service.event_dict(db, ev), "reg": reg, "tags": [service.tag_info(t) for t in ev.tags or []],
        "position": service.waitlist_position(db, reg) if reg else None, "slots": slots, "orgs": orgs,
        "closed": service.registration_closed(ev)})

