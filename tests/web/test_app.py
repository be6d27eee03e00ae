"""The web shell: pages, errors, CSRF, size limits, accounts, jobs, through the real app."""

from sqlalchemy import func, select

from moli.core.db import session_scope
from moli.core.models import Organisation, User
from tests.conftest import TEST_PASSWORD, make_user


def test_fresh_home_is_migrated_and_serves_health_home_docs(client):
    assert client.get("/healthz").json()["status"] == "ok"
    home = client.get("/")
    assert home.status_code == 200
    body = home.text
    for zh, en in [("首页", "Home"), ("语料库", "Corpora"), ("数据跨境", "Cross-border"), ("供需对接", "Market"),
                   ("企业出海", "Going overseas"), ("活动赛事", "Events"), ("任务", "Jobs")]:
        assert f"{zh} <small>{en}</small>" in body
    assert "/api/v1/jobs/{job_id}" in client.get("/api/openapi.json").json()["paths"]
    assert client.get("/static/moli.css").headers["content-type"].startswith("text/css")


def test_api_reference_lists_every_json_endpoint_without_outside_scripts(client):
    import re

    spec = client.get("/api/openapi.json").json()
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "接口文档" in docs.text
    # the Swagger page loaded its script from a CDN and stayed blank on a closed network
    assert not re.search(r'<script[^>]+src="https?://', docs.text) and "cdn." not in docs.text
    listed = set(re.findall(r'data-method="(\w+)" data-path="([^"]+)"', docs.text))
    wanted = {(m.upper(), p) for p, item in spec["paths"].items() if p.startswith(("/api/", "/v1/"))
              for m in item if m in ("get", "post", "put", "patch", "delete")}
    assert listed == wanted and len(wanted) > 20 and ("POST", "/v1/chat/completions") in wanted
    # a named request body shows its fields; descriptions lose their reST quoting
    submit = docs.text.split('data-path="/api/v1/events/competitions/{slug}/submissions"')
    post = next(part for part in submit[1:] if "POST" in part.split("</h3>")[0])
    assert "multipart/form-data" in post.split("</article>")[0] and "<code>file</code>" in post.split("</article>")[0]
    assert "``" not in docs.text
    assert client.get("/static/moli.css").headers["content-type"].startswith("text/css")


def test_home_cards_link_to_each_feature_and_its_main_actions(client):
    import re

    home = client.get("/").text
    cards = re.findall(r'<section class="card feature" id="feature-(\w+)">(.*?)</section>', home, re.S)
    assert {name for name, _ in cards} >= {"corpus", "crossborder", "market", "outbound", "events", "federation"}
    for name, body in cards:
        links = re.findall(r'href="(/[^"]*)"', body)
        assert len(links) >= 2, name  # the heading and at least one action
        for href in links:  # no dead link: a page, or the way to log in
            r = client.get(href, follow_redirects=False)
            assert r.status_code in (200, 303), (name, href, r.status_code)


def test_home_shows_real_counts(client):
    make_user(org="Org A")
    make_user(org="Org B")
    html = client.get("/").text
    import re

    m = re.search(r'<span class="value">([\d,]+)</span><span class="label">用户 <small>Users', html)
    assert m and m.group(1) == "2"


