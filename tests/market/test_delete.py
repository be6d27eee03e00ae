"""Withdrawing (deleting) offerings and scenarios, the evaluation-runs rule, and the scenario list's facet counts."""

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from moli.cli import app
from moli.core.db import session_scope, utcnow
from moli.core.errors import NotFound, PermissionDenied
from moli.market import service
from moli.market.models import MarketEvaluation, MarketOffering, MarketScenario
from moli.market.schemas import load_offerings, load_scenario, load_test_set, parse_scenario
from tests.conftest import make_user


@pytest.fixture
def users(db_url, session):
    return {"a": make_user(org="Org A"), "b": make_user(org="Org B"), "staff": make_user(role="staff", org=None)}


def _publish(session, fixtures, users):
    """Offerings belong to Org B, the drug scenario (with its test set) to Org A."""
    for o in load_offerings(fixtures / "offerings.jsonl"):
        service.publish_offering(session, o, users["b"])
    service.publish_scenario(session, load_scenario(fixtures / "scenario_drug.yaml"), users["a"],
                             test_set=load_test_set(fixtures / "testset.jsonl"))
    session.commit()


def _add_run(session, scenario_slug, offering_slug):
    """A finished evaluation run, as run_evaluation leaves it."""
    s = session.scalar(select(MarketScenario).where(MarketScenario.slug == scenario_slug))
    o = session.scalar(select(MarketOffering).where(MarketOffering.slug == offering_slug))
    session.add(MarketEvaluation(scenario_id=s.id, offering_id=o.id, status="succeeded", primary_metric="exact_match",
                                 primary_score=0.5, metrics={"exact_match": 0.5}, counts={"items": 12, "ok": 12},
                                 items=[], error="", owner_org_id=s.owner_org_id, finished_at=utcnow()))
    session.commit()


def _count(session, model):
    return session.query(model).count()


# --- service --------------------------------------------------------------------------------------

def test_owner_deletes_and_it_is_gone_everywhere(session, fixtures, users):
    from moli.federation import service as federation

    _publish(session, fixtures, users)
    scn = service.scenario_of(service.get_scenario(session, "drug-rd", None))
    assert "med-private" in {m["offering_id"] for m in service.match_scenario(session, scn, None)["matches"]}
    names = {(e["kind"], e["name"]) for e in federation.public_entries(session)}
    assert ("offering", "med-private") in names and ("scenario", "drug-rd") in names

    out = service.delete_offering(session, "med-private", users["b"])
    session.commit()
    assert out == {"kind": "offering", "offering_id": "med-private", "deleted": True}
    with pytest.raises(NotFound):
        service.get_offering(session, "med-private", users["b"])
    assert "med-private" not in {r.slug for r in service.browse_offerings(session, users["b"])["items"]}
    ranked = service.match_scenario(session, scn, None)
    assert "med-private" not in {m["offering_id"] for m in ranked["matches"]} | {e["offering_id"] for e in ranked["excluded"]}

    service.delete_scenario(session, "drug-rd", users["a"])
    session.commit()
    with pytest.raises(NotFound):
        service.get_scenario(session, "drug-rd", users["a"])
    assert service.browse_scenarios(session, users["a"]) == []
    # the next published federation catalogue simply lacks both (peers then mark them withdrawn)
    names = {(e["kind"], e["name"]) for e in federation.public_entries(session)}
    assert ("offering", "med-private") not in names and ("scenario", "drug-rd") not in names
    assert ("offering", "weather-edge") in names
    assert _count(session, MarketOffering) == 4 and _count(session, MarketScenario) == 0


def test_other_organisations_and_anonymous_cannot_delete(session, fixtures, users):
    _publish(session, fixtures, users)
    for who in (users["a"], None):
        with pytest.raises(PermissionDenied):
            service.delete_offering(session, "med-private", who)
    for who in (users["b"], None):
        with pytest.raises(PermissionDenied):
            service.delete_scenario(session, "drug-rd", who)
    with pytest.raises(NotFound):
        service.delete_offering(session, "no-such-offering", users["b"])
    session.rollback()
    assert _count(session, MarketOffering) == 5 and _count(session, MarketScenario) == 1
    assert len(service.get_test_set(session, "drug-rd", users["a"])) == 12


def test_staff_can_delete_any_record(session, fixtures, users):
    _publish(session, fixtures, users)
    row = service.get_offering(session, "weather-edge", users["b"])
    row.is_public = False  # private to Org B: staff still sees and may delete it
    session.commit()
    service.delete_offering(session, "weather-edge", users["staff"])
    service.delete_scenario(session, "drug-rd", users["staff"])
    session.commit()
    assert _count(session, MarketOffering) == 4 and _count(session, MarketScenario) == 0


