"""Web pages and JSON API over a real app (TestClient), including the no-leak check for hidden answers."""

import json
from datetime import UTC, datetime, timedelta

from moli.core.db import session_scope
from moli.events import demo, service
from tests.events.helpers import jsonl, write_competition


def _create(tmp_path, **kw):
    path, answers = write_competition(tmp_path, **kw)
    with session_scope() as s:
        service.create_competition_from_yaml(s, path)
    return answers


def test_competition_end_to_end_in_the_browser(client, login, tmp_path):
    answers = _create(tmp_path, slug="web-cls")
    r = client.get("/events/competitions/web-cls")
    assert r.status_code == 200 and "测试分类赛" in r.text and "登录后参赛" in r.text
    login(client)
    r = client.post("/events/competitions/web-cls/team", data={"name": "网页队"}, follow_redirects=True)
    assert r.status_code == 200 and "网页队" in r.text and 'id="quota"' in r.text
    data = client.get("/events/competitions/web-cls/data/test_inputs.jsonl")
    assert data.status_code == 200 and len(data.text.splitlines()) == 40 and "label" not in data.text
    half = {k: (v if i % 2 else "wrong") for i, (k, v) in enumerate(answers.items())}
    r = client.post("/events/competitions/web-cls/submit", files={"file": ("preds.jsonl", jsonl(half))},
                    follow_redirects=True)
    assert r.status_code == 200 and "已评分 <small>scored</small>" in r.text and "preds.jsonl" in r.text
    bad = client.post("/api/v1/events/competitions/web-cls/submissions",
                      files={"file": ("bad.jsonl", b'{"id": "nope", "label": "x"}\n')})
    assert bad.status_code == 422 and bad.json()["status"] == "rejected" and "unknown ids" in bad.json()["reason"]
    ok = client.post("/api/v1/events/competitions/web-cls/submissions", files={"file": ("p.jsonl", jsonl(answers))})
    assert ok.status_code == 200 and ok.json()["status"] == "scored" and ok.json()["public_score"] == 1.0
    mine = client.get("/api/v1/events/competitions/web-cls/submissions").json()
    assert mine["team"] == "网页队" and [s["status"] for s in mine["submissions"]] == ["scored", "rejected", "scored"]
    board = client.get("/api/v1/events/competitions/web-cls/leaderboard").json()
    assert board["rows"][0]["team"] == "网页队" and board["rows"][0]["public_score"] == 1.0
    assert board["rows"][0]["submissions"] == 2
    r = client.get("/api/v1/events/competitions/web-cls/leaderboard?private=1")
    assert r.status_code == 403 and "private board" in r.json()["error"]
    page = client.get("/events/competitions/web-cls/leaderboard")
    assert "网页队" in page.text and "私有榜在比赛结束后公布" in page.text
    first = mine["submissions"][-1]["submission_id"]
    r = client.post(f"/events/competitions/web-cls/submissions/{first}/select", data={"selected": "1"},
                    follow_redirects=True)
    assert r.status_code == 200 and "已选" in r.text
    assert [s["selected"] for s in client.get("/api/v1/events/competitions/web-cls/submissions").json()["submissions"]] \
        == [False, False, True]


def test_private_board_for_staff(client, login, tmp_path):
    answers = _create(tmp_path, slug="staff-cls")
    with session_scope() as s:
        comp = service.get_competition(s, "staff-cls")
        t = service.create_team(s, comp, "甲")
        s.commit()
        service.score_submission(s, service.submit(s, comp, t, jsonl(answers)).id)
    login(client, role="staff")
    r = client.get("/events/competitions/staff-cls/leaderboard?private=1")
    assert r.status_code == 200 and "私有榜得分" in r.text and "1.00000" in r.text


