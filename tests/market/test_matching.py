import numpy as np
import pytest

from moli.market.generate import generate_offerings, generate_scenarios
from moli.market.matching import OfferingIndex, match_offerings, scenarios_for_offering
from moli.market.ranking import HardConstraint, Reason, SoftSignal, rank
from moli.market.schemas import load_offerings, load_scenario, parse_scenario


@pytest.fixture
def offerings(fixtures):
    return load_offerings(fixtures / "offerings.jsonl")


def test_hard_constraints_exclude_with_reasons(fixtures, offerings):
    out = match_offerings(load_scenario(fixtures / "scenario_drug.yaml"), offerings, k=10)
    assert [m["offering_id"] for m in out["matches"]] == ["med-private"]
    excluded = {e["offering_id"]: {v["kind"] for v in e["violations"]} for e in out["excluded"]}
    assert excluded == {
        "med-api-us": {"filing", "data_residency", "price"},
        "general-cheap": {"context_length"},
        "research-only": {"filing", "context_length", "commercial_use"},
        "weather-edge": {"filing", "context_length"},
    }
    v = next(e for e in out["excluded"] if e["offering_id"] == "med-api-us")["violations"]
    price = next(x for x in v if x["kind"] == "price")
    assert "超出预算" in price["zh"] and "exceeds the budget" in price["en"]
    assert out["counts"] == {"candidates": 5, "eligible": 1, "excluded": 4}


def test_match_reasons_name_constraints_terms_and_scores(fixtures, offerings):
    m = match_offerings(load_scenario(fixtures / "scenario_drug.yaml"), offerings)["matches"][0]
    kinds = [r["kind"] for r in m["reasons"]]
    for k in ("deployment", "filing", "data_residency", "context_length", "price", "commercial_use",
              "text", "tasks", "domain", "evaluations"):
        assert k in kinds
    text = next(r for r in m["reasons"] if r["kind"] == "text")
    assert {"药物", "研发", "临床", "试验"} <= set(text["matched_terms"])
    ev = next(r for r in m["reasons"] if r["kind"] == "evaluations")
    assert ev["benchmarks"] == ["MedQA"]
    filing = next(r for r in m["reasons"] if r["kind"] == "filing")
    assert "Shanghai-Test-001" in filing["zh"]
    assert 0 < m["score"] <= 1
    assert abs(sum(r.get("contribution", 0) for r in m["reasons"]) - m["score"]) < 1e-3


def test_soft_relevance_orders_eligible_offerings(fixtures, offerings):
    out = match_offerings(load_scenario(fixtures / "scenario_weather.yaml"), offerings)
    ids = [m["offering_id"] for m in out["matches"]]
    assert ids[0] == "weather-edge"
    assert "research-only" not in ids  # non-commercial licence
    assert [e["offering_id"] for e in out["excluded"]] == ["research-only"]
    scores = [m["score"] for m in out["matches"]]
    assert scores == sorted(scores, reverse=True)


def test_residency_is_met_by_on_premises_deployment(offerings):
    s = parse_scenario({"id": "s", "title": "天气", "constraints": {"data_must_stay_in": "CN"}})
    out = match_offerings(s, offerings)
    ok = {m["offering_id"]: m for m in out["matches"]}
    assert "weather-edge" in ok and "med-api-us" not in ok
    reason = next(r for r in ok["weather-edge"]["reasons"] if r["kind"] == "data_residency")
    assert "私有化或端侧" in reason["zh"]
    # Once the scenario allows only the API, on-premises deployment no longer counts.
    s2 = parse_scenario({"id": "s", "title": "天气", "constraints": {"data_must_stay_in": "CN", "deployment": ["api"]}})
    ids2 = {m["offering_id"] for m in match_offerings(s2, offerings)["matches"]}
    assert ids2 == {"general-cheap"}


def test_language_is_a_hard_constraint(offerings):
    s = parse_scenario({"id": "s", "title": "英文摘要", "languages": ["en"]})
    ids = {m["offering_id"] for m in match_offerings(s, offerings)["matches"]}
    assert ids == {"med-private", "med-api-us"}


def test_other_direction_scenarios_for_offering(fixtures, offerings):
    scenarios = [load_scenario(fixtures / "scenario_drug.yaml"), load_scenario(fixtures / "scenario_weather.yaml")]
    weather = next(o for o in offerings if o.id == "weather-edge")
    out = scenarios_for_offering(weather, scenarios)
    assert [m["scenario_id"] for m in out["matches"]] == ["weather-brief"]
    assert out["excluded"][0]["scenario_id"] == "drug-rd"
    assert {v["kind"] for v in out["excluded"][0]["violations"]} == {"filing", "context_length"}
    terms = next(r for r in out["matches"][0]["reasons"] if r["kind"] == "text")["matched_terms"]
    assert "天气预报" in terms or "预警" in terms


