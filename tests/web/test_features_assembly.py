"""Feature assembly: routers found by convention, home counts from each feature, broken views surfaced."""

import re

import moli
from moli.core.db import FEATURES
from tests.conftest import make_user


def test_home_shows_each_features_real_home_counts(client, session):
    import importlib
    import importlib.util

    make_user(org="Org A")
    html = client.get("/").text
    checked = 0
    for name in FEATURES:
        if name == "core" or importlib.util.find_spec(f"moli.{name}") is None:
            continue
        if importlib.util.find_spec(f"moli.{name}.service") is None:
            continue
        hook = getattr(importlib.import_module(f"moli.{name}.service"), "home_counts", None)
        if hook is None:
            continue
        section = html.split(f'id="feature-{name}"')[1].split("</section>")[0]
        for label, value in hook(session).items():
            zh = label.split(" / ")[0]
            assert re.search(rf'<span class="value">{value:,}</span><span class="label">{re.escape(zh)} ', section)
            checked += 1
    assert 'id="platform-counts"' in html
    print(f"checked {checked} feature counts")


def test_broken_feature_views_make_healthz_503(tmp_path, monkeypatch, moli_home):
    pkg = tmp_path / "brokenfeat"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "views.py").write_text("raise ImportError('没写完 unfinished')\n")
    (tmp_path / "okfeat").mkdir()
    (tmp_path / "okfeat" / "__init__.py").write_text("")
    (tmp_path / "okfeat" / "views.py").write_text(
        "from fastapi import APIRouter\nrouter = APIRouter()\n"
        "@router.get('/okfeat')\ndef page():\n    return {'ok': True}\n")
    monkeypatch.setattr(moli, "__path__", [*moli.__path__, str(tmp_path)])
    import moli.web.app as app_module

    monkeypatch.setattr(app_module, "FEATURES", ("core", "okfeat", "brokenfeat", "nofeat"))
    from fastapi.testclient import TestClient

    with TestClient(app_module.create_app()) as c:
        assert c.get("/okfeat").json() == {"ok": True}
        health = c.get("/healthz")
        assert health.status_code == 503
        body = health.json()
        assert body["features"] == ["okfeat"] and "unfinished" in body["feature_errors"]["brokenfeat"]
        assert "模块加载失败" in c.get("/").text
