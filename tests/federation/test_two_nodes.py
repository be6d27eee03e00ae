"""Two real nodes: `moli serve` subprocesses on free 127.0.0.1 ports, separate MOLI_HOMEs and
databases. Node B pulls node A's signed catalogue (through the service and through the CLI)."""

from __future__ import annotations

import copy
import json
import time

import httpx
import pytest
from sqlalchemy import select

from moli.core.db import dispose_engine, session_scope, upgrade
from moli.federation import service
from moli.federation.identity import sign_document
from moli.federation.models import FederationRemoteEntry, FederationSync
from tests.support.browser import free_port, live_server, moli_env, run_moli

from .conftest import (
    PUB_SCORE,
    SECRET_PROMPT,
    StaticServer,
    build_small_corpus,
    make_identity,
    node_vars,
    publish_market,
    register_corpus,
)

pytestmark = pytest.mark.slow

PUBLIC = {("corpus", "fed-public", "1"), ("offering", "pub-model", ""), ("scenario", "pub-scenario", "")}
PRIVATE_NAMES = ("fed-internal", "fed-restricted", "private-model", "private-scenario")
NOT_LISTED = (*PRIVATE_NAMES, "moli-retrieval-baseline")  # the hosted baseline is public, but every node has its own


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("federation")
    home_a, home_b = tmp / "node_a", tmp / "node_b"
    url_a, url_b = f"sqlite:///{home_a / 'moli.db'}", f"sqlite:///{home_b / 'moli.db'}"
    home_a.mkdir()
    home_b.mkdir()
    upgrade(url_a)
    upgrade(url_b)
    recipe, result = build_small_corpus(tmp / "build")
    with session_scope(url_a) as s:
        register_corpus(s, recipe, result, "fed-public", "public")
        register_corpus(s, recipe, result, "fed-internal", "internal", domain="finance_trade")
        register_corpus(s, recipe, result, "fed-restricted", "restricted", domain="biomedicine")
        publish_market(s)
    try:
        with live_server(home_a, env=node_vars("浦东节点A")) as base_a, \
                live_server(home_b, env=node_vars("上海市节点B")) as base_b:
            yield {"a": base_a, "b": base_b, "db_a": url_a, "db_b": url_b, "home_a": home_a, "home_b": home_b,
                   "recipe": recipe, "result": result}
    finally:
        dispose_engine(url_a)
        dispose_engine(url_b)


def pull(nodes, name=None, **kw):
    kw.setdefault("attempts", 2)
    kw.setdefault("backoff", 0.05)
    kw.setdefault("timeout", 5.0)
    with session_scope(nodes["db_b"]) as s:
        return {x["peer"]: x for x in service.pull(s, name, **kw)}


def remote(nodes, peer="A"):
    with session_scope(nodes["db_b"]) as s:
        peer_id = service.get_peer(s, peer).id
        rows = s.scalars(select(FederationRemoteEntry).where(FederationRemoteEntry.peer_id == peer_id)).all()
        return {(r.kind, r.name, r.version): (r.status, r.content_hash, r.updated_at, r.data) for r in rows}


def test_a_publishes_only_public_records_signed(nodes):
    r = httpx.get(nodes["a"] + "/api/v1/federation/catalogue", timeout=10)
    assert r.status_code == 200
    doc = r.json()
    node = httpx.get(nodes["a"] + "/api/v1/federation/node", timeout=10).json()
    assert doc["node"]["name"] == "浦东节点A" and doc["node"]["public_key"] == node["public_key"]
    assert {(e["kind"], e["name"], e["version"]) for e in doc["entries"]} == PUBLIC
    text = r.text
    for secret in (*NOT_LISTED, SECRET_PROMPT, "机密答案", "secret-endpoint", "10.0.0.5", str(nodes["home_a"]),
                   "test_set", "location", "owner_org_id"):
        assert secret not in text, f"{secret!r} leaked into the public catalogue"
    corpus = next(e for e in doc["entries"] if e["kind"] == "corpus")
    manifest_files = nodes["result"].manifest["files"]
    assert {f["sha256"] for f in corpus["files"]} == {f["sha256"] for f in manifest_files}
    assert corpus["documents"] == 3 and corpus["characters"] > 0 and len(corpus["recipe_hash"]) == 64
    assert corpus["path"] == "/corpus/fed-public?version=1"
    offering = next(e for e in doc["entries"] if e["kind"] == "offering")
    assert offering["evaluations"] == [PUB_SCORE]  # published claims travel; the endpoint does not
    # the link on the entry leads to A's real page for it
    assert httpx.get(nodes["a"] + corpus["path"], timeout=10).status_code == 200