def test_hidden_answers_never_leave_the_server(client, login, tmp_path):
    answers = _create(tmp_path, slug="leak-cls", unique_labels=True)
    with session_scope() as s:
        demo.load(s)
    login(client)
    client.post("/events/competitions/leak-cls/team", data={"name": "探针队"})
    client.post("/api/v1/events/competitions/leak-cls/submissions",
                files={"file": ("p.jsonl", jsonl({k: "guess" for k in answers}))})
    # every GET route of the feature, with its path parameters filled in
    fill = {"slug": "leak-cls", "name": "test_inputs.jsonl", "token": "no-such-token"}
    urls = {"/api/openapi.json", "/events?month=2026-12", "/api/v1/events/competitions/leak-cls/leaderboard?private=1",
            "/events/competitions/leak-cls/leaderboard?private=1", "/events/waic-2025", "/api/v1/events/waic-2025"}
    from moli.events.views import router

    for route in router.routes:
        path = getattr(route, "path", "")
        if "GET" not in getattr(route, "methods", set()) or not path.startswith(("/events", "/api/v1/events")):
            continue
        urls.add(path.format(**fill))
    assert len(urls) >= 16
    for url in sorted(urls):
        r = client.get(url)
        assert r.status_code in (200, 403, 404), url  # 403: judges' page, private board; 404: unknown token/event
        assert "SECRET-" not in r.text, f"hidden label leaked by {url}"
    # the demo competition's hidden test labels: no id/label pair of the answers appears anywhere
    demo_answers = [json.loads(x) for x in (demo.DEMO_CLS / "answers.jsonl").read_text().splitlines()]
    blob = "".join(client.get(u).text for u in ("/events/competitions/demo-cls",
                                                "/events/competitions/demo-cls/data/test_inputs.jsonl",
                                                "/events/competitions/demo-cls/data/train.jsonl"))
    assert not any(f'"id": "{a["id"]}", "label"' in blob for a in demo_answers)
    test_inputs = client.get("/events/competitions/demo-cls/data/test_inputs.jsonl").text.splitlines()
    assert len(test_inputs) == len(demo_answers)
    assert all(set(json.loads(line)) == {"id", "text"} for line in test_inputs)


def test_event_pages_registration_waitlist_ics_and_slots(client, login):
    start = (datetime.now(UTC) + timedelta(days=30)).astimezone(service.SHANGHAI).replace(hour=14, minute=0, second=0,
                                                                                          microsecond=0)
    with session_scope() as s:  # a month ahead: registration closes once the event has started
        ev = service.create_event(s, {"slug": "salon-web", "title": "模力浦东行·沙龙", "venue": "张江",
                                      "starts_at": start.isoformat(), "capacity": 1}, publish=True)
        s.flush()
        service.add_slots(s, ev, service.to_utc(ev.starts_at), 30, 2)
    r = client.get("/events")
    assert r.status_code == 200 and "模力浦东行·沙龙" in r.text and start.strftime("%Y年%m月") in r.text
    ics = client.get("/events/calendar.ics")
    assert ics.headers["content-type"].startswith("text/calendar") and "BEGIN:VEVENT" in ics.text
    assert "salon-web@moli" in ics.text
    login(client, org="企业甲")
    r = client.post("/events/salon-web/register", data={"note": ""}, follow_redirects=True)
    assert "你已报名成功" in r.text
    r = client.get("/events/salon-web")
    slot_ids = [s["id"] for s in client.get("/api/v1/events/salon-web").json()["slots"]]
    r = client.post(f"/events/slots/{slot_ids[0]}/book", data={"project_title": "政务大模型"}, follow_redirects=True)
    assert "政务大模型" in r.text and "企业甲" in r.text
    login(client, org="企业乙")
    r = client.post("/events/salon-web/register", data={"note": ""}, follow_redirects=True)
    assert "候补名单第 1 位" in r.text
    r = client.post(f"/events/slots/{slot_ids[0]}/book", data={"project_title": "抢占"})
    assert r.status_code == 409 and "已被预约" in r.text


def _judged_competition(s, client, login, team_name):
    """The demo's judged competition with the logged-in user as its judge, and a new team in it."""
    demo.load(s)
    s.commit()
    judge = login(client, org="评审专家")
    comp = service.get_competition(s, "demo-data-x-city")
    service.add_judge(s, comp, judge, admin=True)
    return comp, service.create_team(s, comp, team_name)


def test_judges_page_scores_and_board(client, login, tmp_path):
    with session_scope() as s:
        comp, team = _judged_competition(s, client, login, "城市大脑队")
        entry = service.submit_entry(s, comp, team, "一网统管助手")
        s.flush()
        entry_id = entry.id
    r = client.get("/events/competitions/demo-data-x-city/judge")
    assert r.status_code == 200 and "一网统管助手" in r.text and "应用价值" in r.text
    r = client.post(f"/events/competitions/demo-data-x-city/entries/{entry_id}/score",
                    data={"value": "10", "data_role": "5", "innovation": "10", "scalability": "5"},
                    follow_redirects=True)
    assert r.status_code == 200 and "75.00" in r.text  # (3*1 + 3*.5 + 2*1 + 2*.5) / 10 = 75
    board = client.get("/api/v1/events/competitions/demo-data-x-city/leaderboard").json()
    assert board["rows"][0]["rubric_score"] == 75.0 and board["rows"][0]["judges"] == 1
    login(client, org="路人")
    assert client.get("/events/competitions/demo-data-x-city/judge").status_code == 403


