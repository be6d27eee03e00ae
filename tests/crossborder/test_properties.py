"""Properties of the decision engine over generated plans (hypothesis)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moli.core.errors import InputError
from moli.crossborder import service
from moli.crossborder.engine import STRICTNESS, assess
from moli.crossborder.rules import rulebook

LISTS = [None, "shanghai_ftz_lingang_2024", "shanghai_citywide_2026", "beijing_ftz_2024"]


@st.composite
def plans(draw):
    day = draw(st.dates(dt.date(2022, 9, 1), dt.date(2027, 12, 31)))
    scenario = draw(st.sampled_from(["none", "contract_necessity", "hr_management", "emergency"]))
    transit = draw(st.booleans())
    plan = {
        "exporter": {"name": "P", "is_ciio": draw(st.booleans()),
                     "registration": draw(st.sampled_from(["shanghai_ftz", "lingang", "shanghai_other", "other_cn"]))},
        "transfer": {"date": day.isoformat(), "recipient": {"country": draw(st.sampled_from(["US", "CN", "HK"]))},
                     "scenario": scenario, "necessity_justified": scenario != "none" and draw(st.booleans()),
                     "remote_access": draw(st.booleans())},
        "data": {"individuals": draw(st.integers(0, 3_000_000)), "sensitive_individuals": draw(st.integers(0, 30_000)),
                 "important_data": draw(st.booleans()), "collected_abroad_transit": transit,
                 "domestic_data_added": transit and draw(st.booleans())},
        "history": [{"date": (day - dt.timedelta(days=draw(st.integers(0, 800)))).isoformat(),
                     "individuals": draw(st.integers(0, 500_000)),
                     "sensitive_individuals": draw(st.integers(0, 5_000))} for _ in range(draw(st.integers(0, 3)))],
    }
    nl = draw(st.sampled_from(LISTS))
    if nl:
        covered = draw(st.booleans())
        plan["data"]["negative_list"] = {"list": nl, "covered": covered,
                                         "on_list_items": ["x"] if covered and draw(st.booleans()) else []}
    return plan


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), st.integers(1, 2_000_000))
def test_every_decision_cites_and_more_people_is_never_laxer(raw, extra):
    try:
        plan = service.plan_from_mapping(raw)
    except InputError as exc:  # generated contradictions (e.g. transit + domestic data, no counts)
        assert exc.field
        return
    r = assess(plan)
    rb = rulebook()
    assert r["rules"], "a decision without a rule"
    assert r["rules"][-1]["effect"] == r["path"]
    for x in r["rules"]:
        assert x["clause"] and x["source"] and all(s in rb.sources for s in x["source"])
    # more people in all (never fewer than the sensitive ones: individuals includes them)
    more = max(raw["data"]["individuals"], raw["data"]["sensitive_individuals"]) + extra
    raw2 = {**raw, "data": {**raw["data"], "individuals": more}}
    r2 = assess(service.plan_from_mapping(raw2))
    assert STRICTNESS[r2["path"]] >= STRICTNESS[r["path"]], (r["path"], r2["path"])


def test_uploads_are_size_limited_and_named(tmp_path):
    saved = service.save_uploads([("a.csv", io.BytesIO(b"x" * 1000))], tmp_path / "u1", max_bytes=2000)
    assert saved[0].read_bytes() == b"x" * 1000
    with pytest.raises(InputError) as info:
        service.save_uploads([("big.csv", io.BytesIO(b"x" * 3000))], tmp_path / "u2", max_bytes=2000)
    assert info.value.field == "data"
    with pytest.raises(InputError):
        service.save_uploads([("../../etc/passwd", io.BytesIO(b"x"))], tmp_path / "u3", max_bytes=2000)
    assert not (tmp_path / "etc").exists()