def test_b_pulls_public_entries_and_pins_the_key(nodes):
    with session_scope(nodes["db_b"]) as s:
        service.add_peer(s, "A", nodes["a"])  # no key: trust on first use
    out = pull(nodes, "A")["A"]
    assert out["status"] == "ok", out
    assert (out["added"], out["updated"], out["withdrawn"], out["errors"]) == (3, 0, 0, [])
    got = remote(nodes)
    assert set(got) == PUBLIC
    assert all(v[0] == "active" for v in got.values())
    key_a = httpx.get(nodes["a"] + "/api/v1/federation/node", timeout=10).json()["public_key"]
    with session_scope(nodes["db_b"]) as s:
        peer = service.get_peer(s, "A")
        assert peer.public_key == key_a and peer.node_name == "浦东节点A" and peer.last_status == "ok"


def test_catalogue_has_a_content_etag_and_answers_304(nodes):
    url = nodes["a"] + "/api/v1/federation/catalogue"
    first, second = httpx.get(url, timeout=10), httpx.get(url, timeout=10)
    assert first.json()["generated_at"] != second.json()["generated_at"]  # signed anew each time ...
    etag = first.headers["etag"]
    assert etag == second.headers["etag"] == service.catalogue_etag(first.json())  # ... same content, same tag
    not_modified = httpx.get(url, headers={"If-None-Match": etag}, timeout=10)
    assert not_modified.status_code == 304 and not_modified.content == b"" and not_modified.headers["etag"] == etag
    stale = httpx.get(url, headers={"If-None-Match": '"0123", W/"4567"'}, timeout=10)
    assert stale.status_code == 200 and stale.json()["entries"] == first.json()["entries"]


def test_second_pull_changes_nothing(nodes):
    before = remote(nodes)
    etag = httpx.get(nodes["a"] + "/api/v1/federation/catalogue", timeout=10).headers["etag"]
    with session_scope(nodes["db_b"]) as s:
        assert service.get_peer(s, "A").catalogue_etag == etag  # remembered from the accepted catalogue
    out = pull(nodes, "A")["A"]
    assert (out["status"], out["added"], out["updated"], out["withdrawn"], out["unchanged"]) == ("ok", 0, 0, 0, 3)
    assert "304" in out["message"]  # A answered "not modified": nothing downloaded or re-checked
    assert remote(nodes) == before
    with session_scope(nodes["db_b"]) as s:
        logs = s.scalars(select(FederationSync).order_by(FederationSync.id)).all()
        assert [(x.status, x.added) for x in logs] == [("ok", 3), ("ok", 0)]


def test_withdrawn_corpus_is_marked_not_deleted_and_comes_back(nodes):
    from moli.corpus import service as corpus_service

    with session_scope(nodes["db_a"]) as s:
        corpus_service.set_access(s, corpus_service.get_corpus(s, "fed-public", as_admin=True), "internal", as_admin=True)
    out = pull(nodes, "A")["A"]
    assert (out["added"], out["updated"], out["withdrawn"]) == (0, 0, 1)
    got = remote(nodes)
    assert got[("corpus", "fed-public", "1")][0] == "withdrawn"
    assert set(got) == PUBLIC  # still there, only marked
    # B's API hides withdrawn entries unless asked
    active = httpx.get(nodes["b"] + "/api/v1/federation/remote", timeout=10).json()["items"]
    assert {e["name"] for e in active} == {"pub-model", "pub-scenario"}
    every = httpx.get(nodes["b"] + "/api/v1/federation/remote?withdrawn=true", timeout=10).json()["items"]
    assert {e["name"]: e["status"] for e in every}["fed-public"] == "withdrawn"
    assert "/corpus/fed-public" not in httpx.get(nodes["b"] + "/federation", timeout=10).text
    shown = httpx.get(nodes["b"] + "/federation", params={"withdrawn": "true"}, timeout=10).text
    assert "/corpus/fed-public" in shown and "已撤回" in shown

    with session_scope(nodes["db_a"]) as s:
        corpus_service.set_access(s, corpus_service.get_corpus(s, "fed-public", as_admin=True), "public", as_admin=True)
    out = pull(nodes, "A")["A"]
    assert (out["added"], out["updated"], out["withdrawn"]) == (0, 1, 0)
    assert remote(nodes)[("corpus", "fed-public", "1")][0] == "active"


