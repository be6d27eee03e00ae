"""Texts that the directory stores or the pre-check echoes: lone surrogates (JSON's or YAML's "\\udc00")
and control characters are refused naming the field, never a 500; directory names are stripped."""

from __future__ import annotations

import json

import pytest

from moli.core.errors import InputError
from moli.outbound import service

PLAN = {"investor": {"name": "浦东甲公司", "type": "local"},
        "investment": {"date": "2026-01-01", "amount_usd": 5_000_000, "destination_country": "SG", "route": "direct"}}


@pytest.mark.parametrize(("section", "key", "value"), [
    ("investment", "industry", "软件\udc00"), ("investment", "co_investors", ["乙", "\udc00"]),
    ("investor", "name", "\udc00"), ("investment", "industry", "软件\u0000"), ("investor", "\udc00", 1),
])
def test_precheck_api_refuses_invalid_text_by_field(client, section, key, value):
    plan = json.loads(json.dumps(PLAN))
    plan[section][key] = value
    r = client.post("/api/v1/outbound/precheck", content=json.dumps(plan), headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text[:300]
    body = r.json()
    expected = section if key == "\udc00" else f"{section}.{key}"
    assert body["field"] == expected and ("代理码位" in body["error_zh"] or "控制字符" in body["error_zh"])


def test_import_refuses_surrogates_and_hidden_characters_and_stores_nothing(session, tmp_path):
    path = tmp_path / "ents.yaml"
    for row, field in [('{name: "甲公司", country: SG, offers: "算力\\udc00"}', "enterprises[0].offers"),
                       ('{name: "甲\\u202e公司", country: SG}', "enterprises[0].name"),
                       ('{name: "   ", country: SG}', "enterprises[0].name"),
                       ('{name: "甲公司", country: SG, target_countries: ["\\udc00"]}', "enterprises[0].target_countries")]:
        path.write_text(f"enterprises:\n  - {row}\n", encoding="utf-8")
        with pytest.raises(InputError) as e:
            service.import_enterprises(session, path)
        assert e.value.field == field, e.value.en
    assert service.list_enterprises(session) == []
    path.write_text('enterprises:\n  - {name: "  甲公司 ", country: SG, offers: "算力\\n存储"}\n', encoding="utf-8")
    service.import_enterprises(session, path)
    assert [(e.name, e.offers) for e in service.list_enterprises(session)] == [("甲公司", "算力\n存储")]


def test_directory_form_refuses_a_blank_or_control_character_name(client, login):
    login(client)
    for name in ("   ", "甲\u0000公司"):
        r = client.post("/outbound/directory", data={"name": name, "country": "SG", "is_public": "1"})
        assert r.status_code == 400 and "name" in r.text
    assert "甲" not in client.get("/outbound/directory").text
