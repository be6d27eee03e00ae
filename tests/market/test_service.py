"""Ownership, facets and the background evaluation job, on a real migrated database."""

import json

import httpx
import pytest

from moli.core.errors import InputError, PermissionDenied
from moli.core.jobs import submit_job
from moli.core.models import Job
from moli.market import service
from moli.market.models import MarketEvaluation
from moli.market.schemas import load_offerings, load_scenario, load_test_set
from tests.conftest import make_user


@pytest.fixture
def users(db_url, session):
    return {"a": make_user(org="Org A"), "b": make_user(org="Org B"), "staff": make_user(role="staff", org=None)}


def _publish(session, fixtures, users, answerer=None):
    for o in load_offerings(fixtures / "offerings.jsonl"):
        if answerer:
            o = o.model_copy(update={"endpoint": f"{answerer}/ok/v1"})
            o.__pydantic_extra__["api_model"] = "oracle" if o.id == "med-private" else "half"
        service.publish_offering(session, o, users["b"])
    scn = load_scenario(fixtures / "scenario_drug.yaml")
    service.publish_scenario(session, scn, users["a"], test_set=load_test_set(fixtures / "testset.jsonl"))
    session.commit()


def test_test_set_and_results_are_private_to_owner_and_staff(session, fixtures, users):
    _publish(session, fixtures, users)
    assert len(service.get_test_set(session, "drug-rd", users["a"])) == 12
    assert len(service.get_test_set(session, "drug-rd", users["staff"])) == 12
    with pytest.raises(PermissionDenied):
        service.get_test_set(session, "drug-rd", users["b"])
    with pytest.raises(PermissionDenied):
        service.get_test_set(session, "drug-rd", None)
    with pytest.raises(PermissionDenied):
        service.leaderboard(session, "drug-rd", users["b"])
    # the public scenario itself is readable by anyone, but B may not edit it
    assert service.get_scenario(session, "drug-rd", None).title == "新药研发文献问答"
    with pytest.raises(PermissionDenied):
        service.publish_scenario(session, load_scenario(fixtures / "scenario_drug.yaml"), users["b"])


def test_private_offering_is_not_matched_for_others(session, fixtures, users):
    _publish(session, fixtures, users)
    row = service.get_offering(session, "med-private", users["b"])
    row.is_public = False
    session.commit()
    scn = load_scenario(fixtures / "scenario_weather.yaml")
    seen_b = {m["offering_id"] for m in service.match_scenario(session, scn, users["b"])["matches"]}
    seen_a = {m["offering_id"] for m in service.match_scenario(session, scn, users["a"])["matches"]}
    assert "med-private" in seen_b and "med-private" not in seen_a
    with pytest.raises(PermissionDenied):
        service.get_offering(session, "med-private", users["a"])


def test_facets_count_and_filter(session, fixtures, users):
    _publish(session, fixtures, users)
    out = service.browse_offerings(session, None)
    assert len(out["items"]) == 5
    assert out["facets"]["domain"]["biomedicine"] == 3
    assert out["facets"]["deployment"] == {"api": 2, "edge": 1, "private": 3}
    assert out["facets"]["filing"] == {"filed": 1, "none": 3, "registered": 1}
    assert out["facets"]["price"]["free_or_unlisted"] == 2
    f = service.browse_offerings(session, None, domain="biomedicine", deployment="private")
    assert sorted(r.slug for r in f["items"]) == ["med-private", "research-only"]
    # a facet's own counts ignore its own selection (so other values stay clickable)
    assert f["facets"]["deployment"] == {"api": 1, "private": 2}
    assert [r.slug for r in service.browse_offerings(session, None, q="气象")["items"]] == ["weather-edge"]


def test_evaluation_runs_as_a_job_with_progress(session, fixtures, users, answerer):
    _publish(session, fixtures, users, answerer)
    job = submit_job(session, "market.evaluate", "评测", {"scenario": "drug-rd", "offerings": ["med-private", "general-cheap"],
                                                        "user_id": users["a"].id, "timeout": 5, "retries": 1}, users["a"])
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.status == "succeeded", job.message
    assert job.progress == 1.0
    assert [r["offering_id"] for r in job.result["leaderboard"]] == ["med-private", "general-cheap"]
    evs = session.query(MarketEvaluation).all()
    assert {e.job_id for e in evs} == {job.id} and all(e.status == "succeeded" for e in evs)
    board = service.leaderboard(session, "drug-rd", users["staff"])
    assert board[0]["offering_id"] == "med-private" and board[0]["metrics"]["exact_match"] == 1.0
    assert json.dumps(board, ensure_ascii=False)  # serialisable for the API


def test_job_refuses_a_user_from_another_organisation(session, fixtures, users, answerer):
    _publish(session, fixtures, users, answerer)
    job = submit_job(session, "market.evaluate", "评测", {"scenario": "drug-rd", "offerings": ["med-private"],
                                                        "user_id": users["b"].id}, users["b"])
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.status == "failed" and "无权" in job.message
    assert session.query(MarketEvaluation).count() == 0


def test_an_endpoint_on_this_machine_or_the_intranet_is_never_called(session, fixtures, users, answerer, monkeypatch):
    from moli.core.settings import reset_settings

    monkeypatch.delenv("MOLI_MODEL_ENDPOINT_NETWORKS")
    reset_settings()
    before = httpx.get(f"{answerer}/stats").json()
    _publish(session, fixtures, users, answerer)
    with pytest.raises(InputError, match="内网地址 127.0.0.1"):
        service.run_evaluation(session, "drug-rd", ["med-private", "general-cheap"], users["a"], timeout=5, retries=0)
    assert httpx.get(f"{answerer}/stats").json() == before  # not one request reached the loopback server
    session.expire_all()
    evs = session.query(MarketEvaluation).all()
    assert len(evs) == 2 and all(e.status == "failed" and "MOLI_MODEL_ENDPOINT_NETWORKS" in e.error for e in evs)
    assert service.endpoint_refusal("http://169.254.169.254/latest/v1") is not None  # cloud metadata
    assert service.endpoint_refusal("http://[::ffff:10.0.0.1]:8000/v1") is not None
    assert service.endpoint_refusal("https://93.184.215.14/v1") is None  # a public address
    monkeypatch.setenv("MOLI_MODEL_ENDPOINT_NETWORKS", "10.8.0.0/16")
    reset_settings()
    assert service.endpoint_refusal("http://10.8.3.4:8000/v1") is None  # the operator's intranet models
    assert service.endpoint_refusal("http://10.9.3.4:8000/v1") is not None


def test_a_model_that_answered_nothing_ranks_below_one_that_answered():
    from moli.market.evaluation import rank_key

    rows = [{"offering_id": "a-broken", "primary_metric": "exact_match", "score": 0.0,
             "metrics": {"exact_match": 0.0, "char_f1": 0.0}, "counts": {"failed": 3}},
            {"offering_id": "z-baseline", "primary_metric": "exact_match", "score": 0.0,
             "metrics": {"exact_match": 0.0, "char_f1": 0.286}, "counts": {"failed": 0}},
            {"offering_id": "b-flaky", "primary_metric": "exact_match", "score": 0.0,
             "metrics": {"exact_match": 0.0, "char_f1": 0.0}, "counts": {"failed": 1}}]
    assert [r["offering_id"] for r in sorted(rows, key=rank_key)] == ["z-baseline", "b-flaky", "a-broken"]