def test_records_with_evaluation_runs_are_refused_with_the_count(session, fixtures, users):
    _publish(session, fixtures, users)
    _add_run(session, "drug-rd", "med-private")
    _add_run(session, "drug-rd", "med-private")
    _add_run(session, "drug-rd", "general-cheap")
    with pytest.raises(service.InUse) as ei:
        service.delete_offering(session, "med-private", users["b"])
    assert ei.value.status_code == 409
    assert "2 条评测记录" in ei.value.zh and "2 evaluation runs" in ei.value.en and "med-private" in ei.value.en
    with pytest.raises(service.InUse) as ei:
        service.delete_scenario(session, "drug-rd", users["staff"])  # staff too: the rule is about history
    assert "3 条评测记录" in ei.value.zh and "3 evaluation runs" in ei.value.en
    assert service.deletion_check(session, "offering", "general-cheap", users["b"])["runs"] == 1
    session.rollback()
    assert _count(session, MarketEvaluation) == 3 and _count(session, MarketScenario) == 1
    assert [r["offering_id"] for r in service.leaderboard(session, "drug-rd", users["a"])] == ["general-cheap",
                                                                                             "med-private"]
    # an offering nobody evaluated can still go, and the leaderboard is untouched
    service.delete_offering(session, "weather-edge", users["b"])
    session.commit()
    assert len(service.leaderboard(session, "drug-rd", users["a"])) == 2


def _scenario(id_, industry, tasks):
    return parse_scenario({"id": id_, "title": f"场景 {id_}", "industry": industry, "tasks": tasks}, "test")


def test_scenario_facet_counts(session, users):
    for id_, industry, tasks, owner, public in (
            ("s1", "biomedicine", ["question-answering", "summarization"], "a", True),
            ("s2", "biomedicine", ["question-answering"], "a", True),
            ("s3", "meteorology", ["summarization"], "b", True),
            ("s4", "finance_trade", ["classification"], "b", False)):  # private to Org B
        service.publish_scenario(session, _scenario(id_, industry, tasks), users[owner], is_public=public)
    session.commit()
    out = service.browse_scenarios_faceted(session, None)
    assert {r.slug for r in out["items"]} == {"s1", "s2", "s3"}
    assert out["facets"] == {"industry": {"biomedicine": 2, "meteorology": 1},
                             "task": {"question-answering": 2, "summarization": 2}}
    assert service.browse_scenarios_faceted(session, users["b"])["facets"]["industry"] == {
        "biomedicine": 2, "finance_trade": 1, "meteorology": 1}
    f = service.browse_scenarios_faceted(session, None, task="summarization")
    assert sorted(r.slug for r in f["items"]) == ["s1", "s3"]
    # a facet's own counts ignore its own choice; the other facet's counts follow it
    assert f["facets"]["task"] == {"question-answering": 2, "summarization": 2}
    assert f["facets"]["industry"] == {"biomedicine": 1, "meteorology": 1}
    f = service.browse_scenarios_faceted(session, None, industry="biomedicine")
    assert f["facets"]["task"] == {"question-answering": 2, "summarization": 1}
    assert [r.slug for r in service.browse_scenarios(session, None, industry="biomedicine", task="summarization")] == ["s1"]


# --- web and JSON API -----------------------------------------------------------------------------

def _api_offering(client, id_="port-llm"):
    r = client.post("/api/v1/market/offerings", json={"id": id_, "name": "港航大模型", "description": "港口调度",
                                                      "tasks": ["classification"], "domains": ["transportation"]})
    assert r.status_code == 201, r.text


def _api_scenario(client, id_="port-reports", industry="transportation", tasks=("classification",)):
    r = client.post("/api/v1/market/scenarios", json={"id": id_, "title": "港口事故报告分类", "industry": industry,
                                                      "tasks": list(tasks)})
    assert r.status_code == 201, r.text


