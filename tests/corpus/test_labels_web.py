"""The corpus page's labelling panel: card, Croissant, domain chart, safety report, review workflow."""

import csv
import io
import json

import pytest

from moli.corpus import service
from moli.corpus.card import write_card
from moli.corpus.pipeline import build
from moli.corpus.recipe import recipe_from_dict

CLEAN = "第一条 为了规范政务服务，提高行政效率，根据有关法律，制定本条例。本条例适用于本市行政区域内的政务服务活动。"


@pytest.fixture
def registered(tmp_path, client, login):
    owner = login(client, role="enterprise", org="Org A")
    src = tmp_path / "in"
    src.mkdir()
    rows = [{"id": f"d{i}", "text": CLEAN + f"第{i}条 事项编号{i * 7919}。" * 2} for i in range(12)]
    (src / "docs.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    recipe = recipe_from_dict({
        "name": "labels-web",
        "input": {"paths": ["in/*.jsonl"], "format": "auto", "text_field": "text", "id_field": "id"},
        "steps": [{"normalize": {}}, {"domain": {}}, {"safety": {}}],
        "output": {"path": "out", "format": "parquet", "shard_size": 100},
        "catalogue": {"access": "internal"},
    }, base_dir=tmp_path)
    result = build(recipe, workers=1)
    write_card(result.out_dir)
    from moli.core.db import session_scope

    with session_scope() as s:
        service.register(s, recipe, result, owner_org_id=owner.organisation_id)
    return result.out_dir


def test_panel_card_and_croissant(client, registered):
    page = client.get("/corpus/labels-web")
    assert page.status_code == 200
    html = page.text
    assert 'id="safety-table"' in html and 'id="domain-chart"' in html and 'id="review-workflow"' in html
    card = client.get("/corpus/labels-web/card")
    assert card.status_code == 200 and "<table class=\"table\">" in card.text and "血缘 Lineage" in card.text
    cro = client.get("/corpus/labels-web/croissant.json")
    assert cro.status_code == 200 and cro.json()["conformsTo"] == "http://mlcommons.org/croissant/1.0"


def test_review_workflow_through_the_web(client, registered):
    r = client.post("/corpus/labels-web/safety/sample", follow_redirects=False)
    assert r.status_code == 303
    sample = client.get("/corpus/labels-web/safety/sample.csv")
    assert sample.status_code == 200
    rows = list(csv.DictReader(io.StringIO(sample.content.decode("utf-8-sig"))))
    assert len(rows) == 12

    # A bad upload (missing verdict) is refused and nothing is applied.
    bad = "id,verdict\n" + "\n".join(f"{r['id']}," for r in rows)
    r = client.post("/corpus/labels-web/safety/verdicts", files={"file": ("v.csv", bad.encode(), "text/csv")},
                    headers={"Accept": "application/json"})
    assert r.status_code == 400 and "row 2" in r.text
    assert client.get("/api/v1/corpus/labels-web/safety").json()["checks"]["human"]["result"] == "pending"

    good = "id,verdict,risk\n" + "\n".join(f"{r['id']},合格," for r in rows)
    r = client.post("/corpus/labels-web/safety/verdicts", files={"file": ("v.csv", good.encode(), "text/csv")},
                    follow_redirects=False)
    assert r.status_code == 303
    report = client.get("/api/v1/corpus/labels-web/safety").json()
    assert report["checks"]["human"]["pass_rate"] == 1.0 and report["result"] == "pass"
    assert '<strong id="safety-result">合格 <small>pass</small></strong>' in client.get("/corpus/labels-web").text


def test_other_organisations_cannot_review(client, registered, login):
    client.post("/logout")
    login(client, role="enterprise", org="Org B")
    assert client.get("/corpus/labels-web").status_code == 404  # internal corpus: not even listed
    r = client.post("/corpus/labels-web/safety/sample", headers={"Accept": "application/json"})
    assert r.status_code in (403, 404)
