"""Events: publishing, registration with capacity and waiting list, iCalendar, roadshow slots, judging."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from moli.core.db import new_session
from moli.core.errors import InputError, NotFound, PermissionDenied
from moli.events import service
from tests.conftest import make_user
from tests.events.helpers import FIXTURES  # noqa: F401  (keeps fixture path import-checked)

SH = "+08:00"


def _ahead(days: int = 30) -> dict:
    """Dates a month from now: registration closes once an event is over, so a registration test
    must not name a fixed day that will one day be past."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat()}


def _event(session, slug="salon-1", capacity=2, **kw):
    data = {"slug": slug, "title": "模力浦东行·大模型沙龙", "title_en": "Moli Pudong salon",
            "starts_at": f"2026-06-10T14:00:00{SH}", "ends_at": f"2026-06-10T17:00:00{SH}",
            "venue": "张江科学城", "organiser": "浦东新区科经委", "capacity": capacity,
            "tags": ["topic:场景对接", "enterprise:示例企业"]} | kw
    ev = service.create_event(session, data, publish=True)
    session.commit()
    return ev


def test_event_input_errors_name_the_field(session):
    with pytest.raises(InputError) as e:
        service.create_event(session, {"slug": "x1", "title": "无地点", "starts_at": f"2026-06-10T14:00:00{SH}"})
    assert "venue" in e.value.en
    with pytest.raises(InputError) as e:
        service.create_event(session, {"slug": "x2", "title": "倒序", "online": True,
                                       "starts_at": f"2026-06-10T14:00:00{SH}", "ends_at": f"2026-06-09T14:00:00{SH}"})
    assert "ends before it starts" in e.value.en


def test_drafts_are_hidden_until_published(session):
    ev = service.create_event(session, {"slug": "draft-1", "title": "草稿活动", "online": True})
    session.commit()
    assert service.list_events(session, None) == []
    with pytest.raises(NotFound):
        service.get_event(session, "draft-1", None)
    service.publish_event(session, ev, None, admin=True)
    assert [e.slug for e in service.list_events(session, None)] == ["draft-1"]


def test_capacity_waiting_list_and_promotion(session):
    ev = _event(session, capacity=2, **_ahead())
    a, b, c, d = (make_user(org=f"Org {i}") for i in range(4))
    assert [service.register(session, ev, u).status for u in (a, b, c, d)] == \
        ["registered", "registered", "waitlisted", "waitlisted"]
    assert service.register(session, ev, a).status == "registered"  # idempotent
    reg_d = service.my_registration(session, ev, d)
    assert service.waitlist_position(session, reg_d) == 2
    promoted = service.cancel_registration(session, ev, b)
    assert promoted is not None and promoted.user_id == c.id and promoted.status == "registered"
    assert service.waitlist_position(session, service.my_registration(session, ev, d)) == 1
    assert service.cancel_registration(session, ev, d) is None  # a waitlisted cancel promotes nobody
    assert service.registration_counts(session, ev) == {"registered": 2, "waitlisted": 0}
    with pytest.raises(NotFound):
        service.cancel_registration(session, ev, d)


