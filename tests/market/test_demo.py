from moli.market import demo, service
from moli.market.models import MarketOffering, MarketScenario


def test_demo_is_idempotent_and_matches(session):
    first = demo.load(session)
    session.commit()
    assert first["market_offerings"] >= 12 and first["market_scenarios"] == 7
    assert demo.load(session) == {"market_offerings": 0, "market_scenarios": 0}
    assert session.query(MarketOffering).count() == first["market_offerings"]
    # every demo fact carries its source
    for row in session.query(MarketOffering):
        if row.data.get("hosted"):  # the platform's own baseline: its source is its API
            assert row.data["sources"] == {"api": "/v1/models"}
        else:
            assert row.data["sources"]["model_card"].startswith("https://"), row.slug
        assert row.data["evaluations"] == []  # no invented scores
    gov = service.scenario_of(service.get_scenario(session, "demo-government-services", None))
    out = service.match_scenario(session, gov, None, k=5)
    ids = [m["offering_id"] for m in out["matches"]]
    assert ids and not any(i.startswith("llama") for i in ids)  # Llama 3.1 does not list Chinese
    assert any(e["offering_id"] == "baichuan2-13b-chat" for e in out["excluded"])  # 4K context < 32K
    assert session.query(MarketScenario).filter_by(slug="demo-government-services").one().test_set
    # the demo can run an evaluation with no external endpoint: the platform's baseline is evaluable
    assert [r.slug for r in service.evaluable_offerings(session, None)] == ["moli-retrieval-baseline"]