def test_tampered_garbage_and_impostor_catalogues_are_refused(nodes):
    good = httpx.get(nodes["a"] + "/api/v1/federation/catalogue", timeout=10).json()
    key_a = good["node"]["public_key"]
    tampered = copy.deepcopy(good)
    tampered["entries"][0]["description"] = "被篡改的说明"
    impostor_key = make_identity("impostor")
    impostor = sign_document({**copy.deepcopy(good), "node": impostor_key.public_dict("http://127.0.0.1:1")}, impostor_key)
    servers = {"tampered": StaticServer(tampered), "garbage": StaticServer(b"<html>\xe6\x9c\x8d\xe5\x8a\xa1</html>"),
               "impostor": StaticServer(impostor), "error500": StaticServer(b"oops", status=500)}
    try:
        with session_scope(nodes["db_b"]) as s:
            for name, srv in servers.items():
                service.add_peer(s, name, srv.url, key_a)  # each claims to be A (A's key pinned)
        before = remote(nodes)
        for name in servers:
            out = pull(nodes, name)[name]
            assert out["status"] == "failed", (name, out)
            assert out["added"] == 0
            with session_scope(nodes["db_b"]) as s:
                peer = service.get_peer(s, name)
                assert peer.last_status == "failed" and peer.public_key == key_a
                assert s.scalars(select(FederationRemoteEntry).where(FederationRemoteEntry.peer_id == peer.id)).all() == []
        msgs = {name: pull(nodes, name)[name]["message"] for name in servers}
        assert "签名无效" in msgs["tampered"] and "invalid signature" in msgs["tampered"]
        assert "不是 JSON" in msgs["garbage"]
        assert "公钥已变更" in msgs["impostor"] and "changed its public key" in msgs["impostor"]
        assert "HTTP 500" in msgs["error500"] and servers["error500"].hits >= 4  # retried: 2 attempts per pull
        assert remote(nodes) == before  # A's entries untouched
    finally:
        for srv in servers.values():
            srv.close()
        with session_scope(nodes["db_b"]) as s:
            for name in servers:
                service.remove_peer(s, name)


def test_bad_entries_are_skipped_and_reported(nodes):
    good = httpx.get(nodes["a"] + "/api/v1/federation/catalogue", timeout=10).json()
    other = make_identity("other")
    entries = copy.deepcopy(good["entries"]) + [{"kind": "corpus", "name": ""}, {"kind": "offering", "name": "ok-one"}]
    doc = sign_document({**good, "node": other.public_dict(), "entries": entries}, other)
    srv = StaticServer(doc)
    try:
        with session_scope(nodes["db_b"]) as s:
            service.add_peer(s, "other", srv.url)
        out = pull(nodes, "other")["other"]
        assert out["status"] == "ok" and out["added"] == 4
        assert [e["index"] for e in out["errors"]] == [3]
        assert "name" in out["errors"][0]["en"]
    finally:
        srv.close()
        with session_scope(nodes["db_b"]) as s:
            service.remove_peer(s, "other")


def test_a_down_peer_is_reported_and_does_not_block_the_others(nodes):
    with session_scope(nodes["db_b"]) as s:
        service.add_peer(s, "down", f"http://127.0.0.1:{free_port()}")
    t0 = time.monotonic()
    out = pull(nodes)  # every peer
    assert time.monotonic() - t0 < 20
    assert out["down"]["status"] == "failed" and "无法获取" in out["down"]["message"]
    assert out["A"]["status"] == "ok" and out["A"]["unchanged"] == 3


def test_cli_pull_and_the_page_of_b(nodes):
    env = moli_env(nodes["home_b"], **node_vars("上海市节点B"))
    r = run_moli(env, "federation", "pull", "--attempts", "1", "--timeout", "3", timeout=60)
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert r.returncode == 1, r.stderr  # the down peer failed: non-zero exit
    assert {x["peer"]: x["status"] for x in lines} == {"A": "ok", "down": "failed"}
    r = run_moli(env, "federation", "peer", "add", "A", nodes["a"], timeout=60)
    assert r.returncode == 2 and "已存在" in r.stderr and "already exists" in r.stderr

    page = httpx.get(nodes["b"] + "/federation", timeout=10)
    assert page.status_code == 200
    assert "平台互联" in page.text and "上海市节点B" in page.text and "浦东节点A" in page.text
    assert f'href="{nodes["a"]}/corpus/fed-public?version=1"' in page.text
    assert "fed-internal" not in page.text
    found = httpx.get(nodes["b"] + "/federation", params={"q": "政务问答"}, timeout=10).text
    assert "/market/scenarios/pub-scenario" in found and "/corpus/fed-public" not in found
    by_domain = httpx.get(nodes["b"] + "/federation", params={"q": "government_affairs", "kind": "corpus"}, timeout=10).text
    assert "/corpus/fed-public" in by_domain and "pub-model" not in by_domain
