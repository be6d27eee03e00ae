"""Demo content: the packaged knowledge base and a few fictional directory entries (idempotent)."""

from __future__ import annotations

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from moli.outbound import service
from moli.outbound.models import Enterprise
from moli.outbound.rules import DATA_DIR


def load(session: Session) -> dict:
    kb = service.sync_knowledge_base(session)
    data = yaml.safe_load((DATA_DIR / "demo_enterprises.yaml").read_text(encoding="utf-8"))
    names = set(session.scalars(select(Enterprise.name)))
    added = 0
    for row in data["enterprises"]:
        if row["name"] in names:
            continue
        service.upsert_enterprise(session, row)
        added += 1
    return {"kb_documents_added": kb["added"], "kb_documents_updated": kb["updated"], "enterprises_added": added}
