"""Demo content: a fictional exporter's ledger (three 2026 transfers). Idempotent."""

from __future__ import annotations

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from moli.crossborder import service
from moli.crossborder.models import Assessment
from moli.crossborder.rules import DATA_DIR


def load(session: Session) -> dict:
    plans = yaml.safe_load((DATA_DIR / "demo_plans.yaml").read_text(encoding="utf-8"))["plans"]
    added = 0
    for raw in plans:
        plan = service.plan_from_mapping(raw)
        known = session.scalars(select(Assessment).where(Assessment.exporter_name == plan.exporter.name,
                                                         Assessment.transfer_date == plan.transfer.date)).first()
        if known is not None:
            continue
        service.run_assessment(plan, session=session, record=True)
        added += 1
    return {"assessments_added": added}
