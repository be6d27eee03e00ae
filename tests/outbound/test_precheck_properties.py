"""Properties of the pre-check over generated plans: the rules cover every case and stay consistent."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moli.outbound.precheck import parse_plan, precheck
from moli.outbound.rules import AUTHORITIES, default_data

COUNTRIES = sorted(c.code for c in default_data()[1].values() if c.out_of_scope is None)
INDUSTRIES = ["人工智能大模型研发", "房地产开发", "酒店", "影城运营", "股权投资基金", "新闻传媒", "工业软件", "武器装备维修", ""]
ITEMS = ["语音合成", "推荐算法", "通用工具链", "作文批改", "图像分割"]

plans = st.fixed_dictionaries({
    "investor": st.fixed_dictionaries({"name": st.just("甲"), "type": st.sampled_from(["central_soe", "local"]),
                                       "financial": st.booleans()}),
    "investment": st.fixed_dictionaries({
        "date": st.dates(min_value=dt.date(2018, 3, 1),
                         max_value=dt.date(2030, 12, 31)).map(str),
        "amount_usd": st.one_of(st.integers(0, 2_000_000_000), st.just(300_000_000), st.just(299_999_999)),
        "destination_country": st.sampled_from(COUNTRIES),
        "industry": st.sampled_from(INDUSTRIES),
        "route": st.sampled_from(["direct", "offshore_controlled"]),
        "acquisition": st.booleans(),
    }, optional={"sensitive_country": st.booleans(), "sensitive_industry": st.booleans()}),
    "technology_export": st.one_of(
        st.just({"involved": False}),
        st.fixed_dictionaries({"involved": st.just(True), "class": st.sampled_from(["prohibited", "restricted", "free"]),
                               "items": st.lists(st.sampled_from(ITEMS), max_size=2)})),
})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans)
def test_every_plan_gets_one_consistent_procedure_per_authority(data):
    result = precheck(parse_plan(data))
    procs = {p["authority"]: p for p in result["procedures"]}
    assert list(procs) == list(AUTHORITIES)
    facts, inv = result["facts"], data["investment"]
    ndrc, mofcom, safe, tech = (procs[a] for a in AUTHORITIES)
    # NDRC: sensitive → national approval; otherwise the route and the US$300M line decide.
    if facts["ndrc_sensitive"]:
        assert (ndrc["action"], ndrc["level"]) == ("approval", "national")
    elif inv["route"] == "direct":
        national = data["investor"]["type"] == "central_soe" or inv["amount_usd"] >= 300_000_000
        assert (ndrc["action"], ndrc["level"]) == ("filing", "national" if national else "provincial")
    else:
        assert ndrc["action"] == ("report" if inv["amount_usd"] >= 300_000_000 else "none")
    # MOFCOM: financial firms are outside the 2014 Measures.
    if data["investor"]["financial"]:
        assert mofcom["action"] == "none"
    elif inv["route"] == "direct":
        assert mofcom["action"] == ("approval" if facts["mofcom_sensitive"] else "filing")
    # SAFE registration exactly when domestic assets leave China.
    assert safe["action"] == ("registration" if inv["route"] == "direct" else "none")
    # Technology: never below the declared class; restricted/prohibited make MOFCOM treat the industry as sensitive.
    declared = data["technology_export"].get("class")
    expected = {"prohibited": "prohibited", "restricted": "license", "free": {"registration", "license"}, None: "none"}
    want = expected[declared if data["technology_export"]["involved"] else None]
    assert tech["action"] in (want if isinstance(want, set) else {want})
    if tech["action"] in ("license", "prohibited") and not data["investor"]["financial"] and inv["route"] == "direct":
        assert mofcom["action"] == "approval"
    # Order lists exactly the authorities that have something to do; blocked iff prohibited.
    assert set(result["order"]) == {a for a, p in procs.items() if p["action"] not in ("none", "prohibited")}
    assert result["blocked"] == (tech["action"] == "prohibited")
    for p in result["procedures"]:
        assert p["clause"] and p["source"] and p["confidence"] in ("high", "medium", "low")
