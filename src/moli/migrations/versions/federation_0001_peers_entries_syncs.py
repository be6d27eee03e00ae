"""federation: peers, remote catalogue entries, sync log

Revision ID: federation_0001
Revises:
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "federation_0001"
down_revision = None
branch_labels = ("federation",)
depends_on = None  # own tables only; other features are reached through their service.py


def upgrade() -> None:
    op.create_table(
        "federation_peers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("public_key", sa.String(100), nullable=True),
        sa.Column("node_id", sa.String(64), nullable=True),
        sa.Column("node_name", sa.String(200), nullable=False),
        sa.Column("last_generated_at", sa.String(40), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(20), nullable=False),
        sa.Column("last_message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_federation_peers"),
        sa.UniqueConstraint("name", name="uq_federation_peers_name"),
    )
    op.create_table(
        "federation_remote_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("domain", sa.String(200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_federation_remote_entries"),
        sa.ForeignKeyConstraint(["peer_id"], ["federation_peers.id"],
                                name="fk_federation_remote_entries_peer_id_federation_peers"),
        sa.UniqueConstraint("peer_id", "kind", "name", "version", name="uq_federation_remote_entries_peer_id"),
    )
    op.create_index("ix_federation_remote_entries_peer_id", "federation_remote_entries", ["peer_id"])
    op.create_table(
        "federation_syncs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("withdrawn", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_federation_syncs"),
        sa.ForeignKeyConstraint(["peer_id"], ["federation_peers.id"], name="fk_federation_syncs_peer_id_federation_peers"),
    )
    op.create_index("ix_federation_syncs_peer_id", "federation_syncs", ["peer_id"])


def downgrade() -> None:
    op.drop_index("ix_federation_syncs_peer_id", table_name="federation_syncs")
    op.drop_table("federation_syncs")
    op.drop_index("ix_federation_remote_entries_peer_id", table_name="federation_remote_entries")
    op.drop_table("federation_remote_entries")
    op.drop_table("federation_peers")
