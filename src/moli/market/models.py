"""Market tables: offerings (模型供给), scenarios (应用场景) with their private test sets, evaluations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from moli.core.db import Base, utcnow


class MarketOffering(Base):
    """A model offering (model card). ``data`` holds the validated :class:`Offering` as JSON."""

    __tablename__ = "market_offerings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    vendor: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    is_public: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class MarketScenario(Base):
    """A business scenario. ``data`` holds the :class:`Scenario`; ``test_set`` is private to the owner."""

    __tablename__ = "market_scenarios"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    industry: Mapped[str] = mapped_column(String(40), default="general")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    test_set: Mapped[list | None] = mapped_column(JSON, nullable=True)
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    is_public: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class MarketEvaluation(Base):
    """One offering evaluated on one scenario's test set (a row of the scenario's leaderboard)."""

    __tablename__ = "market_evaluations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("market_scenarios.id"))
    offering_id: Mapped[int] = mapped_column(ForeignKey("market_offerings.id"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued|running|succeeded|failed
    primary_metric: Mapped[str] = mapped_column(String(60), default="exact_match")
    primary_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)  # items, ok, failed, cached
    items: Mapped[list] = mapped_column(JSON, default=list)  # per-item results
    error: Mapped[str] = mapped_column(Text, default="")
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
