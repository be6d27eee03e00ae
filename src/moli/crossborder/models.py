"""出境评估台账 / The exporter's ledger: one row per recorded assessment."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from moli.core.db import Base, utcnow


class Assessment(Base):
    """A recorded cross-border assessment (数据出境评估记录). The ledger of an exporter is its rows."""

    __tablename__ = "crossborder_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exporter_name: Mapped[str] = mapped_column(String(200), index=True)
    transfer_date: Mapped[dt.date] = mapped_column(Date)
    recipient: Mapped[str] = mapped_column(String(300), default="")
    path: Mapped[str] = mapped_column(String(40))
    regime: Mapped[str] = mapped_column(String(40))
    individuals: Mapped[int] = mapped_column(Integer, default=0)
    sensitive_individuals: Mapped[int] = mapped_column(Integer, default=0)
    exempt_scenario: Mapped[bool] = mapped_column(Boolean, default=False)
    partial: Mapped[bool] = mapped_column(Boolean, default=False)
    plan: Mapped[dict] = mapped_column(JSON, default=dict)
    report: Mapped[dict] = mapped_column(JSON, default=dict)
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
