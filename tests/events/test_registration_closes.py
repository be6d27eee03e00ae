"""Registration closes once an event is over: its end, or its start when it has no end. An event
with no date yet stays open. The page then shows why instead of a register button."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from moli.core.db import session_scope
from moli.core.errors import InputError
from moli.events import demo, service
from tests.conftest import make_user

NOW = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)  # 16:00 Beijing time


def _ev(session, slug: str, **dates):
    ev = service.create_event(session, {"slug": slug, "title": "沙龙", "online": True, **dates}, publish=True)
    session.commit()
    return ev


def test_register_is_refused_after_the_end_or_else_the_start(session):
    user = make_user()
    ended = _ev(session, "ended", starts_at="2026-06-09T14:00:00+08:00", ends_at="2026-06-09T17:00:00+08:00")
    running = _ev(session, "running", starts_at="2026-06-09T09:00:00+08:00", ends_at="2026-06-11T17:00:00+08:00")
    started = _ev(session, "started", starts_at="2026-06-10T14:00:00+08:00")  # no end: closes at its start
    ahead = _ev(session, "ahead", starts_at="2026-06-10T17:00:00+08:00")
    undated = _ev(session, "undated")
    with pytest.raises(InputError) as e:
        service.register(session, ended, user, now=NOW)
    assert e.value.zh == "活动已于 2026-06-09 17:00（北京时间）结束，报名已截止" and e.value.field == "event"
    assert "registration is closed" in e.value.en
    with pytest.raises(InputError) as e:
        service.register(session, started, user, now=NOW)
    assert e.value.zh.startswith("活动已于 2026-06-10 14:00（北京时间）开始")
    for ev in (running, ahead, undated):  # still open
        assert service.register(session, ev, user, now=NOW).status == "registered"
    assert service.registration_counts(session, ended) == {"registered": 0, "waitlisted": 0}
    assert service.registration_open(ahead, NOW) and not service.registration_open(ahead, NOW + timedelta(hours=2))


def test_api_refuses_the_demo_event_that_ended_in_2024(client, login):
    with session_scope() as s:
        demo.load(s)
    login(client)
    assert client.get("/api/v1/events/waic-2024").json()["registration_open"] is False
    r = client.post("/api/v1/events/waic-2024/registration")
    assert r.status_code == 400, r.text[:300]
    body = r.json()
    assert body["error_zh"] == "活动已于 2024-07-06 18:00（北京时间）结束，报名已截止" and body["field"] == "event"
    assert "ended" in body["error"]
    assert client.get("/api/v1/events/waic-2024").json()["registered"] == 0
    r = client.post("/events/waic-2024/register", data={"note": ""})
    assert r.status_code == 400 and "报名已截止" in r.text


def test_the_page_of_an_ended_event_has_no_register_button(client, login):
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    with session_scope() as s:
        _ev(s, "past", starts_at="2024-07-04T09:00:00+08:00", ends_at="2024-07-06T18:00:00+08:00")
        _ev(s, "future", starts_at=start.isoformat())
    page = client.get("/events/past")  # anonymous: no "log in to register" either
    assert 'id="registration-closed"' in page.text and "/login?next=/events/past" not in page.text
    login(client)
    page = client.get("/events/past")
    assert page.status_code == 200 and 'id="register"' not in page.text and 'id="registration-closed"' in page.text
    assert "活动已于 2024-07-06 18:00（北京时间）结束，报名已截止" in page.text
    page = client.get("/events/future")
    assert 'id="register"' in page.text and 'id="registration-closed"' not in page.text
    assert client.post("/api/v1/events/future/registration").json()["status"] == "registered"
    assert client.get("/api/v1/events/future").json()["registration_open"] is True
