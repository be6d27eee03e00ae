"""Bad input to the market's JSON API and the hosted /v1 API (found by API fuzzing): every case is a
400 with a bilingual error naming the field, never a 500, and nothing unreachable or unpublishable
is stored."""

import json

import pytest

from moli.core.db import session_scope
from moli.market import service
from moli.market.models import MarketOffering
from moli.market.schemas import BASELINE_MODEL, STORED, Offering, parse_offering, parse_scenario

JSON = {"content-type": "application/json"}


def _deep(depth: int) -> dict:
    value: dict = {}
    top = value
    for _ in range(depth):
        value["x"] = {}
        value = value["x"]
    return top


def _bilingual_400(r, field: str | None = None) -> dict:
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"] and body["error_zh"] and body["error"] != body["error_zh"]
    if field is not None:
        assert body["field"] == field, body
    return body


@pytest.mark.parametrize("raw", [b"", b"{bad", "{\"id\": \"政策\"}".encode("gbk"), b"[" * 200_000 + b"]" * 200_000,
                                 b'{"id": "x", "title": "t", "constraints": {"max_price_per_million_tokens_cny": NaN}}',
                                 b"[1]", b"5"])
def test_match_refuses_bodies_that_are_not_a_json_object(client, raw):
    r = client.post("/api/v1/market/match?top=10", content=raw, headers=JSON)
    _bilingual_400(r, "body")


@pytest.mark.parametrize("path", ["/api/v1/market/offerings", "/api/v1/market/scenarios",
                                  "/api/v1/market/scenarios/0/evaluations"])
def test_logged_in_posts_refuse_an_empty_body(client, login, path):
    login(client)
    r = client.post(path, content=b"", headers=JSON)
    body = _bilingual_400(r, "body")
    assert "empty" in body["error"] and "为空" in body["error_zh"]


def test_wrong_shapes_inside_the_body(client, login):
    login(client, org="Org A")
    r = client.post("/api/v1/market/scenarios", json={"id": "s1", "title": "T", "test_set_items": 5})
    _bilingual_400(r, "test_set_items")
    r = client.post("/api/v1/market/scenarios", json={"id": "s1", "title": "T",
                                                      "test_set_items": [{"prompt": "问", "reference": "答"}]})
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/market/scenarios/s1/evaluations", json=[1])
    _bilingual_400(r, "body")
    r = client.post("/api/v1/market/scenarios/s1/evaluations", json={"offerings": 5})
    _bilingual_400(r, "offerings")
    r = client.post("/api/v1/market/scenarios/s1/evaluations", json={"offerings": [{"id": "x"}]})
    _bilingual_400(r, "offerings")


def test_extra_fields_nested_too_deep_are_refused(client, login):
    login(client)
    r = client.post("/api/v1/market/scenarios", json={"id": "deep", "title": "T", "extra": _deep(900)})
    body = _bilingual_400(r)
    assert body["field"].startswith("extra.x.x") and "20" in body["error"]
    r = client.post("/api/v1/market/offerings", json={"id": "deep", "name": "N", "extra": _deep(25)})
    _bilingual_400(r)
    r = client.post("/api/v1/market/offerings", json={"id": "shallow", "name": "N", "extra": _deep(5)})
    assert r.status_code == 201 and r.json()["extra"] == _deep(5)


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/v1/market/offerings", {"id": "o1", "name": "N", "description": "政策\ud800"}, "description"),
    ("/api/v1/market/offerings", {"id": "o1", "name": "N", "notes": {"a": ["ok", "\udc00"]}}, "notes.a.1"),
    ("/api/v1/market/offerings", {"id": "o1", "name": "N", "tasks": ["\ud800"]}, "tasks.0"),
    ("/api/v1/market/scenarios", {"id": "s1", "title": "T", "notes": "\ud800"}, "notes"),
    ("/api/v1/market/scenarios", {"id": "s1", "title": "T", "test_set_items": [{"prompt": "问\ud800"}]},
     "test_set_items.0.prompt"),
    ("/api/v1/market/match", {"id": "s1", "title": "T\ud800"}, "title"),
])
def test_lone_surrogates_are_refused_naming_the_field(client, login, path, body, field):
    login(client)
    raw = json.dumps(body).encode()  # ensure_ascii: the surrogate travels as the escape \ud800
    r = client.post(path, content=raw, headers=JSON)
    out = _bilingual_400(r, field)
    assert "孤立的代理码位" in out["error_zh"] and "lone surrogate" in out["error"]


