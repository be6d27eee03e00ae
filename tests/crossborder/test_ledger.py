"""The ledger: recorded assessments count toward the next one's window; organisations are separated."""

from __future__ import annotations

import datetime as dt

import pytest

from moli.core.errors import PermissionDenied
from moli.crossborder import service
from tests.conftest import make_user

PLAN = {
    "exporter": {"name": "浦东模型科技", "registration": "other_cn"},
    "transfer": {"date": "2026-03-01", "recipient": {"name": "US Cloud", "country": "US"}},
    "data": {"individuals": 60000},
}


def _plan(date: str, individuals: int, sensitive: int = 0, **exporter):
    raw = {**PLAN, "exporter": {**PLAN["exporter"], **exporter},
           "transfer": {**PLAN["transfer"], "date": date},
           "data": {"individuals": individuals, "sensitive_individuals": sensitive}}
    return service.plan_from_mapping(raw)


def test_second_transfer_counts_the_first(db_url, session):
    first = service.run_assessment(_plan("2026-03-01", 60000), session=session, record=True)
    assert first["path"] == "exempt" and first["assessment_id"]
    second = service.run_assessment(_plan("2026-06-01", 50000), session=session, record=True)
    assert second["counts"]["individuals_window"] == 110000
    assert second["path"] == "standard_contract_or_certification"
    assert second["ledger_entries_used"] == 1
    session.commit()
    rows = service.list_assessments(session, make_user("admin", org=None))
    assert [r.individuals for r in rows] == [50000, 60000]


def test_reassessing_the_same_transfer_does_not_double_count(db_url, session):
    service.run_assessment(_plan("2026-03-01", 60000), session=session, record=True)
    again = service.run_assessment(_plan("2026-03-01", 60000), session=session, record=True)
    assert again["counts"]["individuals_window"] == 60000 and again["path"] == "exempt"
    session.commit()
    assert len(service.list_assessments(session, make_user("admin", org=None))) == 1


def test_year_boundary_and_old_rules_window(db_url, session):
    service.run_assessment(_plan("2025-12-20", 90000), session=session, record=True)
    jan = service.run_assessment(_plan("2026-01-05", 20000), session=session, use_ledger=True)
    assert jan["counts"]["individuals_window"] == 20000 and jan["path"] == "exempt"
    # before 2024-03-22 the window started on 1 January of the previous year
    service.run_assessment(_plan("2022-10-01", 90000), session=session, record=True)
    old = service.run_assessment(_plan("2023-09-01", 20000), session=session, use_ledger=True)
    assert old["counts"]["individuals_window"] == 110000 and old["path"] == "security_assessment"


def test_organisations_do_not_share_ledgers(db_url, session):
    from moli.crossborder.models import Assessment

    a = make_user("enterprise", org="Org A")
    b = make_user("enterprise", org="Org B")
    staff = make_user("staff", org=None)
    service.run_assessment(_plan("2026-02-01", 90000), session=session, record=True, user=a)
    r_b = service.run_assessment(_plan("2026-03-01", 20000), session=session, record=True, user=b)
    assert r_b["counts"]["individuals_window"] == 20000  # Org A's export is not Org B's
    session.commit()
    assert [x.owner_org_id for x in service.list_assessments(session, a)] == [a.organisation_id]
    assert len(service.list_assessments(session, staff)) == 2
    assert service.list_assessments(session, None) == []
    row_a = session.query(Assessment).filter_by(owner_org_id=a.organisation_id).one()
    with pytest.raises(PermissionDenied):
        service.get_assessment(session, b, row_a.id)
    assert service.get_assessment(session, a, row_a.id).individuals == 90000
    summary = service.ledger_summary(session, a, "浦东模型科技", 2026)
    assert summary["individuals"] == 90000 and summary["transfers"] == 1


def test_record_stores_plan_and_report(db_url, session):
    admin = make_user("admin", org=None)
    r = service.run_assessment(_plan("2026-04-01", 5, sensitive=2), session=session, record=True)
    row = service.get_assessment(session, admin, r["assessment_id"])
    assert row.transfer_date == dt.date(2026, 4, 1)
    assert row.report["path"] == "standard_contract_or_certification" == row.path
    assert row.plan["data"]["sensitive_individuals"] == 2
