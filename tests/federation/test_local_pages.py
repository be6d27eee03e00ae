"""Peer nodes' entries on the local pages: /corpus and /market/offerings list them under
"来自对等节点 / From peer nodes" (peer name, link to the peer), withdrawn ones disappear, the
offerings page's search and facets apply, and the JSON lists gain them only with ?include_remote=1.
A real signed catalogue is served on 127.0.0.1 and pulled through the service."""

from contextlib import contextmanager

from moli.core.db import session_scope
from moli.federation import service
from moli.federation.identity import FORMAT, sign_document

from .conftest import StaticServer, make_identity

PEER = "上海市"
CORPUS_PATH = "/corpus/%E6%B0%94%E8%B1%A1%E8%AF%AD%E6%96%99?version=2"
ENTRIES = [
    {"kind": "corpus", "name": "气象语料", "version": "2", "domain": "meteorology", "description": "台风与降水观测报告",
     "documents": 1200, "path": CORPUS_PATH},
    {"kind": "corpus", "name": "旧语料", "version": "1", "domain": "other", "path": "/corpus/old?version=1"},
    {"kind": "offering", "name": "customs-llm", "title": "海关大模型", "vendor": "浦东数科", "domain": "finance_trade",
     "domains": ["finance_trade"], "tasks": ["classification"], "path": "/market/offerings/customs-llm"},
    {"kind": "offering", "name": "gov-assistant", "title": "政务助手", "domains": ["government_affairs"],
     "tasks": ["question-answering"], "path": "/market/offerings/gov-assistant",
     "evaluations": [{"benchmark": "C-Eval", "metric": "accuracy", "score": 71.5, "source": "https://example.org/card"}]},
    {"kind": "offering", "name": "old-model", "title": "旧模型", "path": "/market/offerings/old-model"},
    {"kind": "scenario", "name": "port", "title": "港口场景", "path": "/market/scenarios/port"},
]
GONE = ("旧语料", "旧模型")
GOV_SCENARIO = {"kind": "scenario", "name": "gov-consult", "title": "政务咨询场景", "industry": "government_affairs",
                "tasks": ["question-answering"], "languages": ["zh"], "description": "市民政务咨询问答",
                "path": "/market/scenarios/gov-consult"}


def _serve(srv: StaticServer, node, entries: list[dict], generated_at: str) -> None:
    srv.set(sign_document({"format": FORMAT, "node": node.public_dict(), "generated_at": generated_at,
                           "entries": entries}, node))


@contextmanager
def _peer(entries: list[dict]):
    """A peer node (its own key) serving ``entries`` as a signed catalogue on loopback, added as PEER."""
    node = make_identity("上海节点")
    srv = StaticServer()
    try:
        _serve(srv, node, entries, "2026-11-30T10:00:00+00:00")
        with session_scope() as s:
            service.add_peer(s, PEER, srv.url)
        yield srv, node
    finally:
        srv.close()


def _pull() -> None:
    with session_scope() as s:
        [sync] = service.pull(s, PEER, attempts=1, timeout=5)
    assert sync["status"] == "ok", sync


def _section(html: str, table_id: str) -> str:
    assert 'id="remote-heading"' in html and "来自对等节点" in html and "From peer nodes" in html
    return html.split(f'id="{table_id}"')[1].split("</table>")[0]


def test_corpus_and_offerings_pages_list_peer_entries(client):
    from moli.market import service as market_service
    from moli.market.schemas import Offering

    with _peer(ENTRIES) as (srv, node):
        with session_scope() as s:
            market_service.publish_offering(s, Offering(id="local-gov", name="本地政务大模型", vendor="甲公司",
                                                        domains=["government_affairs"]), market_service.OPERATOR,
                                            is_public=True)
        _pull()

        # /corpus: under the (empty) local list, with peer, version, domain and the link on the peer
        page = client.get("/corpus").text
        assert page.index('id="corpus-empty"') < page.index('id="remote-heading"')
        remote = _section(page, "corpus-remote")
        assert "气象语料" in remote and f'href="{srv.url}{CORPUS_PATH}"' in remote
        assert f'<td class="remote-peer">{PEER}</td>' in remote and "meteorology" in remote and "1,200" in remote
        assert "旧语料" in remote and "港口场景" not in page and "海关大模型" not in page

        # /market/offerings: local table first, then the peer's offerings
        page = client.get("/market/offerings").text
        local, remote = page.split('id="offering-table"')[1].split("</table>")[0], _section(page, "offering-remote")
        assert "本地政务大模型" in local and "海关大模型" not in local
        assert "本地政务大模型" not in remote and "港口场景" not in remote
        assert f'href="{srv.url}/market/offerings/customs-llm"' in remote and "浦东数科" in remote
        assert "政务助手" in remote and "旧模型" in remote and f'<td class="remote-peer">{PEER}</td>' in remote

        # the page's search applies to both lists, as do the facets
        page = client.get("/market/offerings", params={"q": "海关"}).text
        remote = _section(page, "offering-remote")
        assert "海关大模型" in remote and "政务助手" not in remote and "本地政务大模型" not in page
        page = client.get("/market/offerings", params={"q": "政务"}).text
        remote = _section(page, "offering-remote")
        assert "政务助手" in remote and "海关大模型" not in remote and "本地政务大模型" in page
        remote = _section(client.get("/market/offerings", params={"domain": "finance_trade"}).text, "offering-remote")
        assert "海关大模型" in remote and "政务助手" not in remote
        page = client.get("/market/offerings", params={"q": "没有这个模型"}).text
        assert 'id="offering-remote"' not in page and "来自对等节点" not in page

        # JSON: unchanged by default, a separate "remote" key on request
        assert set(client.get("/api/v1/corpus").json()) == {"corpora"}
        items = client.get("/api/v1/corpus", params={"include_remote": 1}).json()["remote"]
        assert [(i["name"], i["peer"], i["url"]) for i in items] == [
            ("旧语料", PEER, srv.url + "/corpus/old?version=1"), ("气象语料", PEER, srv.url + CORPUS_PATH)]
        assert "remote" not in client.get("/api/v1/market/offerings").json()
        body = client.get("/api/v1/market/offerings", params={"q": "海关", "include_remote": "1"}).json()
        assert body["items"] == [] and [(i["name"], i["peer"]) for i in body["remote"]] == [("customs-llm", PEER)]

        # the peer stops listing two entries: withdrawn, and gone from both pages and the API
        _serve(srv, node, [e for e in ENTRIES if (e.get("title") or e["name"]) not in GONE], "2026-11-30T11:00:00+00:00")
        _pull()
        corpus_page, offerings_page = client.get("/corpus").text, client.get("/market/offerings").text
        assert "气象语料" in _section(corpus_page, "corpus-remote") and "海关大模型" in offerings_page
        assert not any(name in corpus_page or name in offerings_page for name in GONE)
        items = client.get("/api/v1/market/offerings", params={"include_remote": 1}).json()["remote"]
        assert sorted(i["name"] for i in items) == ["customs-llm", "gov-assistant"]
        with session_scope() as s:  # still stored, as withdrawn
            assert {e.name for e, _ in service.search_remote(s, include_withdrawn=True) if e.status == "withdrawn"} == {
                "旧语料", "old-model"}