def test_protected_page_redirects_anonymous_to_login_and_api_says_401(client):
    r = client.get("/jobs", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/jobs")
    api = client.get("/api/v1/jobs")
    assert api.status_code == 401 and api.json()["error_zh"] == "请先登录"


def test_register_login_logout_flow(client):
    r = client.post("/register", data={"email": "li@example.com", "password": "password-1",
                                       "password2": "password-1", "organisation": "张江智算有限公司",
                                       "display_name": "李雷"}, follow_redirects=False)
    assert r.status_code == 303
    cookie = [h for h in r.headers.get_list("set-cookie") if h.startswith("moli_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    me = client.get("/api/v1/me").json()
    assert me["email"] == "li@example.com" and me["organisation"] == "张江智算有限公司"
    assert "李雷" in client.get("/").text
    assert client.post("/logout", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me").status_code == 401
    ok = client.post("/login", data={"email": "LI@example.com", "password": "password-1"}, follow_redirects=False)
    assert ok.status_code == 303 and client.get("/api/v1/me").status_code == 200


def test_wrong_password_and_unknown_user_look_the_same(client):
    user = make_user()
    wrong = client.post("/login", data={"email": user.email, "password": "nope-nope"})
    unknown = client.post("/login", data={"email": "ghost@example.com", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert "邮箱或密码错误" in wrong.text and "wrong e-mail or password" in wrong.text
    assert wrong.text.replace(user.email, "X").count("邮箱或密码错误") == unknown.text.count("邮箱或密码错误")


def test_login_rate_limited_per_account(client):
    user = make_user()
    for _ in range(5):
        assert client.post("/login", data={"email": user.email, "password": "bad-password"}).status_code == 401
    r = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert r.status_code == 429 and "登录失败次数过多" in r.text


def test_duplicate_registration_message(client):
    data = {"email": "dup@example.com", "password": "password-1", "password2": "password-1", "organisation": "Dup"}
    assert client.post("/register", data=data, follow_redirects=False).status_code == 303
    client.post("/logout")
    again = client.post("/register", data={**data, "organisation": "Other"})
    assert again.status_code == 409 and "该邮箱已注册" in again.text and "already registered" in again.text
    with session_scope() as s:
        assert s.scalar(select(func.count(Organisation.id)).where(Organisation.name == "Other")) == 0


def test_forged_or_missing_csrf_token_is_refused(client):
    del client.headers["X-CSRF-Token"]
    data = {"email": "x@example.com", "password": "password-1", "password2": "password-1", "organisation": "X"}
    missing = client.post("/register", data=data)
    forged = client.post("/register", data={**data, "csrf_token": "forged.token"})
    assert missing.status_code == forged.status_code == 403
    assert "安全校验失败" in forged.text and "CSRF" in forged.text
    good = client.post("/register", data={**data, "csrf_token": client.cookies["moli_csrf"]}, follow_redirects=False)
    assert good.status_code == 303
    # JSON call with the session cookie and no header → 403 JSON
    r = client.post("/jobs/table-counts", headers={"Accept": "application/json"})
    assert r.status_code == 403 and r.json()["field"] == "csrf_token"
    with session_scope() as s:
        assert s.scalar(select(func.count(User.id))) == 1


def test_ten_megabyte_form_field_gets_413_and_nothing_written(client):
    big = "字" * (10 * 1024 * 1024 // 3)
    r = client.post("/register", data={"email": "big@example.com", "password": "password-1",
                                       "password2": "password-1", "organisation": big})
    assert r.status_code == 413 and "过大" in r.text and "too large" in r.text
    r2 = client.post("/register", files={"organisation": (None, big)},
                     data={"email": "big@example.com", "password": "password-1", "password2": "password-1"})
    assert r2.status_code == 413
    with session_scope() as s:
        assert s.scalar(select(func.count(User.id))) == 0


def test_job_page_and_other_organisation_refused(client, login):
    login(client, org="Org A")
    r = client.post("/jobs/table-counts", follow_redirects=False)
    assert r.status_code == 303
    job_url = r.headers["location"]
    page = client.get(job_url)
    assert page.status_code == 200 and "已完成 succeeded" in page.text
    job_id = int(job_url.rsplit("/", 1)[1])
    data = client.get(f"/api/v1/jobs/{job_id}").json()
    assert data["status"] == "succeeded" and data["result"]["tables"]["users"] == 1
    events = client.get(f"/api/v1/jobs/{job_id}/events")
    assert events.headers["content-type"].startswith("text/event-stream") and '"succeeded"' in events.text
    client.post("/logout")
    login(client, org="Org B")
    refused = client.get(job_url)
    assert refused.status_code == 403 and "无权查看该记录" in refused.text
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 403
    assert "jobs-table" not in client.get("/jobs").text
    assert client.get("/api/v1/jobs").json()["jobs"] == []


def test_staff_sees_every_job(client, login):
    login(client, org="Org A")
    job_url = client.post("/jobs/table-counts", follow_redirects=False).headers["location"]
    client.post("/logout")
    login(client, role="staff")
    assert client.get(job_url).status_code == 200
    assert len(client.get("/api/v1/jobs").json()["jobs"]) == 1
    assert "<td>Org A</td>" in client.get("/jobs").text


def test_expired_session_says_so(client, monkeypatch):
    from moli.core import accounts

    make_user(email="old@example.com")
    client.post("/login", data={"email": "old@example.com", "password": TEST_PASSWORD})
    assert client.get("/api/v1/me").status_code == 200
    monkeypatch.setitem(accounts.security_rules()["session"], "max_age_seconds", -1)
    r = client.get("/api/v1/me")
    assert r.status_code == 401 and "登录已过期" in r.json()["error_zh"]


def test_open_redirect_is_refused(client):
    make_user(email="nav@example.com")
    r = client.post("/login", data={"email": "nav@example.com", "password": TEST_PASSWORD,
                                    "next": "https://evil.example/"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_unknown_page_is_bilingual_404(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "页面不存在" in r.text and "page not found" in r.text
    assert client.get("/api/v1/nothing").json()["error_zh"] == "页面不存在"


def test_organisations_visible_by_role(client, login):
    a = login(client, org="Org A")
    make_user(org="Org B")
    orgs = client.get("/api/v1/organisations").json()["organisations"]
    assert [o["name"] for o in orgs] == ["Org A"] and [m["email"] for m in orgs[0]["members"]] == [a.email]
    page = client.get("/account")
    assert page.status_code == 200 and "Org A" in page.text and "Org B" not in page.text
    client.post("/logout")
    login(client, role="staff")
    names = [o["name"] for o in client.get("/api/v1/organisations").json()["organisations"]]
    assert names == ["Org A", "Org B"]


def test_staff_add_member_to_existing_org_and_member_logs_in(client, login):
    login(client, org="Org A")
    refused = client.post("/account/members", data={"email": "x@example.com", "organisation": "Org A"})
    assert refused.status_code == 403
    client.post("/logout")
    login(client, role="staff")
    r = client.post("/account/members", data={"email": "new@example.com", "organisation": "Org A",
                                              "role": "enterprise"})
    assert r.status_code == 200 and "只显示这一次" in r.text
    import re

    password = re.search(r'<code id="new-password">([^<]+)</code>', r.text).group(1)
    dup = client.post("/account/members", data={"email": "new@example.com", "organisation": "Org A"})
    assert dup.status_code == 409 and "该邮箱已注册" in dup.text
    bad_role = client.post("/account/members", data={"email": "boss@example.com", "organisation": "", "role": "admin"})
    assert bad_role.status_code == 403
    client.post("/logout")
    ok = client.post("/login", data={"email": "new@example.com", "password": password}, follow_redirects=False)
    assert ok.status_code == 303
    assert client.get("/api/v1/me").json()["organisation"] == "Org A"


def test_rate_limit_holds_across_two_app_instances(client):
    """Failures counted by one worker process's app are seen by another's (the limit lives in the DB)."""
    from fastapi.testclient import TestClient

    from moli.web.app import create_app

    user = make_user()
    with TestClient(create_app()) as other:
        other.get("/healthz")
        other.headers["X-CSRF-Token"] = other.cookies.get("moli_csrf")
        for i in range(5):
            c = client if i % 2 == 0 else other
            assert c.post("/login", data={"email": user.email, "password": "bad-password"}).status_code == 401
        assert other.post("/login", data={"email": user.email, "password": TEST_PASSWORD}).status_code == 429
        assert client.post("/login", data={"email": user.email, "password": TEST_PASSWORD}).status_code == 429


def test_logout_ends_this_session_and_copies_of_its_cookie(client, login):
    """A cookie copied before log-out (stolen, say) no longer works afterwards."""
    from fastapi.testclient import TestClient

    from moli.web.app import create_app

    login(client)
    stolen = client.cookies.get("moli_session")
    with TestClient(create_app()) as other:
        other.cookies.set("moli_session", stolen)
        assert other.get("/api/v1/me").status_code == 200
        assert client.post("/logout", follow_redirects=False).status_code == 303
        assert other.get("/api/v1/me").status_code == 401


def test_password_reset_link_works_once_and_ends_old_sessions(client, moli_home):
    from typer.testing import CliRunner

    from moli.cli import app

    user = make_user(email="reset@example.com")
    assert client.post("/login", data={"email": user.email, "password": TEST_PASSWORD}).status_code == 200
    assert client.get("/api/v1/me").status_code == 200
    out = CliRunner().invoke(app, ["users", "reset-link", "--email", "RESET@example.com", "--base-url", "https://moli.example/"])
    assert out.exit_code == 0, out.output
    url = out.output.strip().splitlines()[-1]
    assert url.startswith("https://moli.example/reset/")
    path = url.removeprefix("https://moli.example")
    page = client.get(path)
    assert page.status_code == 200 and "reset@example.com" in page.text and 'id="reset-form"' in page.text
    differ = client.post(path, data={"password": "new-password-1", "password2": "new-password-2"})
    assert differ.status_code == 400 and "两次输入的密码不一致" in differ.text and 'id="reset-form"' in differ.text
    short = client.post(path, data={"password": "short", "password2": "short"})
    assert short.status_code == 400 and 'id="reset-form"' in short.text  # the password rules, link still usable
    done = client.post(path, data={"password": "new-password-1", "password2": "new-password-1"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/login?reason=")
    assert client.get("/api/v1/me").status_code == 401  # the session opened with the old password has ended
    assert client.post("/login", data={"email": user.email, "password": TEST_PASSWORD}).status_code == 401
    assert client.post("/login", data={"email": user.email, "password": "new-password-1"}).status_code == 200
    used = client.post(path, data={"password": "other-password-1", "password2": "other-password-1"})
    assert used.status_code == 400 and "已使用或已失效" in used.text and 'id="reset-form"' not in used.text
    forged = client.get(path[:-3] + "abc")
    assert forged.status_code == 400 and "重设链接无效" in forged.text


def test_password_reset_link_expires(client, monkeypatch):
    from moli.core import accounts

    make_user(email="late@example.com")
    with session_scope() as s:
        _, token = accounts.reset_token(s, "late@example.com")
    monkeypatch.setitem(accounts.security_rules()["password_reset"], "max_age_seconds", -1)
    page = client.get(f"/reset/{token}")
    assert page.status_code == 400 and "已过期" in page.text and "expired" in page.text


def test_signed_in_browsers_are_listed_and_ended_one_by_one_or_all(client):
    from fastapi.testclient import TestClient

    from moli.core.models import UserSession
    from moli.web.app import create_app

    user = make_user(email="devices@example.com")
    creds = {"email": user.email, "password": TEST_PASSWORD}
    client.post("/login", data=creds, headers={"User-Agent": "Firefox on the office PC"})
    with TestClient(create_app()) as phone, TestClient(create_app()) as tablet:
        for other, agent in ((phone, "Safari on a phone"), (tablet, "Chrome on a tablet")):
            other.get("/healthz")
            other.headers["X-CSRF-Token"] = other.cookies.get("moli_csrf")
            other.post("/login", data=creds, headers={"User-Agent": agent})
            assert other.get("/api/v1/me").status_code == 200
        page = client.get("/account").text
        rows = page.split('id="session-table"')[1].split("</table>")[0]
        assert rows.count("<tr id=") == 3 and "Safari on a phone" in rows and "Chrome on a tablet" in rows
        assert rows.count("this-session") == 1 and "Firefox on the office PC" in rows.split("this-session")[0].rsplit("<tr", 1)[1]
        with session_scope() as s:
            phone_id = s.scalar(select(UserSession.id).where(UserSession.user_agent == "Safari on a phone"))
        assert client.post(f"/account/sessions/{phone_id}/end", follow_redirects=False).status_code == 303
        assert phone.get("/api/v1/me").status_code == 401  # ended from the office PC
        assert tablet.get("/api/v1/me").status_code == 200 and client.get("/api/v1/me").status_code == 200
        assert tablet.post("/logout", follow_redirects=False).status_code == 303  # log out one browser ...
        assert client.get("/api/v1/me").status_code == 200  # ... the others stay signed in
        phone.post("/login", data=creds)
        assert phone.get("/api/v1/me").status_code == 200
        r = client.post("/account/sessions/end-all", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert client.get("/api/v1/me").status_code == phone.get("/api/v1/me").status_code == 401
        with session_scope() as s:
            assert s.scalar(select(func.count(UserSession.id))) == 0
        # another user's session cannot be ended by guessing its id
        other_user = make_user(email="other@example.com")
        phone.post("/login", data={"email": other_user.email, "password": TEST_PASSWORD})
        client.post("/login", data=creds)
        with session_scope() as s:
            theirs = s.scalar(select(UserSession.id).where(UserSession.user_id == other_user.id))
        client.post(f"/account/sessions/{theirs}/end")
        assert phone.get("/api/v1/me").status_code == 200