def test_owner_deletes_through_the_confirmation_page(client, login):
    login(client, org="Org A")
    _api_offering(client)
    _api_scenario(client)
    page = client.get("/market/offerings/port-llm")
    assert 'id="delete-offering"' in page.text and 'href="/market/offerings/port-llm/delete"' in page.text
    confirm = client.get("/market/offerings/port-llm/delete")
    assert confirm.status_code == 200 and 'id="delete-form"' in confirm.text and "csrf_token" in confirm.text
    assert "删除后不可恢复" in confirm.text and "cannot be undone" in confirm.text
    r = client.post("/market/offerings/port-llm/delete", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/market/offerings"
    assert "港航大模型" not in client.get("/market/offerings").text
    assert client.get("/market/offerings/port-llm").status_code == 404
    assert client.get("/api/v1/market/offerings/port-llm").status_code == 404

    assert 'id="delete-scenario"' in client.get("/market/scenarios/port-reports").text
    r = client.post("/market/scenarios/port-reports/delete", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/market"
    assert "港口事故报告分类" not in client.get("/market").text
    assert client.get("/market/scenarios/port-reports").status_code == 404


def test_another_organisation_cannot_delete_and_nothing_changes(client, login):
    login(client, org="Org A")
    _api_offering(client)
    _api_scenario(client)
    client.post("/logout")
    login(client, org="Org B")
    assert 'id="delete-offering"' not in client.get("/market/offerings/port-llm").text
    assert 'id="delete-scenario"' not in client.get("/market/scenarios/port-reports").text
    assert client.get("/market/offerings/port-llm/delete").status_code == 403
    assert client.post("/market/offerings/port-llm/delete").status_code == 403
    assert client.post("/market/scenarios/port-reports/delete").status_code == 403
    r = client.delete("/api/v1/market/offerings/port-llm")
    assert r.status_code == 403 and "无权" in r.json()["error_zh"]
    assert client.delete("/api/v1/market/scenarios/port-reports").status_code == 403
    assert client.delete("/api/v1/market/scenarios/nope").status_code == 404
    assert client.get("/api/v1/market/offerings/port-llm").status_code == 200
    assert client.get("/api/v1/market/scenarios/port-reports").status_code == 200


def test_api_delete_needs_csrf_and_answers_204(client, login):
    login(client, org="Org A")
    _api_offering(client)
    _api_scenario(client)
    token = client.headers.pop("X-CSRF-Token")
    r = client.delete("/api/v1/market/offerings/port-llm")
    assert r.status_code == 403 and "CSRF" in r.json()["error"]
    r = client.delete("/api/v1/market/scenarios/port-reports", headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    assert client.get("/api/v1/market/offerings/port-llm").status_code == 200
    r = client.delete("/api/v1/market/offerings/port-llm", headers={"X-CSRF-Token": token})
    assert r.status_code == 204 and r.content == b""
    assert client.get("/api/v1/market/offerings/port-llm").status_code == 404
    client.headers["X-CSRF-Token"] = token
    # staff may delete another organisation's scenario
    client.post("/logout")
    login(client, role="staff")
    assert client.delete("/api/v1/market/scenarios/port-reports").status_code == 204
    assert client.get("/api/v1/market/scenarios/port-reports").status_code == 404


def test_web_and_api_refuse_while_evaluation_runs_exist(client, login):
    login(client, org="Org A")
    _api_offering(client)
    _api_scenario(client)
    with session_scope() as s:
        _add_run(s, "port-reports", "port-llm")
    confirm = client.get("/market/scenarios/port-reports/delete")
    assert confirm.status_code == 200 and 'id="delete-form"' not in confirm.text
    assert "1 条评测记录" in confirm.text and "1 evaluation run;" in confirm.text
    r = client.post("/market/scenarios/port-reports/delete")
    assert r.status_code == 409 and "1 条评测记录" in r.text and 'id="page-error"' in r.text
    r = client.delete("/api/v1/market/offerings/port-llm")
    assert r.status_code == 409 and "1 条评测记录" in r.json()["error_zh"] and "1 evaluation run" in r.json()["error"]
    with session_scope() as s:
        assert _count(s, MarketOffering) == 1 and _count(s, MarketScenario) == 1 and _count(s, MarketEvaluation) == 1


def test_scenario_list_shows_facet_counts(client, login):
    login(client, org="Org A")
    _api_scenario(client, "t1", "transportation", ["classification", "summarization"])
    _api_scenario(client, "t2", "transportation", ["classification"])
    _api_scenario(client, "m1", "meteorology", ["summarization"])
    page = client.get("/market").text
    industry = page.split('id="facet-industry"')[1].split("</select>")[0]
    assert 'value="transportation" data-count="2"' in industry and 'value="meteorology" data-count="1"' in industry
    assert 'value="finance_trade" data-count="0"' in industry
    task = page.split('id="facet-task"')[1].split("</select>")[0]
    assert 'value="classification" data-count="2"' in task and 'value="summarization" data-count="2"' in task
    assert "共 3 个" in page
    page = client.get("/market?industry=transportation").text
    task = page.split('id="facet-task"')[1].split("</select>")[0]
    assert 'value="summarization" data-count="1"' in task and "共 2 个" in page
    api = client.get("/api/v1/market/scenarios?task=summarization").json()
    assert sorted(i["scenario_id"] for i in api["items"]) == ["m1", "t1"]
    assert api["facets"]["industry"] == {"meteorology": 1, "transportation": 1}


# --- CLI ------------------------------------------------------------------------------------------

def test_cli_delete_commands(moli_home, fixtures):
    runner = CliRunner()
    assert runner.invoke(app, ["market", "import-offerings", str(fixtures / "offerings.jsonl")]).exit_code == 0
    assert runner.invoke(app, ["market", "import-scenarios", str(fixtures / "scenario_drug.yaml")]).exit_code == 0
    with session_scope() as s:
        _add_run(s, "drug-rd", "med-private")
    r = runner.invoke(app, ["market", "delete-offering", "weather-edge"])
    assert r.exit_code == 0, r.output
    assert '"offering_id": "weather-edge"' in r.stdout and '"deleted": true' in r.stdout
    r = runner.invoke(app, ["market", "delete-scenario", "drug-rd"])
    assert isinstance(r.exception, service.InUse) and "1 条评测记录" in r.exception.zh
    with session_scope() as s:
        assert {o.slug for o in s.query(MarketOffering)} == {"med-private", "med-api-us", "general-cheap",
                                                             "research-only"}
        assert _count(s, MarketScenario) == 1
