"""Catalogue table (语料目录): one row per built corpus version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from moli.core.db import Base, utcnow

ACCESS_LEVELS = ("public", "restricted", "internal")  # 公开 / 受限（登录可见目录，样本仅本组织）/ 内部


class Corpus(Base):
    """A built corpus (语料库) registered in the catalogue."""

    __tablename__ = "corpora"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_corpora_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    version: Mapped[str] = mapped_column(String(40), default="1")
    domain: Mapped[str] = mapped_column(String(60), default="government_affairs")
    licence: Mapped[str] = mapped_column(String(200), default="")
    access: Mapped[str] = mapped_column(String(20), default="internal")  # public | restricted | internal
    description: Mapped[str] = mapped_column(Text, default="")
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    stats: Mapped[dict] = mapped_column(JSON, default=dict)
    manifest: Mapped[dict] = mapped_column(JSON, default=dict)
    location: Mapped[str] = mapped_column(String(1000))
    recipe_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def is_public(self) -> bool:
        return self.access == "public"
