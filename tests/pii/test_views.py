"""The PII page and JSON API on the real app (TestClient)."""

import pytest

pytestmark = pytest.mark.slow  # starts the whole app on a freshly migrated database


def _csrf(client):
    client.get("/pii")
    return client.cookies.get("moli_csrf")


def test_page_form_and_json_api(client):
    r = client.get("/pii")
    assert r.status_code == 200 and "个人信息识别与脱敏" in r.text and "Personal-information check" in r.text
    token = _csrf(client)
    r = client.post("/pii", data={"text": "手机13945671234，身份证110101199003074515", "mode": "tag",
                                  "csrf_token": token})
    assert r.status_code == 200
    assert "手机[PHONE]，身份证[ID_CARD]" in r.text
    assert "✗" in r.text  # the ID's check digit is wrong
    # kinds, categories and modes carry their Chinese names
    assert "居民身份证号码 <small>ID_CARD</small>" in r.text and "个人身份信息（证件）" in r.text
    assert "假名替换（保持格式） pseudonymize" in r.text
    r = client.post("/pii", data={"text": "  ", "mode": "tag", "csrf_token": token})
    assert r.status_code == 400 and "请输入" in r.text

    # JSON API (same app, same client: one app start-up for both)
    r = client.post("/api/v1/pii/detect", json={"text": "卡号6222021234567890128", "mode": "mask",
                                                 "kinds": ["BANK_CARD"]}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["redacted"] == "卡号" + "*" * 19
    assert d["findings"][0]["kind"] == "BANK_CARD" and d["findings"][0]["sensitive"]["pipl_gbt45574_2025"] is True
    assert d["findings"][0]["category_zh"] == "金融账户信息" and d["findings"][0]["kind_zh"]
    r = client.post("/api/v1/pii/detect", json={"text": "x", "mode": "blur"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 400
