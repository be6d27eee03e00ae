"""Demo content: real, publicly documented models and scenarios from the seed's fields (idempotent)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from moli.market import service
from moli.market.models import MarketOffering, MarketScenario
from moli.market.schemas import DATA_DIR, load_offerings, load_scenarios, load_test_set


def load(session: Session) -> dict:
    """Publish the demo offerings and scenarios that are not there yet; running twice adds nothing."""
    have_o = set(session.scalars(select(MarketOffering.slug)))
    have_s = set(session.scalars(select(MarketScenario.slug)))
    added_o = added_s = 0
    for o in load_offerings(DATA_DIR / "demo_offerings.yaml"):
        if o.id not in have_o:
            service.publish_offering(session, o, service.OPERATOR)
            added_o += 1
    for s in load_scenarios(DATA_DIR / "demo_scenarios.yaml"):
        if s.id not in have_s:
            tests = load_test_set(DATA_DIR / s.test_set) if s.test_set else None
            service.publish_scenario(session, s, service.OPERATOR, test_set=tests)
            added_s += 1
    session.flush()
    return {"market_offerings": added_o, "market_scenarios": added_s}
