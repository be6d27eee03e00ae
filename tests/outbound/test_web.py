"""Web pages: the step-by-step pre-check form equals the CLI's JSON; knowledge-base search; directory."""

from __future__ import annotations

import html as htmllib
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml
from markupsafe import escape

FORM = {
    "investor_name": "浦东某大模型公司", "investor_type": "local", "province": "shanghai", "date": "2026-08-15",
    "amount_usd": "20,000,000", "destination_country": "HK", "industry": "人工智能大模型研发", "industry_codes": "",
    "route": "direct", "sensitive_country": "auto", "sensitive_industry": "auto", "tech_involved": "1",
    "tech_class": "", "tech_items": "语音合成引擎许可\n", "personal_info": "1", "co_investors": "浦东某投资公司",
}
PLAN = {
    "investor": {"name": "浦东某大模型公司", "type": "local", "province": "shanghai"},
    "investment": {"date": "2026-08-15", "amount_usd": 20000000, "destination_country": "HK",
                   "industry": "人工智能大模型研发", "route": "direct", "co_investors": ["浦东某投资公司"]},
    "technology_export": {"involved": True, "items": ["语音合成引擎许可"]},
    "data_export": {"personal_info": True},
}


def _cli_json(tmp_path) -> dict:
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(PLAN, allow_unicode=True), encoding="utf-8")
    moli = str(Path(sys.executable).parent / "moli")
    proc = subprocess.run([moli, "outbound", "precheck", "--plan", str(plan), "--json"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_form_checklist_equals_cli_json(client, tmp_path):
    assert "第 1 步" in client.get("/outbound/precheck").text
    r = client.post("/outbound/precheck", data={**FORM, "csrf_token": client.cookies.get("moli_csrf")})
    assert r.status_code == 200, r.text[:500]
    cli = _cli_json(tmp_path)
    html = r.text
    steps = re.findall(r'<li data-authority="(\w+)" data-action="(\w+)">', html)
    by_auth = {p["authority"]: p["action"] for p in cli["procedures"]}
    assert [a for a, _ in steps] == cli["order"] == ["TECH_EXPORT", "NDRC", "MOFCOM", "SAFE"]
    assert all(by_auth[a] == act for a, act in steps)
    for p in cli["procedures"]:
        for doc in p["documents"]:
            assert str(escape(doc)) in html
    for q in cli["open_questions"]:
        assert str(escape(q["text"])) in html
    embedded = re.search(r'<pre id="result-json">(.*?)</pre>', html, re.S).group(1)
    assert json.loads(htmllib.unescape(embedded)) == cli
    # ids are shown by their names (the page had shown "（local）", "Route：direct", "provincial")
    page = html.split('<pre id="result-json">')[0]
    assert "地方企业 local enterprise" in page and "Route：直接投资 direct" in page and "省级 provincial" in page
    api = client.post("/api/v1/outbound/precheck", json=PLAN)
    assert api.status_code == 200 and api.json() == cli


def test_form_bad_input_keeps_values(client):
    r = client.post("/outbound/precheck", data={**FORM, "amount_usd": "-5", "csrf_token": client.cookies.get("moli_csrf")})
    assert r.status_code == 400
    assert "investment.amount_usd" in r.text and "负数" in r.text and "negative" in r.text
    assert 'value="浦东某大模型公司"' in r.text
    r = client.post("/outbound/precheck", data={**FORM, "route": "direct", "funded_entirely_offshore": "true",
                                                "csrf_token": client.cookies.get("moli_csrf")})
    assert r.status_code == 400 and "矛盾" in r.text
    api = client.post("/api/v1/outbound/precheck", json={**PLAN, "investment": {**PLAN["investment"],
                                                                                 "destination_country": "XX"}})
    assert api.status_code == 400 and api.json()["field"] == "investment.destination_country"


def test_kb_search_page_and_document(client):
    r = client.get("/outbound/kb", params={"q": "语音合成技术出口需要许可吗"})
    assert r.status_code == 200
    slugs = re.findall(r'class="kb-hit" data-slug="([\w-]+)"', r.text)
    assert slugs[0] == "tech-export-ai"
    assert "https://wxredian.com/art?id=b56ccff9ec4c0de9cd69be511aaf81b8" in r.text
    r = client.get("/outbound/kb", params={"q": "备案", "country": "HK"})
    assert re.findall(r'data-slug="([\w-]+)"', r.text) == ["guide-hong-kong"]
    bad = client.get("/outbound/kb", params={"q": "备案", "date_from": "2024/1/1"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
    doc = client.get("/outbound/kb/tech-export-ai")
    assert doc.status_code == 200 and 'id="source-url"' in doc.text
    assert "<h1>把模型、算法带出去，算不算技术出口？</h1>" in doc.text
    # citation markers link to the source list, which gives each source's title and address
    guide = client.get("/outbound/kb/guide-malaysia").text
    assert '<a href="#src-S37">S37</a>' in guide and 'id="src-S37"' in guide
    assert "国别指南、设立公司、数据出境" in guide and "country_guide" not in guide  # topics by their names
    assert 'href="http://www.rfnc.com.cn/Item/4459.aspx"' in guide.split('id="citations"')[1]
    assert client.get("/outbound/kb/no-such-doc").status_code == 404
    api = client.get("/api/v1/outbound/kb/search", params={"q": "香港 控股平台"}).json()
    assert api["hits"][0]["slug"] == "guide-hong-kong" and api["hits"][0]["source_url"].startswith("http")


def test_directory_pages(client, login):
    import datetime as dt

    from moli.core.db import session_scope
    from moli.events import service as events
    from moli.outbound import demo

    with session_scope() as s:
        demo.load(s)
        events.create_event(s, {"slug": "pudong-roadshow", "title": "浦东出海路演日", "venue": "张江",
                                "starts_at": dt.datetime.now(dt.UTC) + dt.timedelta(days=7), "tags": ["roadshow"]},
                            publish=True)
    r = client.get("/outbound/directory")
    assert r.status_code == 200 and "Demo · Lion City Data Centres" in r.text and "/events?tag=roadshow" in r.text
    ent_id = re.search(r'<a href="/outbound/directory/(\d+)">示例·浦东智语大模型科技</a>', r.text).group(1)
    page = client.get(f"/outbound/directory/{ent_id}")
    names = re.findall(r'<li data-name="([^"]+)">', page.text)
    assert names[0] == "Demo · Lion City Data Centres" and "对方提供您寻找的" in page.text
    assert '<a href="/events/pudong-roadshow">浦东出海路演日</a>' in page.text
    api = client.get(f"/api/v1/outbound/enterprises/{ent_id}/matches").json()
    assert [m["name"] for m in api["matches"]] == names
    # Adding needs a login.
    form = {"name": "示例·新企业", "country": "CN", "is_local": "1", "offers": "翻译大模型", "seeks": "渠道 分销",
            "target_countries": "MY", "is_public": "1", "csrf_token": client.cookies.get("moli_csrf")}
    anon = client.post("/outbound/directory", data=form, follow_redirects=False)
    assert anon.status_code in (303, 401) and client.get("/outbound/directory").text.count("示例·新企业") == 0
    login(client)
    form["csrf_token"] = client.cookies.get("moli_csrf")
    r = client.post("/outbound/directory", data=form, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "Demo · KL Channel Partners" in page.text
    bad = client.post("/outbound/directory", data={**form, "name": "坏", "country": "QQ"})
    assert bad.status_code == 400 and "QQ" in bad.text


def test_kb_add_document_private_to_organisation(client, login):
    text = ("---\ntitle: 迪拜办公室选址笔记\nissuer: 甲公司\ndate: 2026-10-01\ncountry: AE\ntopics: [note]\n"
            "source_url: https://example.com/dubai\n---\n迪拜 办公室 选址 自由区 笔记\n")
    anon = client.post("/outbound/kb", data={"name": "dubai-note", "text": text,
                                             "csrf_token": client.cookies.get("moli_csrf")}, follow_redirects=False)
    assert anon.status_code in (303, 401) and "dubai-note" not in anon.headers.get("location", "")
    login(client, org="甲公司")
    token = client.cookies.get("moli_csrf")
    r = client.post("/outbound/kb", data={"name": "dubai-note", "text": text, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/outbound/kb/dubai-note"
    hits = client.get("/api/v1/outbound/kb/search", params={"q": "迪拜 办公室"}).json()["hits"]
    assert hits[0]["slug"] == "dubai-note" and hits[0]["source_url"] == "https://example.com/dubai"
    bad = client.post("/outbound/kb", data={"name": "bad-doc", "text": text.replace("2026-10-01", "2026-10-99"),
                                            "csrf_token": token})
    assert bad.status_code == 400 and "date" in bad.text and "2026-10-99" in bad.text
    taken = client.post("/outbound/kb", data={"name": "tech-export-ai", "text": text, "csrf_token": token})
    assert taken.status_code == 400 and "重名" in taken.text
    client.post("/logout", data={"csrf_token": client.cookies.get("moli_csrf")})
    client.cookies.clear()
    client.get("/healthz")
    client.headers["X-CSRF-Token"] = client.cookies.get("moli_csrf")
    anon_hits = client.get("/api/v1/outbound/kb/search", params={"q": "迪拜 办公室"}).json()["hits"]
    assert "dubai-note" not in [h["slug"] for h in anon_hits]
    assert client.get("/outbound/kb/dubai-note").status_code == 404


def test_form_nan_amount_is_refused_by_field(client):
    r = client.post("/outbound/precheck", data={**FORM, "amount_usd": "nan", "csrf_token": client.cookies.get("moli_csrf")})
    assert r.status_code == 400 and "investment.amount_usd" in r.text and "有限的数字" in r.text
    assert "规则集没有覆盖" not in r.text
