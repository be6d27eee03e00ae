"""Text and numbers of a plan as the ledger stores them: lone surrogates (JSON's "\\udc00"), control
characters and blank names are refused with a 400 naming the field, before anything is recorded."""

from __future__ import annotations

import json

import pytest

API = "/api/v1/crossborder/assess"
JSON = {"content-type": "application/json"}


def _plan(**over) -> dict:
    plan = {"exporter": {"name": "临港智算科技"},
            "transfer": {"date": "2026-05-01", "recipient": {"name": "ACME Inc.", "country": "US"}},
            "data": {"individuals": 1000}}
    for path, value in over.items():
        node = plan
        *parents, last = path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return plan


def _post(client, plan: dict, record: bool = True):
    # json.dumps escapes a lone surrogate as \udc00: the bytes on the wire are what a fuzzer sends
    return client.post(f"{API}?record={'true' if record else 'false'}", content=json.dumps(plan), headers=JSON)


@pytest.mark.parametrize(("field", "value"), [
    ("transfer.recipient.name", "\udc00"),
    ("exporter.name", "临港\ud800科技"),
    ("exporter.sector", "\udfff"),
    ("exporter.registration", "\udc00"),
    ("transfer.justification", "合同\udc00"),
    ("transfer.recipient.country", "U\udc00"),
])
def test_lone_surrogates_are_refused_naming_the_field(client, login, field, value):
    login(client)
    for record in (True, False):
        r = _post(client, _plan(**{field: value}), record)
        assert r.status_code == 400, r.text[:300]
        body = r.json()
        assert body["field"] == field and "代理码位" in body["error_zh"] and "surrogate" in body["error"]
    assert client.get("/api/v1/crossborder/assessments").json() == []


def test_surrogates_in_lists_history_and_keys_are_refused(client, login):
    login(client)
    nl = {"list": "\udc00", "covered": True, "on_list_items": ["ok"]}
    assert _post(client, _plan(**{"data.negative_list": nl})).json()["field"] == "data.negative_list.list"
    nl = {"list": "shanghai_ftz_lingang_2024", "covered": True, "on_list_items": ["ok", "\udc00"]}
    assert _post(client, _plan(**{"data.negative_list": nl})).json()["field"] == "data.negative_list.on_list_items.1"
    hist = [{"date": "2026-01-01", "individuals": 5, "note": "\udc00"}]
    assert _post(client, _plan(history=hist)).json()["field"] == "history.0.note"
    r = _post(client, _plan(**{"exporter.\udc00": 1}))  # the key itself: the answer must still be valid JSON
    assert r.status_code == 400 and "代理码位" in r.json()["error_zh"]
    assert client.get("/api/v1/crossborder/assessments").json() == []


@pytest.mark.parametrize("name", ["   ", "", "\u3000\t", "\u0000\u202e", "临港\u0000", "ACME\u202egnp.exe",
                                  "a\u2066b", "临港\n科技"])
def test_blank_and_control_character_exporter_names_are_not_recorded(client, login, name):
    login(client)
    r = _post(client, _plan(**{"exporter.name": name}))
    assert r.status_code == 400, r.text[:300]
    body = r.json()
    assert body["field"] == "exporter.name" and body["error_zh"].startswith("计划字段 exporter.name：")
    assert ("空白" in body["error_zh"]) if not name.strip() else ("控制字符" in body["error_zh"])
    r = _post(client, _plan(**{"transfer.recipient.name": name}))
    if name.strip():  # a recipient's name may be left out, but not hold control characters
        assert r.status_code == 400 and r.json()["field"] == "transfer.recipient.name"
    assert all(a["exporter"] == "临港智算科技" for a in client.get("/api/v1/crossborder/assessments").json())
    assert len(client.get("/api/v1/crossborder/assessments").json()) <= 1


def test_names_are_stripped_and_free_text_keeps_its_line_breaks(client, login):
    login(client)
    r = _post(client, _plan(**{"exporter.name": "  临港智算科技\u3000", "transfer.recipient.name": " ACME ",
                               "transfer.justification": "第一行\n第二行\t说明"}))
    assert r.status_code == 200, r.text[:300]
    r2 = _post(client, _plan(**{"exporter.name": "临港智算科技", "transfer.date": "2026-06-01"}))
    assert r2.json()["ledger_entries_used"] == 1  # the same exporter's ledger, not "  临港智算科技　"'s
    rows = client.get("/api/v1/crossborder/assessments").json()
    assert {a["exporter"] for a in rows} == {"临港智算科技"} and len(rows) == 2
    bad = _post(client, _plan(**{"transfer.justification": "说明\u0007"}))
    assert bad.status_code == 400 and bad.json()["field"] == "transfer.justification"


def test_counts_beyond_the_ledger_columns_are_refused(client, login):
    login(client)
    for field in ("data.individuals", "data.sensitive_individuals"):
        r = _post(client, _plan(**{"data.individuals": 0, field: 10**20}))
        assert r.status_code == 400 and r.json()["field"] == field
        assert "不能大于 2,147,483,647" in r.json()["error_zh"]
    hist = [{"date": "2026-01-01", "individuals": 2**31}]
    assert _post(client, _plan(history=hist)).json()["field"] == "history.0.individuals"
    assert _post(client, _plan(**{"data.individuals": 2**31 - 1})).status_code == 200


def test_the_form_refuses_control_characters_in_names(client, login):
    login(client)
    form = {"exporter_name": "临港\u0000智算", "transfer_date": "2026-05-01", "recipient_country": "US",
            "registration": "lingang", "individuals": "100", "record": "1"}
    r = client.post("/crossborder/assess", data=form)
    assert r.status_code == 400 and "exporter.name" in r.text and "控制字符" in r.text
    assert client.get("/api/v1/crossborder/assessments").json() == []
    r = client.post("/crossborder/assess", data={**form, "exporter_name": "   "})
    assert r.status_code == 400 and "exporter.name" in r.text
    assert client.get("/api/v1/crossborder/assessments?exporter=%00").json() == []