def test_staff_creates_competition_and_event_in_the_browser(client, login, tmp_path):
    path, answers = write_competition(tmp_path, slug="upload-cls")
    files = [("spec", ("comp.yaml", path.read_bytes())),
             ("files", ("answers.jsonl", (tmp_path / "answers.jsonl").read_bytes())),
             ("files", ("inputs.jsonl", (tmp_path / "inputs.jsonl").read_bytes()))]
    login(client)  # an enterprise account may not
    assert client.post("/events/manage/competitions", files=files).status_code == 403
    login(client, role="staff")
    assert "新建赛事" in client.get("/events/manage").text
    missing = client.post("/events/manage/competitions", files=files[:2])
    assert missing.status_code == 400 and "inputs.jsonl" in missing.text  # the data file was not uploaded
    r = client.post("/events/manage/competitions", files=files, follow_redirects=True)
    assert r.status_code == 200 and "测试分类赛" in r.text and str(r.url).endswith("/events/competitions/upload-cls")
    with session_scope() as s:
        assert service.get_competition(s, "upload-cls").n_answers == len(answers)
    r = client.post("/events/manage/events", data={
        "slug": "salon-2026-12", "title": "模力浦东行·语料沙龙", "starts_at": "2026-12-20T14:00",
        "ends_at": "2026-12-20T16:00", "venue": "张江", "capacity": "30", "tags": "topic:语料、scenario:7",
        "publish": "1", "slots": "3", "slot_minutes": "15"}, follow_redirects=True)
    assert r.status_code == 200 and "模力浦东行·语料沙龙" in r.text and "2026-12-20 14:00" in r.text
    info = client.get("/api/v1/events/salon-2026-12").json()
    assert info["starts_at"] == "2026-12-20T14:00:00+08:00" and info["tags"] == ["topic:语料", "scenario:7"]
    assert len(info["slots"]) == 3 and info["capacity"] == 30
    bad = client.post("/events/manage/events", data={"slug": "bad-1", "title": "无地点", "publish": "1"})
    assert bad.status_code == 400 and "venue" in bad.text


def test_team_invitation_through_the_pages(client, login, tmp_path):
    _create(tmp_path, slug="team-cls")
    from tests.conftest import make_user

    friend = make_user(org="Org F")
    login(client, org="Org C")
    client.post("/events/competitions/team-cls/team", data={"name": "邀请队"})
    r = client.post("/events/competitions/team-cls/invite", data={"email": friend.email})
    assert r.status_code == 200 and 'id="invite-link"' in r.text
    link = r.text.split('id="invite-link"', 1)[1].split("<code>", 1)[1].split("</code>", 1)[0]
    assert link.startswith("/events/invitations/")
    login(client, email=friend.email.replace("@", "+x@"), org="Org X")  # someone else may not use it
    assert client.post(link).status_code == 403
    from tests.conftest import TEST_PASSWORD

    client.post("/login", data={"email": friend.email, "password": TEST_PASSWORD, "next": "/"})
    client.headers["X-CSRF-Token"] = client.cookies.get("moli_csrf")
    assert "接受邀请" in client.get(link).text
    r = client.post(link, follow_redirects=True)
    assert r.status_code == 200 and "邀请队" in r.text and "2 人" in r.text


def test_month_grid_calendar_page(client):
    with session_scope() as s:
        demo.load(s)
    r = client.get("/events?month=2025-07")
    assert r.status_code == 200 and "2025年7月" in r.text
    grid = r.text.split('id="month-grid"', 1)[1].split("</table>", 1)[0]
    assert grid.count("2025世界人工智能大会") == 3  # 26, 27 and 28 July
    assert "2024世界人工智能大会" not in grid
    assert client.get("/events?month=2025-13").status_code == 400
    assert client.get("/events?month=july").status_code == 400



def test_event_list_puts_upcoming_months_first_and_past_ones_latest_first(client):
    from datetime import UTC, datetime, timedelta

    with session_scope() as s:
        demo.load(s)
        soon = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        service.create_event(s, {"slug": "next-month", "title": "下月沙龙", "starts_at": soon, "online": True}, publish=True)
        evs = service.list_events(s)
        upcoming, past, _ = service.events_by_month(evs, now=datetime(2025, 7, 27, tzinfo=UTC))
        # WAIC 2025 runs 26-28 July: not over on the 27th; WAIC 2024 is
        assert list(upcoming)[0] == "2025年07月" and "2024年07月" in past
        assert list(past) == sorted(past, reverse=True) and list(upcoming) == sorted(upcoming)  # latest past first
    page = client.get("/events").text  # today: both WAICs are past, next month's salon is not
    upcoming_html = page.split('id="upcoming-events"', 1)[1].split('id="past-events"', 1)[0]
    past_html = page.split('id="past-events"', 1)[1]
    assert "下月沙龙" in upcoming_html and "2025世界人工智能大会" not in upcoming_html
    assert "2025世界人工智能大会" in past_html
    assert past_html.index("2025世界人工智能大会") < past_html.index("2024世界人工智能大会")