def test_scenario_page_ranks_peer_offerings_apart(client):
    from moli.market import service as market_service
    from moli.market.schemas import Scenario

    with _peer(ENTRIES) as (srv, _):
        with session_scope() as s:
            market_service.publish_scenario(s, Scenario(id="gov-qa", title="政务问答", industry="government_affairs",
                                                        tasks=["question-answering"], description="政务服务问答助手"),
                                            market_service.OPERATOR, is_public=True)
        page = client.get("/market/scenarios/gov-qa").text
        assert 'id="remote-matches"' not in page  # nothing pulled yet
        _pull()
        page = client.get("/market/scenarios/gov-qa").text
        remote = page.split('id="remote-matches"')[1].split("</ol>")[0]
        assert f'href="{srv.url}/market/offerings/gov-assistant"' in remote and "政务助手" in remote
        assert f'<span class="remote-peer">{PEER}</span>' in remote
        local = page.split('id="matches"')[1].split("</ol>")[0]
        assert "政务助手" not in local  # the local ranking is ours only
        body = client.get("/api/v1/market/scenarios/gov-qa/matches", params={"include_remote": 1}).json()
        names = [m["name"] for m in body["remote"]["matches"]]
        assert names[0] == "政务助手" and all(m["peer"] == PEER for m in body["remote"]["matches"])
        # the peer's published benchmark score counts and is explained, as for a local offering
        reasons = {r["kind"]: r for r in body["remote"]["matches"][0]["reasons"]}
        assert reasons["evaluations"]["benchmarks"] == ["C-Eval"] and "C-Eval 71.5" in reasons["evaluations"]["zh"]
        assert "remote" not in client.get("/api/v1/market/scenarios/gov-qa/matches").json()


def test_offering_page_lists_peer_scenarios_it_could_serve(client):
    from moli.market import service as market_service
    from moli.market.schemas import Offering

    with _peer([*ENTRIES, GOV_SCENARIO]) as (srv, _):
        with session_scope() as s:
            market_service.publish_offering(s, Offering(id="local-gov", name="本地政务问答模型", tasks=["question-answering"],
                                                        domains=["government_affairs"], description="政务咨询问答"),
                                            market_service.OPERATOR, is_public=True)
        _pull()
        page = client.get("/market/offerings/local-gov").text
        remote = page.split('id="remote-scenarios"')[1].split("</ol>")[0]
        assert f'href="{srv.url}/market/scenarios/gov-consult"' in remote and "政务咨询场景" in remote
        assert f'<span class="remote-peer">{PEER}</span>' in remote
        assert "政务咨询场景" not in page.split('id="scenario-matches"')[1].split("</ol>")[0]
        body = client.get("/api/v1/market/offerings/local-gov/scenarios", params={"include_remote": 1}).json()
        assert body["remote"]["matches"][0]["name"] == "政务咨询场景"
        assert "remote" not in client.get("/api/v1/market/offerings/local-gov/scenarios").json()


def test_market_scenario_list_shows_peer_scenarios_with_the_same_filters(client):
    with _peer([*ENTRIES, GOV_SCENARIO]) as (srv, _):
        assert 'id="scenario-remote"' not in client.get("/market").text
        _pull()
        remote = _section(client.get("/market").text, "scenario-remote")
        assert "政务咨询场景" in remote and "港口场景" in remote and f'href="{srv.url}/market/scenarios/port"' in remote
        assert f'<td class="remote-peer">{PEER}</td>' in remote and "海关大模型" not in remote
        remote = _section(client.get("/market", params={"industry": "government_affairs"}).text, "scenario-remote")
        assert "政务咨询场景" in remote and "港口场景" not in remote
        assert 'id="scenario-remote"' not in client.get("/market", params={"task": "translation"}).text
        body = client.get("/api/v1/market/scenarios", params={"include_remote": 1}).json()
        assert sorted(r["name"] for r in body["remote"]) == ["gov-consult", "port"]
        assert "remote" not in client.get("/api/v1/market/scenarios").json()