def test_generated_index_never_ranks_a_violator():
    offs = generate_offerings(1500, seed=3)
    index = OfferingIndex(offs)
    for s in generate_scenarios(10, seed=5):
        r = index.match(s, k=20, max_excluded=None)
        c = s.constraints
        assert r.n_eligible + r.n_excluded == len(offs)
        for m in r.matches:
            o = offs[m.index]
            if c.deployment:
                assert set(o.deployment) & set(c.deployment)
            if c.requires_filing:
                assert o.filing.status in ("filed", "registered")
            if c.min_context_length:
                assert (o.context_length or 0) >= c.min_context_length
            if c.max_price_per_million_tokens_cny is not None and o.price_per_million_tokens_cny is not None:
                assert o.price_per_million_tokens_cny <= c.max_price_per_million_tokens_cny
            if c.commercial_use:
                assert o.commercial_use
            if c.data_must_stay_in:
                assert set(o.data_residency) <= {c.data_must_stay_in} and o.data_residency or \
                    set(o.deployment) & {"private", "edge"}
        # Brute force: the same eligible set as a plain Python filter.
        assert len(r.excluded) == r.n_excluded
        for e in r.excluded[:50]:
            assert e.violations


def test_rank_core_is_reusable_and_deterministic():
    ids = ["a", "b", "c", "d"]
    ok = np.array([True, False, True, True])
    hard = [HardConstraint("region", ok, lambda i: Reason("region", "地区符合", "region fits"),
                           lambda i: Reason("region", "地区不符", "wrong region"))]
    soft = [SoftSignal("x", np.array([0.5, 1.0, 0.5, 0.9]), 1.0,
                       lambda idx: [Reason("x", f"得分{i}", f"score {i}") for i in idx])]
    r = rank(ids, hard, soft, k=10)
    assert [m.id for m in r.matches] == ["d", "a", "c"]  # tie a/c broken by input order
    assert [e.id for e in r.excluded] == ["b"] and r.excluded[0].violations[0].en == "wrong region"
    assert r.matches[0].reasons[0].zh == "地区符合"


def test_traditional_and_full_width_queries_match_simplified_descriptions(offerings):
    s = parse_scenario({"id": "t", "title": "藥物研發", "description": "需要回答臨床試驗問題，ＡＰＩ或私有化部署皆可。",
                        "industry": "biomedicine"})
    m = match_offerings(s, offerings)["matches"][0]
    assert m["offering_id"] == "med-private"
    terms = next(r for r in m["reasons"] if r["kind"] == "text")["matched_terms"]
    assert {"药物", "研发", "临床", "试验"} <= set(terms)


def test_task_constraint_excludes_models_that_cannot_do_any_task():
    from moli.market.schemas import parse_offering

    def off(i, tasks, desc="交通事故报告分析与日报生成"):
        return parse_offering({"id": i, "name": i, "description": desc, "tasks": tasks, "languages": ["zh"]})

    offs = [off("embed", ["embedding"]), off("chat", ["question-answering"]), off("asr", ["speech-recognition"]),
            off("undeclared", []), off("summ", ["summarization"])]
    report = parse_scenario({"id": "r", "title": "交通事故报告分析", "tasks": ["classification", "summarization"]})
    out = match_offerings(report, offs)
    # The embedding and speech models share the description's words but can do none of the tasks.
    assert {m["offering_id"] for m in out["matches"]} == {"chat", "undeclared", "summ"}
    v = {e["offering_id"]: e["violations"] for e in out["excluded"]}
    assert set(v) == {"embed", "asr"}
    assert v["embed"][0]["kind"] == "tasks" and "向量表示" in v["embed"][0]["zh"] and "embedding" in v["embed"][0]["en"]
    # A chat model does the text tasks by prompting, but not speech recognition.
    speech = parse_scenario({"id": "s", "title": "热线录音转写", "tasks": ["speech-recognition"]})
    assert {m["offering_id"] for m in match_offerings(speech, offs)["matches"]} == {"asr", "undeclared"}
    # The other direction applies the same rule.
    back = scenarios_for_offering(offs[0], [report, speech])
    assert back["matches"] == [] and {e["scenario_id"] for e in back["excluded"]} == {"r", "s"}