def test_uploaded_yaml_cannot_reach_server_files(client, login, tmp_path):
    import yaml

    path, _ = write_competition(tmp_path, slug="evil-cls")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["data"] = [{"name": "passwd.txt", "path": "/etc/passwd"}]
    login(client, role="staff")
    r = client.post("/events/manage/competitions", files=[
        ("spec", ("comp.yaml", yaml.safe_dump(raw).encode())),
        ("files", ("answers.jsonl", (tmp_path / "answers.jsonl").read_bytes()))])
    assert r.status_code == 400 and "outside the uploaded files" in r.text
    assert client.get("/events/competitions/evil-cls").status_code == 404


def test_event_tags_link_scenarios_competitions_and_filter(client):
    with session_scope() as s:
        demo.load(s)
        service.create_event(s, {"slug": "match-1", "title": "场景对接会", "online": True,
                                 "tags": ["scenario:gov-qa", "enterprise:浦东模型公司", "topic:语料"]}, publish=True)
    page = client.get("/events/match-1").text
    assert 'href="/market/scenarios/gov-qa"' in page and "场景：gov-qa" in page
    assert "/events?tag=enterprise%3A" in page
    assert 'href="/events/competitions/demo-data-x-city"' in client.get("/events/data-x-shanghai-2025").text
    filtered = client.get("/api/v1/events", params={"tag": "enterprise:浦东模型公司"}).json()["events"]
    assert [e["slug"] for e in filtered] == ["match-1"]
    r = client.get("/events", params={"tag": "topic:语料"})
    assert 'id="tag-filter"' in r.text and "场景对接会" in r.text and "2025世界人工智能大会" not in r.text


def test_registration_json_api_with_waitlist_promotion(client, login):
    with session_scope() as s:
        service.create_event(s, {"slug": "api-salon", "title": "接口沙龙", "online": True, "capacity": 1}, publish=True)
    first = login(client, org="甲")
    assert client.post("/api/v1/events/api-salon/registration").json()["status"] == "registered"
    login(client, org="乙")
    r = client.post("/api/v1/events/api-salon/registration").json()
    assert r["status"] == "waitlisted" and r["waitlist_position"] == 1 and r["registered"] == 1
    from tests.conftest import TEST_PASSWORD

    client.post("/login", data={"email": first.email, "password": TEST_PASSWORD, "next": "/"})
    client.headers["X-CSRF-Token"] = client.cookies.get("moli_csrf")
    r = client.delete("/api/v1/events/api-salon/registration").json()
    assert r["status"] == "cancelled" and r["promoted_user_id"] is not None and r["registered"] == 1
    assert client.delete("/api/v1/events/api-salon/registration").status_code == 404


def test_home_page_counts_events(client):
    with session_scope() as s:
        demo.load(s)
        expected = service.home_counts(s)
    assert expected["活动 / Events"] == 8 and expected["赛事 / Competitions"] == 2
    home = client.get("/").text
    section = home.split('id="feature-events"', 1)[1].split("</section>", 1)[0]
    assert '<span class="value">8</span><span class="label">活动 <small>Events</small>' in section
    assert '<span class="value">2</span><span class="label">赛事 <small>Competitions</small>' in section


def test_entry_link_never_runs_script_in_a_judges_session(client, login):
    import pytest

    from moli.core.errors import InputError

    with session_scope() as s:
        comp, team = _judged_competition(s, client, login, "链接队")
        with pytest.raises(InputError, match="http"):
            service.submit_entry(s, comp, team, "作品", url="javascript:alert(document.cookie)")
        entry = service.submit_entry(s, comp, team, "作品", url="https://example.org/demo")
        s.flush()
        entry.url = "JaVa\tScript:alert(1)"  # stored before links were checked
    page = client.get("/events/competitions/demo-data-x-city/judge").text
    assert "作品" in page and 'href="#"' in page and "JaVa\tScript:alert(1)</a>" in page
    assert 'href="JaVa' not in page
