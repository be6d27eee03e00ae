"""The /federation page and its forms (TestClient on a migrated database): staff only for peers,
CSRF enforced, bad input re-renders the form with a bilingual error and writes nothing."""

import re

from moli.core.db import session_scope
from moli.federation import service

from .conftest import StaticServer, make_identity


def test_anyone_browses_staff_manages(client, login):
    page = client.get("/federation")
    assert page.status_code == 200 and "平台互联" in page.text and "Federation" in page.text
    assert 'id="peer-form"' not in page.text  # anonymous: no form
    node = client.get("/api/v1/federation/node").json()
    assert node["public_key"] in page.text

    login(client, role="enterprise")
    assert 'id="peer-form"' not in client.get("/federation").text
    r = client.post("/federation/peers", data={"name": "sh", "url": "http://127.0.0.1:9"}, follow_redirects=False)
    assert r.status_code == 403
    with session_scope() as s:
        assert service.list_peers(s) == []


def test_staff_adds_and_removes_a_peer(client, login):
    login(client, role="staff")
    page = client.get("/federation")
    assert 'id="peer-form"' in page.text and 'name="csrf_token"' in page.text
    key = make_identity().public_key
    r = client.post("/federation/peers", data={"name": "shanghai", "url": "http://127.0.0.1:9/", "public_key": key},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/federation"
    page = client.get("/federation").text
    assert "shanghai" in page and "http://127.0.0.1:9" in page and "尚未同步" in page
    home = client.get("/").text.split('id="feature-federation"')[1].split("</section>")[0]
    assert '<span class="value">1</span><span class="label">对等节点 ' in home

    # bad input: re-rendered with both languages, the typed values kept, nothing written
    r = client.post("/federation/peers", data={"name": "bad", "url": "ftp://x", "public_key": ""})
    assert r.status_code == 400 and "节点地址无效" in r.text and "invalid node URL" in r.text and 'value="ftp://x"' in r.text
    r = client.post("/federation/peers", data={"name": "shanghai", "url": "http://127.0.0.1:10"})
    assert r.status_code == 400 and "already exists" in r.text
    with session_scope() as s:
        assert [(p.name, p.url) for p in service.list_peers(s)] == [("shanghai", "http://127.0.0.1:9")]

    # without the CSRF token the post is refused
    token = client.headers.pop("X-CSRF-Token")
    r = client.post("/federation/peers/shanghai/remove", follow_redirects=False)
    assert r.status_code == 403
    client.headers["X-CSRF-Token"] = token
    r = client.post("/federation/peers/shanghai/remove", follow_redirects=False)
    assert r.status_code == 303
    with session_scope() as s:
        assert service.list_peers(s) == []

    # a Chinese peer name survives the round trip through the page's remove form
    client.post("/federation/peers", data={"name": "上海市", "url": "http://127.0.0.1:9"})
    action = re.search(r'action="(/federation/peers/[^"]+/remove)"', client.get("/federation").text).group(1)
    assert client.post(action, follow_redirects=False).status_code == 303
    with session_scope() as s:
        assert service.list_peers(s) == []


def test_pull_button_runs_the_job(client, login):
    node = make_identity("peer")
    from moli.federation.identity import FORMAT, sign_document

    doc = sign_document({"format": FORMAT, "node": node.public_dict(), "generated_at": "2026-11-30T10:00:00+00:00",
                         "entries": [{"kind": "corpus", "name": "气象语料", "version": "2", "domain": "meteorology",
                                      "path": "/corpus/%E6%B0%94%E8%B1%A1"}]}, node)
    srv = StaticServer(doc)
    try:
        login(client, role="staff")
        client.post("/federation/peers", data={"name": "peer", "url": srv.url})
        r = client.post("/federation/pull", data={}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
        job = client.get("/api/v1/jobs/" + r.headers["location"].rsplit("/", 1)[1]).json()
        assert job["kind"] == "federation.pull" and job["status"] == "succeeded", job
        assert job["result"]["failed"] == [] and job["result"]["syncs"][0]["added"] == 1
        page = client.get("/federation", params={"q": "meteo"}).text
        assert "气象语料" in page and f'href="{srv.url}/corpus/%E6%B0%94%E8%B1%A1"' in page
        assert "最近同步" in page  # staff see the sync log
        items = client.get("/api/v1/federation/remote", params={"kind": "corpus"}).json()["items"]
        assert [(i["name"], i["peer"], i["url"]) for i in items] == [("气象语料", "peer", srv.url + "/corpus/%E6%B0%94%E8%B1%A1")]
        r = client.get("/api/v1/federation/remote", params={"kind": "dataset"})
        assert r.status_code == 400 and r.json()["field"] == "kind"
    finally:
        srv.close()


def test_json_api_for_peers_and_pull(client, login):
    login(client, role="enterprise")
    assert client.post("/api/v1/federation/peers", json={"name": "sh", "url": "http://127.0.0.1:9"}).status_code == 403
    login(client, role="staff")
    r = client.post("/api/v1/federation/peers", json={"name": "sh", "url": "http://127.0.0.1:9", "public_key": "bad"})
    assert r.status_code == 400 and r.json()["field"] == "public_key" and "公钥" in r.json()["error_zh"]
    assert client.post("/api/v1/federation/peers", json=["not", "an", "object"]).status_code == 400
    r = client.post("/api/v1/federation/peers", json={"name": "sh", "url": "http://127.0.0.1:9"})
    assert r.status_code == 201 and r.json()["last_status"] == "never"
    assert [p["name"] for p in client.get("/api/v1/federation/peers").json()["items"]] == ["sh"]
    job = client.post("/api/v1/federation/pull", params={"peer": "sh"})
    assert job.status_code == 202 and job.json()["status"] == "succeeded"  # the job ran; the peer itself failed
    assert job.json()["result"]["failed"] == ["sh"]
    peer = client.get("/api/v1/federation/peers").json()["items"][0]
    assert peer["last_status"] == "failed" and "无法获取" in peer["last_message"]