@pytest.mark.parametrize(("body", "field", "en"), [
    ({"id": "o1", "name": "   "}, "name", "blank"),
    ({"id": "o1", "name": " \u200b\u3000"}, "name", "blank"),
    ({"id": "o1", "name": "x" * 301}, "name", "at most 300"),
    ({"id": "o1", "name": "N", "description": "长" * 10_001}, "description", "at most 10000"),
    ({"id": "o1", "name": "N", "vendor": "v" * 201}, "vendor", "at most 200"),
    ({"id": "o1", "name": "N", "languages": [f"x{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(51)]}, "languages", "at most 50"),
    ({"id": "a/../b", "name": "N"}, "id", "segments"),
    ({"id": "a//b", "name": "N"}, "id", "segments"),
    ({"id": "a/", "name": "N"}, "id", "segments"),
    ({"id": "vendor/model/edit", "name": "N"}, "id", "/edit"),
])
def test_offerings_that_cannot_be_shown_or_published_are_refused(client, login, body, field, en):
    login(client)
    r = client.post("/api/v1/market/offerings", json=body)
    out = _bilingual_400(r, field)
    assert en in out["error"]
    with session_scope() as s:
        assert s.query(MarketOffering).count() == 0


def test_titles_are_stripped_and_blank_ones_refused(client, login):
    login(client)
    r = client.post("/api/v1/market/scenarios", json={"id": "s1", "title": "  \u200b "})
    _bilingual_400(r, "title")
    r = client.post("/api/v1/market/scenarios", json={"id": "s1", "title": "t" * 301})
    _bilingual_400(r, "title")
    r = client.post("/api/v1/market/scenarios", json={"id": "s1", "title": "  港口 "})
    assert r.status_code == 201 and r.json()["title"] == "港口"
    r = client.post("/api/v1/market/offerings", json={"id": "Qwen/qwen2.5-7b-instruct", "name": " 千问 "})
    assert r.status_code == 201 and r.json()["name"] == "千问"
    assert client.get("/api/v1/market/offerings/Qwen/qwen2.5-7b-instruct").json()["name"] == "千问"


def test_a_card_stored_before_the_limits_still_reads_and_matches(client, login):
    """Records saved before a limit existed are read back as they are (no new limits for stored data),
    so one of them cannot break matching for everyone."""
    login(client)
    with session_scope() as s:
        old = {"id": "old/../card", "name": "x" * 400, "description": "旧" * 20_000}
        s.add(MarketOffering(slug="old-card", name="x" * 400, vendor="", data=old, is_public=True))
    assert Offering.model_validate({"id": "a/../b", "name": " "}, context=STORED).name == ""
    r = client.post("/api/v1/market/match", json={"id": "s", "title": "T"})
    assert r.status_code == 200, r.text
    assert "old/../card" in {m["offering_id"] for m in r.json()["matches"]} | {
        e["offering_id"] for e in r.json()["excluded"]}


def test_parsers_apply_the_same_checks_to_files():
    from moli.core.errors import InputError

    with pytest.raises(InputError, match="lone surrogate"):
        parse_offering({"id": "o", "name": "N", "x": "\ud800"}, "f.jsonl:1")
    with pytest.raises(InputError, match="nested more than 20"):
        parse_scenario({"id": "s", "title": "T", "x": _deep(50)}, "f.yaml")
    with pytest.raises(InputError, match="finite") as exc:
        parse_offering({"id": "o", "name": "N", "price_per_million_tokens_cny": float("inf")}, "f.jsonl:2")
    assert exc.value.field == "price_per_million_tokens_cny" and "有限" in exc.value.zh
    assert parse_offering({"id": "qwen2.5-7b-instruct", "name": "Qwen"}).id == "qwen2.5-7b-instruct"


def test_infinity_is_not_json(client, login):
    login(client)
    raw = b'{"id": "o1", "name": "N", "price_per_million_tokens_cny": Infinity}'
    out = _bilingual_400(client.post("/api/v1/market/offerings", content=raw, headers=JSON), "body")
    assert "Infinity is not JSON" in out["error"]


@pytest.mark.parametrize("url", ["/api/v1/market/scenarios/demo-smart-transport/matches?top=-3",
                                 "/api/v1/market/scenarios/demo-smart-transport/matches?top=0",
                                 "/api/v1/market/offerings/qwen2.5-7b-instruct/scenarios?top=-1",
                                 "/api/v1/market/offerings/qwen2.5-7b-instruct/scenarios?top=0&include_remote=1"])
def test_top_must_be_positive(client, url):
    from moli.market import demo

    with session_scope() as s:
        demo.load(s)
    out = _bilingual_400(client.get(url), "top")
    assert "positive" in out["error"] and "正数" in out["error_zh"]


def test_match_top_must_be_positive(client):
    _bilingual_400(client.post("/api/v1/market/match?top=-1", json={"id": "s", "title": "T"}), "top")
    assert client.post("/api/v1/market/match?top=1", json={"id": "s", "title": "T"}).status_code == 200


@pytest.mark.parametrize(("raw", "param"), [
    (b"[" * 200_000 + b"]" * 200_000, None),
    (json.dumps({"model": BASELINE_MODEL, "messages": [{"role": "user", "content": "政策\ud800"}]}).encode(),
     "messages.0.content"),
    (json.dumps({"model": "\ud800", "messages": [{"role": "user", "content": "你好"}]}).encode(), "model"),
    (b'{"model": "moli-retrieval-baseline", "temperature": NaN, "messages": []}', None),
    (b"", None),
])
def test_hosted_api_refuses_unreadable_bodies_in_openai_shape(client, raw, param):
    r = client.post("/v1/chat/completions", content=raw, headers=JSON)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert err["type"] == "invalid_request_error" and err["param"] == param and " / " in err["message"]


def test_stored_cards_are_read_leniently_by_the_service(session):
    row = MarketOffering(slug="legacy", name="   ", vendor="", data={"id": "legacy", "name": "   "}, is_public=True)
    session.add(row)
    session.flush()
    assert service.offering_of(row).name == ""


def test_openapi_declares_the_real_statuses_and_request_bodies(client):
    spec = client.get("/api/openapi.json").json()
    paths = spec["paths"]
    post = paths["/api/v1/market/offerings"]["post"]
    assert {"201", "400", "401", "403"} <= set(post["responses"]) and "200" not in post["responses"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert {"id", "name"} <= set(schema["required"]) and "is_public" in schema["properties"]
    assert "$defs" not in json.dumps(post)  # inlined: nothing points outside the document
    err = post["responses"]["400"]["content"]["application/json"]["schema"]
    assert set(err["properties"]) == {"error", "error_zh", "field"}
    scenarios = paths["/api/v1/market/scenarios"]["post"]
    assert "test_set_items" in scenarios["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert "requestBody" in paths["/api/v1/market/match"]["post"]
    evaluate = paths["/api/v1/market/scenarios/{slug}/evaluations"]["post"]
    assert {"202", "400", "404"} <= set(evaluate["responses"]) and "requestBody" in evaluate
    assert {"204", "403", "404", "409"} <= set(paths["/api/v1/market/scenarios/{slug}"]["delete"]["responses"])
    assert {"400", "404"} <= set(paths["/api/v1/market/scenarios/{slug}/matches"]["get"]["responses"])
    chat = paths["/v1/chat/completions"]["post"]
    assert {"400", "404"} <= set(chat["responses"]) and "messages" in json.dumps(chat["requestBody"])
    # the docs page shows the declared body's fields
    docs = client.get("/api/docs").text.split('data-path="/api/v1/market/offerings"')
    posted = next(part for part in docs[1:] if "POST" in part.split("</h3>")[0]).split("</article>")[0]
    assert "<code>name</code>" in posted and "201" in posted
