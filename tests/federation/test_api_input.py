"""Bad input found by API fuzzing: one oversized public card must not take this node's catalogue down,
and a bad JSON body to the peers API is a 400 with the bilingual error body, never a 500."""

import json
import logging

import pytest

from moli.core.db import session_scope
from moli.federation import service
from moli.market.models import MarketOffering, MarketScenario

from .conftest import make_identity

JSON = {"content-type": "application/json"}


def test_a_card_too_big_for_the_catalogue_is_refused_at_the_market(client, login):
    login(client)
    r = client.post("/api/v1/market/offerings", json={"id": "x", "name": "名" * 301})
    assert r.status_code == 400 and r.json()["field"] == "name"
    r = client.post("/api/v1/market/offerings", json={"id": "x", "name": "N", "description": "长" * 10_001})
    assert r.status_code == 400 and r.json()["field"] == "description"
    r = client.get("/api/v1/federation/catalogue")
    assert r.status_code == 200 and r.json()["entries"] == [] and r.json()["skipped"] == 0


def test_a_stored_record_that_does_not_fit_is_skipped_logged_and_counted(client, caplog):
    """Records stored before the market had the catalogue's limits: left out one by one."""
    with session_scope() as s:
        s.add(MarketOffering(slug="too-long", name="x", vendor="", is_public=True,
                             data={"id": "too-long", "name": "名" * 301}))
        s.add(MarketOffering(slug="huge-text", name="x", vendor="", is_public=True,
                             data={"id": "huge-text", "name": "N", "description": "长" * 10_001}))
        s.add(MarketScenario(slug="fine", title="港口", industry="general", is_public=True,
                             data={"id": "fine", "title": "港口", "industry": "general"}))
    with caplog.at_level(logging.WARNING, logger="moli.federation.service"):
        r = client.get("/api/v1/federation/catalogue")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert [(e["kind"], e["name"]) for e in doc["entries"]] == [("scenario", "fine")]
    assert doc["skipped"] == 2
    assert "too-long" in caplog.text and "huge-text" in caplog.text
    with session_scope() as s:
        skipped: list = []
        service.public_entries(s, skipped)
    assert {x["name"] for x in skipped} == {"too-long", "huge-text"}
    assert all(x["kind"] == "offering" and x["reason"] for x in skipped)


@pytest.mark.parametrize("raw", [b"", b"{bad", "{\"name\": \"上海\"}".encode("gbk"), b"[" * 200_000 + b"]" * 200_000,
                                 b"[1]"])
def test_add_peer_refuses_bodies_that_are_not_a_json_object(client, login, raw):
    login(client, role="staff")
    r = client.post("/api/v1/federation/peers", content=raw, headers=JSON)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["field"] == "body" and body["error"] and body["error_zh"]


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "sh", "url": "http://127.0.0.1:9/\ud800"}, "url"),
    ({"name": "sh\ud800", "url": "http://127.0.0.1:9"}, "name"),
    ({"name": "sh", "url": "http://127.0.0.1:9", "public_key": 5}, "public_key"),
    ({"name": ["sh"], "url": "http://127.0.0.1:9"}, "name"),
])
def test_add_peer_refuses_fields_that_are_not_text(client, login, body, field):
    login(client, role="staff")
    r = client.post("/api/v1/federation/peers", content=json.dumps(body).encode(), headers=JSON)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field and r.json()["error_zh"]
    with session_scope() as s:
        assert service.list_peers(s) == []


def test_add_peer_still_works(client, login):
    login(client, role="staff")
    r = client.post("/api/v1/federation/peers", json={"name": "sh", "url": "http://127.0.0.1:9",
                                                      "public_key": make_identity().public_key})
    assert r.status_code == 201 and r.json()["name"] == "sh"


def test_openapi_declares_the_real_statuses_and_request_bodies(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    add = paths["/api/v1/federation/peers"]["post"]
    assert {"201", "400", "401", "403"} <= set(add["responses"]) and "200" not in add["responses"]
    assert {"name", "url"} <= set(add["requestBody"]["content"]["application/json"]["schema"]["required"])
    assert {"202", "403"} <= set(paths["/api/v1/federation/pull"]["post"]["responses"])
    assert "304" in paths["/api/v1/federation/catalogue"]["get"]["responses"]