def test_registration_capacity_holds_under_concurrency(db_url, session):
    ev = _event(session, capacity=3, **_ahead())
    users = [make_user(org="Org C") for _ in range(8)]
    out, lock = [], threading.Lock()

    def one(u):
        s = new_session()
        try:
            r = service.register(s, s.get(type(ev), ev.id), u)
            with lock:
                out.append(r.status)
        finally:
            s.close()

    threads = [threading.Thread(target=one, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(out) == ["registered"] * 3 + ["waitlisted"] * 5


def test_icalendar_feed_lists_dated_published_events(session):
    _event(session, slug="waic-2026", title="世界人工智能大会")
    service.create_event(session, {"slug": "tbd", "title": "日期待定的沙龙", "online": True}, publish=True)
    service.create_event(session, {"slug": "hidden", "title": "未发布", "online": True,
                                   "starts_at": f"2026-07-01T09:00:00{SH}"})
    session.commit()
    cal = Calendar.from_ical(service.calendar_ics(session))
    events = [c for c in cal.walk("VEVENT")]
    assert [str(e["summary"]) for e in events] == ["世界人工智能大会 / Moli Pudong salon"]
    ev = events[0]
    assert ev.decoded("dtstart") == datetime(2026, 6, 10, 6, 0, tzinfo=UTC)
    assert str(ev["location"]) == "张江科学城" and str(ev["uid"]) == "waic-2026@moli"


def test_roadshow_slots_are_never_double_booked(db_url, session):
    ev = _event(session, slug="roadshow", capacity=None)
    ahead = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    slots = service.add_slots(session, ev, ahead, 20, 3)
    session.commit()
    firms = [make_user(org=f"企业{i}") for i in range(6)]
    target = slots[0].id
    out, lock = [], threading.Lock()

    def one(u):
        s = new_session()
        try:
            service.book_slot(s, target, u, "多模态大模型")
            res = "ok"
        except service.Conflict:
            res = "conflict"
        finally:
            s.close()
        with lock:
            out.append(res)

    threads = [threading.Thread(target=one, args=(u,)) for u in firms]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(out) == ["conflict"] * 5 + ["ok"]
    session.expire_all()
    booked = [s for s in service.slots(session, ev) if s.booked_by_org_id]
    assert len(booked) == 1 and booked[0].ends_at - booked[0].starts_at == timedelta(minutes=20)
    winner = next(u for u in firms if u.organisation_id == booked[0].booked_by_org_id)
    with pytest.raises(service.Conflict):
        service.book_slot(session, slots[1].id, winner)  # one slot per enterprise
    loser = next(u for u in firms if u is not winner)
    with pytest.raises(PermissionDenied):
        service.cancel_booking(session, target, loser)
    service.cancel_booking(session, target, winner)
    assert service.book_slot(session, target, loser).booked_by_org_id == loser.organisation_id
    with pytest.raises(service.Conflict, match="已于 .*开始，不能再预约"):  # a slot that has begun
        service.book_slot(session, slots[2].id, winner, now=ahead + timedelta(minutes=41))


def test_expert_judged_track_averages_rubric_scores(session, tmp_path):
    from moli.events.schemas import parse_competition

    j1, j2, outsider = (make_user(role="enterprise", org="评审") for _ in range(3))
    spec = parse_competition({"id": "data-x", "title": "“数据要素×”大赛 城市治理赛道", "kind": "judged",
                              "rubric": [{"key": "value", "name": "应用价值", "weight": 2, "max": 10},
                                         {"key": "innovation", "name": "创新性", "weight": 1, "max": 5}]})
    comp = service.create_competition(session, spec, tmp_path)
    service.add_judge(session, comp, j1, admin=True)
    service.add_judge(session, comp, j2, admin=True)
    t1, t2 = service.create_team(session, comp, "数治队"), service.create_team(session, comp, "城脑队")
    e1 = service.submit_entry(session, comp, t1, "城市运行一网统管大模型")
    e2 = service.submit_entry(session, comp, t2, "社区治理助手")
    service.score_entry(session, comp, e1, j1, {"value": 8, "innovation": 4})  # (2*.8+1*.8)/3 = 80
    service.score_entry(session, comp, e1, j2, {"value": 10, "innovation": 2})  # (2*1+.4)/3 = 80
    service.score_entry(session, comp, e2, j1, {"value": 9, "innovation": 5})  # (1.8+1)/3 = 93.33
    with pytest.raises(PermissionDenied):
        service.score_entry(session, comp, e2, outsider, {"value": 1, "innovation": 1})
    with pytest.raises(InputError) as e:
        service.score_entry(session, comp, e2, j2, {"value": 11, "innovation": 1})
    assert e.value.field == "value" and "between 0 and 10" in e.value.en
    with pytest.raises(InputError):
        service.score_entry(session, comp, e2, j2, {"value": 5})
    board = service.leaderboard(session, comp)
    assert [r["team"] for r in board["rows"]] == ["城脑队", "数治队"]
    assert board["rows"][0]["rubric_score"] == pytest.approx(93.3333, abs=1e-3)
    assert board["rows"][1]["rubric_score"] == pytest.approx(80.0) and board["rows"][1]["judges"] == 2
    assert board["rows"][1]["criteria"] == {"value": 9.0, "innovation": 3.0}
