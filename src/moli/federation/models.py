"""Federation tables: peers (对等节点), remote catalogue entries (远端目录条目), sync log (同步记录).

Only this feature's own tables; public records of other features reach the catalogue through
their ``service.py``. Nothing here is owned by an organisation: peers are managed by staff and
remote entries are public by construction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from moli.core.db import Base, utcnow

ENTRY_STATUSES = ("active", "withdrawn")  # 有效 / 已撤回
SYNC_STATUSES = ("ok", "failed")  # 成功 / 失败


class FederationPeer(Base):
    """A peer node (对等节点) whose catalogue this node pulls."""

    __tablename__ = "federation_peers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    public_key: Mapped[str | None] = mapped_column(String(100), nullable=True)  # base64 raw Ed25519; None until first pull
    node_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    node_name: Mapped[str] = mapped_column(String(200), default="")
    last_generated_at: Mapped[str | None] = mapped_column(String(40), nullable=True)  # of the last accepted catalogue
    catalogue_etag: Mapped[str | None] = mapped_column(String(80), nullable=True)  # its validator, sent as If-None-Match
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_status: Mapped[str] = mapped_column(String(20), default="never")  # never | ok | failed
    last_message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FederationRemoteEntry(Base):
    """One public record (corpus, model offering, scenario) listed by a peer."""

    __tablename__ = "federation_remote_entries"
    __table_args__ = (UniqueConstraint("peer_id", "kind", "name", "version", name="uq_federation_remote_entries_peer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_id: Mapped[int] = mapped_column(ForeignKey("federation_peers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # corpus | offering | scenario
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(40), default="")
    title: Mapped[str] = mapped_column(String(300), default="")
    domain: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | withdrawn
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class FederationSync(Base):
    """One pull of one peer's catalogue (同步记录): what changed and what went wrong."""

    __tablename__ = "federation_syncs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_id: Mapped[int] = mapped_column(ForeignKey("federation_peers.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="ok")  # ok | failed
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list] = mapped_column(JSON, default=list)  # [{"index", "zh", "en"}]
    message: Mapped[str] = mapped_column(Text, default="")
